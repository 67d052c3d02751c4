//! CSV output in a chosen encoding and line ending.

use std::borrow::Cow;
use std::io::Write;
use std::path::Path;

use super::atomic::AtomicFile;
use crate::error::Error;
use crate::findings::mask::review_cell;
use crate::ingest::Encoding;

/// `--output-encoding`: how findings, results and corrections.csv are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutputEncoding {
    /// UTF-8 with BOM, so that Excel opens it right (default).
    #[default]
    Utf8Bom,
    Utf8,
    Cp932,
}

impl OutputEncoding {
    pub fn label(self) -> &'static str {
        match self {
            OutputEncoding::Utf8Bom => "utf8-bom",
            OutputEncoding::Utf8 => "utf8",
            OutputEncoding::Cp932 => "cp932",
        }
    }

    fn encoding(self) -> Encoding {
        match self {
            OutputEncoding::Cp932 => Encoding::Cp932,
            _ => Encoding::Utf8,
        }
    }
}

/// Encodes text for an output file. CP932: private-use characters that came from the CP932
/// user-defined area (外字, U+E000–U+E757) go back to their original bytes; anything else CP932
/// cannot hold becomes 〓 and is counted.
pub fn encode<'a>(s: &'a str, enc: Encoding, replaced: &mut u64) -> Cow<'a, [u8]> {
    match enc {
        Encoding::Utf8 => Cow::Borrowed(s.as_bytes()),
        Encoding::Cp932 | Encoding::Sjis2004 if s.is_ascii() => Cow::Borrowed(s.as_bytes()),
        Encoding::Sjis2004 => {
            let (bytes, n) = crate::ingest::sjis2004::encode(s);
            *replaced += n;
            Cow::Owned(bytes)
        }
        Encoding::Cp932 => {
            let (bytes, _, had_errors) = encoding_rs::SHIFT_JIS.encode(s);
            if !had_errors {
                return Cow::Owned(bytes.into_owned());
            }
            let mut out = Vec::with_capacity(s.len() * 2);
            let mut buf = [0u8; 4];
            for c in s.chars() {
                let cp = c as u32;
                if (0xE000..=0xE757).contains(&cp) {
                    // Inverse of the WHATWG Shift_JIS decoder's user-defined area mapping.
                    let pointer = 8836 + (cp - 0xE000);
                    let (lead, trail) = (pointer / 188, pointer % 188);
                    out.push((lead + if lead < 0x1F { 0x81 } else { 0xC1 }) as u8);
                    out.push((trail + if trail < 0x3F { 0x40 } else { 0x41 }) as u8);
                    continue;
                }
                let (b, _, err) = encoding_rs::SHIFT_JIS.encode(c.encode_utf8(&mut buf));
                if err {
                    *replaced += 1;
                    out.extend_from_slice(&[0x81, 0xAC]); // 〓
                } else {
                    out.extend_from_slice(&b);
                }
            }
            Cow::Owned(out)
        }
    }
}

/// Formats CSV rows into bytes (RFC 4180 quoting where needed, the output encoding, the line
/// ending). Each thread can own one, so rows are formatted in parallel and written in order.
pub struct RowFormatter {
    encoding: Encoding,
    crlf: bool,
    /// A review file's cells go through [`review_cell`] (`Some(mask)`: mask My Numbers too);
    /// a re-import file's (`None`) are written exactly.
    review: Option<bool>,
    /// Characters replaced by 〓 because the output encoding cannot hold them.
    pub replaced: u64,
}

impl RowFormatter {
    pub fn new(encoding: Encoding, crlf: bool) -> RowFormatter {
        RowFormatter {
            encoding,
            crlf,
            review: None,
            replaced: 0,
        }
    }

