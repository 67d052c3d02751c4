//! `findings.csv`: one row per problem found, with its stable 所見ID; with `--ack`, the
//! acknowledged ones go to `acknowledged.csv` instead (see [`super::ack`]).

use std::collections::HashSet;
use std::path::Path;

use super::ack::{self, AckSummary, Acks, Lookup};
use super::csvout::{CsvOut, OutputEncoding};
use super::html::Samples;
use crate::error::Error;
use crate::findings::Finding;
use crate::rules::date::Ymd;

/// Columns, in the contract's order.
pub const HEADER: [&str; 12] = [
    "コード",
    "重要度",
    "入力ファイル",
    "行番号",
    "保険者番号",
    "受給者番号",
    "項目",
    "内容",
    "対応",
    "関連ファイル",
    "関連行番号",
    "所見ID",
];

/// `acknowledged.csv`: the findings.csv columns, then the clerk's reason and expiry.
pub const ACK_FILE: &str = "acknowledged.csv";

struct Acknowledging {
    acks: Acks,
    out: CsvOut,
    matched: HashSet<String>,
    summary: AckSummary,
}

pub struct FindingsWriter {
    out: CsvOut,
    /// The run date, left out of the 所見ID.
    as_of: Ymd,
    /// acknowledged.csv's path: removed at commit when this run has no `--ack`, so an old
    /// one is never taken for tonight's.
    ack_path: std::path::PathBuf,
    /// The first findings of each code and office, for report.html.
    samples: Samples,
    ack: Option<Acknowledging>,
}

impl FindingsWriter {
    /// `mask`: My Numbers masked in every cell (all but `--unmask`). `acks`: the run's
    /// acknowledgements (`--ack`); acknowledged.csv is written beside findings.csv.
    pub fn create(
        path: &Path,
        enc: OutputEncoding,
        mask: bool,
        acks: Option<Acks>,
        as_of: Ymd,
    ) -> Result<FindingsWriter, Error> {
        let mut out = CsvOut::for_review(path, enc, mask)?;
        out.text_row(&HEADER)?;
        let ack = match acks {
            None => None,
            Some(acks) => {
                let mut a = CsvOut::for_review(&path.with_file_name(ACK_FILE), enc, mask)?;
                let mut head: Vec<&str> = HEADER.to_vec();
                head.extend(["理由", "期限"]);
                a.text_row(&head)?;
                Some(Acknowledging {
                    summary: AckSummary {
                        file: acks.file.clone(),
                        listed: acks.len() as u64,
                        ..AckSummary::default()
                    },
                    acks,
                    out: a,
                    matched: HashSet::new(),
                })
            }
        };
        Ok(FindingsWriter {
            out,
            as_of,
            ack_path: path.with_file_name(ACK_FILE),
            samples: Samples::default(),
            ack,
        })
    }

    /// Writes `f` to findings.csv, or to acknowledged.csv when it is acknowledged. True when
    /// it was listed in findings.csv: only those count, and decide the exit code.
    /// `files`: the run's input names as given, indexed by [`crate::findings::Source::file`].
    pub fn write(&mut self, f: &Finding, files: &[String]) -> Result<bool, Error> {
        let id = ack::finding_id(f, files, self.as_of);
        let name = |i: u32| files.get(i as usize).map(String::as_str).unwrap_or("");
        let (rel_file, rel_line) = match f.related {
            Some(r) => (name(r.file).to_string(), r.line.to_string()),
            None => (String::new(), String::new()),
        };
        let line = f.source.line.to_string();
        let mut row: Vec<&str> = vec![
            f.code.as_str(),
            f.severity().label(),
            name(f.source.file),
            &line,
            &f.insurer_no,
            &f.recipient_no,
            &f.field,
            &f.message,
            f.action.label(),
            &rel_file,
            &rel_line,
            &id,
        ];
        if let Some(a) = self.ack.as_mut() {
            match a.acks.lookup(&id) {
                Lookup::InForce(found) => {
                    a.matched.insert(id.clone());
                    ack::count(&mut a.summary, f);
                    let until = found.until.map(|d| d.to_yyyymmdd()).unwrap_or_default();
                    self.samples
                        .add_acknowledged(f, files, &found.reason, &until);
                    row.push(&found.reason);
                    row.push(&until);
                    a.out.text_row(&row)?;
                    return Ok(false);
                }
                Lookup::None => {}
                Lookup::Expired => {
                    a.matched.insert(id.clone());
                    a.summary.expired += 1;
                }
            }
        }
        self.samples.add(f, files);
        self.out.text_row(&row)?;
        Ok(true)
    }

    pub fn replaced(&self) -> u64 {
        self.out.replaced + self.ack.as_ref().map_or(0, |a| a.out.replaced)
    }

    /// Renames findings.csv (and acknowledged.csv) into place; gives back the samples for
    /// report.html and what the acknowledgements did.
    pub fn commit(self) -> Result<(Samples, Option<AckSummary>), Error> {
        self.out.commit()?;
        let summary = match self.ack {
            None => {
                if self.ack_path.exists() {
                    let _ = std::fs::remove_file(&self.ack_path);
                }
                None
            }
            Some(a) => {
                a.out.commit()?;
                let mut s = a.summary;
                s.stale = a
                    .acks
                    .ids()
                    .into_iter()
                    .filter(|id| !a.matched.contains(*id))
                    .map(String::from)
                    .collect();
                Some(s)
            }
        };
        Ok((self.samples, summary))
    }
}
