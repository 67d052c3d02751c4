//! `--parquet`: findings.parquet and results.parquet beside the CSVs.
//!
//! They are made from the CSVs just written, so they hold exactly their rows and cells: the
//! same My Number masking and formula defusing ([`crate::findings::mask::review_cell`] ran once,
//! for the CSV), with no second formatter to drift from the first. Line-number columns are
//! integers (empty → null); every other column is a string. Atomic, mode 0600.

use std::path::Path;

use polars::prelude::*;

use crate::error::Error;
use crate::report::OutputEncoding;
use crate::report::atomic::AtomicFile;

/// Columns written as integers.
const INTEGER_COLUMNS: [&str; 2] = ["行番号", "関連行番号"];

fn write_err(out: &Path, e: impl std::fmt::Display) -> Error {
    Error::Write {
        path: out.display().to_string(),
        source: std::io::Error::other(e.to_string()),
    }
}

/// Writes `out` (Parquet) from the review CSV `csv` written in `enc`.
pub fn csv_to_parquet(csv: &Path, out: &Path, enc: OutputEncoding) -> Result<u64, Error> {
    let read_err = |e: std::io::Error| Error::Read {
        path: csv.display().to_string(),
        source: e,
    };
    let bytes = std::fs::read(csv).map_err(read_err)?;
    let text = match enc {
        OutputEncoding::Cp932 => encoding_rs::SHIFT_JIS.decode(&bytes).0,
        OutputEncoding::Utf8 | OutputEncoding::Utf8Bom => String::from_utf8_lossy(&bytes),
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(text.as_bytes());
    let header: Vec<String> = rdr
        .headers()
        .map_err(|e| write_err(out, e))?
        .iter()
        .map(String::from)
        .collect();
    let mut cols: Vec<Vec<String>> = vec![Vec::new(); header.len()];
    for rec in rdr.records() {
        let rec = rec.map_err(|e| write_err(out, e))?;
        for (i, col) in cols.iter_mut().enumerate() {
            col.push(rec.get(i).unwrap_or("").to_string());
        }
    }
    let mut columns = Vec::with_capacity(header.len());
    for (name, values) in header.iter().zip(cols) {
        let column = if INTEGER_COLUMNS.contains(&name.as_str()) {
            let ints: Vec<Option<i64>> = values.iter().map(|v| v.parse().ok()).collect();
            Column::new(name.as_str().into(), ints)
        } else {
            Column::new(name.as_str().into(), values)
        };
        columns.push(column);
    }
    let mut df = DataFrame::new_infer_height(columns).map_err(|e| write_err(out, e))?;
    let mut file = AtomicFile::create(out)?;
    ParquetWriter::new(&mut file)
        .with_compression(ParquetCompression::Zstd(None))
        .finish(&mut df)
        .map_err(|e| write_err(out, e))?;
    file.commit()?;
    Ok(df.height() as u64)
}
