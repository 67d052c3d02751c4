//! Stage 4 of the pipeline: every record's findings (entry rules, verdict, checks, nightly),
//! its results.csv row and its correction, in roster order, through the output stage
//! ([`crate::report::outputs`]); then the reference files' unreadable lines.

use std::collections::HashMap;

use rayon::prelude::*;

use super::night::NightState;
use crate::error::Error;
use crate::findings::{Action, Code, Finding, Source};
use crate::flag::Flags;
use crate::ingest::{self, stream::BadLine};
use crate::matching::verdict::{self, Verdict};
use crate::record::Rec;
use crate::report::OutputEncoding;
use crate::report::csvout::RowFormatter;
use crate::report::outputs::{Correction, Outputs, RosterShape};
use crate::report::results::{ResultRow, ResultsWriter};
use crate::schema::RosterKey;
use crate::validate::RosterInput;

/// Records whose verdict findings and results.csv rows are made in parallel before they are
/// written.
const WRITE_BATCH: usize = 1 << 14;

/// What stage 4 reads: the records and what the stages before made of them.
pub(super) struct Records<'a> {
    pub recs: &'a [Rec],
    pub verdicts: Option<&'a [Verdict<'a>]>,
    pub flags: &'a Flags,
    pub inputs: &'a [RosterInput],
    /// The run's input names, indexed by [`Source::file`].
    pub files: &'a [String],
    pub encoding: OutputEncoding,
    pub unmask: bool,
}

/// A record's verdict finding and its results.csv row, made in parallel.
struct Made {
    finding: Option<Finding>,
    row: Vec<u8>,
    /// Characters of `row` the output encoding could not hold.
    replaced: u64,
}

/// Writes every record, a batch at a time; gives back the verdict counts for summary.json.
pub(super) fn write_records(
    r: &Records<'_>,
    outputs: &mut Outputs,
    night: &mut NightState<'_>,
) -> Result<HashMap<Option<Code>, u64>, Error> {
    let mut verdict_counts: HashMap<Option<Code>, u64> = HashMap::new();
    let mut flag_findings = r.flags.findings.iter().peekable();
    let mut batch: Vec<Made> = Vec::new();
    for (b, chunk) in r.recs.chunks(WRITE_BATCH).enumerate() {
        crate::cancel::check()?;
        batch.clear();
        let first = b * WRITE_BATCH;
        match r.verdicts {
            Some(vs) => batch.par_extend(
                chunk
                    .par_iter()
                    .zip(&vs[first..first + chunk.len()])
                    .map_init(
                        || RowFormatter::for_review(r.encoding, !r.unmask),
                        |fmt, (rec, v)| make(fmt, rec, v, r),
                    ),
            ),
            None => batch.extend(chunk.iter().map(|_| Made {
                finding: None,
                row: Vec::new(),
                replaced: 0,
            })),
        }
        for (k, made) in batch.drain(..).enumerate() {
            let i = first + k;
            let v = r.verdicts.map(|vs| &vs[i]);
            if let Some(v) = v {
                *verdict_counts.entry(v.code).or_default() += 1;
            }
            let mut from_checks = Vec::new();
            while let Some((_, f)) = flag_findings.next_if(|(ri, _)| *ri as usize == i) {
                from_checks.push(f);
            }
            write_record(r, i, v, made, &from_checks, outputs, night)?;
        }
    }
    Ok(verdict_counts)
}

/// One record's verdict finding and results.csv row.
fn make(fmt: &mut RowFormatter, rec: &Rec, v: &Verdict<'_>, r: &Records<'_>) -> Made {
    let finding = verdict::finding(rec, v, r.unmask);
    let mut row = Vec::with_capacity(160);
    ResultsWriter::format(fmt, &result_row(rec, v, r.files), r.unmask, &mut row);
    let replaced = std::mem::take(&mut fmt.replaced);
    Made {
        finding,
        row,
        replaced,
    }
}

