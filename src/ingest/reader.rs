//! Record splitting on raw bytes, with physical line numbers.

use std::fs::File;
use std::io::Read;
use std::ops::Range;

use csv::ByteRecord;
use memchr::memchr2;
use sha2::{Digest, Sha256};

use super::encoding::{Encoding, FileInfo, decode_field, hex};
use crate::error::Error;

/// A record may span at most this many physical lines (a quoted field with line breaks). An
/// unclosed quote would otherwise swallow the rest of the file; past the cap the record is cut
/// back to its first line (reported as V16) and reading resumes on the next line.
pub const MAX_RECORD_LINES: u64 = 20;

/// Bytes read from the file at a time; a block holds the whole records of one read or more.
const READ_SIZE: usize = 1 << 20;

/// A record longer than this is not held: its first [`LONG_RECORD_KEPT`] bytes are kept, the
/// rest is read past to the end of its line, and the record is reported as unreadable with its
/// size ([`Span::cut`]), so a file with one endless line (a corrupt export, `/dev/zero` copied
/// to a file) costs bounded memory. Shorter records with an over-long field are read whole and
/// the field is cut later ([`crate::findings::mask::MAX_FIELD_BYTES`]).
pub const MAX_RECORD_BYTES: usize = 64 << 20;

/// What is kept of a record over [`MAX_RECORD_BYTES`] (enough for the first fields: the
/// 保険者番号 and 受給者番号 that name the record in findings.csv).
const LONG_RECORD_KEPT: usize = 4096;

/// Where one record lies in its [`Block`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// Byte range of the record in [`Block::data`], without its final line ending.
    pub start: usize,
    pub end: usize,
    pub line: u64,
    pub end_line: u64,
    /// 0, or the size in bytes of a record over [`MAX_RECORD_BYTES`] of which only the first
    /// bytes were kept: the record is unreadable (V16 with its size).
    pub cut: u64,
}

/// Whole records read from a file: the bytes and where each record lies. Blank lines are
/// counted, not listed. Blocks are recycled (see [`RecordReader::next_block`]).
#[derive(Debug, Default)]
pub struct Block {
    pub data: Vec<u8>,
    pub spans: Vec<Span>,
    pub blank_lines: u64,
}

impl Block {
    pub fn bytes(&self, span: &Span) -> &[u8] {
        &self.data[span.start..span.end]
    }

    /// The fields of the record at `span`. Without quotes they are ranges of the block's own
    /// bytes (nothing is copied); a record with quotes is unescaped into `scratch` first.
    pub fn fields<'a>(&'a self, span: &Span, scratch: &'a mut FieldScratch) -> Fields<'a> {
        let bytes = self.bytes(span);
        scratch.ranges.clear();
        if bytes.contains(&b'"') {
            split_fields(bytes, &mut scratch.unquoted);
            let rec = &scratch.unquoted;
            scratch
                .ranges
                .extend((0..rec.len()).filter_map(|i| rec.range(i)));
            return Fields {
                line: span.line,
                end_line: span.end_line,
                cut: span.cut,
                bytes: rec.as_slice(),
                ranges: &scratch.ranges,
            };
        }
        comma_ranges(bytes, &mut scratch.ranges);
        Fields {
            line: span.line,
            end_line: span.end_line,
            cut: span.cut,
            bytes,
            ranges: &scratch.ranges,
        }
    }
}

/// The ranges between commas. Commas are ~10 bytes apart, too close for a memchr call per
/// field to pay: eight bytes are tested at a time instead (SWAR: a byte equal to `,` becomes
/// zero after the XOR, and the mask marks exactly the zero bytes).
fn comma_ranges(bytes: &[u8], out: &mut Vec<Range<usize>>) {
    const COMMAS: u64 = 0x2C2C_2C2C_2C2C_2C2C;
    const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    let mut start = 0;
    let chunks = bytes.chunks_exact(8);
    let tail = chunks.remainder();
    for (n, chunk) in chunks.enumerate() {
        let x = u64::from_le_bytes(<[u8; 8]>::try_from(chunk).unwrap_or_default()) ^ COMMAS;
        // High bit set in exactly the bytes of x that are zero.
        let mut zeros = !(((x & LOW7).wrapping_add(LOW7)) | x | LOW7);
        while zeros != 0 {
            let pos = n * 8 + zeros.trailing_zeros() as usize / 8;
            out.push(start..pos);
            start = pos + 1;
            zeros &= zeros - 1;
        }
    }
    let base = bytes.len() - tail.len();
    for (i, b) in tail.iter().enumerate() {
        if *b == b',' {
            out.push(start..base + i);
            start = base + i + 1;
        }
    }
    out.push(start..bytes.len());
}

