//! `results.csv`: one row per roster record with its registry-match verdict.

use std::path::Path;

use super::csvout::{CsvOut, OutputEncoding, RowFormatter};
use crate::error::Error;
use crate::findings::mask::show_my_number;
use crate::matching::{Rec, Verdict};
use crate::schema::RosterKey;

/// Columns, in the contract's order.
pub const HEADER: [&str; 12] = [
    "入力ファイル",
    "行番号",
    "保険者番号",
    "受給者番号",
    "個人番号",
    "判定",
    "氏名",
    "氏名カナ",
    "生年月日",
    "性別",
    "住所",
    "候補個人番号",
];

pub struct ResultsWriter {
    out: CsvOut,
}

impl ResultsWriter {
    /// `mask`: My Numbers masked in every cell (all but `--unmask`).
    pub fn create(path: &Path, enc: OutputEncoding, mask: bool) -> Result<ResultsWriter, Error> {
        let mut out = CsvOut::for_review(path, enc, mask)?;
        out.text_row(&HEADER)?;
        Ok(ResultsWriter { out })
    }

    /// Formats one record's row into `out` (in a worker thread; written in order with
    /// [`ResultsWriter::write_formatted`]). My Numbers (the record's and the candidates') are
    /// masked unless `unmask`.
    pub(crate) fn format(
        fmt: &mut RowFormatter,
        rec: &Rec,
        v: &Verdict<'_>,
        files: &[String],
        unmask: bool,
        out: &mut Vec<u8>,
    ) {
        let file = files
            .get(rec.source.file as usize)
            .map_or("", String::as_str);
        let number = rec.kept.as_ref().map_or(String::new(), |k| {
            show_my_number(k.value(RosterKey::MyNumber), unmask)
        });
        let candidates: Vec<String> = v
            .candidates
            .iter()
            .map(|n| show_my_number(n, unmask))
            .collect();
        let line = rec.source.line.to_string();
        let mut row: Vec<&str> = vec![
            file,
            &line,
            rec.insurer_no(),
            rec.recipient_no(),
            &number,
            v.code.map_or("-", |c| c.as_str()),
        ];
        row.extend(v.fields.iter().map(|m| m.label()));
        let candidates = candidates.join("/");
        row.push(&candidates);
        fmt.text_row(&row, out);
    }

    /// Rows formatted by [`ResultsWriter::format`] with a formatter for this file's encoding.
    pub fn write_formatted(&mut self, bytes: &[u8], rows: u64, replaced: u64) -> Result<(), Error> {
        self.out.preformatted(bytes, rows, replaced)
    }

    pub fn replaced(&self) -> u64 {
        self.out.replaced
    }

    pub fn commit(self) -> Result<(), Error> {
        self.out.commit()
    }
}
