//! `totsugo match`: prove or disprove, for every roster record, that its 個人番号 belongs to
//! that person, by matching 氏名, 生年月日, 性別, 住所 (and 氏名カナ in 5-field mode) against a
//! resident-registry extract.
//!
//! 1. Rosters (the small side) are read and checked as by `validate` (V01–V16); each row keeps
//!    its values after the safe fixes, so a fixable format fault never causes a mismatch.
//! 2. Indexes are built from them: usable number → records; normalized name + birth + sex →
//!    records without a usable number.
//! 3. The registry is streamed once ([`registry::stream`]), in parallel, keeping only hits.
//! 4. Each record gets its verdict M00–M42 ([`verdict`]); outputs are written in roster order.

pub mod registry;
mod verdict;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::time::Instant;

use rayon::prelude::*;

use crate::error::Error;
use crate::exit::Outcome;
use crate::findings::{Action, Code, Finding, Severity, Source};
use crate::ingest::{self, Span};
use crate::log::Log;
use crate::normalize::name::name_key;
use crate::report::corrections::{ReviewCorrections, RosterCorrections, file_names};
use crate::report::csvout::RowFormatter;
use crate::report::findings::FindingsWriter;
use crate::report::results::ResultsWriter;
use crate::report::summary::{InputSummary, OfficeCounts, Summary, Totals, stage_timings};
use crate::rules::check_digit::my_number_is_valid;
use crate::schema::{Layout, RosterKey};
use crate::validate::{
    Checked, DupMap, FileCtx, Kept, RowSink, ValidateConfig, row_findings, unreadable_findings,
};
use registry::{Indexes, parse_birth, parse_number, parse_sex};
pub use verdict::{FieldMode, Verdict};

/// Everything `match` needs, already checked.
#[derive(Debug, Clone)]
pub struct MatchConfig {
    /// Rosters, output folder, roster layout, encodings and rule settings (as `validate`).
    pub roster: ValidateConfig,
    pub registry: PathBuf,
    pub registry_layout: Layout,
    pub fields: FieldMode,
}

/// Records whose verdicts are computed in parallel before they are written.
const VERDICT_BATCH: usize = 1 << 14;

/// One roster record, held from the roster pass to the output.
pub(crate) struct Rec {
    pub source: Source,
    /// 保険者番号 and 受給者番号 of a line that could not be read (a read one has them in `kept`).
    unreadable_ids: Option<Box<[String; 2]>>,
    /// Entry-rule findings (V01–V16), in output order.
    pub findings: Vec<Finding>,
    /// 処理区分 the entry rules ask for (None: nothing to change).
    pub v_action: Option<Action>,
    /// None for a line that could not be read (V14/V16): 判定 `-`.
    pub kept: Option<Box<Kept>>,
    /// The row repeats an earlier one (V15): its corrections are the first one's.
    pub duplicate: bool,
}

impl Rec {
    pub fn insurer_no(&self) -> &str {
        match &self.kept {
            Some(k) => k.value(RosterKey::InsurerNo),
            None => self.unreadable_ids.as_ref().map_or("", |i| &i[0]),
        }
    }

    pub fn recipient_no(&self) -> &str {
        match &self.kept {
            Some(k) => k.value(RosterKey::RecipientNo),
            None => self.unreadable_ids.as_ref().map_or("", |i| &i[1]),
        }
    }

    fn value(&self, k: RosterKey) -> &str {
        self.kept.as_ref().map_or("", |kept| kept.value(k))
    }

    fn usable_number(&self) -> Option<u64> {
        let v = self.value(RosterKey::MyNumber);
        my_number_is_valid(v).then(|| parse_number(v)).flatten()
    }
}

/// Collects the roster rows.
struct Collect {
    recs: Vec<Rec>,
    unreadable: u64,
}

