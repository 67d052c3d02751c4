//! One run of the pipeline, as `match` and `check` (and later `run`) use it:
//! ingest + validate the rosters → match against the registry (when given) → flag linkage and
//! coverage problems (when asked) → write every output.
//!
//! 1. Rosters (the small side) are read and checked as by `validate` (V01–V16); each row keeps
//!    its values after the safe fixes ([`crate::matching::read_rosters`]).
//! 2. With a registry: indexes from the rosters, one streamed pass over the registry, and a
//!    verdict M00–M42 per record, in parallel ([`crate::matching`]).
//! 3. With checks: persons, L01–L05 and D01–D05 ([`crate::flag`]), streaming the
//!    other-insurance files.
//! 4. Outputs in roster order: findings.csv, results.csv (with a registry), corrections.csv and
//!    corrections/, summary.json.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::time::Instant;

use rayon::prelude::*;

use crate::error::Error;
use crate::exit::Outcome;
use crate::findings::{Action, Code, Finding, Severity, Source};
use crate::flag::{self, CheckInput, Flags};
use crate::ingest::{self, FileInfo};
use crate::log::Log;
use crate::matching::registry::{self, Hits, Indexes};
use crate::matching::verdict::{self, FieldMode, Verdict};
use crate::matching::{CorrectionsOut, read_rosters};
use crate::record::Rec;
use crate::report::csvout::RowFormatter;
use crate::report::findings::FindingsWriter;
use crate::report::results::{ResultRow, ResultsWriter};
use crate::report::summary::{
    BaselineSummary, InputSummary, OfficeCounts, Summary, Totals, stage_timings,
};
use crate::schema::{Layout, RosterKey};
use crate::state::baseline::{Baseline, Entry, NORMALIZED_FIELDS, UNKNOWN_FIELD};
use crate::validate::ValidateConfig;

/// What one run reads and does.
#[derive(Debug, Clone)]
pub struct PipelineConfig {
    /// `match` or `check`: named in summary.json.
    pub command: &'static str,
    /// Rosters, output folder, roster layout, encodings and rule settings (as `validate`).
    pub roster: ValidateConfig,
    /// The registry extract and its layout.
    pub registry: Option<(PathBuf, Layout)>,
    pub fields: FieldMode,
    /// Other-insurance files (D02, D03).
    pub insurance: Vec<PathBuf>,
    pub insurance_layout: Layout,
    /// Run the cross-record checks (L01–L05, D01–D05).
    pub checks: bool,
}

/// Records whose results.csv rows are formatted in parallel before they are written.
const WRITE_BATCH: usize = 1 << 14;

/// The nightly comparison asked of a run (`run --state`).
#[derive(Debug)]
pub enum Nightly<'b> {
    /// No baseline yet (first run, or `--reset-baseline`): nothing to compare; the records
    /// verified tonight become the baseline.
    First { reset: bool },
    /// Compare with the last successful run's baseline (N01, N02).
    Compare(&'b Baseline),
}

/// What a run hands back to its caller.
#[derive(Debug)]
pub struct Ran {
    pub outcome: Outcome,
    /// The baseline to keep (with [`Nightly`]): written by the caller once outputs are in place.
    pub baseline: Option<Baseline>,
}

