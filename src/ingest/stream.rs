//! Streaming a large reference file (the registry, other-insurance files) against what the
//! rosters need: read once in blocks, probe each row in parallel, keep only the hits.
//!
//! Memory depends on what the probe keeps, never on the file's size. The hits of each block go
//! to a collector thread, so gathering them overlaps the next block's probes.

use std::borrow::Cow;
use std::sync::mpsc;

use rayon::prelude::*;

use super::{Block, Encoding, FieldScratch, Fields, ReadStats, RecordReader, Span, decode_field};
use crate::error::Error;
use crate::findings::Code;
use crate::findings::mask::MAX_FIELD_BYTES;

/// A line of a reference file that could not be read (V14/V16 in findings.csv with that file's
/// name).
#[derive(Debug, Clone)]
pub struct BadLine {
    pub line: u64,
    pub code: Code,
    pub message: String,
}

/// What one row gave.
pub enum Probe<P> {
    Miss,
    Hit(P),
    Bad(BadLine),
}

/// A row's fields as text: the whole line at once when it is UTF-8 (the common case, no
/// allocation), else field by field in the file's encoding.
pub struct TextRow<'a> {
    fields: Fields<'a>,
    whole: Option<&'a str>,
    decoded: Vec<Cow<'a, str>>,
}

