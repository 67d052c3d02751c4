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
pub(crate) mod verdict;

use std::path::PathBuf;

use crate::error::Error;
use crate::findings::{Action, Source};
use crate::ingest::{self, Span};
use crate::log::Log;
use crate::record::Rec;
use crate::report::corrections::{ReviewCorrections, RosterCorrections, file_names};
use crate::schema::{Layout, RosterKey};
use crate::validate::{
    Checked, DupMap, FileCtx, RowSink, ValidateConfig, row_findings, unreadable_findings,
};
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
        if let Some(w) = ingest::jisx0213_warning(&scanned.stats.jisx0213_lines) {
            log.warn(format!("{}: {w}", info.display));
        }
        inputs.push((info, scanned, collect.unreadable - unreadable_before));
    }
    Ok((collect.recs, inputs))
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
        let dir = crate::report::lock::private_tempdir(".totsugo-corrections-", out).map_err(
            |source| Error::Write {
                path: out.display().to_string(),
                source,
            },
        )?;
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