/// `--verbose`: for every record whose 住所 is ゆれ against its registry row, the rules of the
/// address normalizer that made the two equal (so a wrong rule can be found), then the count
/// per rule. Line numbers and rule names only: no address or number is printed.
fn explain_address_variants(recs: &[Rec], verdicts: &[Verdict], files: &[String], log: &mut Log) {
    use crate::normalize::FieldMatch;
    use crate::normalize::address::{Rule, address_rules};
    let mut counts: Vec<(Rule, u64)> = Vec::new();
    for (rec, v) in recs.iter().zip(verdicts) {
        let (FieldMatch::Variant, Some(reg)) = (v.fields[4], v.registry) else {
            continue;
        };
        let rules = address_rules(rec.value(RosterKey::Address), reg.address());
        for &r in &rules {
            match counts.iter_mut().find(|(c, _)| *c == r) {
                Some((_, n)) => *n += 1,
                None => counts.push((r, 1)),
            }
        }
        let labels: Vec<&str> = rules.iter().map(|r| r.label()).collect();
        let file = files
            .get(rec.source.file as usize)
            .map_or("", String::as_str);
        log.detail(format!(
            "{file}:{} 住所ゆれ（住基 {} 行）: {}",
            rec.source.line,
            reg.line,
            labels.join("・")
        ));
    }
    if !counts.is_empty() {
        counts.sort_by_key(|&(r, _)| r as u32);
        let parts: Vec<String> = counts
            .iter()
            .map(|(r, n)| format!("{} {n}", r.label()))
            .collect();
        log.detail(format!("住所ゆれの規則別件数: {}", parts.join("、")));
    }
}

/// The registry stage's result: the file as sniffed, its layout, the rows the rosters asked
/// for, what the reader counted, and where its columns are.
struct RegistryStage<'a> {
    info: FileInfo,
    layout: &'a crate::schema::Layout,
    hits: Hits,
    stats: ingest::ReadStats,
    header_line: u64,
    columns: crate::schema::ColumnMap,
}

/// Stage 2: the registry streamed once against what the rosters need.
fn registry_stage<'a>(
    path: &std::path::Path,
    display: &str,
    layout: &'a crate::schema::Layout,
    recs: &[Rec],
    log: &mut Log,
) -> Result<RegistryStage<'a>, Error> {
    let stage = crate::progress::Stage::start("住基", crate::progress::total_size([path]));
    let (info, (hits, stats, header_line, columns)) = stream_registry(path, display, layout, recs)?;
    drop(stage);
    log.info(format!(
        "{}: {} 行（{}）を照合、保持した住基行 {}",
        info.display,
        stats.records,
        info.encoding.label(),
        hits.rows_held
    ));
    Ok(RegistryStage {
        info,
        layout,
        hits,
        stats,
        header_line,
        columns,
    })
}