    /// For a review file (findings, results, corrections.csv): CRLF, and every cell through
    /// [`review_cell`] (no live formula, no raw control character, no over-long value; My
    /// Numbers masked when `mask`).
    pub fn for_review(enc: OutputEncoding, mask: bool) -> RowFormatter {
        RowFormatter {
            review: Some(mask),
            ..RowFormatter::new(enc.encoding(), true)
        }
    }

    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// Appends one row of text fields, each encoded, to `out`.
    pub fn text_row<S: AsRef<str>>(&mut self, fields: &[S], out: &mut Vec<u8>) {
        let mut replaced = 0;
        let cells: Vec<Cow<str>> = match self.review {
            Some(mask) => fields
                .iter()
                .map(|f| review_cell(f.as_ref(), mask))
                .collect(),
            None => fields.iter().map(|f| Cow::Borrowed(f.as_ref())).collect(),
        };
        let encoded: Vec<Cow<[u8]>> = cells
            .iter()
            .map(|f| encode(f, self.encoding, &mut replaced))
            .collect();
        self.replaced += replaced;
        self.bytes_row(&encoded, out);
    }

    /// Appends one row of already-encoded fields to `out`. A field is quoted when it holds a
    /// comma, a quote, CR or LF (quotes doubled), and a row of one empty field is `""` so that
    /// it is not read back as a blank line: the csv crate's `QuoteStyle::Necessary`. CP932
    /// trail bytes never equal these ASCII bytes, so the test is the same in both encodings.
    pub fn bytes_row<B: AsRef<[u8]>>(&mut self, fields: &[B], out: &mut Vec<u8>) {
        for (i, f) in fields.iter().enumerate() {
            let f = f.as_ref();
            if i > 0 {
                out.push(b',');
            }
            if f.iter().any(|b| matches!(b, b',' | b'"' | b'\r' | b'\n')) {
                out.push(b'"');
                for &b in f {
                    if b == b'"' {
                        out.push(b'"');
                    }
                    out.push(b);
                }
                out.push(b'"');
            } else if f.is_empty() && fields.len() == 1 {
                out.extend_from_slice(b"\"\"");
            } else {
                out.extend_from_slice(f);
            }
        }
        out.extend_from_slice(if self.crlf { b"\r\n" } else { b"\n" });
    }
}

/// A CSV file being written atomically.
pub struct CsvOut {
    file: AtomicFile,
    fmt: RowFormatter,
    buf: Vec<u8>,
    /// Characters replaced by 〓 because the output encoding cannot hold them.
    pub replaced: u64,
    pub rows: u64,
}

impl CsvOut {
    /// `bom`: start with a UTF-8 BOM (only meaningful for UTF-8).
    pub fn create(path: &Path, encoding: Encoding, bom: bool, crlf: bool) -> Result<CsvOut, Error> {
        let mut file = AtomicFile::create(path)?;
        if bom && encoding == Encoding::Utf8 {
            file.write_all(b"\xEF\xBB\xBF")
                .map_err(|source| Error::Write {
                    path: path.display().to_string(),
                    source,
                })?;
        }
        Ok(CsvOut {
            file,
            fmt: RowFormatter::new(encoding, crlf),
            buf: Vec::with_capacity(512),
            replaced: 0,
            rows: 0,
        })
    }

    /// A review file (findings, results, corrections.csv): CRLF, as Excel on the clerk's desk
    /// expects, cells as [`RowFormatter::for_review`] writes them.
    pub fn for_review(path: &Path, enc: OutputEncoding, mask: bool) -> Result<CsvOut, Error> {
        let mut out = CsvOut::create(path, enc.encoding(), enc == OutputEncoding::Utf8Bom, true)?;
        out.fmt = RowFormatter::for_review(enc, mask);
        Ok(out)
    }

    fn err(&self, e: impl Into<std::io::Error>) -> Error {
        Error::Write {
            path: self.file.target().display().to_string(),
            source: e.into(),
        }
    }

    /// Writes a row of text fields, encoding each.
    pub fn text_row<S: AsRef<str>>(&mut self, fields: &[S]) -> Result<(), Error> {
        self.buf.clear();
        self.fmt.text_row(fields, &mut self.buf);
        self.replaced += std::mem::take(&mut self.fmt.replaced);
        self.write_buf()
    }

