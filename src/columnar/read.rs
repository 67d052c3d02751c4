//! A Parquet registry, read row group by row group (memory flat in the registry's size: one
//! batch of rows at a time, the file itself memory-mapped by polars), each row probed with the
//! probe the caller gives (matching's, the same as for a CSV row).

use std::collections::HashMap;
use std::fs::File;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::UNIX_EPOCH;

use polars::io::parquet::metadata::FileMetadataRef;
use polars::prelude::*;
use rayon::prelude::*;

use super::{LINE_COLUMN, meta};
use crate::error::Error;
use crate::findings::Code;
use crate::findings::mask::MAX_FIELD_BYTES;
use crate::ingest::stream::{BadLine, Probe};
use crate::ingest::{FileInfo, ReadStats};
use crate::schema::{ColumnMap, Layout, header_key};

/// Rows decoded at once at most: a batch is one row group (prepare writes 256K rows each), cut
/// in pieces of this size when another tool wrote bigger ones, so memory stays bounded.
const MAX_BATCH_ROWS: usize = 1 << 20;

fn damaged(display: &str, detail: impl std::fmt::Display) -> Error {
    Error::Unsupported {
        path: display.to_string(),
        message: format!(
            "Parquet ファイルとして読めません（壊れているか途中で切れています）: {detail}"
        ),
    }
}

/// Runs a polars call; a panic inside polars on a damaged file becomes an error (exit 2).
fn guarded<T>(display: &str, f: impl FnOnce() -> PolarsResult<T>) -> Result<T, Error> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(damaged(display, e)),
        Err(_) => Err(damaged(display, "読み込み中に異常終了しました")),
    }
}

/// What the file's footer says: its metadata, the registry columns and the line column.
pub struct Opened {
    pub metadata: FileMetadataRef,
    pub columns: ColumnMap,
    /// Column names, in file order.
    pub names: Vec<String>,
    /// The `行番号` column of a prepared file (an integer column).
    pub line: Option<usize>,
    pub kv: HashMap<String, String>,
}

fn is_string(dt: &ArrowDataType) -> bool {
    matches!(
        dt,
        ArrowDataType::Utf8 | ArrowDataType::LargeUtf8 | ArrowDataType::Utf8View
    )
}

fn is_integer(dt: &ArrowDataType) -> bool {
    matches!(
        dt,
        ArrowDataType::Int8
            | ArrowDataType::Int16
            | ArrowDataType::Int32
            | ArrowDataType::Int64
            | ArrowDataType::UInt8
            | ArrowDataType::UInt16
            | ArrowDataType::UInt32
            | ArrowDataType::UInt64
    )
}

/// Reads the footer and checks the schema: every registry column the layout requires, as
/// strings (a missing or mistyped column is named, exit 2), and a prepared file's metadata (its
/// normalization version, and whether its source extract changed since).
pub fn open(info: &FileInfo, layout: &Layout) -> Result<Opened, Error> {
    let display = &info.display;
    let file = crate::ingest::encoding::open_input(&info.path, display)?;
    let mut reader = ParquetReader::new(file);
    let metadata = guarded(display, || reader.get_metadata().cloned())?;
    let schema = guarded(display, || reader.schema())?;
    let names: Vec<String> = schema.iter_names().map(|n| n.to_string()).collect();
    let line = names
        .iter()
        .position(|n| header_key(n) == header_key(LINE_COLUMN));
    if let Some(i) = line {
        let dt = &schema
            .get_at_index(i)
            .ok_or_else(|| damaged(display, "列の定義"))?
            .1
            .dtype;
        if !is_integer(dt) {
            return Err(Error::Unsupported {
                path: display.clone(),
                message: format!("Parquet の列「{LINE_COLUMN}」が整数の列ではありません（{dt:?}）"),
            });
        }
    }
    // The line column is not a registry column (the layout would call it extra).
    let header: Vec<String> = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            if Some(i) == line {
                String::new()
            } else {
                n.clone()
            }
        })
        .collect();
    let columns = layout.resolve(display, &header)?;
    for (spec, c) in layout.fields.iter().zip(&columns.columns) {
        let Some(c) = *c else { continue };
        let (name, field) = schema
            .get_at_index(c)
            .ok_or_else(|| damaged(display, "列の定義"))?;
        if !is_string(&field.dtype) {
            return Err(Error::Unsupported {
                path: display.clone(),
                message: format!(
                    "Parquet の列「{name}」（{}）が文字列の列ではありません（{:?}）。住基の列はすべて文字列で書いてください（先頭の 0 を保つため）",
                    spec.key, field.dtype
                ),
            });
        }
    }
    let kv: HashMap<String, String> = metadata
        .key_value_metadata()
        .as_ref()
        .map(|v| {
            v.iter()
                .filter_map(|kv| Some((kv.key.clone(), kv.value.clone()?)))
                .collect()
        })
        .unwrap_or_default();
    check_prepared(display, &kv)?;
    Ok(Opened {
        metadata,
        columns,
        names,
        line,
        kv,
    })
}

