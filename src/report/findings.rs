//! `findings.csv`: one row per problem found.

use std::path::Path;

use super::csvout::{CsvOut, OutputEncoding};
use super::html::Samples;
use crate::error::Error;
use crate::findings::Finding;

/// Columns, in the contract's order.
pub const HEADER: [&str; 11] = [
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
];

pub struct FindingsWriter {
    out: CsvOut,
    /// The first findings of each code, for report.html.
    samples: Samples,
}

impl FindingsWriter {
    /// `mask`: My Numbers masked in every cell (all but `--unmask`).
    pub fn create(path: &Path, enc: OutputEncoding, mask: bool) -> Result<FindingsWriter, Error> {
        let mut out = CsvOut::for_review(path, enc, mask)?;
        out.text_row(&HEADER)?;
        Ok(FindingsWriter {
            out,
            samples: Samples::default(),
        })
    }

    /// `files`: the run's input names as given, indexed by [`crate::findings::Source::file`].
    pub fn write(&mut self, f: &Finding, files: &[String]) -> Result<(), Error> {
        self.samples.add(f, files);
        let name = |i: u32| files.get(i as usize).map(String::as_str).unwrap_or("");
        let (rel_file, rel_line) = match f.related {
            Some(r) => (name(r.file).to_string(), r.line.to_string()),
            None => (String::new(), String::new()),
        };
        self.out.text_row(&[
            f.code.as_str(),
            f.severity().label(),
            name(f.source.file),
            &f.source.line.to_string(),
            &f.insurer_no,
            &f.recipient_no,
            &f.field,
            &f.message,
            f.action.label(),
            &rel_file,
            &rel_line,
        ])
    }

    pub fn replaced(&self) -> u64 {
        self.out.replaced
    }

    /// Renames findings.csv into place; gives back the samples for report.html.
    pub fn commit(self) -> Result<Samples, Error> {
        self.out.commit()?;
        Ok(self.samples)
    }
}
