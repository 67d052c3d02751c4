//! `totsugo prepare --registry EXTRACT.csv --out REGISTRY.parquet`: the CSV extract read once
//! with totsugo's own reader (CP932, physical lines, V14/V16 for lines that cannot be read)
//! and written as Parquet through polars, so the nightly runs read columns instead of parsing
//! CSV.
//!
//! The file holds the contract's registry columns as strings (values as the CSV reader gives
//! them: trimmed of half- and full-width spaces), `行番号` (the row's physical line in the
//! extract, so findings still point at the CSV), and in its key-value metadata the extract's
//! path, size, modification time and SHA-256, the lines that could not be read, and
//! [`crate::normalize::NORMALIZATION_VERSION`] ([`super::meta`]).

use std::path::Path;
use std::time::UNIX_EPOCH;

use polars::prelude::*;

use super::{LINE_COLUMN, meta};
use crate::error::Error;
use crate::ingest::stream::{BadLine, Probe, TextRow};
use crate::ingest::{self, FileInfo, ReadStats, RecordReader};
use crate::log::Log;
use crate::report::atomic::AtomicFile;
use crate::schema::Layout;

/// Rows per row group.
const ROW_GROUP_ROWS: usize = 1 << 18;

/// The most unreadable lines recorded in the file (all are logged).
const MAX_RECORDED_BAD_LINES: usize = 100_000;

/// What `prepare` did.
#[derive(Debug)]
pub struct Prepared {
    pub rows: u64,
    pub bad_lines: Vec<BadLine>,
    pub stats: ReadStats,
    pub bytes_written: u64,
}

/// One readable row: its line and the layout's values.
struct Row {
    line: u64,
    values: Vec<String>,
}

struct Columns {
    names: Vec<String>,
    lines: Vec<i64>,
    values: Vec<Vec<String>>,
}

impl Columns {
    fn new(names: Vec<String>) -> Columns {
        let n = names.len();
        Columns {
            names,
            lines: Vec::with_capacity(ROW_GROUP_ROWS),
            values: vec![Vec::with_capacity(ROW_GROUP_ROWS); n],
        }
    }

    fn frame(&mut self) -> PolarsResult<DataFrame> {
        let mut cols: Vec<Column> = Vec::with_capacity(self.names.len() + 1);
        cols.push(Column::new(
            LINE_COLUMN.into(),
            std::mem::take(&mut self.lines),
        ));
        for (name, v) in self.names.iter().zip(self.values.iter_mut()) {
            cols.push(Column::new(name.as_str().into(), std::mem::take(v)));
        }
        DataFrame::new_infer_height(cols)
    }
}

fn write_err(out: &Path, e: PolarsError) -> Error {
    Error::Write {
        path: out.display().to_string(),
        source: std::io::Error::other(e.to_string()),
    }
}

/// Reads `registry` (CSV) and writes `out` (Parquet), atomically, mode 0600.
pub fn prepare(
    registry: &Path,
    out: &Path,
    layout: &Layout,
    encoding: Option<ingest::Encoding>,
    log: &mut Log,
) -> Result<Prepared, Error> {
    let display = registry.display().to_string();
    if super::is_parquet(registry, &display)? {
        return Err(Error::Usage(format!(
            "{display}: すでに Parquet です。prepare には住基の抽出ファイル（CSV）を渡してください"
        )));
    }
    if let (Ok(a), Ok(b)) = (std::fs::canonicalize(registry), std::fs::canonicalize(out))
        && a == b
    {
        return Err(Error::Usage(format!(
            "{display}: --out が抽出ファイルそのものです。別の名前（例: 同じ名前で拡張子 .parquet）にしてください"
        )));
    }
    let source_meta = std::fs::metadata(registry).map_err(|source| Error::Read {
        path: display.clone(),
        source,
    })?;
    let info = ingest::sniff(registry, &display, encoding)?;
    let prepared = match write_once(&info, out, layout, &source_meta, log)? {
        Some(p) => p,
        None => {
            // UTF-8 from the first bytes, but a later line is not: decide on the whole file.
            let info = ingest::sniff_full(registry, &display)?;
            write_once(&info, out, layout, &source_meta, log)?
                .ok_or_else(|| Error::Internal("文字コードの判定が定まりません".into()))?
        }
    };
    Ok(prepared)
}