/// Per-thread buffers for [`Block::fields`].
#[derive(Debug, Default)]
pub struct FieldScratch {
    ranges: Vec<Range<usize>>,
    unquoted: ByteRecord,
}

/// One record's fields as read (before decoding), with the physical lines it spans (more than
/// one when a quoted field holds a line break).
#[derive(Debug, Clone, Copy)]
pub struct Fields<'a> {
    /// 1-based physical line of the record's first line (the header is line 1).
    pub line: u64,
    /// Physical line of the record's last line.
    pub end_line: u64,
    /// See [`Span::cut`]: non-zero for a record too long to hold (unreadable).
    pub cut: u64,
    /// The bytes the ranges point into. Anything between fields is ASCII (commas).
    bytes: &'a [u8],
    ranges: &'a [Range<usize>],
}

impl<'a> Fields<'a> {
    pub fn len(&self) -> usize {
        self.ranges.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// All the fields' bytes, with whatever lies between them (for one UTF-8 check).
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// Byte range of field `i` in [`Fields::bytes`].
    pub fn range(&self, i: usize) -> Option<Range<usize>> {
        self.ranges.get(i).cloned()
    }

    pub fn get(&self, i: usize) -> Option<&'a [u8]> {
        let bytes = self.bytes;
        self.ranges.get(i).and_then(|r| bytes.get(r.clone()))
    }

    /// The record without the empty cells beyond `width` (the header's column count), and how
    /// many there were: Excel's "CSV (comma delimited)" writes its used range, which can be
    /// wider than the header, as trailing commas. A record with a non-empty cell beyond the
    /// header is returned whole (V16).
    pub fn without_trailing_empty(self, width: usize) -> (Fields<'a>, u64) {
        let extra = self.ranges.get(width..).unwrap_or_default();
        if extra.is_empty() || extra.iter().any(|r| !r.is_empty()) {
            return (self, 0);
        }
        let n = extra.len() as u64;
        (
            Fields {
                ranges: &self.ranges[..width],
                ..self
            },
            n,
        )
    }

    pub fn iter(&self) -> impl Iterator<Item = &'a [u8]> + '_ {
        (0..self.len()).filter_map(|i| self.get(i))
    }

    /// An owned copy (for the correction files).
    pub fn to_raw(&self) -> RawRecord {
        let mut bytes = Vec::with_capacity(self.ranges.iter().map(|r| r.len()).sum());
        let ends = self
            .iter()
            .map(|f| {
                bytes.extend_from_slice(f);
                bytes.len() as u32
            })
            .collect();
        RawRecord {
            bytes: bytes.into_boxed_slice(),
            ends,
        }
    }
}

/// `N` text values in one allocation, with their end offsets: how a million held rows (roster
/// values, registry hits) stay small.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackedStr<const N: usize> {
    text: Box<str>,
    ends: [u32; N],
}

impl<const N: usize> PackedStr<N> {
    pub fn new(values: [&str; N]) -> PackedStr<N> {
        let mut text = String::with_capacity(values.iter().map(|v| v.len()).sum());
        let ends = values.map(|v| {
            text.push_str(v);
            text.len() as u32
        });
        PackedStr {
            text: text.into_boxed_str(),
            ends,
        }
    }

    /// Value `i` ("" past the end).
    pub fn get(&self, i: usize) -> &str {
        let Some(&end) = self.ends.get(i) else {
            return "";
        };
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        self.text.get(start as usize..end as usize).unwrap_or("")
    }
}

