//! CSV output in a chosen encoding and line ending.

use std::borrow::Cow;
use std::io::Write;
use std::path::Path;

use super::atomic::AtomicFile;
use crate::error::Error;
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
        Encoding::Cp932 if s.is_ascii() => Cow::Borrowed(s.as_bytes()),
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

/// A CSV file being written atomically.
pub struct CsvOut {
    csv: csv::Writer<AtomicFile>,
    encoding: Encoding,
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
        let csv = csv::WriterBuilder::new()
            .terminator(if crlf {
                csv::Terminator::CRLF
            } else {
                csv::Terminator::Any(b'\n')
            })
            .from_writer(file);
        Ok(CsvOut {
            csv,
            encoding,
            replaced: 0,
            rows: 0,
        })
    }

    /// A review file (findings, results, corrections.csv): CRLF, as Excel on the clerk's desk
    /// expects.
    pub fn for_review(path: &Path, enc: OutputEncoding) -> Result<CsvOut, Error> {
        CsvOut::create(path, enc.encoding(), enc == OutputEncoding::Utf8Bom, true)
    }

    fn err(&self, e: impl Into<std::io::Error>) -> Error {
        Error::Write {
            path: self.csv.get_ref().target().display().to_string(),
            source: e.into(),
        }
    }

    /// Writes a row of text fields, encoding each.
    pub fn text_row<S: AsRef<str>>(&mut self, fields: &[S]) -> Result<(), Error> {
        let mut replaced = 0;
        let encoded: Vec<Cow<[u8]>> = fields
            .iter()
            .map(|f| encode(f.as_ref(), self.encoding, &mut replaced))
            .collect();
        self.replaced += replaced;
        self.bytes_row(&encoded)
    }

    /// Writes a row of already-encoded fields.
    pub fn bytes_row<B: AsRef<[u8]>>(&mut self, fields: &[B]) -> Result<(), Error> {
        self.rows += 1;
        self.csv
            .write_record(fields)
            .map_err(|e| self.err(std::io::Error::other(e)))
    }

    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    pub fn commit(self) -> Result<(), Error> {
        let path = self.csv.get_ref().target().display().to_string();
        let file = self.csv.into_inner().map_err(|e| Error::Write {
            path,
            source: e.into_error(),
        })?;
        file.commit()
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
