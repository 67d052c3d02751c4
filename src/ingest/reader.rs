//! Record splitting on raw bytes, with physical line numbers.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};

use csv::ByteRecord;

use super::encoding::{FileInfo, decode_field};
use crate::error::Error;

/// One record as it was in the file: its fields' bytes and the physical lines it spans
/// (more than one when a quoted field holds a line break).
#[derive(Debug, Clone, Default)]
pub struct RawRecord {
    /// 1-based physical line of the record's first line (the header is line 1).
    pub line: u64,
    /// Physical line of the record's last line.
    pub end_line: u64,
    pub record: ByteRecord,
}

/// A record may span at most this many physical lines (a quoted field with line breaks). An
/// unclosed quote would otherwise swallow the rest of the file; past the cap the record is cut
/// back to its first line (reported as V16) and reading resumes on the next line.
pub const MAX_RECORD_LINES: u64 = 20;

/// Streams a file's records in batches. The header row is read by [`RecordReader::open`].
///
/// Records are split here rather than by the csv crate because the contract's 行番号 is the
/// physical line, and blank lines, CRLF and quoted line breaks must all count exactly: lines are
/// read with `read_until(b'\n')`, joined while a quoted field is open, then split into fields
/// (RFC 4180 quoting: a quote opens a field only at its start, `""` inside is a quote).
pub struct RecordReader {
    input: BufReader<File>,
    display: String,
    /// Header names, decoded and trimmed.
    pub header: Vec<String>,
    pub header_line: u64,
    /// Physical lines consumed so far.
    line: u64,
    /// Lines read ahead when a record was cut back at the cap.
    pending: VecDeque<Vec<u8>>,
    buf: Vec<u8>,
    field: Vec<u8>,
    /// Empty lines and lines whose every field is empty, skipped and counted.
    pub blank_lines: u64,
    /// Data records handed out so far.
    pub records: u64,
    pool: Vec<RawRecord>,
}

/// A record whose every field is empty or white space carries nothing: a blank line.
fn is_blank(r: &ByteRecord) -> bool {
    r.iter().all(|f| f.iter().all(|b| b.is_ascii_whitespace()))
}

/// Quote state carried across the physical lines of one record.
#[derive(Clone, Copy)]
struct QuoteScan {
    in_quotes: bool,
    at_field_start: bool,
    just_closed: bool,
}

impl QuoteScan {
    fn new() -> QuoteScan {
        QuoteScan {
            in_quotes: false,
            at_field_start: true,
            just_closed: false,
        }
    }

    fn feed(&mut self, bytes: &[u8]) {
        // Fast path: a line without quotes, outside a quoted field, leaves nothing open (the
        // record ends with it, so the other states no longer matter).
        if !self.in_quotes && !bytes.contains(&b'"') {
            return;
        }
        for &b in bytes {
            if self.in_quotes {
                if b == b'"' {
                    self.in_quotes = false;
                    self.just_closed = true;
                }
            } else {
                if b == b'"' && (self.at_field_start || self.just_closed) {
                    self.in_quotes = true;
                }
                self.at_field_start = b == b',';
                self.just_closed = false;
            }
        }
    }
}

fn strip_eol(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Splits one logical record (without its final line ending) into fields.
fn split_fields(bytes: &[u8], field: &mut Vec<u8>, out: &mut ByteRecord) {
    out.clear();
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
        out.push_field(field);
        if end >= bytes.len() {
            return;
        }
        i = end + 1;
    }
}

impl RecordReader {
    /// Opens the file, skips a UTF-8 BOM and reads the header row.
    pub fn open(info: &FileInfo) -> Result<RecordReader, Error> {
        let read_err = |source| Error::Read {
            path: info.display.clone(),
            source,
        };
        let mut file = File::open(&info.path).map_err(read_err)?;
        if info.bom {
            let mut bom = [0u8; 3];
            file.read_exact(&mut bom).map_err(read_err)?;
        }
        let mut r = RecordReader {
            input: BufReader::with_capacity(1 << 20, file),
            display: info.display.clone(),
            header: Vec::new(),
            header_line: 0,
            line: 0,
            pending: VecDeque::new(),
            buf: Vec::new(),
            field: Vec::new(),
            blank_lines: 0,
            records: 0,
            pool: Vec::new(),
        };
        let mut raw = RawRecord::default();
        if !r.read_one(&mut raw)? {
            return Err(Error::EmptyFile {
                path: info.display.clone(),
            });
        }
        let mut header = Vec::with_capacity(raw.record.len());
        for (i, field) in raw.record.iter().enumerate() {
            let name = decode_field(field, info.encoding).map_err(|e| Error::HeaderDecode {
                path: info.display.clone(),
                column: i + 1,
                encoding: info.encoding.label(),
                bytes: e.hex(),
            })?;
            let name = name.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
            header.push(name.to_string());
        }
        r.header = header;
        r.header_line = raw.line;
        Ok(r)
    }