    /// Writes a row of already-encoded fields.
    pub fn bytes_row<B: AsRef<[u8]>>(&mut self, fields: &[B]) -> Result<(), Error> {
        self.buf.clear();
        self.fmt.bytes_row(fields, &mut self.buf);
        self.write_buf()
    }

    fn write_buf(&mut self) -> Result<(), Error> {
        self.rows += 1;
        let buf = std::mem::take(&mut self.buf);
        let written = self.file.write_all(&buf);
        self.buf = buf;
        written.map_err(|e| self.err(e))
    }

    /// Writes `rows` rows formatted by a [`RowFormatter`] of this file's encoding and line
    /// ending; `replaced` is what the formatter counted for them.
    pub fn preformatted(&mut self, bytes: &[u8], rows: u64, replaced: u64) -> Result<(), Error> {
        self.rows += rows;
        self.replaced += replaced;
        self.file.write_all(bytes).map_err(|e| self.err(e))
    }

    pub fn encoding(&self) -> Encoding {
        self.fmt.encoding
    }

    pub fn commit(self) -> Result<(), Error> {
        self.file.commit()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cp932_round_trips_gaiji_and_replaces_the_rest() {
        let mut n = 0;
        // F0 40 decodes to U+E000; encoding gives the same bytes back.
        assert_eq!(&*encode("\u{E000}", Encoding::Cp932, &mut n), b"\xF0\x40");
        assert_eq!(&*encode("\u{E757}", Encoding::Cp932, &mut n), b"\xF9\xFC");
        assert_eq!(n, 0);
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode("山田");
        assert_eq!(&*encode("山田", Encoding::Cp932, &mut n), &*sjis);
        assert_eq!(&*encode("𠮷a", Encoding::Cp932, &mut n), b"\x81\xACa");
        assert_eq!(n, 1);
        for cp in 0xE000..=0xE757u32 {
            let c = char::from_u32(cp).unwrap().to_string();
            let bytes = encode(&c, Encoding::Cp932, &mut n).into_owned();
            let back = crate::ingest::decode_field(&bytes, Encoding::Cp932).unwrap();
            assert_eq!(back, c);
        }
    }

    /// The formatter writes exactly what the csv crate writes (the golden files were made with
    /// it), on fields with every character that matters.
    #[test]
    fn formatter_matches_the_csv_crate() {
        let rows: Vec<Vec<&str>> = vec![
            vec!["a,b", "c\"d", "e\nf", "山", ""],
            vec![""],
            vec!["", ""],
            vec!["\r", "\"", "x y", "#c", "'q'"],
            vec!["tab\there", " lead", "trail "],
        ];
        for crlf in [true, false] {
            let mut w = csv::WriterBuilder::new()
                .flexible(true)
                .terminator(if crlf {
                    csv::Terminator::CRLF
                } else {
                    csv::Terminator::Any(b'\n')
                })
                .from_writer(Vec::new());
            let mut f = RowFormatter::new(Encoding::Utf8, crlf);
            let mut ours = Vec::new();
            for r in &rows {
                w.write_record(r).unwrap();
                f.text_row(r, &mut ours);
            }
            assert_eq!(
                String::from_utf8(ours).unwrap(),
                String::from_utf8(w.into_inner().unwrap()).unwrap()
            );
        }
    }

    #[test]
    fn quotes_fields_that_need_it() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.csv");
        let mut w = CsvOut::create(&p, Encoding::Utf8, true, true).unwrap();
        w.text_row(&["a,b", "c\"d", "e\nf", "山"]).unwrap();
        w.commit().unwrap();
        assert_eq!(
            std::fs::read(&p).unwrap(),
            "\u{feff}\"a,b\",\"c\"\"d\",\"e\nf\",山\r\n".as_bytes()
        );
    }
}