/// A prepared file (one with totsugo's metadata) is refused when another normalizer made it,
/// or when its source extract is still where it was and is no longer the file it was made
/// from (size or modification time differ).
fn check_prepared(display: &str, kv: &HashMap<String, String>) -> Result<(), Error> {
    let Some(version) = kv.get(meta::NORMALIZATION_VERSION) else {
        return Ok(()); // a plain Parquet written by another tool
    };
    let current = crate::normalize::NORMALIZATION_VERSION.to_string();
    if *version != current {
        return Err(Error::Unsupported {
            path: display.to_string(),
            message: format!(
                "正規化の版 {version} の totsugo で作られた Parquet です（この totsugo は版 {current}）。住基の抽出ファイルから totsugo prepare で作り直してください"
            ),
        });
    }
    let (Some(source), Some(bytes)) = (kv.get(meta::SOURCE_PATH), kv.get(meta::SOURCE_BYTES))
    else {
        return Ok(());
    };
    let Ok(m) = std::fs::metadata(source) else {
        return Ok(()); // the extract was moved away: nothing to compare with
    };
    let mtime = m
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_secs().to_string());
    let same_size = m.len().to_string() == *bytes;
    let same_time = match (kv.get(meta::SOURCE_MTIME), &mtime) {
        (Some(a), Some(b)) => a == b,
        _ => true,
    };
    if !same_size || !same_time {
        return Err(Error::Unsupported {
            path: display.to_string(),
            message: format!(
                "作成元の住基の抽出ファイル {source} が prepare の後に変わっています（{}）。古い住基で照合しないよう止めました。totsugo prepare --registry {source} --out {display} で作り直してください",
                if same_size {
                    "更新日時が違います"
                } else {
                    "大きさが違います"
                }
            ),
        });
    }
    Ok(())
}

/// The lines of the source extract that could not be read, as recorded by `prepare`.
fn recorded_bad_lines(display: &str, kv: &HashMap<String, String>) -> Result<Vec<BadLine>, Error> {
    let Some(json) = kv.get(meta::BAD_LINES) else {
        return Ok(Vec::new());
    };
    let rows: Vec<(u64, String, String)> =
        serde_json::from_str(json).map_err(|e| damaged(display, e))?;
    rows.into_iter()
        .map(|(line, code, message)| {
            let code = match code.as_str() {
                "V14" => Code::V14,
                "V16" => Code::V16,
                _ => return Err(damaged(display, format!("{} の値", meta::BAD_LINES))),
            };
            Ok(BadLine {
                line,
                code,
                message,
            })
        })
        .collect()
}

/// One batch of rows: the registry columns as text, the lines.
struct Batch {
    /// Per layout field: the values (one chunk; null reads as ""), or None when the file has
    /// no such column.
    values: Vec<Option<StringChunked>>,
    /// Per layout field: its column in the file (0-based).
    positions: Vec<Option<usize>>,
    lines: Vec<u64>,
}

fn read_batch(info: &FileInfo, opened: &Opened, offset: usize, len: usize) -> Result<Batch, Error> {
    let display = &info.display;
    let file = File::open(&info.path).map_err(|source| Error::Read {
        path: display.clone(),
        source,
    })?;
    let mut projection: Vec<usize> = opened.columns.columns.iter().flatten().copied().collect();
    projection.extend(opened.line);
    projection.sort_unstable();
    projection.dedup();
    let df = guarded(display, || {
        let mut r = ParquetReader::new(file)
            .with_slice(Some((offset, len)))
            .with_projection(Some(projection));
        r.set_metadata(opened.metadata.clone());
        r.finish()
    })?;
    let text = |c: usize| -> Result<StringChunked, Error> {
        let name = &opened.names[c];
        guarded(display, || {
            Ok(df.column(name.as_str())?.str()?.rechunk().into_owned())
        })
    };
    let values = opened
        .columns
        .columns
        .iter()
        .map(|c| c.map(text).transpose())
        .collect::<Result<Vec<_>, _>>()?;
    let lines = match opened.line {
        Some(c) => {
            let name = &opened.names[c];
            let given: Vec<Option<i64>> = guarded(display, || {
                let s = df.column(name.as_str())?.cast(&DataType::Int64)?;
                Ok(s.i64()?.iter().collect())
            })?;
            given
                .into_iter()
                .enumerate()
                .map(|(i, l)| match l {
                    Some(l) if l > 0 => l as u64,
                    _ => (offset + i) as u64 + 2,
                })
                .collect()
        }
        // As if the file were a CSV with its header on line 1.
        None => (0..df.height()).map(|i| (offset + i) as u64 + 2).collect(),
    };
    Ok(Batch {
        values,
        positions: opened.columns.columns.clone(),
        lines,
    })
}