impl<'a> TextRow<'a> {
    /// Decodes `fields`; a wrong column count (V16) or an undecodable field (V14) is a
    /// [`BadLine`].
    pub fn decode(fields: Fields<'a>, enc: Encoding, width: usize) -> Result<TextRow<'a>, BadLine> {
        if fields.cut > 0 {
            return Err(BadLine {
                line: fields.line,
                code: Code::V16,
                message: format!(
                    "行が長すぎます（{} バイト、上限 {} バイト）。この行は読み飛ばしました",
                    fields.cut,
                    super::reader::MAX_RECORD_BYTES
                ),
            });
        }
        if let Some((i, f)) = fields
            .iter()
            .enumerate()
            .find(|(_, f)| f.len() > MAX_FIELD_BYTES)
        {
            return Err(BadLine {
                line: fields.line,
                code: Code::V16,
                message: format!(
                    "{}列目が {} バイトあります（1項目は {MAX_FIELD_BYTES} バイトまで）。この行は読み飛ばしました",
                    i + 1,
                    f.len()
                ),
            });
        }
        if fields.len() != width {
            return Err(BadLine {
                line: fields.line,
                code: Code::V16,
                message: format!("列の数が{}です。見出しは{}列です", fields.len(), width),
            });
        }
        let whole = match enc {
            Encoding::Utf8 => simdutf8::basic::from_utf8(fields.bytes()).ok(),
            Encoding::Cp932 | Encoding::Sjis2004 => None,
        };
        let mut decoded = Vec::new();
        if whole.is_none() {
            for (i, b) in fields.iter().enumerate() {
                match decode_field(b, enc) {
                    Ok(s) => decoded.push(s),
                    Err(e) => {
                        return Err(BadLine {
                            line: fields.line,
                            code: Code::V14,
                            message: format!(
                                "{}列目の {} を {} として読めません",
                                i + 1,
                                e.hex(),
                                enc.label()
                            ),
                        });
                    }
                }
            }
        }
        Ok(TextRow {
            fields,
            whole,
            decoded,
        })
    }

    /// Physical line of the row.
    pub fn line(&self) -> u64 {
        self.fields.line
    }

    /// Column `c` trimmed of half- and full-width spaces; "" when the layout has no such column.
    pub fn get(&self, c: Option<usize>) -> &str {
        let Some(c) = c else { return "" };
        let v = match self.whole {
            Some(w) => self.fields.range(c).and_then(|r| w.get(r)).unwrap_or(""),
            None => self.decoded.get(c).map_or("", |v| v.as_ref()),
        };
        v.trim_matches([' ', '\u{3000}'])
    }
}

/// Reads every record of `reader` once, calls `probe` on each (in parallel; its second argument
/// says whether the row's whole block is valid UTF-8) and hands each hit
/// to `collect` (on one thread, in no particular order across blocks' rows but block by block
/// in file order). Returns the reader's counts and the lines that could not be read, or `None`
/// when the file was taken for UTF-8 from its first bytes (`provisional`) and a later line is
/// not: the caller decides on the whole file and streams it again.
pub fn stream<P, F, C>(
    reader: RecordReader,
    provisional: bool,
    probe: F,
    collect: C,
) -> Result<Option<(ReadStats, Vec<BadLine>)>, Error>
where
    P: Send,
    F: Fn(Fields<'_>, bool) -> Probe<P> + Sync,
    C: FnMut(P) + Send,
{
    stream_chunks(
        reader,
        provisional,
        |block: &Block,
         spans: &[Span],
         scratch: &mut FieldScratch,
         valid_utf8,
         out: &mut Vec<Probe<P>>| {
            out.extend(
                spans
                    .iter()
                    .map(|span| probe(block.fields(span, scratch), valid_utf8))
                    .filter(|p| !matches!(p, Probe::Miss)),
            );
        },
        collect,
    )
}

/// Rows probed per call of a chunk probe (and per parallel task).
pub const CHUNK: usize = 512;

/// [`stream`] with a probe that takes up to [`CHUNK`] rows at a time and pushes what is not a
/// miss to `out`, in row order: a probe can then do one cheap step for every row of the chunk
/// before the next (a lookup per row in a table far larger than the caches is many loads in
/// flight at once, not one miss after another).
pub fn stream_chunks<P, F, C>(
    reader: RecordReader,
    provisional: bool,
    probe: F,
    mut collect: C,
) -> Result<Option<(ReadStats, Vec<BadLine>)>, Error>
where
    P: Send,
    F: Fn(&Block, &[Span], &mut FieldScratch, bool, &mut Vec<Probe<P>>) + Sync,
    C: FnMut(P) + Send,
{
    let (tx, rx) = mpsc::sync_channel::<Result<Block, Error>>(2);
    let (back_tx, back_rx) = mpsc::channel::<Block>();
    let (found_tx, found_rx) = mpsc::sync_channel::<Vec<Probe<P>>>(4);
    let probe = &probe;
    std::thread::scope(|s| -> Result<Option<(ReadStats, Vec<BadLine>)>, Error> {
        let producer = s.spawn(move || reader.produce(tx, back_rx));
        let collector = s.spawn(move || {
            let mut bad = Vec::new();
            for found in found_rx.iter() {
                for p in found {
                    match p {
                        Probe::Hit(h) => collect(h),
                        Probe::Bad(b) => bad.push(b),
                        Probe::Miss => {}
                    }
                }
            }
            bad
        });
        let mut failed = None;
        let mut not_utf8 = false;
        for block in rx.iter() {
            let block = match block {
                Ok(b) => b,
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            };
            // SIGINT/SIGTERM: stop between blocks (src/cancel.rs).
            if let Err(e) = crate::cancel::check() {
                failed = Some(e);
                break;
            }
            // One UTF-8 check for the whole block (SIMD, tens of GB/s): a probe told the block is
            // valid may settle a miss from the bytes alone, without decoding the row.
            let valid_utf8 = match (block.spans.first(), block.spans.last()) {
                (Some(a), Some(b)) => block
                    .data
                    .get(a.start..b.end)
                    .is_some_and(|d| simdutf8::basic::from_utf8(d).is_ok()),
                _ => false,
            };
            // Only hits are collected: a block of misses allocates nothing.
            let mut found: Vec<Probe<P>> = Vec::new();
            found.par_extend(
                block
                    .spans
                    .par_chunks(CHUNK)
                    .map_init(FieldScratch::default, |scratch, spans| {
                        let mut out = Vec::new();
                        probe(&block, spans, scratch, valid_utf8, &mut out);
                        out
                    })
                    .flatten_iter(),
            );
            let _ = back_tx.send(block);
            if provisional
                && found
                    .iter()
                    .any(|p| matches!(p, Probe::Bad(b) if b.code == Code::V14))
            {
                not_utf8 = true;
                break;
            }
            if !found.is_empty() && found_tx.send(found).is_err() {
                break;
            }
        }
        drop(rx);
        drop(found_tx);
        let stats = producer
            .join()
            .map_err(|_| Error::Internal("読み込みスレッドが異常終了しました".into()))?;
        let bad = collector
            .join()
            .map_err(|_| Error::Internal("照合結果の集約が異常終了しました".into()))?;
        match failed {
            Some(e) => Err(e),
            None if not_utf8 => Ok(None),
            None => Ok(Some((stats?, bad))),
        }
    })
}