/// An owned record's fields as read (the file's encoding), for the correction files: two
/// allocations, where a `csv::ByteRecord` takes three and twice the bytes of bookkeeping.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RawRecord {
    bytes: Box<[u8]>,
    ends: Box<[u32]>,
}

impl RawRecord {
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    pub fn get(&self, i: usize) -> Option<&[u8]> {
        let end = *self.ends.get(i)? as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        self.bytes.get(start..end)
    }

    pub fn iter(&self) -> impl Iterator<Item = &[u8]> + '_ {
        (0..self.len()).filter_map(|i| self.get(i))
    }

    /// Every field's bytes back to back (an order key for a record by its content).
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }
}

/// What the reader counted once the file is read.
#[derive(Debug, Clone, Default)]
pub struct ReadStats {
    pub bytes: u64,
    pub sha256: String,
    /// Empty lines and lines whose every field is empty, skipped and counted.
    pub blank_lines: u64,
    /// Data records handed out.
    pub records: u64,
    /// Empty cells beyond the header's columns, ignored (counted by the roster check).
    pub trailing_empty_cells: u64,
    /// Lines of a CP932 roster with a double-byte character led by 0xED or 0xEE (found by the
    /// roster check): see [`crate::ingest::jisx0213_warning`].
    pub jisx0213_lines: Vec<u64>,
}

/// Streams a file's records in blocks. The header row is read by [`RecordReader::open`].
///
/// Records are split here rather than by the csv crate because the contract's 行番号 is the
/// physical line, and blank lines, CRLF and quoted line breaks must all count exactly. The
/// reader only finds record boundaries (one `memchr2` pass for `"` and LF over each 1 MiB
/// read, hashing the same bytes for the summary's SHA-256); splitting into fields happens in
/// the worker threads ([`Block::fill`]). Quoting is RFC 4180: a quote opens a field only at
/// its start, `""` inside is a quote. CP932 trail bytes are 0x40–0xFC and never look like
/// `,` `"` CR LF, so the split is the same in both encodings.
pub struct RecordReader {
    file: File,
    display: String,
    /// Header names, decoded and trimmed.
    pub header: Vec<String>,
    pub header_line: u64,
    /// Read but not yet handed out: `buf[pos..]` is the start of the next record.
    buf: Vec<u8>,
    pos: usize,
    eof: bool,
    /// Physical line of the record starting at `pos`.
    line: u64,
    /// None for a file read again whose hash is already known.
    hasher: Option<Sha256>,
    stats: ReadStats,
    scratch: ByteRecord,
}

/// The end of one record found by [`scan_record`].
struct Scanned {
    /// End of the record's content (line ending excluded).
    end: usize,
    /// Start of the next record.
    next: usize,
    /// Physical lines the record covers.
    lines: u64,
}

fn without_cr(buf: &[u8], start: usize, end: usize) -> usize {
    if end > start && buf[end - 1] == b'\r' {
        end - 1
    } else {
        end
    }
}

/// Finds the end of the record starting at `start`; None when `buf` ends first and more may
/// come (`eof` false), or when nothing is left.
fn scan_record(buf: &[u8], start: usize, eof: bool) -> Option<Scanned> {
    let mut pos = start;
    let mut in_quotes = false;
    let mut last_close = usize::MAX;
    let mut lines = 1;
    let mut first_lf = None;
    // Cut back to the first line: its own record; reading resumes on the next line.
    let cut_back = |first_lf: usize| Scanned {
        end: without_cr(buf, start, first_lf),
        next: first_lf + 1,
        lines: 1,
    };
    loop {
        let Some(off) = memchr2(b'"', b'\n', &buf[pos..]) else {
            if !eof || start >= buf.len() {
                return None;
            }
            if in_quotes && let Some(lf) = first_lf {
                return Some(cut_back(lf));
            }
            return Some(Scanned {
                end: without_cr(buf, start, buf.len()),
                next: buf.len(),
                lines,
            });
        };
        let p = pos + off;
        pos = p + 1;
        if buf[p] == b'\n' {
            if !in_quotes {
                return Some(Scanned {
                    end: without_cr(buf, start, p),
                    next: p + 1,
                    lines,
                });
            }
            let first = *first_lf.get_or_insert(p);
            if lines >= MAX_RECORD_LINES {
                return Some(cut_back(first));
            }
            lines += 1;
        } else if in_quotes {
            in_quotes = false;
            last_close = p;
        } else if p == start || buf[p - 1] == b',' || last_close.wrapping_add(1) == p {
            in_quotes = true;
        }
    }
}