/// The SHA-256 of the Parquet file itself (summary.json records every input's), hashed on
/// its own thread while the rows are probed.
fn hash_file(info: &FileInfo) -> Result<(u64, String), Error> {
    use sha2::{Digest, Sha256};
    use std::io::Read;
    let mut f = File::open(&info.path).map_err(|source| Error::Read {
        path: info.display.clone(),
        source,
    })?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut n_total = 0u64;
    loop {
        crate::cancel::check()?;
        let n = f.read(&mut buf).map_err(|source| Error::Read {
            path: info.display.clone(),
            source,
        })?;
        if n == 0 {
            break;
        }
        n_total += n as u64;
        h.update(&buf[..n]);
    }
    let digest = h.finalize();
    Ok((n_total, digest.iter().map(|b| format!("{b:02x}")).collect()))
}

pub use super::RowsRead;

/// Reads the whole registry once, a row group at a time. `probe` sees every row in parallel:
/// its line and its fields by layout index (trimmed; "" where the file has no such column); a
/// row with a value over 4,096 bytes is an unreadable line (V16) as in the CSV reader, and
/// never reaches it. `keep` gets each hit and bad line, batch by batch. The caller (matching)
/// decides what a row is worth: this module knows Parquet, not the registry's indexes.
pub fn stream_rows<P, F>(
    info: &FileInfo,
    layout: &Layout,
    probe: F,
    mut keep: impl FnMut(Probe<P>),
) -> Result<RowsRead, Error>
where
    P: Send,
    F: for<'a> Fn(u64, &'a dyn Fn(usize) -> &'a str) -> Probe<P> + Sync,
{
    let opened = open(info, layout)?;
    let display = &info.display;
    let total = opened.metadata.num_rows;
    let recorded_bad_lines = recorded_bad_lines(display, &opened.kv)?;
    let probe = &probe;
    let (hashed, ()) = std::thread::scope(|s| -> Result<_, Error> {
        let hasher = s.spawn(|| hash_file(info));
        let streamed = (|| -> Result<(), Error> {
            // Batches on row-group boundaries: a slice inside a row group decodes it whole.
            let mut batches = Vec::new();
            let mut start = 0usize;
            for rg in &opened.metadata.row_groups {
                let n = rg.num_rows();
                let mut o = 0;
                while o < n {
                    let len = MAX_BATCH_ROWS.min(n - o);
                    batches.push((start + o, len));
                    o += len;
                }
                start += n;
            }
            if start != total {
                return Err(damaged(display, "行グループの行数が合いません"));
            }
            for (at, len) in batches {
                crate::cancel::check()?;
                let batch = read_batch(info, &opened, at, len)?;
                let n = batch.lines.len();
                if n != len {
                    return Err(damaged(display, "行グループの行数が合いません"));
                }
                let found: Vec<Probe<P>> = (0..n)
                    .into_par_iter()
                    .with_min_len(512)
                    .map(|i| probe_row(&batch, i, probe))
                    .filter(|p| !matches!(p, Probe::Miss))
                    .collect();
                for p in found {
                    keep(p);
                }
            }
            Ok(())
        })();
        let hashed = hasher
            .join()
            .map_err(|_| Error::Internal("ハッシュ計算のスレッドが異常終了しました".into()))?;
        streamed?;
        Ok((hashed?, ()))
    })?;
    Ok(RowsRead {
        stats: ReadStats {
            bytes: hashed.0,
            sha256: hashed.1,
            records: total as u64,
            ..ReadStats::default()
        },
        recorded_bad_lines,
        columns: opened.columns,
    })
}

/// One row: an over-long value is an unreadable line (V16), as in the CSV reader; else the
/// caller's probe.
fn probe_row<P>(
    batch: &Batch,
    i: usize,
    probe: &(impl for<'a> Fn(u64, &'a dyn Fn(usize) -> &'a str) -> Probe<P> + Sync),
) -> Probe<P> {
    let line = batch.lines[i];
    for (k, col) in batch.values.iter().enumerate() {
        if let Some(v) = col.as_ref().and_then(|c| c.get(i))
            && v.len() > MAX_FIELD_BYTES
        {
            return Probe::Bad(BadLine {
                line,
                code: Code::V16,
                message: format!(
                    "{}列目が {} バイトあります（1項目は {MAX_FIELD_BYTES} バイトまで）。この行は読み飛ばしました",
                    batch.positions.get(k).copied().flatten().unwrap_or(k) + 1,
                    v.len()
                ),
            });
        }
    }
    let get = |k: usize| -> &str {
        batch
            .values
            .get(k)
            .and_then(Option::as_ref)
            .and_then(|c| c.get(i))
            .map_or("", |v| v.trim_matches([' ', '\u{3000}']))
    };
    probe(line, &get)
}