impl RowSink for Collect {
    fn row(
        &mut self,
        ctx: &FileCtx,
        span: &Span,
        checked: Checked,
        duplicate_of: Option<Source>,
    ) -> Result<(), Error> {
        let source = Source {
            file: ctx.fi,
            line: span.line,
        };
        let rec = match checked {
            Checked::Unreadable {
                issues,
                insurer_no,
                recipient_no,
            } => {
                self.unreadable += span.end_line - span.line + 1;
                Rec {
                    source,
                    findings: unreadable_findings(source, issues, &insurer_no, &recipient_no),
                    unreadable_ids: Some(Box::new([insurer_no, recipient_no])),
                    v_action: None,
                    kept: None,
                    duplicate: false,
                }
            }
            Checked::Row {
                office,
                recipient,
                detail,
                kept,
                ..
            } => {
                let (findings, v_action) = match &detail {
                    Some(d) => (
                        row_findings(source, d, duplicate_of, ctx.files),
                        d.check.needs_change().then(|| d.check.correction_action()),
                    ),
                    None if duplicate_of.is_some() => {
                        let d = crate::validate::RowDetail {
                            check: Default::default(),
                            insurer_no: office.as_str().to_string(),
                            recipient_no: recipient.as_str().to_string(),
                            record: None,
                        };
                        (row_findings(source, &d, duplicate_of, ctx.files), None)
                    }
                    None => (Vec::new(), None),
                };
                Rec {
                    source,
                    unreadable_ids: None,
                    findings,
                    v_action,
                    kept,
                    duplicate: duplicate_of.is_some(),
                }
            }
        };
        self.recs.push(rec);
        Ok(())
    }
}

/// A roster as read: its encoding decision, what the reader counted, and its unreadable lines.
pub(crate) type RosterInput = (ingest::FileInfo, crate::validate::Scanned, u64);

/// Reads and checks every roster as `validate` does (V01–V16), keeping each row's values.
/// `files` names the rosters first, in order.
pub(crate) fn read_rosters(
    rc: &ValidateConfig,
    files: &[String],
    log: &mut Log,
) -> Result<(Vec<Rec>, Vec<RosterInput>), Error> {
    let mut collect = Collect {
        recs: Vec::new(),
        unreadable: 0,
    };
    // Rows are rarely under 128 bytes: one allocation up front instead of doubling a vector
    // of a million records.
    let roster_bytes: u64 = rc
        .rosters
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    collect.recs.reserve((roster_bytes / 128) as usize);
    let mut seen = DupMap::default();
    let mut inputs = Vec::new();
    for (fi, path) in rc.rosters.iter().enumerate() {
        let mut info = ingest::sniff(path, &files[fi], rc.encoding)?;
        let before = collect.recs.len();
        let unreadable_before = collect.unreadable;
        let mut scan = |info: &ingest::FileInfo, collect: &mut Collect| {
            crate::validate::scan_file(rc, fi as u32, info, files, &mut seen, true, collect)
        };
        let scanned = match scan(&info, &mut collect)? {
            Some(s) => s,
            None => {
                // Provisional UTF-8 that is not: decide on the whole file and read again.
                collect.recs.truncate(before);
                collect.unreadable = unreadable_before;
                info = ingest::sniff_full(path, &files[fi])?;
                scan(&info, &mut collect)?
                    .ok_or_else(|| Error::Internal("文字コードの判定が定まりません".into()))?
            }
        };
        if let Some(note) = &info.note {
            log.warn(format!("{}: {note}", info.display));
        }
        inputs.push((info, scanned, collect.unreadable - unreadable_before));
    }
    Ok((collect.recs, inputs))
}