/// One record: its counts, its findings in order (entry rules, verdict, checks, nightly), its
/// results.csv row and its correction.
fn write_record(
    r: &Records<'_>,
    i: usize,
    v: Option<&Verdict<'_>>,
    made: Made,
    from_checks: &[&Finding],
    outputs: &mut Outputs,
    night: &mut NightState<'_>,
) -> Result<(), Error> {
    let rec = &r.recs[i];
    outputs.row(rec.insurer_no());
    let mut findings: Vec<&Finding> = rec.findings.iter().collect();
    findings.extend(made.finding.as_ref());
    findings.extend(from_checks);
    let nightly = night.record(rec, v, &findings);
    findings.extend(nightly.as_ref());
    if !findings.is_empty() {
        outputs.row_has_findings();
    }
    let mut listed = 0;
    let mut acknowledged = 0;
    for f in findings {
        if outputs.finding(f, Some(rec.insurer_no()), r.files)? {
            listed += 1;
        } else {
            acknowledged += 1;
        }
    }
    outputs.result(&made.row, made.replaced)?;
    // A record whose every finding a clerk acknowledged stays as it is: no correction row (a
    // confirmed twin must not be proposed for 削除).
    if rec.kept.is_none() || rec.duplicate || (acknowledged > 0 && listed == 0) {
        return Ok(());
    }
    let held = nightly.as_ref().is_some_and(|f| f.code == Code::N01);
    match correction_of(rec, i, v, r.flags, held) {
        Some((action, proposals)) => write_correction(r, rec, action, &proposals, outputs),
        None => Ok(()),
    }
}

/// A record's 処理区分 and the values proposed: the entry rules' fixes, what the verdict and
/// the checks propose, and 保留 for N01. None when nothing is to change.
fn correction_of(
    rec: &Rec,
    i: usize,
    v: Option<&Verdict<'_>>,
    flags: &Flags,
    held: bool,
) -> Option<(Action, Vec<(RosterKey, String)>)> {
    let flagged = flags.corrections.get(&(i as u32));
    let mut proposals: Vec<(RosterKey, String)> =
        v.map(|v| v.proposals.clone()).unwrap_or_default();
    let mut actions = [rec.v_action, v.and_then(|v| v.action), None];
    let number_proposed =
        flagged.is_some_and(|c| c.proposals.iter().any(|(k, _)| *k == RosterKey::MyNumber));
    if let Some(c) = flagged {
        actions[2] = Some(c.action);
        // A number the checks found wrong: the verdict's name or address proposals were made
        // against someone else's registry row.
        if number_proposed {
            proposals.clear();
        }
        for (k, value) in &c.proposals {
            proposals.retain(|(pk, _)| pk != k);
            proposals.push((*k, value.clone()));
        }
    }
    let hold = held.then_some(Action::Hold);
    let mut action = actions.into_iter().flatten().chain(hold).reduce(stronger)?;
    // A number the checks propose replaces one proven wrong: a person confirms it.
    if number_proposed {
        action = Action::Review;
    }
    // N01: not to be registered until verified (only 削除 says more).
    if let Some(h) = hold {
        action = stronger(action, h);
    }
    Some((action, proposals))
}

/// One record's correction: its values after the safe fixes with `proposals` put in; the
/// roster's own file re-encodes only what changed from the row as read.
fn write_correction(
    r: &Records<'_>,
    rec: &Rec,
    action: Action,
    proposals: &[(RosterKey, String)],
    outputs: &mut Outputs,
) -> Result<(), Error> {
    let Some(kept) = &rec.kept else {
        return Ok(());
    };
    let fi = rec.source.file as usize;
    let Some(input) = r.inputs.get(fi) else {
        return Err(Error::Internal(format!("名簿の番号 {fi} がありません")));
    };
    let mut values: Vec<&str> = RosterKey::ALL.iter().map(|k| kept.value(*k)).collect();
    for (k, proposed) in proposals {
        values[k.index()] = proposed;
    }
    let columns = &input.scanned.columns;
    let changed: Vec<Option<&str>> = RosterKey::ALL
        .iter()
        .map(|k| {
            let new = values[k.index()];
            let was = kept
                .record
                .get(columns.columns[k.index()].unwrap_or(usize::MAX))
                .map(|b| ingest::decode_field(b, input.info.encoding));
            match was {
                Some(Ok(w)) if w == new => None,
                _ if new.is_empty() && was.is_none() => None,
                _ => Some(new),
            }
        })
        .collect();
    outputs.correction(
        &Correction {
            roster: fi,
            file: &r.files[fi],
            line: rec.source.line,
            action,
            values: &values,
            record: &kept.record,
            changed: &changed,
        },
        &RosterShape {
            info: &input.info,
            header: &input.scanned.header,
            columns,
        },
    )
}

/// Lines of the reference files (registry, insurance) that could not be read: one finding
/// each, after the records. `registry`: the registry's file index, when there is one.
pub(super) fn write_reference_lines(
    bad: &[(u32, &BadLine)],
    registry: Option<u32>,
    files: &[String],
    outputs: &mut Outputs,
) -> Result<(), Error> {
    for &(fi, b) in bad {
        let what = if Some(fi) == registry {
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
        outputs.finding(&f, None, files)?;
    }
    Ok(())
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