    /// Appends the next physical line to `buf`; false at the end of the file.
    fn next_line(&mut self, buf: &mut Vec<u8>) -> Result<bool, Error> {
        if let Some(l) = self.pending.pop_front() {
            buf.extend_from_slice(&l);
            return Ok(true);
        }
        let n = self
            .input
            .read_until(b'\n', buf)
            .map_err(|source| Error::Read {
                path: self.display.clone(),
                source,
            })?;
        Ok(n > 0)
    }

    /// Reads the next non-blank record into `out`; false at the end of the file.
    fn read_one(&mut self, out: &mut RawRecord) -> Result<bool, Error> {
        let mut buf = std::mem::take(&mut self.buf);
        let result = self.read_one_into(out, &mut buf);
        self.buf = buf;
        result
    }

    fn read_one_into(&mut self, out: &mut RawRecord, buf: &mut Vec<u8>) -> Result<bool, Error> {
        loop {
            buf.clear();
            if !self.next_line(buf)? {
                return Ok(false);
            }
            self.line += 1;
            let start = self.line;
            let mut scan = QuoteScan::new();
            scan.feed(strip_eol(buf));
            let mut ends = vec![buf.len()];
            while scan.in_quotes && (ends.len() as u64) < MAX_RECORD_LINES {
                let before = buf.len();
                if !self.next_line(buf)? {
                    break;
                }
                ends.push(buf.len());
                scan.feed(strip_eol(&buf[before..]));
            }
            if scan.in_quotes && ends.len() > 1 {
                // Cut back to the first line; the others are read again as records.
                for w in ends.windows(2).rev() {
                    self.pending.push_front(buf[w[0]..w[1]].to_vec());
                }
                buf.truncate(ends[0]);
                ends.truncate(1);
            }
            self.line += ends.len() as u64 - 1;
            split_fields(strip_eol(buf), &mut self.field, &mut out.record);
            out.line = start;
            out.end_line = self.line;
            if is_blank(&out.record) {
                self.blank_lines += out.end_line - out.line + 1;
                continue;
            }
            return Ok(true);
        }
    }

    /// Fills `batch` with up to `max` records (reusing its allocations); empty at the end.
    pub fn next_batch(&mut self, batch: &mut Vec<RawRecord>, max: usize) -> Result<(), Error> {
        self.pool.append(batch);
        while batch.len() < max {
            let mut rec = self.pool.pop().unwrap_or_default();
            if !self.read_one(&mut rec)? {
                self.pool.push(rec);
                break;
            }
            self.records += 1;
            batch.push(rec);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::sniff;

    fn read_all(bytes: &[u8]) -> (RecordReader, Vec<(u64, u64, Vec<String>)>) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.csv");
        std::fs::write(&p, bytes).unwrap();
        let info = sniff(&p, "f.csv", None).unwrap();
        let mut r = RecordReader::open(&info).unwrap();
        let mut out = Vec::new();
        let mut batch = Vec::new();
        loop {
            r.next_batch(&mut batch, 2).unwrap();
            if batch.is_empty() {
                break;
            }
            for rec in &batch {
                let fields = rec
                    .record
                    .iter()
                    .map(|f| String::from_utf8_lossy(f).into_owned())
                    .collect();
                out.push((rec.line, rec.end_line, fields));
            }
        }
        (r, out)
    }

    #[test]
    fn physical_lines_with_crlf_quotes_and_blank_lines() {
        let text = "a,b\r\n1,2\r\n\r\n\"x,\r\ny\",3\r\n,\r\n4,\"q\"\"\"\r\n\r\n";
        // (a stray quote inside an unquoted field is data, as in the csv crate)
        let (r, recs) = read_all(text.as_bytes());
        assert_eq!(r.header, ["a", "b"]);
        assert_eq!(r.header_line, 1);
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
        let (r, recs) = read_all("\u{feff}a,b\n1,2\n3".as_bytes());
        assert_eq!(r.header, ["a", "b"]);
        assert_eq!(recs[1], (3, 3, vec!["3".into()]));
        assert_eq!(r.blank_lines, 0);
    }

    #[test]
    fn an_unclosed_quote_swallows_lines_but_they_are_accounted_for() {
        // Closed within the cap: one record spanning lines 2-4.
        let (_, recs) = read_all(b"a,b\n1,\"2\n3,4\n5\",6\n");
        assert_eq!(recs.len(), 1);
        assert_eq!((recs[0].0, recs[0].1), (2, 4));
        // Never closed before the end of the file: cut back, every line read on its own.
        let (_, recs) = read_all(b"a,b\n1,\"2\n3,4\n5,6\n");
        let spans: Vec<_> = recs.iter().map(|r| (r.0, r.1)).collect();
        assert_eq!(spans, [(2, 2), (3, 3), (4, 4)]);
        // Past the cap: the record is cut back to its line and every later line is read.
        let mut text = b"a,b\n1,\"open\n".to_vec();
        for i in 0..30 {
            text.extend_from_slice(format!("{i},x\n").as_bytes());
        }
        let (_, recs) = read_all(&text);
        assert_eq!(recs.len(), 31);
        assert_eq!(recs[0], (2, 2, vec!["1".into(), "open".into()]));
        assert_eq!(recs[1], (3, 3, vec!["0".into(), "x".into()]));
        assert_eq!(recs[30].0, 32);
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
