//! The rosters read for matching: every row checked as `validate` checks it (V01–V16), and
//! kept, with its values after the safe fixes, as a [`Rec`] for the stages after (match, flag,
//! the output stage).

use super::{
    Checked, DupMap, FileCtx, RowDetail, RowSink, Scanned, ValidateConfig, row_findings, scan_file,
    unreadable_findings,
};
use crate::error::Error;
use crate::findings::Source;
use crate::ingest::{self, FileInfo, Span};
use crate::log::Log;
use crate::record::Rec;

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
                        let d = RowDetail {
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
pub(crate) struct RosterInput {
    pub info: FileInfo,
    pub scanned: Scanned,
    /// Physical lines reported as V14/V16.
    pub unreadable: u64,
}

/// The rosters' records, in input order, and each roster as read.
pub(crate) struct Rosters {
    pub recs: Vec<Rec>,
    pub inputs: Vec<RosterInput>,
}

/// Reads and checks every roster as `validate` does (V01–V16), keeping each row's values.
/// `files` names the rosters first, in order.
pub(crate) fn read_rosters(
    rc: &ValidateConfig,
    files: &[String],
    log: &mut Log,
) -> Result<Rosters, Error> {
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
        let mut scan = |info: &FileInfo, collect: &mut Collect| {
            scan_file(rc, fi as u32, info, files, &mut seen, true, collect)
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
        inputs.push(RosterInput {
            info,
            scanned,
            unreadable: collect.unreadable - unreadable_before,
        });
    }
    Ok(Rosters {
        recs: collect.recs,
        inputs,
    })
}