pub fn run(cfg: &MatchConfig, log: &mut Log) -> Result<Outcome, Error> {
    let started = Instant::now();
    let rc = &cfg.roster;
    let out = &rc.out;
    std::fs::create_dir_all(out).map_err(|source| Error::Write {
        path: out.display().to_string(),
        source,
    })?;
    let mut files: Vec<String> = rc.rosters.iter().map(|p| p.display().to_string()).collect();
    let registry_fi = files.len() as u32;
    files.push(cfg.registry.display().to_string());

    // 1. Rosters.
    let (recs, inputs) = read_rosters(rc, &files, log)?;
    let roster_done = started.elapsed();

    // 2. Indexes.
    let mut idx = Indexes::default();
    for (i, r) in recs.iter().enumerate() {
        if r.kept.is_none() {
            continue;
        }
        match r.usable_number() {
            Some(n) => {
                idx.by_number.insert(n);
            }
            None => {
                if let (Some(name), Some(birth), Some(sex)) = (
                    name_key(r.value(RosterKey::Name)),
                    parse_birth(r.value(RosterKey::BirthDate)),
                    parse_sex(r.value(RosterKey::Sex)),
                ) {
                    idx.birth_sex.insert(birth, sex);
                    idx.by_person
                        .entry((name, birth, sex))
                        .or_default()
                        .push(i as u32);
                }
            }
        }
    }

    // 3. Registry.
    let reg_name = &files[registry_fi as usize];
    let mut reg_info = ingest::sniff(&cfg.registry, reg_name, None)?;
    let streamed = match registry::stream(&reg_info, &cfg.registry_layout, &idx)? {
        Some(s) => s,
        None => {
            // UTF-8 from the first bytes, but a later line is not: decide on the whole file.
            reg_info = ingest::sniff_full(&cfg.registry, reg_name)?;
            registry::stream(&reg_info, &cfg.registry_layout, &idx)?
                .ok_or_else(|| Error::Internal("文字コードの判定が定まりません".into()))?
        }
    };
    let (hits, reg_stats, reg_header_line, reg_columns) = streamed;
    let registry_done = started.elapsed();
    log.info(format!(
        "{}: {} 行（{}）を照合、保持した住基行 {}",
        reg_info.display,
        reg_stats.records,
        reg_info.encoding.label(),
        hits.rows_held
    ));

    // 4. Verdicts and outputs.
    let enc = rc.output_encoding;
    let mut findings_out = FindingsWriter::create(&out.join("findings.csv"), enc)?;
    let mut results_out = ResultsWriter::create(&out.join("results.csv"), enc)?;
    let mut corrections = CorrectionsOut::create(rc, &inputs, &files)?;
    let mut totals = Totals::default();
    let mut by_code: BTreeMap<String, u64> = BTreeMap::new();
    let mut verdict_counts: HashMap<Option<Code>, u64> = HashMap::new();
    let mut by_office: Vec<(String, OfficeCounts)> = Vec::new();
    let mut office_ix: HashMap<String, usize> = HashMap::new();
    let mut worst: Option<Severity> = None;
    let unmask = rc.rules.unmask;
    // Verdicts are computed in parallel a batch at a time (normalizing both sides is the costly
    // part), then written in roster order.
    // Their results.csv rows are formatted there too.
    let mut batch: Vec<(Verdict, Option<Finding>, Vec<u8>, u64)> = Vec::new();
    for (b, chunk) in recs.chunks(VERDICT_BATCH).enumerate() {
        batch.clear();
        batch.par_extend(chunk.par_iter().map_init(
            || RowFormatter::for_review(enc),
            |fmt, rec| {
                let v = verdict::decide(rec, &hits, cfg.fields);
                let f = verdict::finding(rec, &v, &files, unmask);
                let mut row = Vec::with_capacity(160);
                ResultsWriter::format(fmt, rec, &v, &files, unmask, &mut row);
                let replaced = std::mem::take(&mut fmt.replaced);
                (v, f, row, replaced)
            },
        ));
        for (i, (v, verdict_finding, row, replaced)) in batch.drain(..).enumerate() {
            let rec = &recs[b * VERDICT_BATCH + i];
            totals.rows += 1;
            let office_key = match rec.insurer_no() {
                "" => "(空欄)",
                k => k,
            };
            let oi = match office_ix.get(office_key) {
                Some(&i) => i,
                None => {
                    office_ix.insert(office_key.to_string(), by_office.len());
                    by_office.push((office_key.to_string(), OfficeCounts::default()));
                    by_office.len() - 1
                }
            };
            let office = &mut by_office[oi].1;
            office.rows += 1;
            *verdict_counts.entry(v.code).or_default() += 1;
            let mut findings = rec.findings.clone();
            if let Some(f) = verdict_finding {
                findings.push(f);
            }
            if !findings.is_empty() {
                totals.rows_with_findings += 1;
            }
            for f in &findings {
                totals.findings += 1;
                match f.severity() {
                    Severity::Error => totals.errors += 1,
                    Severity::Warning => totals.warnings += 1,
                    Severity::Info => totals.info += 1,
                }
                worst = worst.max(Some(f.severity()));
                *by_code.entry(f.code.as_str().to_string()).or_default() += 1;
                *office
                    .by_code
                    .entry(f.code.as_str().to_string())
                    .or_default() += 1;
                findings_out.write(f, &files)?;
            }
            results_out.write_formatted(&row, 1, replaced)?;
            // Corrections: the entry rules' fixes plus what the verdict proposes.
            if rec.kept.is_none() || rec.duplicate {
                continue;
            }
            let action = match (rec.v_action, v.action) {
                (None, None) => continue,
                (a, None) | (None, a) => a,
                (Some(a), Some(b)) => Some(stronger(a, b)),
            };
            let Some(action) = action else { continue };
            corrections.write(rec, action, &v.proposals)?;
        }
    }
    // Registry lines that could not be read.
    for b in &hits.bad_lines {
        let f = Finding {
            code: b.code,
            source: Source {
                file: registry_fi,
                line: b.line,
            },
            insurer_no: String::new(),
            recipient_no: String::new(),
            field: String::new(),
            message: format!("住基ファイルの行を読めません: {}", b.message),
            action: Action::Review,
            related: None,
        };
        totals.findings += 1;
        totals.errors += 1;
        worst = worst.max(Some(f.severity()));
        *by_code.entry(f.code.as_str().to_string()).or_default() += 1;
        findings_out.write(&f, &files)?;
    }
    totals.corrections = corrections.rows();
    let mut replaced = findings_out.replaced() + results_out.replaced();
    findings_out.commit()?;
    results_out.commit()?;
    let (per_roster, corrections_replaced) = corrections.commit(out)?;
    replaced += corrections_replaced;
    let mut input_summaries = Vec::new();
    for ((info, scanned, unreadable), (file, n)) in inputs.iter().zip(per_roster) {
        input_summaries.push(InputSummary {
            corrections_file: file,
            corrections: n,
            ..InputSummary::new(
                "roster",
                info,
                &scanned.stats,
                scanned.header_line,
                *unreadable,
                &scanned.columns,
                &rc.layout.origin,
            )
        });
    }
    input_summaries.push(InputSummary::new(
        "registry",
        &reg_info,
        &reg_stats,
        reg_header_line,
        hits.bad_lines.len() as u64,
        &reg_columns,
        &cfg.registry_layout.origin,
    ));
    let outcome = Outcome { worst };
    let timings = stage_timings(&[
        ("rosters", roster_done),
        ("registry", registry_done),
        ("write", started.elapsed()),
    ]);
    let summary = Summary {
        totals,
        by_code,
        by_office: by_office.into_iter().collect(),
        inputs: input_summaries,
        output_replacements: replaced,
        fields: Some(cfg.fields.count()),
        verdicts: Some(
            verdict_counts
                .into_iter()
                .map(|(c, n)| (c.map_or("-", |c| c.as_str()).to_string(), n))
                .collect(),
        ),
        registry_rows_kept: Some(hits.rows_held as u64),
        ..Summary::for_run("match", &rc.rules, enc, outcome.exit_code(), timings)
    };
    summary.write(&out.join("summary.json"))?;
    let t = &summary.totals;
    log.info(format!(
        "{} 行を照合: エラー {} 件、警告 {} 件、修正対象 {} 行 → {}",
        t.rows,
        t.errors,
        t.warnings,
        t.corrections,
        out.display()
    ));
    Ok(outcome)
}