/// Splits one record (without its final line ending) into fields.
fn split_fields(bytes: &[u8], out: &mut ByteRecord) {
    out.clear();
    if !bytes.contains(&b'"') {
        // The common case: no quoting, fields are the pieces between commas.
        for f in bytes.split(|b| *b == b',') {
            out.push_field(f);
        }
        return;
    }
    let mut field = Vec::new();
    let mut i = 0;
    loop {
        field.clear();
        if bytes.get(i) == Some(&b'"') {
            i += 1;
            // Quoted part: up to the closing quote; "" is a literal quote.
            loop {
                match bytes[i..].iter().position(|b| *b == b'"') {
                    Some(j) => {
                        field.extend_from_slice(&bytes[i..i + j]);
                        if bytes.get(i + j + 1) == Some(&b'"') {
                            field.push(b'"');
                            i += j + 2;
                        } else {
                            i += j + 1;
                            break;
                        }
                    }
                    None => {
                        // Unclosed (only at a record cut back at the cap): keep the rest.
                        field.extend_from_slice(&bytes[i..]);
                        i = bytes.len();
                        break;
                    }
                }
            }
        }
        // Unquoted part (or what follows a closing quote) up to the next comma.
        let end = bytes[i..]
            .iter()
            .position(|b| *b == b',')
            .map_or(bytes.len(), |j| i + j);
        field.extend_from_slice(&bytes[i..end]);
        out.push_field(&field);
        if end >= bytes.len() {
            return;
        }
        i = end + 1;
    }
}

/// A record whose every field is empty or white space carries nothing: a blank line.
fn is_blank(bytes: &[u8], scratch: &mut ByteRecord) -> bool {
    match bytes.first() {
        None => true,
        Some(b) if !matches!(b, b',' | b'"') && !b.is_ascii_whitespace() => false,
        Some(_) => {
            split_fields(bytes, scratch);
            scratch
                .iter()
                .all(|f| f.iter().all(|b| b.is_ascii_whitespace()))
        }
    }
}

impl RecordReader {
    /// Opens the file, skips a UTF-8 BOM and reads the header row (the first non-blank one).
    pub fn open(info: &FileInfo) -> Result<RecordReader, Error> {
        let file = super::encoding::open_input(&info.path, &info.display)?;
        let mut r = RecordReader {
            file,
            display: info.display.clone(),
            header: Vec::new(),
            header_line: 0,
            buf: Vec::with_capacity(READ_SIZE + READ_SIZE / 4),
            pos: 0,
            eof: false,
            line: 1,
            hasher: Some(Sha256::new()),
            stats: ReadStats::default(),
            scratch: ByteRecord::new(),
        };
        r.fill_buf()?;
        if info.bom && r.buf.starts_with(&[0xEF, 0xBB, 0xBF]) {
            r.pos = 3;
        }
        // Blank lines that held something (commas, spaces): a file of only those has no header,
        // which is not the same as an empty file.
        let mut filled_blanks: u64 = 0;
        let head = loop {
            match r.next_span()? {
                None if filled_blanks > 0 => {
                    return Err(Error::NoHeader {
                        path: info.display.clone(),
                        lines: r.stats.blank_lines,
                    });
                }
                None => {
                    return Err(Error::EmptyFile {
                        path: info.display.clone(),
                    });
                }
                Some((span, true)) => {
                    r.stats.blank_lines += span.end_line - span.line + 1;
                    filled_blanks += (span.end > span.start) as u64;
                }
                Some((span, false)) => break span,
            }
        };
        let mut raw = ByteRecord::new();
        split_fields(&r.buf[head.start..head.end], &mut raw);
        // A BOM-less file with a byte that is not UTF-8 anywhere is CP932 by the contract's
        // rule; when its header is UTF-8, say so, or the clerk sees only "not CP932".
        let hint = if info.encoding == Encoding::Cp932
            && !info.encoding_forced
            && std::str::from_utf8(&r.buf[head.start..head.end]).is_ok()
        {
            "。見出し行は UTF-8 ですが、ファイルのどこかに UTF-8 として読めないバイトがあるため CP932 と判定しました。\
             UTF-8 のファイルなら --encoding utf8 を指定してください（読めない行は V14 になります）"
        } else {
            ""
        };
        let mut header = Vec::with_capacity(raw.len());
        for (i, field) in raw.iter().enumerate() {
            let name = decode_field(field, info.encoding).map_err(|e| Error::HeaderDecode {
                path: info.display.clone(),
                column: i + 1,
                encoding: info.encoding.label(),
                bytes: e.hex(),
                hint,
            })?;
            let name = name.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
            header.push(name.to_string());
        }
        r.header = header;
        r.header_line = head.line;
        Ok(r)
    }