/// One run; with `nightly`, N01/N02 against the baseline and the next baseline built.
pub fn run_with(
    cfg: &PipelineConfig,
    nightly: Option<Nightly<'_>>,
    log: &mut Log,
) -> Result<Ran, Error> {
    let started = Instant::now();
    let rc = &cfg.roster;
    let out = &rc.out;
    std::fs::create_dir_all(out).map_err(|source| Error::Write {
        path: out.display().to_string(),
        source,
    })?;
    let mut files: Vec<String> = rc.rosters.iter().map(|p| p.display().to_string()).collect();
    let registry_fi = files.len() as u32;
    if let Some((path, _)) = &cfg.registry {
        files.push(path.display().to_string());
    }
    let insurance_fi = files.len() as u32;
    files.extend(cfg.insurance.iter().map(|p| p.display().to_string()));
    // The acknowledgements, read before any work (a bad line is named and skipped).
    let acks = crate::validate::read_acks(rc, log)?;
    // Inputs that cannot be opened stop the run before any work (exit 2).
    let insurance_infos: Vec<(FileInfo, u32)> = cfg
        .insurance
        .iter()
        .enumerate()
        .map(|(k, p)| {
            let fi = insurance_fi + k as u32;
            ingest::sniff(p, &files[fi as usize], None).map(|i| (i, fi))
        })
        .collect::<Result<_, _>>()?;
    let mut marks = Vec::new();

    // 1. Rosters.
    let stage = crate::progress::Stage::start(
        "名簿",
        crate::progress::total_size(rc.rosters.iter().map(|p| p.as_path())),
    );
    let (recs, inputs) = read_rosters(rc, &files, log)?;
    drop(stage);
    marks.push(("rosters", started.elapsed()));
    crate::cancel::check()?;

    // 2. Registry.
    let registry = match &cfg.registry {
        Some((path, layout)) => Some(registry_stage(
            path,
            &files[registry_fi as usize],
            layout,
            &recs,
            log,
        )?),
        None => None,
    };
    let verdicts: Option<Vec<Verdict>> = registry.as_ref().map(|r| {
        recs.par_iter()
            .with_min_len(1024)
            .map(|rec| verdict::decide(rec, &r.hits, cfg.fields))
            .collect()
    });
    if registry.is_some() {
        marks.push(("registry", started.elapsed()));
    }
    if let Some(vs) = &verdicts
        && log.is_verbose()
    {
        explain_address_variants(&recs, vs, &files, log);
    }
    crate::cancel::check()?;

    // 3. Cross-record checks.
    let checked = if cfg.checks {
        let input = CheckInput {
            recs: &recs,
            verdicts: verdicts.as_deref(),
            registry: registry.as_ref().map(|r| (&r.info, r.layout, registry_fi)),
            files: &files,
            unmask: rc.rules.unmask,
            fields: cfg.fields,
        };
        let _stage = crate::progress::Stage::start(
            "他制度資格",
            crate::progress::total_size(cfg.insurance.iter().map(|p| p.as_path())),
        );
        flag::run(
            &input,
            &insurance_infos,
            &cfg.insurance_layout,
            started,
            &mut marks,
        )?
    } else {
        flag::Checked {
            flags: Flags::default(),
            insurance_inputs: Vec::new(),
            insurance_scan: None,
        }
    };
    let flag::Checked {
        flags,
        insurance_inputs,
        insurance_scan,
    } = checked;
    if let Some(scan) = &insurance_scan
        && scan.not_comparable > 0
    {
        log.warn(format!(
            "他制度資格ファイル: 制度区分・資格期間・生年月日・性別が読めず比べられない行が {} 行ありました",
            scan.not_comparable
        ));
    }

    crate::cancel::check()?;

    // 4. Outputs (and the nightly comparison, record by record).
    let mut night = NightState::new(nightly.as_ref());
    let enc = rc.output_encoding;
    let unmask = rc.rules.unmask;
    let mut findings_out = FindingsWriter::create(
        &out.join("findings.csv"),
        enc,
        !unmask,
        acks,
        rc.rules.as_of,
    )?;
    let mut results_out = match &verdicts {
        Some(_) => Some(ResultsWriter::create(
            &out.join("results.csv"),
            enc,
            !unmask,
        )?),
        None => None,
    };
    let mut corrections = CorrectionsOut::create(rc, &inputs, &files)?;
    let mut totals = Totals::default();
    let mut by_code: BTreeMap<String, u64> = BTreeMap::new();
    let mut verdict_counts: HashMap<Option<Code>, u64> = HashMap::new();
    let mut by_office: Vec<(String, OfficeCounts)> = Vec::new();
    let mut office_ix: HashMap<String, usize> = HashMap::new();
    let mut worst: Option<Severity> = None;
    let mut count = |f: &Finding, totals: &mut Totals, office: Option<&mut OfficeCounts>| {
        totals.findings += 1;
        match f.severity() {
            Severity::Error => totals.errors += 1,
            Severity::Warning => totals.warnings += 1,
            Severity::Info => totals.info += 1,
        }
        worst = worst.max(Some(f.severity()));
        *by_code.entry(f.code.as_str().to_string()).or_default() += 1;
        if let Some(o) = office {
            *o.by_code.entry(f.code.as_str().to_string()).or_default() += 1;
        }
    };
    let mut flag_findings = flags.findings.iter().peekable();
    // Verdict findings and results.csv rows are made in parallel a batch at a time, then
    // written in roster order.
    let mut batch: Vec<(Option<Finding>, Vec<u8>, u64)> = Vec::new();
    for (b, chunk) in recs.chunks(WRITE_BATCH).enumerate() {
        crate::cancel::check()?;
        batch.clear();
        let first = b * WRITE_BATCH;
        match &verdicts {
            Some(vs) => batch.par_extend(
                chunk
                    .par_iter()
                    .zip(&vs[first..first + chunk.len()])
                    .map_init(
                        || RowFormatter::for_review(enc, !unmask),
                        |fmt, (rec, v)| {
                            let f = verdict::finding(rec, v, &files, unmask);
                            let mut row = Vec::with_capacity(160);
                            ResultsWriter::format(
                                fmt,
                                &result_row(rec, v, &files),
                                unmask,
                                &mut row,
                            );
                            let replaced = std::mem::take(&mut fmt.replaced);
                            (f, row, replaced)
                        },
                    ),
            ),
            None => batch.extend(chunk.iter().map(|_| (None, Vec::new(), 0))),
        }
        for (k, (verdict_finding, row, replaced)) in batch.drain(..).enumerate() {
            let i = first + k;
            let rec = &recs[i];
            let v = verdicts.as_ref().map(|vs| &vs[i]);
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
            if let Some(v) = v {
                *verdict_counts.entry(v.code).or_default() += 1;
            }
            let mut findings: Vec<&Finding> = rec.findings.iter().collect();
            findings.extend(verdict_finding.as_ref());
            while let Some((_, f)) = flag_findings.next_if(|(r, _)| *r as usize == i) {
                findings.push(f);
            }
            let nightly_finding = night.record(rec, v, &findings);
            findings.extend(nightly_finding.as_ref());
            if !findings.is_empty() {
                totals.rows_with_findings += 1;
            }
            let mut listed = 0;
            let mut acknowledged = 0;
            for f in findings {
                if findings_out.write(f, &files)? {
                    count(f, &mut totals, Some(&mut *office));
                    listed += 1;
                } else {
                    acknowledged += 1;
                }
            }
            if let Some(r) = results_out.as_mut() {
                r.write_formatted(&row, 1, replaced)?;
            }
            // Corrections: the entry rules' fixes plus what the verdict and the checks propose.
            // A record whose every finding a clerk acknowledged stays as it is: no correction
            // row (a confirmed twin must not be proposed for 削除).
            if rec.kept.is_none() || rec.duplicate || (acknowledged > 0 && listed == 0) {
                continue;
            }
            let flagged = flags.corrections.get(&(i as u32));
            let mut proposals: Vec<(RosterKey, String)> =
                v.map(|v| v.proposals.clone()).unwrap_or_default();
            let mut actions = [rec.v_action, v.and_then(|v| v.action), None];
            if let Some(c) = flagged {
                actions[2] = Some(c.action);
                // A number the checks found wrong: the verdict's name or address proposals were
                // made against someone else's registry row.
                if c.proposals.iter().any(|(k, _)| *k == RosterKey::MyNumber) {
                    proposals.clear();
                }
                for (k, value) in &c.proposals {
                    proposals.retain(|(pk, _)| pk != k);
                    proposals.push((*k, value.clone()));
                }
            }
            let hold = nightly_finding
                .as_ref()
                .is_some_and(|f| f.code == Code::N01)
                .then_some(Action::Hold);
            let Some(mut action) = actions.into_iter().flatten().chain(hold).reduce(stronger)
            else {
                continue;
            };
            // A number the checks propose replaces one proven wrong: a person confirms it.
            if flagged.is_some_and(|c| c.proposals.iter().any(|(k, _)| *k == RosterKey::MyNumber)) {
                action = Action::Review;
            }
            // N01: not to be registered until verified (only 削除 says more).
            if let Some(h) = hold {
                action = stronger(action, h);
            }
            corrections.write(rec, action, &proposals)?;
        }
    }
    // Reference lines (registry, insurance) that could not be read.
    let mut bad: Vec<(u32, &ingest::stream::BadLine)> = Vec::new();
    if let Some(r) = &registry {
        bad.extend(r.hits.bad_lines.iter().map(|b| (registry_fi, b)));
    }
    if let Some(scan) = &insurance_scan {
        bad.extend(scan.bad_lines.iter().map(|(fi, b)| (*fi, b)));
    }
    for (fi, b) in bad {
        let what = if fi == registry_fi && cfg.registry.is_some() {
            "住基ファイル"
        } else {
            "他制度資格ファイル"
        };
        let f = Finding {
            code: b.code,
            source: Source {
                file: fi,
                line: b.line,
            },
            insurer_no: String::new(),
            recipient_no: String::new(),
            field: String::new(),
            message: format!("{what}の行を読めません: {}", b.message),
            action: Action::Review,
            related: None,
        };
        if findings_out.write(&f, &files)? {
            count(&f, &mut totals, None);
        }
    }
    totals.corrections = corrections.rows();
    // Last chance to stop: from here on the outputs are renamed into place, which takes
    // milliseconds, and the set is finished rather than left half old, half new.
    crate::cancel::check()?;
    let mut replaced =
        findings_out.replaced() + results_out.as_ref().map_or(0, ResultsWriter::replaced);
    let (samples, acknowledged) = findings_out.commit()?;
    let wrote_results = results_out.is_some();
    if let Some(r) = results_out {
        r.commit()?;
    }
    if rc.parquet {
        let names: &[&str] = if wrote_results {
            &["findings", "results"]
        } else {
            &["findings"]
        };
        crate::columnar::review_parquet(out, names, enc)?;
    }
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
    let mut rows_kept = None;
    if let Some(r) = &registry {
        input_summaries.push(InputSummary::new(
            "registry",
            &r.info,
            &r.stats,
            r.header_line,
            r.hits.bad_lines.len() as u64,
            &r.columns,
            &r.layout.origin,
        ));
        rows_kept = Some(r.hits.rows_held as u64);
    }
    for i in &insurance_inputs {
        input_summaries.push(InputSummary::new(
            "insurance",
            &i.info,
            &i.stats,
            i.header_line,
            i.unreadable,
            &i.columns,
            &cfg.insurance_layout.origin,
        ));
    }
    let outcome = Outcome { worst };
    let (next_baseline, baseline_summary) = night.finish(rc.rules.as_of);
    marks.push(("write", started.elapsed()));
    let summary = Summary {
        totals,
        by_code,
        by_office: by_office.into_iter().collect(),
        inputs: input_summaries,
        output_replacements: replaced,
        fields: registry.as_ref().map(|_| cfg.fields.count()),
        verdicts: registry.as_ref().map(|_| {
            verdict_counts
                .into_iter()
                .map(|(c, n)| (c.map_or("-", |c| c.as_str()).to_string(), n))
                .collect()
        }),
        registry_rows_kept: rows_kept,
        persons_with_several_records: cfg.checks.then_some(flags.persons_with_several_records),
        baseline: baseline_summary,
        acknowledged,
        ..Summary::for_run(
            cfg.command,
            &rc.rules,
            enc,
            outcome.exit_code(),
            stage_timings(&marks),
        )
    };
    crate::report::html::write_summary_and_page(out, &summary, &samples, enc)?;
    let t = &summary.totals;
    log.info(format!(
        "{} 行を{}: エラー {} 件、警告 {} 件、修正対象 {} 行 → {}",
        t.rows,
        if cfg.checks { "検査" } else { "照合" },
        t.errors,
        t.warnings,
        t.corrections,
        out.display()
    ));
    Ok(Ran {
        outcome,
        baseline: next_baseline,
    })
}

