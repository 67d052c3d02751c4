//! `results.csv`: one row per roster record with its registry-match verdict.

use std::path::Path;

use super::csvout::{CsvOut, OutputEncoding, RowFormatter};
use crate::error::Error;
use crate::findings::mask::show_my_number;
use crate::normalize::FieldMatch;

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

/// One results.csv row, as the match stage decided it (the writer knows nothing of matching).
pub struct ResultRow<'a> {
    pub file: &'a str,
    pub line: u64,
    pub insurer_no: &'a str,
    pub recipient_no: &'a str,
    /// The record's 個人番号 as kept ("" for a line that could not be read).
    pub my_number: &'a str,
    /// 判定: the M-code, or `-` for a line that could not be read.
    pub verdict: &'a str,
    /// 氏名, 氏名カナ, 生年月日, 性別, 住所.
    pub fields: &'a [FieldMatch; 5],
    /// 候補個人番号 (M40/M41).
    pub candidates: &'a [String],
}

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
    pub fn format(fmt: &mut RowFormatter, row: &ResultRow<'_>, unmask: bool, out: &mut Vec<u8>) {
        let number = show_my_number(row.my_number, unmask);
        let candidates: Vec<String> = row
            .candidates
            .iter()
            .map(|n| show_my_number(n, unmask))
            .collect();
        let line = row.line.to_string();
        let mut cells: Vec<&str> = vec![
            row.file,
            &line,
            row.insurer_no,
            row.recipient_no,
            if row.my_number.is_empty() {
                ""
            } else {
                &number
            },
            row.verdict,
        ];
        cells.extend(row.fields.iter().map(|m| m.label()));
        let candidates = candidates.join("/");
        cells.push(&candidates);
        fmt.text_row(&cells, out);
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