    /// Appends at least [`READ_SIZE`] bytes to `buf` (more behind a long pending record), hashing
    /// them; sets `eof` at the end.
    fn fill_buf(&mut self) -> Result<(), Error> {
        // Every read loop passes here (the header search, the blocks, the hash of the rest):
        // SIGINT/SIGTERM stop the run within one read.
        crate::cancel::check()?;
        let before = self.buf.len();
        // A long unfinished record is scanned again from its start after each read: reading as
        // much again as is pending (up to 16 MiB at a time) keeps that linear, not quadratic.
        let want = READ_SIZE.max((before - self.pos).min(16 << 20));
        let n = (&mut self.file)
            .take(want as u64)
            .read_to_end(&mut self.buf)
            .map_err(|source| Error::Read {
                path: self.display.clone(),
                source,
            })?;
        if let Some(h) = self.hasher.as_mut() {
            h.update(&self.buf[before..]);
        }
        self.stats.bytes += n as u64;
        crate::progress::add(n as u64);
        if n == 0 {
            self.eof = true;
        }
        Ok(())
    }

    /// The record at `pos` if the buffer holds all of it (true when blank); advances past it.
    fn take_span(&mut self) -> Option<(Span, bool)> {
        let s = scan_record(&self.buf, self.pos, self.eof)?;
        let mut span = Span {
            start: self.pos,
            end: s.end,
            line: self.line,
            end_line: self.line + s.lines - 1,
            cut: 0,
        };
        // Whole but over the cap (reads grow, so a record can complete past it): the same as
        // one that was read past ([`RecordReader::skip_long_record`]).
        if s.end - self.pos > MAX_RECORD_BYTES {
            span.cut = (s.end - self.pos) as u64;
            span.end = self.pos + LONG_RECORD_KEPT;
        }
        self.pos = s.next;
        self.line += s.lines;
        let blank = is_blank(&self.buf[span.start..span.end], &mut self.scratch);
        Some((span, blank))
    }

    /// The next record (true when blank), reading more of the file as needed.
    fn next_span(&mut self) -> Result<Option<(Span, bool)>, Error> {
        loop {
            if let Some(found) = self.take_span() {
                return Ok(Some(found));
            }
            if self.eof {
                return Ok(None);
            }
            if self.buf.len() - self.pos > MAX_RECORD_BYTES {
                return self.skip_long_record().map(|s| Some((s, false)));
            }
            self.fill_buf()?;
        }
    }