/// The stronger of two 処理区分: 削除 > 修正要確認 > 修正.
fn stronger(a: Action, b: Action) -> Action {
    let rank = |x: Action| match x {
        Action::Delete => 3,
        Action::Review => 2,
        _ => 1,
    };
    if rank(b) > rank(a) { b } else { a }
}

/// A roster's file under `corrections/` (None when it has no corrections) and its rows.
pub(crate) type PerRoster = (Option<String>, u64);

/// corrections.csv and corrections/<roster>: every roster row that must change, with the
/// values proposed (shared by `match` and `check`). Per-roster files are written into a
/// temporary folder and swapped in whole at the end.
pub(crate) struct CorrectionsOut<'a> {
    review: ReviewCorrections,
    dir: tempfile::TempDir,
    names: Vec<String>,
    per_roster: Vec<Option<RosterCorrections>>,
    inputs: &'a [RosterInput],
    files: &'a [String],
}

impl<'a> CorrectionsOut<'a> {
    pub fn create(
        rc: &ValidateConfig,
        inputs: &'a [RosterInput],
        files: &'a [String],
    ) -> Result<CorrectionsOut<'a>, Error> {
        let out = &rc.out;
        let review = ReviewCorrections::create(&out.join("corrections.csv"), rc.output_encoding)?;
        let dir = tempfile::Builder::new()
            .prefix(".totsugo-corrections-")
            .tempdir_in(out)
            .map_err(|source| Error::Write {
                path: out.display().to_string(),
                source,
            })?;
        Ok(CorrectionsOut {
            review,
            dir,
            names: file_names(&rc.rosters),
            per_roster: (0..rc.rosters.len()).map(|_| None).collect(),
            inputs,
            files,
        })
    }

    /// One record's row: its values after the safe fixes, with `proposals` put in.
    pub fn write(
        &mut self,
        rec: &Rec,
        action: Action,
        proposals: &[(RosterKey, String)],
    ) -> Result<(), Error> {
        let Some(kept) = &rec.kept else {
            return Ok(());
        };
        let mut values: Vec<&str> = RosterKey::ALL.iter().map(|k| kept.value(*k)).collect();
        for (k, proposed) in proposals {
            values[k.index()] = proposed;
        }
        let fi = rec.source.file as usize;
        self.review
            .write(action, &self.files[fi], rec.source.line, &values)?;
        let (info, scanned, _) = &self.inputs[fi];
        if self.per_roster[fi].is_none() {
            self.per_roster[fi] = Some(RosterCorrections::create(
                self.dir.path(),
                &self.names[fi],
                info,
                &header_of(info)?,
                &scanned.columns,
            )?);
        }
        if let Some(w) = self.per_roster[fi].as_mut() {
            // Only what changed from the row as read is re-encoded.
            let changed: Vec<Option<&str>> = RosterKey::ALL
                .iter()
                .map(|k| {
                    let new = values[k.index()];
                    let was = kept
                        .record
                        .get(scanned.columns.columns[k.index()].unwrap_or(usize::MAX))
                        .map(|b| ingest::decode_field(b, info.encoding));
                    match was {
                        Some(Ok(w)) if w == new => None,
                        _ if new.is_empty() && was.is_none() => None,
                        _ => Some(new),
                    }
                })
                .collect();
            w.write(action, &kept.record, &changed)?;
        }
        Ok(())
    }

    pub fn rows(&self) -> u64 {
        self.review.rows()
    }

    /// Commits every file and swaps the per-roster folder in. Returns, per roster, its file
    /// under `corrections/` and its rows, and the characters replaced by 〓.
    pub fn commit(self, out: &std::path::Path) -> Result<(Vec<PerRoster>, u64), Error> {
        self.review.commit()?;
        let mut replaced = 0;
        let mut per_roster = Vec::with_capacity(self.per_roster.len());
        for (w, name) in self.per_roster.into_iter().zip(&self.names) {
            per_roster.push(match w {
                Some(w) => {
                    replaced += w.replaced();
                    let n = w.rows();
                    w.commit()?;
                    (Some(format!("corrections/{name}")), n)
                }
                None => (None, 0),
            });
        }
        crate::validate::swap_corrections_dir(out, self.dir)?;
        Ok((per_roster, replaced))
    }
}

/// A roster's header row, read again for its correction file.
fn header_of(info: &ingest::FileInfo) -> Result<Vec<String>, Error> {
    Ok(ingest::RecordReader::open(info)?.header)
}