fn write_once(
    info: &FileInfo,
    out: &Path,
    layout: &Layout,
    source_meta: &std::fs::Metadata,
    log: &mut Log,
) -> Result<Option<Prepared>, Error> {
    let reader = RecordReader::open(info)?;
    let columns = layout.resolve(&info.display, &reader.header)?;
    let names: Vec<String> = layout.fields.iter().map(|f| f.key.clone()).collect();
    let enc = info.encoding;
    let mut file = AtomicFile::create(out)?;
    let mut cols = Columns::new(names.clone());
    let schema = {
        let mut s = Schema::default();
        s.insert(LINE_COLUMN.into(), DataType::Int64);
        for n in &names {
            s.insert(n.as_str().into(), DataType::String);
        }
        s
    };
    let writer = ParquetWriter::new(&mut file)
        .with_compression(ParquetCompression::Zstd(None))
        // min, max and null counts (no distinct counts: they cost more than the rest).
        .with_statistics(StatisticsOptions::default())
        .batched(&schema)
        .map_err(|e| write_err(out, e))?;
    let mut rows = 0u64;
    let mut failed: Option<PolarsError> = None;
    // Row groups are encoded and compressed on their own thread while the next is read.
    let (tx, rx) = std::sync::mpsc::sync_channel::<DataFrame>(1);
    let (streamed, written) = std::thread::scope(|s| {
        let encoder = s.spawn(move || -> PolarsResult<_> {
            let mut writer = writer;
            for df in rx {
                writer.write_batch(&df)?;
            }
            Ok(writer)
        });
        let send = |cols: &mut Columns, failed: &mut Option<PolarsError>| match cols.frame() {
            // A send fails only when the encoder stopped on an error (reported by its join).
            Ok(df) => {
                let _ = tx.send(df);
            }
            Err(e) => *failed = Some(e),
        };
        let streamed = ingest::stream::stream(
            reader,
            info.provisional,
            |fields, _| match TextRow::decode(fields, enc, columns.width) {
                Err(bad) => Probe::Bad(bad),
                Ok(row) => Probe::Hit(Row {
                    line: row.line(),
                    values: columns
                        .columns
                        .iter()
                        .map(|c| row.get(*c).to_string())
                        .collect(),
                }),
            },
            |row: Row| {
                if failed.is_some() {
                    return;
                }
                cols.lines.push(row.line as i64);
                for (col, v) in cols.values.iter_mut().zip(row.values) {
                    col.push(v);
                }
                rows += 1;
                if cols.lines.len() >= ROW_GROUP_ROWS {
                    send(&mut cols, &mut failed);
                }
            },
        );
        if matches!(streamed, Ok(Some(_))) && failed.is_none() && !cols.lines.is_empty() {
            send(&mut cols, &mut failed);
        }
        drop(tx);
        let written = encoder
            .join()
            .map_err(|_| Error::Internal("Parquet の書き込みスレッドが異常終了しました".into()));
        (streamed, written)
    });
    let streamed = streamed?;
    let writer = written?.map_err(|e| write_err(out, e))?;
    if let Some(e) = failed {
        return Err(write_err(out, e));
    }
    let Some((stats, mut bad)) = streamed else {
        return Ok(None);
    };
    bad.sort_by_key(|b| b.line);
    for b in &bad {
        log.warn(format!(
            "{}: {} 行目を読めません（{}）: {}",
            info.display,
            b.line,
            b.code.as_str(),
            b.message
        ));
    }
    if bad.len() > MAX_RECORDED_BAD_LINES {
        log.warn(format!(
            "{}: 読めない行が {} 行あります。Parquet には先頭の {MAX_RECORDED_BAD_LINES} 行だけを記録します",
            info.display,
            bad.len()
        ));
    }
    let recorded: Vec<(u64, &str, &str)> = bad
        .iter()
        .take(MAX_RECORDED_BAD_LINES)
        .map(|b| (b.line, b.code.as_str(), b.message.as_str()))
        .collect();
    let source_path = std::fs::canonicalize(&info.path).unwrap_or_else(|_| info.path.clone());
    let mtime = source_meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_secs().to_string())
        .unwrap_or_default();
    let kv = KeyValueMetadata::from_static(vec![
        (
            meta::NORMALIZATION_VERSION.into(),
            crate::normalize::NORMALIZATION_VERSION.to_string(),
        ),
        (meta::SOURCE_PATH.into(), source_path.display().to_string()),
        (meta::SOURCE_BYTES.into(), stats.bytes.to_string()),
        (meta::SOURCE_MTIME.into(), mtime),
        (meta::SOURCE_SHA256.into(), stats.sha256.clone()),
        (meta::SOURCE_ENCODING.into(), enc.label().into()),
        (
            meta::BAD_LINES.into(),
            serde_json::to_string(&recorded).map_err(|e| Error::Internal(e.to_string()))?,
        ),
        (meta::VERSION.into(), env!("CARGO_PKG_VERSION").into()),
    ]);
    // The footer is written last, so the source's hash (known only once it has been read)
    // can go into it.
    let KeyValueMetadata::Static(kv) = kv else {
        return Err(Error::Internal("Parquet のメタデータを作れません".into()));
    };
    let bytes_written = writer
        .get_writer()
        .lock()
        .map_err(|_| Error::Internal("Parquet の書き込みが異常終了しました".into()))?
        .end(Some(kv))
        .map_err(|e| write_err(out, e))?;
    drop(writer);
    file.commit()?;
    Ok(Some(Prepared {
        rows,
        bad_lines: bad,
        stats,
        bytes_written,
    }))
}