    /// The record at `pos` is over [`MAX_RECORD_BYTES`] and not finished: keep its first
    /// [`LONG_RECORD_KEPT`] bytes, read past the rest to the end of its first line (the rule of
    /// an unclosed quote: the record is cut back to its own line), and hand it out as a cut
    /// span. Memory stays at one read.
    fn skip_long_record(&mut self) -> Result<Span, Error> {
        let start = self.pos;
        // The first line break ends it (an unclosed quote's rule); one within the head makes
        // it an ordinary record, cut back to its line.
        if let Some(off) = memchr::memchr(b'\n', &self.buf[start..]) {
            let p = start + off;
            if off <= LONG_RECORD_KEPT {
                let span = Span {
                    start,
                    end: without_cr(&self.buf, start, p),
                    line: self.line,
                    end_line: self.line,
                    cut: 0,
                };
                self.pos = p + 1;
                self.line += 1;
                return Ok(span);
            }
        }
        let keep_end = start + LONG_RECORD_KEPT;
        let mut dropped: u64 = 0;
        let mut searched = keep_end;
        let lf = loop {
            if let Some(off) = memchr::memchr(b'\n', &self.buf[searched..]) {
                break Some(searched + off);
            }
            if self.eof {
                break None;
            }
            // Nothing past the head is kept: drop it before reading on.
            dropped += (self.buf.len() - keep_end) as u64;
            self.buf.truncate(keep_end);
            searched = keep_end;
            self.fill_buf()?;
        };
        let (size, next) = match lf {
            Some(p) => (dropped + (p - start) as u64, p + 1),
            None => (dropped + (self.buf.len() - start) as u64, self.buf.len()),
        };
        let span = Span {
            start,
            end: keep_end,
            line: self.line,
            end_line: self.line,
            cut: size,
        };
        // The buffer becomes [.. head][what follows the line ..].
        self.buf.drain(keep_end..next);
        self.pos = keep_end;
        self.line += 1;
        Ok(span)
    }

    /// Fills `block` (recycled: its allocations are reused) with the whole records of the next
    /// read. False at the end of the file.
    pub fn next_block(&mut self, block: &mut Block) -> Result<bool, Error> {
        block.spans.clear();
        block.blank_lines = 0;
        loop {
            while let Some((span, blank)) = self.take_span() {
                if blank {
                    block.blank_lines += span.end_line - span.line + 1;
                } else {
                    block.spans.push(span);
                }
            }
            if !block.spans.is_empty() || block.blank_lines > 0 || self.eof {
                break;
            }
            if self.buf.len() - self.pos > MAX_RECORD_BYTES {
                let span = self.skip_long_record()?;
                block.spans.push(span);
                continue;
            }
            // Not one whole record yet (a record longer than what is read): read on.
            self.fill_buf()?;
        }
        self.stats.records += block.spans.len() as u64;
        self.stats.blank_lines += block.blank_lines;
        // The block takes the buffer; the unfinished record moves to a fresh one.
        block.data.clear();
        block.data.extend_from_slice(&self.buf[self.pos..]);
        std::mem::swap(&mut block.data, &mut self.buf);
        self.pos = 0;
        if !self.eof && self.buf.len() < READ_SIZE {
            self.fill_buf()?;
        }
        Ok(!block.spans.is_empty() || block.blank_lines > 0)
    }

    /// Reads every block into `tx` (taking recycled blocks from `back`) until the end of the
    /// file or until the receiver hangs up; then the counts and hash. Run on its own thread.
    pub fn produce(
        mut self,
        tx: std::sync::mpsc::SyncSender<Result<Block, Error>>,
        back: std::sync::mpsc::Receiver<Block>,
    ) -> Result<ReadStats, Error> {
        loop {
            let mut block = back.try_recv().unwrap_or_default();
            match self.next_block(&mut block) {
                Ok(false) => break,
                Ok(true) => {
                    if tx.send(Ok(block)).is_err() {
                        break;
                    }
                }
                Err(e) => {
                    let _ = tx.send(Err(e));
                    break;
                }
            }
        }
        self.finish()
    }

    /// The same reader without the SHA-256: for a file read a second time in one run, whose
    /// hash the first pass gave (its [`ReadStats::sha256`] stays empty).
    pub fn unhashed(mut self) -> RecordReader {
        self.hasher = None;
        self
    }