/// A record's results.csv row.
fn result_row<'a>(rec: &'a Rec, v: &'a Verdict<'_>, files: &'a [String]) -> ResultRow<'a> {
    ResultRow {
        file: files
            .get(rec.source.file as usize)
            .map_or("", String::as_str),
        line: rec.source.line,
        insurer_no: rec.insurer_no(),
        recipient_no: rec.recipient_no(),
        my_number: rec
            .kept
            .as_ref()
            .map_or("", |k| k.value(RosterKey::MyNumber)),
        verdict: v.code.map_or("-", |c| c.as_str()),
        fields: &v.fields,
        candidates: &v.candidates,
    }
}

/// The nightly comparison while the outputs are written: N01 for a record that was not on the
/// last run's rosters and that the registry did not verify tonight; N02 for a record verified
/// before whose number or basic fields changed; and the next baseline (records verified
/// tonight; records verified before but not tonight keep their old entry, so N02 repeats until
/// resolved; other records seen tonight are kept as seen, unverified).
struct NightState<'b> {
    previous: Option<&'b Baseline>,
    active: bool,
    next: Vec<Entry>,
    counts: BaselineSummary,
}

impl<'b> NightState<'b> {
    fn new(nightly: Option<&Nightly<'b>>) -> NightState<'b> {
        let (active, previous, reset) = match nightly {
            None => (false, None, false),
            Some(Nightly::First { reset }) => (true, None, *reset),
            Some(Nightly::Compare(b)) => (true, Some(*b), false),
        };
        NightState {
            previous,
            active,
            next: Vec::new(),
            counts: BaselineSummary {
                status: match (previous, reset) {
                    (Some(_), _) => "compared",
                    (None, true) => "reset",
                    (None, false) => "first",
                },
                previous_as_of: previous.map(|b| b.as_of.clone()),
                previous_records: previous.map_or(0, |b| b.len() as u64),
                renormalized_from: previous
                    .filter(|b| b.renormalized())
                    .map(|b| b.normalization),
                ..BaselineSummary::default()
            },
        }
    }

    /// The N01/N02 finding of one record (given its other findings), if any.
    fn record(&mut self, rec: &Rec, v: Option<&Verdict>, findings: &[&Finding]) -> Option<Finding> {
        if !self.active {
            return None;
        }
        let key = crate::state::baseline::record_key(rec.insurer_no(), rec.recipient_no());
        let olds = self.previous.map_or(&[][..], |b| b.get(key));
        // A line that could not be read has no values: it keeps what the baseline had.
        if rec.kept.is_none() || rec.duplicate {
            self.next.extend_from_slice(olds);
            return None;
        }
        let code = v.and_then(|v| v.code);
        let verified = matches!(code, Some(Code::M00 | Code::M01))
            && findings.iter().all(|f| f.severity() < Severity::Error);
        let entry = Entry::of(
            rec.insurer_no(),
            rec.recipient_no(),
            [
                rec.value(RosterKey::MyNumber),
                rec.value(RosterKey::Name),
                rec.value(RosterKey::NameKana),
                rec.value(RosterKey::BirthDate),
                rec.value(RosterKey::Sex),
                rec.value(RosterKey::Address),
            ],
            verified,
        );
        // A baseline from another normalizer version is re-keyed. A record verified tonight
        // takes tonight's 氏名, カナ and 住所 hashes (a notation the new normalizer reads
        // differently is no change; the number, birth date and sex are still compared). A record
        // verified before but not tonight cannot be compared on those fields: they become
        // "unknown" (UNKNOWN_FIELD), kept so, and N02 says so every night until the record
        // verifies again, as it would have said "changed".
        let renormalized = self.previous.is_some_and(Baseline::renormalized);
        let known: Vec<Entry> = olds
            .iter()
            .filter(|o| o.verified)
            .map(|o| {
                let mut o = *o;
                if renormalized {
                    for i in NORMALIZED_FIELDS {
                        o.fields[i] = if verified {
                            entry.fields[i]
                        } else {
                            UNKNOWN_FIELD
                        };
                    }
                }
                o
            })
            .collect();
        if verified {
            self.counts.verified += 1;
            self.next.push(entry);
        } else if known.is_empty() {
            // Seen, not verified: kept so that it is not "new" next time.
            self.next.push(entry);
        } else {
            // Verified before, not tonight: the old entry stays, so N02 repeats until resolved.
            self.next.extend_from_slice(&known);
        }
        let prev = self.previous?;
        let finding = |code: Code, field: String, message: String, action: Action| Finding {
            code,
            source: rec.source,
            insurer_no: rec.insurer_no().to_string(),
            recipient_no: rec.recipient_no().to_string(),
            field,
            message,
            action,
            related: None,
        };
        if olds.is_empty() {
            if verified {
                self.counts.new_verified += 1;
                return None;
            }
            self.counts.new_unverified += 1;
            let why = code.map_or("-", |c| c.as_str());
            return Some(finding(
                Code::N01,
                String::new(),
                format!(
                    "前回（{}）の名簿になかった新しい記録で、今回の照合でも本人と確認できませんでした（判定 {why}）。\
                     確認できるまで登録しないでください",
                    prev.as_of
                ),
                Action::Hold,
            ));
        }
        // Compared only with what was verified: a record never verified has its M finding.
        // Unknown fields (a re-keyed baseline) are no change for a record verified tonight, and
        // "cannot be compared" for one that is not.
        if known.is_empty() {
            return None;
        }
        let unknown_of = |o: &Entry| -> Vec<&'static str> {
            NORMALIZED_FIELDS
                .iter()
                .filter(|&&i| o.fields[i] == UNKNOWN_FIELD)
                .map(|&i| crate::state::baseline::FIELDS[i])
                .collect()
        };
        let changed_of = |o: &Entry| -> Vec<&'static str> {
            let unknown = unknown_of(o);
            entry
                .changed(o)
                .into_iter()
                .filter(|f| !unknown.contains(f))
                .collect()
        };
        // The closest verified entry under this key names what changed.
        let closest = known
            .iter()
            .min_by_key(|o| (changed_of(o).len(), unknown_of(o).len()))
            .copied()
            .unwrap_or(entry);
        let changed = changed_of(&closest);
        let unknown = if verified {
            Vec::new()
        } else {
            unknown_of(&closest)
        };
        if changed.is_empty() && unknown.is_empty() {
            return None;
        }
        self.counts.changed += 1;
        let mut what = changed.join("・");
        let mut field = what.clone();
        if !unknown.is_empty() {
            if !what.is_empty() {
                what.push('と');
                field.push('・');
            }
            what.push_str(&format!(
                "（照合後に正規化の版が変わったため比べられない）{}",
                unknown.join("・")
            ));
            field.push_str(&unknown.join("・"));
        }
        Some(finding(
            Code::N02,
            field,
            format!(
                "前回の基準（{}、照合済み）から{what}が変わりました。{}住基で本人確認をやり直してから登録してください",
                prev.as_of,
                if verified {
                    "今回の照合では一致しましたが、"
                } else {
                    ""
                }
            ),
            Action::ConfirmIdentity,
        ))
    }

    /// The next baseline and the counts for summary.json.
    fn finish(self, as_of: crate::rules::date::Ymd) -> (Option<Baseline>, Option<BaselineSummary>) {
        if !self.active {
            return (None, None);
        }
        let next = Baseline::from_entries(self.next, as_of.to_yyyymmdd());
        let counts = BaselineSummary {
            records_written: next.len() as u64,
            ..self.counts
        };
        (Some(next), Some(counts))
    }
}