    /// Counts and the SHA-256 of every byte read, once the file is read to its end.
    pub fn finish(mut self) -> Result<ReadStats, Error> {
        let Some(hasher) = self.hasher.take() else {
            return Ok(self.stats);
        };
        // A caller that stopped early still gets the hash of the whole file.
        while !self.eof {
            self.buf.clear();
            self.fill_buf()?;
        }
        self.stats.sha256 = hex(&hasher.finalize());
        Ok(self.stats)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first pass hashes every byte (the known SHA-256 of "a,b\n1,2\n", from sha256sum);
    /// a second pass over the same file skips it and says so with an empty hash.
    #[test]
    fn a_second_pass_reads_the_same_records_without_hashing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.csv");
        std::fs::write(&path, "a,b\n1,2\n").unwrap();
        let info = crate::ingest::sniff(&path, "r.csv", None).unwrap();
        let count = |r: &mut RecordReader| {
            let mut block = Block::default();
            let mut n = 0;
            while r.next_block(&mut block).unwrap() {
                n += block.spans.len();
            }
            n
        };
        let mut first = RecordReader::open(&info).unwrap();
        let mut second = RecordReader::open(&info).unwrap().unhashed();
        assert_eq!((count(&mut first), count(&mut second)), (1, 1));
        assert_eq!(
            first.finish().unwrap().sha256,
            "492d5ea496056f1a6a6592241032fab764c321596317930b4fa0e1e8bc3b7470"
        );
        assert_eq!(second.finish().unwrap().sha256, "");
    }

    #[test]
    fn packed_values_and_raw_records_give_back_what_went_in() {
        let p = PackedStr::new(["12", "", "山田　太郎", "x"]);
        assert_eq!(
            [p.get(0), p.get(1), p.get(2), p.get(3), p.get(4)],
            ["12", "", "山田　太郎", "x", ""]
        );
        let mut block = Block::default();
        block
            .data
            .extend_from_slice("a,\"b,\"\"c\"\"\",,山".as_bytes());
        block.spans.push(Span {
            start: 0,
            end: block.data.len(),
            line: 2,
            end_line: 2,
            cut: 0,
        });
        let mut scratch = FieldScratch::default();
        let raw = block.fields(&block.spans[0], &mut scratch).to_raw();
        let fields: Vec<&[u8]> = raw.iter().collect();
        assert_eq!(fields, [&b"a"[..], b"b,\"c\"", b"", "山".as_bytes()]);
        assert_eq!(raw.get(4), None);
    }
    use crate::ingest::sniff;

    /// (first line, last line, fields) of each record.
    type Records = Vec<(u64, u64, Vec<String>)>;

    fn read_all(bytes: &[u8]) -> (Vec<String>, ReadStats, Records) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.csv");
        std::fs::write(&p, bytes).unwrap();
        let info = sniff(&p, "f.csv", None).unwrap();
        let mut r = RecordReader::open(&info).unwrap();
        let header = r.header.clone();
        let mut out = Vec::new();
        let mut block = Block::default();
        let mut scratch = FieldScratch::default();
        while r.next_block(&mut block).unwrap() {
            for span in &block.spans {
                let f = block.fields(span, &mut scratch);
                let fields = f
                    .iter()
                    .map(|f| String::from_utf8_lossy(f).into_owned())
                    .collect();
                out.push((f.line, f.end_line, fields));
            }
        }
        let stats = r.finish().unwrap();
        assert_eq!(
            stats.sha256,
            hex(&Sha256::digest(bytes)),
            "SHA-256 of the whole file"
        );
        assert_eq!(stats.bytes, bytes.len() as u64);
        (header, stats, out)
    }

    #[test]
    fn physical_lines_with_crlf_quotes_and_blank_lines() {
        let text = "a,b\r\n1,2\r\n\r\n\"x,\r\ny\",3\r\n,\r\n4,\"q\"\"\"\r\n\r\n";
        // (a stray quote inside an unquoted field is data, as in the csv crate)
        let (header, r, recs) = read_all(text.as_bytes());
        assert_eq!(header, ["a", "b"]);
        assert_eq!(
            recs,
            vec![
                (2, 2, vec!["1".into(), "2".into()]),
                (4, 5, vec!["x,\r\ny".into(), "3".into()]),
                (7, 7, vec!["4".into(), "q\"".into()]),
            ]
        );
        // line 3 (empty), line 6 (",": every field empty), line 8 (empty at the end)
        assert_eq!(r.blank_lines, 3);
        assert_eq!(r.records, 3);
    }

    #[test]
    fn lf_without_final_newline_and_bom() {
        let (header, r, recs) = read_all("\u{feff}a,b\n1,2\n3".as_bytes());
        assert_eq!(header, ["a", "b"]);
        assert_eq!(recs[1], (3, 3, vec!["3".into()]));
        assert_eq!(r.blank_lines, 0);
    }

    #[test]
    fn an_unclosed_quote_swallows_lines_but_they_are_accounted_for() {
        // Closed within the cap: one record spanning lines 2-4.
        let (_, _, recs) = read_all(b"a,b\n1,\"2\n3,4\n5\",6\n");
        assert_eq!(recs.len(), 1);
        assert_eq!((recs[0].0, recs[0].1), (2, 4));
        // Never closed before the end of the file: cut back, every line read on its own.
        let (_, _, recs) = read_all(b"a,b\n1,\"2\n3,4\n5,6\n");
        let spans: Vec<_> = recs.iter().map(|r| (r.0, r.1)).collect();
        assert_eq!(spans, [(2, 2), (3, 3), (4, 4)]);
        // Past the cap: the record is cut back to its line and every later line is read.
        let mut text = b"a,b\n1,\"open\n".to_vec();
        for i in 0..30 {
            text.extend_from_slice(format!("{i},x\n").as_bytes());
        }
        let (_, _, recs) = read_all(&text);
        assert_eq!(recs.len(), 31);
        assert_eq!(recs[0], (2, 2, vec!["1".into(), "open".into()]));
        assert_eq!(recs[1], (3, 3, vec!["0".into(), "x".into()]));
        assert_eq!(recs[30].0, 32);
    }

    #[test]
    fn records_across_read_boundaries_keep_their_lines() {
        // Quoted line breaks and CRLFs straddling the 1 MiB reads, many times over.
        let mut text = String::from("a,b\r\n");
        let mut want = Vec::new();
        let mut line = 2;
        let mut i = 0;
        while text.len() < 3 * READ_SIZE + 1000 {
            if i % 7 == 0 {
                text.push_str(&format!("\"{i}\r\nx\",\"y\"\"\"\r\n"));
                want.push((line, line + 1, vec![format!("{i}\r\nx"), "y\"".to_string()]));
                line += 2;
            } else {
                text.push_str(&format!("{i},{}\r\n", "z".repeat(i % 50)));
                want.push((line, line, vec![i.to_string(), "z".repeat(i % 50)]));
                line += 1;
            }
            i += 1;
        }
        let (_, stats, recs) = read_all(text.as_bytes());
        assert_eq!(stats.records, want.len() as u64);
        assert!(
            recs == want,
            "first difference at {:?}",
            recs.iter().zip(&want).position(|(a, b)| a != b)
        );
    }

    #[test]
    fn comma_ranges_match_a_plain_split() {
        let samples: [&[u8]; 6] = [
            b"",
            b",",
            b"a,b",
            b",,,,,,,,,,,,,,,,,",
            "12130019,1234567,C001,01,,山田　太郎,ヤマダ　タロウ,19450101,1,".as_bytes(),
            b"abcdefgh,abcdefg,abcdefghi,\xac\x2c\xff",
        ];
        for bytes in samples {
            let mut ranges = Vec::new();
            comma_ranges(bytes, &mut ranges);
            let got: Vec<&[u8]> = ranges.iter().map(|r| &bytes[r.clone()]).collect();
            let want: Vec<&[u8]> = bytes.split(|b| *b == b',').collect();
            assert_eq!(got, want, "{bytes:?}");
        }
    }

    #[test]
    fn empty_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.csv");
        std::fs::write(&p, b"").unwrap();
        let info = sniff(&p, "f.csv", None).unwrap();
        let e = RecordReader::open(&info).err().unwrap().to_string();
        assert!(e.contains("空"), "{e}");
    }
}