type Streamed = (Hits, ingest::ReadStats, u64, crate::schema::ColumnMap);

/// Indexes from the rosters, then one pass over the registry (two when its first bytes said
/// UTF-8 and a later line is not).
fn stream_registry(
    path: &std::path::Path,
    display: &str,
    layout: &Layout,
    recs: &[Rec],
) -> Result<(FileInfo, Streamed), Error> {
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
                idx.add_person(
                    i as u32,
                    r.value(RosterKey::Name),
                    r.value(RosterKey::BirthDate),
                    r.value(RosterKey::Sex),
                );
            }
        }
    }
    let info = crate::columnar::sniff_registry(path, display)?;
    if let Some(s) = registry::stream(&info, layout, &idx)? {
        return Ok((info, s));
    }
    // UTF-8 from the first bytes, but a later line is not: decide on the whole file.
    let info = ingest::sniff_full(path, display)?;
    let s = registry::stream(&info, layout, &idx)?
        .ok_or_else(|| Error::Internal("文字コードの判定が定まりません".into()))?;
    Ok((info, s))
}

/// The stronger of two 処理区分: 削除 > 保留 > 修正要確認 > 修正.
fn stronger(a: Action, b: Action) -> Action {
    let rank = |x: Action| match x {
        Action::Delete => 4,
        Action::Hold => 3,
        Action::Review => 2,
        _ => 1,
    };
    if rank(b) > rank(a) { b } else { a }
}
