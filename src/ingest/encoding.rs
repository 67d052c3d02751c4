//! Encoding decision and per-field decoding.

use std::borrow::Cow;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::Error;

/// The two encodings of the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    Utf8,
    /// Windows-31J / CP932, read with encoding_rs's Shift_JIS (which is the WHATWG superset
    /// including the NEC and IBM extensions and the user-defined area → private use).
    Cp932,
    /// Shift_JIS-2004 (JIS X 0213), only by `--encoding sjis2004`: CP932 except for the codes
    /// of [`crate::ingest::sjis2004`]'s table (encoding_rs has no Shift_JIS-2004).
    Sjis2004,
}

impl Encoding {
    pub fn label(self) -> &'static str {
        match self {
            Encoding::Utf8 => "utf8",
            Encoding::Cp932 => "cp932",
            Encoding::Sjis2004 => "sjis2004",
        }
    }
}

/// What [`sniff`] learnt about one input file.
#[derive(Debug, Clone)]
pub struct FileInfo {
    pub path: PathBuf,
    /// The file name as given on the command line (入力ファイル in the outputs).
    pub display: String,
    pub encoding: Encoding,
    /// Whether the encoding came from `--encoding` rather than detection.
    pub encoding_forced: bool,
    /// The file starts with a UTF-8 BOM.
    pub bom: bool,
    /// The first line ends with CRLF (the file's line ending for the correction file).
    pub crlf: bool,
    /// File size when sniffed (the reader counts the bytes it hashes again).
    pub bytes: u64,
    /// UTF-8 was decided from the first [`PREFIX`] bytes only (no BOM, no `--encoding`): the
    /// reader's workers validate every record anyway, and a record that is not UTF-8 makes the
    /// run read this file again as CP932 (the contract's rule looks at the whole file).
    pub provisional: bool,
    /// A word for the clerk when the decision may surprise: e.g. a BOM-less UTF-8 file with a
    /// few broken lines is read as CP932 by the contract's rule.
    pub note: Option<String>,
}

const CHUNK: usize = 1 << 20;

/// Opens an input file for reading, refusing anything that is not a regular file (exit 2): a
/// FIFO with no writer would block the run forever while it holds the lock, a device such as
/// `/dev/zero` never ends, and a folder has no rows. Symbolic links are followed and judged by
/// what they point at. The file is opened non-blocking (Linux) and checked again once open, so
/// a FIFO swapped in after the first check cannot hang the open either.
pub fn open_input(path: &Path, display: &str) -> Result<File, Error> {
    let read_err = |source| Error::Read {
        path: display.to_string(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(read_err)?;
    not_regular(&meta.file_type(), display)?;
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true);
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32);
    }
    let file = opts.open(path).map_err(read_err)?;
    not_regular(&file.metadata().map_err(read_err)?.file_type(), display)?;
    Ok(file)
}

/// A small input read whole (a config, schema, ack or truth file) through [`open_input`].
pub fn read_input(path: &Path, display: &str) -> Result<Vec<u8>, Error> {
    let mut file = open_input(path, display)?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).map_err(|source| Error::Read {
        path: display.to_string(),
        source,
    })?;
    Ok(bytes)
}

fn not_regular(t: &std::fs::FileType, display: &str) -> Result<(), Error> {
    if t.is_file() {
        return Ok(());
    }
    let what = if t.is_dir() {
        "フォルダ"
    } else {
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileTypeExt;
            if t.is_fifo() {
                "名前付きパイプ（FIFO）"
            } else if t.is_char_device() || t.is_block_device() {
                "デバイス"
            } else if t.is_socket() {
                "ソケット"
            } else {
                "通常のファイル以外"
            }
        }
        #[cfg(not(unix))]
        {
            "通常のファイル以外"
        }
    };
    Err(Error::Unsupported {
        path: display.to_string(),
        message: format!(
            "{what}です。入力には通常のファイルを指定してください（パイプやデバイスからは読みません。一度ファイルに保存してから指定してください）"
        ),
    })
}

/// How much of a BOM-less file [`sniff`] reads before deciding UTF-8 provisionally.
pub const PREFIX: u64 = 4 << 20;

/// Decides the encoding. BOM-less files without `--encoding` are read once to see whether they
/// are valid UTF-8 throughout (the contract's rule); a BOM or `--encoding` decides from the
/// first chunk alone. The SHA-256 is computed by the [`RecordReader`](super::RecordReader)
/// as it reads, so the bytes are hashed in the same pass that splits them.
///
/// A BOM-less file is read up to [`PREFIX`] bytes: invalid UTF-8 there decides CP932 (reading
/// on only while few lines are broken, for the note); valid UTF-8 decides UTF-8 provisionally
/// ([`FileInfo::provisional`]). [`sniff_full`] reads the whole file instead.
pub fn sniff(path: &Path, display: &str, forced: Option<Encoding>) -> Result<FileInfo, Error> {
    sniff_opts(path, display, forced, false)
}

/// [`sniff`] reading the whole file: the decision is final (used when a provisional UTF-8 file
/// turned out to hold a non-UTF-8 line).
pub fn sniff_full(path: &Path, display: &str) -> Result<FileInfo, Error> {
    sniff_opts(path, display, None, true)
}

fn sniff_opts(
    path: &Path,
    display: &str,
    forced: Option<Encoding>,
    full: bool,
) -> Result<FileInfo, Error> {
    let read_err = |source| Error::Read {
        path: display.to_string(),
        source,
    };
    let mut file = open_input(path, display)?;
    let size = file.metadata().map_err(read_err)?.len();
    let mut buf = vec![0u8; CHUNK];
    // Carry the up-to-3 bytes of a UTF-8 sequence cut by a chunk boundary.
    let mut carry: Vec<u8> = Vec::with_capacity(4);
    let mut total: u64 = 0;
    let mut head: Vec<u8> = Vec::new();
    let mut utf8_ok = true;
    let mut crlf: Option<bool> = None;
    let mut prev_cr = false;
    // Lines seen with valid non-ASCII UTF-8 vs. lines with invalid bytes: for the note only.
    let mut bad_lines: u64 = 0;
    let mut line_bad = false;
    let mut utf8_lines: u64 = 0;
    let mut eof = false;
    loop {
        // SIGINT/SIGTERM: stop within a chunk (1 MiB), even on a file of many gigabytes.
        crate::cancel::check()?;
        let n = file.read(&mut buf).map_err(read_err)?;
        if n == 0 {
            eof = true;
            break;
        }
        let chunk = &buf[..n];
        if head.len() < 4 {
            head.extend_from_slice(&chunk[..chunk.len().min(4 - head.len())]);
        }
        if crlf.is_none() {
            for &b in chunk {
                if b == b'\n' {
                    crlf = Some(prev_cr);
                    break;
                }
                prev_cr = b == b'\r';
            }
        }
        if total == 0 && (chunk.starts_with(&[0xFF, 0xFE]) || chunk.starts_with(&[0xFE, 0xFF])) {
            return Err(Error::Unsupported {
                path: display.to_string(),
                message: "UTF-16 のファイルには対応していません。UTF-8 か CP932（Shift_JIS）で出力し直してください".into(),
            });
        }
        total += n as u64;
        if head.starts_with(&[0xEF, 0xBB, 0xBF]) || forced.is_some() {
            // Decided without reading further (CRLF is known once the first line is in).
            if crlf.is_some() {
                break;
            }
        } else {
            let mut data = std::mem::take(&mut carry);
            data.extend_from_slice(chunk);
            scan_utf8(
                &data,
                &mut utf8_ok,
                &mut bad_lines,
                &mut line_bad,
                &mut utf8_lines,
                &mut carry,
            );
            if !full && crlf.is_some() && (utf8_ok && total >= PREFIX || bad_lines > 3) {
                break;
            }
        }
    }
    if eof && !carry.is_empty() {
        // A file ending in the middle of a UTF-8 sequence.
        utf8_ok = false;
        if !line_bad {
            bad_lines += 1;
        }
    }
    let bom = head.starts_with(&[0xEF, 0xBB, 0xBF]);
    let provisional = !eof && forced.is_none() && !bom && utf8_ok;
    let (encoding, note) = match forced {
        Some(e) => (e, None),
        None if bom || utf8_ok => (Encoding::Utf8, None),
        None => {
            // Only when the rest of the file really is UTF-8 Japanese.
            let note = (bad_lines > 0 && bad_lines <= 3 && utf8_lines >= 3.max(2 * bad_lines)).then(|| {
                format!(
                    "UTF-8 として読めない行が {bad_lines} 行だけあるため、規則どおり CP932 として読みました。\
                     UTF-8 のファイルなら --encoding utf8 を指定してください"
                )
            });
            (Encoding::Cp932, note)
        }
    };
    Ok(FileInfo {
        path: path.to_path_buf(),
        display: display.to_string(),
        encoding,
        encoding_forced: forced.is_some(),
        bom,
        crlf: crlf.unwrap_or(false),
        bytes: size.max(total),
        provisional,
        note,
    })
}

/// Validates `data` as UTF-8, leaving an incomplete trailing sequence in `carry`. Counts
/// lines with invalid bytes (only used to explain the decision to the clerk).
fn scan_utf8(
    data: &[u8],
    ok: &mut bool,
    bad_lines: &mut u64,
    line_bad: &mut bool,
    utf8_lines: &mut u64,
    carry: &mut Vec<u8>,
) {
    // Whole lines with Japanese UTF-8 (a lead byte E3–E9: U+3000–U+9FFF, kana and kanji)
    // inside the valid parts (the segments between two line breaks of a valid stretch: the first
    // may continue a broken line, the last may run into one). CP932 text passes for UTF-8 now
    // and then (half-width kana pairs such as ﾃｽ = C3 BD read as ý), but not as whole lines of
    // kana and kanji. Only "at least 20" matters,
    // so counting stops there and the common case costs nothing.
    let count = |b: &[u8], now: u64| {
        if now >= 20 {
            return 0;
        }
        let mut lines = b.split(|x| *x == b'\n');
        lines.next();
        let mut n = 0;
        let mut prev: Option<&[u8]> = None;
        for l in lines {
            if let Some(p) = prev
                && p.iter().any(|x| (0xE3..=0xE9).contains(x))
            {
                n += 1;
                if now + n >= 20 {
                    break;
                }
            }
            prev = Some(l);
        }
        n
    };
    // Fast path: everything up to a character cut by the chunk's end is valid.
    let split = incomplete_tail(data);
    if let Ok(s) = simdutf8::basic::from_utf8(&data[..split]) {
        *utf8_lines += count(s.as_bytes(), *utf8_lines);
        if s.contains('\n') {
            *line_bad = false;
        }
        carry.extend_from_slice(&data[split..]);
        return;
    }
    let mut rest = data;
    loop {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                *utf8_lines += count(s.as_bytes(), *utf8_lines);
                if s.contains('\n') {
                    *line_bad = false;
                }
                return;
            }
            Err(e) => {
                let (good, after) = rest.split_at(e.valid_up_to());
                *utf8_lines += count(good, *utf8_lines);
                if good.contains(&b'\n') {
                    *line_bad = false;
                }
                match e.error_len() {
                    None => {
                        carry.extend_from_slice(after);
                        return;
                    }
                    Some(len) => {
                        *ok = false;
                        if !*line_bad {
                            *bad_lines += 1;
                            *line_bad = true;
                        }
                        rest = &after[len..];
                    }
                }
            }
        }
    }
}

/// Where a multi-byte character cut off by the end of `data` starts (`data.len()` if none).
fn incomplete_tail(data: &[u8]) -> usize {
    let n = data.len();
    for back in 1..=3.min(n) {
        let b = data[n - back];
        if b & 0xC0 != 0x80 {
            // A lead byte (or ASCII): how long its sequence should be.
            let want = match b {
                0xC0..=0xDF => 2,
                0xE0..=0xEF => 3,
                0xF0..=0xF7 => 4,
                _ => 1,
            };
            return if want > back { n - back } else { n };
        }
    }
    n
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Why a field could not be decoded: the offending bytes (never the whole field, which may be
/// a My Number).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// Up to 4 bytes from the first undecodable position.
    pub bytes: Vec<u8>,
    /// Byte offset of that position in the field.
    pub offset: usize,
}

impl DecodeError {
    pub fn hex(&self) -> String {
        self.bytes
            .iter()
            .map(|b| format!("0x{b:02X}"))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Decodes one field without replacement.
pub fn decode_field(bytes: &[u8], encoding: Encoding) -> Result<Cow<'_, str>, DecodeError> {
    match encoding {
        Encoding::Utf8 => std::str::from_utf8(bytes).map(Cow::Borrowed).map_err(|e| {
            let offset = e.valid_up_to();
            let len = e.error_len().unwrap_or(bytes.len() - offset).clamp(1, 4);
            DecodeError {
                bytes: bytes[offset..(offset + len).min(bytes.len())].to_vec(),
                offset,
            }
        }),
        Encoding::Sjis2004 if !bytes.is_ascii() => super::sjis2004::decode(bytes)
            .map(Cow::Owned)
            .map_err(|offset| DecodeError {
                bytes: bytes[offset..(offset + 2).min(bytes.len())].to_vec(),
                offset,
            }),
        Encoding::Cp932 | Encoding::Sjis2004 => {
            if bytes.is_ascii() {
                // ASCII is the same in CP932 (encoding_rs maps 0x5C to U+005C, as Windows does).
                return std::str::from_utf8(bytes)
                    .map(Cow::Borrowed)
                    .map_err(|_| DecodeError {
                        bytes: Vec::new(),
                        offset: 0,
                    });
            }
            encoding_rs::SHIFT_JIS
                .decode_without_bom_handling_and_without_replacement(bytes)
                .ok_or_else(|| {
                    let offset = first_bad_sjis(bytes);
                    DecodeError {
                        bytes: bytes[offset..(offset + 2).min(bytes.len())].to_vec(),
                        offset,
                    }
                })
        }
    }
}

/// Whether CP932 bytes hold a double-byte character led by 0xED or 0xEE (the NEC-selected IBM
/// extension rows) other than the few that vendor systems do write there for names (髙, 﨑,
/// 德, 濵, 瀨, 黑) and the small roman numerals and symbols of row 0xEE. Windows writes the
/// other kanji of these rows under 0xFA–0xFC, so a file using them was most likely written in
/// Shift_JIS-2004 (JIS X 0213), where the same bytes are other kanji: 0xEE55 is 蔣 there and 皜
/// in CP932, 0xEE45 萊/珉, 0xEE65 蘄/福 (Python's `shift_jis_2004` and `cp932` codecs).
pub fn has_nec_ibm_rows(bytes: &[u8]) -> bool {
    const WRITTEN_BY_VENDORS: &str = "﨑德濵瀨髙黑ⅰⅱⅲⅳⅴⅵⅶⅷⅸⅹ￢￤＇＂";
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            0xED | 0xEE if i + 1 < bytes.len() => {
                let decoded = encoding_rs::SHIFT_JIS
                    .decode_without_bom_handling_and_without_replacement(&bytes[i..i + 2]);
                if decoded.is_some_and(|c| !WRITTEN_BY_VENDORS.contains(c.as_ref())) {
                    return true;
                }
                i += 2;
            }
            0x81..=0x9F | 0xE0..=0xFC => i += 2,
            _ => i += 1,
        }
    }
    false
}

/// The warning for a CP932 roster whose lines use the NEC-selected IBM rows (see
/// [`has_nec_ibm_rows`]), naming the first lines.
pub fn jisx0213_warning(lines: &[u64]) -> Option<String> {
    const SHOWN: usize = 10;
    if lines.is_empty() {
        return None;
    }
    let mut shown: Vec<String> = lines.iter().take(SHOWN).map(u64::to_string).collect();
    if lines.len() > SHOWN {
        shown.push(format!("ほか{}行", lines.len() - SHOWN));
    }
    Some(format!(
        "{}行（{}行目）に CP932 の NEC 選定 IBM 拡張の領域（0xED・0xEE で始まる2バイト）の、名前にふつう使われない文字があります。Windows はこの領域をふつう書き出さないため、Shift_JIS-2004（JIS X 0213）で書かれたファイルの可能性があります（たとえば 蔣 が 皜 に、萊 が 珉 に読めます）。そうであれば --encoding sjis2004 を指定して読み直してください",
        lines.len(),
        shown.join("・")
    ))
}

/// Position of the first byte that makes a Shift_JIS sequence undecodable.
fn first_bad_sjis(bytes: &[u8]) -> usize {
    let mut i = 0;
    while i < bytes.len() {
        let end = (i + 2).min(bytes.len());
        // Try a single byte, then a pair.
        if encoding_rs::SHIFT_JIS
            .decode_without_bom_handling_and_without_replacement(&bytes[i..i + 1])
            .is_some()
        {
            i += 1;
        } else if end == i + 2
            && encoding_rs::SHIFT_JIS
                .decode_without_bom_handling_and_without_replacement(&bytes[i..end])
                .is_some()
        {
            i += 2;
        } else {
            return i;
        }
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sniff_bytes(bytes: &[u8]) -> FileInfo {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.csv");
        std::fs::write(&p, bytes).unwrap();
        sniff(&p, "f.csv", None).unwrap()
    }

    #[test]
    fn utf8_with_and_without_bom_cp932_otherwise() {
        let i = sniff_bytes("\u{feff}氏名\r\n山田\r\n".as_bytes());
        assert_eq!((i.encoding, i.bom, i.crlf), (Encoding::Utf8, true, true));
        let i = sniff_bytes("氏名\n山田\n".as_bytes());
        assert_eq!((i.encoding, i.bom, i.crlf), (Encoding::Utf8, false, false));
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode("氏名\r\n山田\r\n");
        let i = sniff_bytes(&sjis);
        assert_eq!((i.encoding, i.bom, i.crlf), (Encoding::Cp932, false, true));
        assert_eq!(i.note, None);
    }

    #[test]
    fn a_bom_decides_utf8_even_with_bad_lines_later() {
        let mut b = "\u{feff}氏名\n".as_bytes().to_vec();
        b.extend_from_slice(b"\x82\xa0\n");
        assert_eq!(sniff_bytes(&b).encoding, Encoding::Utf8);
    }

    #[test]
    fn utf8_split_across_chunks_is_still_utf8() {
        let mut b = vec![b'a'; CHUNK - 1];
        b.extend_from_slice("山田\n".as_bytes()); // 山 straddles the chunk boundary
        assert_eq!(sniff_bytes(&b).encoding, Encoding::Utf8);
    }

    #[test]
    fn mostly_utf8_file_read_as_cp932_gets_a_note() {
        let mut b = "氏名\n".as_bytes().to_vec();
        for _ in 0..30 {
            b.extend_from_slice("山田\n".as_bytes());
        }
        b.extend_from_slice(b"\xff\xfe broken\n");
        let i = sniff_bytes(&b[..]);
        // (starts with 氏, not with FF FE, so it is not UTF-16)
        assert_eq!(i.encoding, Encoding::Cp932);
        assert!(i.note.unwrap().contains("--encoding utf8"));
    }

    /// A genuine CP932 file whose half-width kana happen to form valid UTF-8 pairs (ﾃｽ is
    /// C3 BD, which UTF-8 reads as ý) gets no "mostly UTF-8" note: few lines are broken, but
    /// no whole line is UTF-8 Japanese either.
    #[test]
    fn cp932_file_with_kana_gets_no_mostly_utf8_note() {
        let mut text = String::from("氏名,カナ\n");
        for _ in 0..40 {
            text.push_str("TARO,ﾃｽﾃｽ\n");
        }
        text.push_str("山田,ﾔﾏﾀﾞ\n");
        let (b, _, _) = encoding_rs::SHIFT_JIS.encode(&text);
        let i = sniff_bytes(&b[..]);
        assert_eq!(i.encoding, Encoding::Cp932);
        assert_eq!(i.note, None);
        // The fixture that showed the false note.
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/match/input/kanagawa_cp932.csv");
        let i = sniff(&path, "kanagawa_cp932.csv", None).unwrap();
        assert_eq!((i.encoding, i.note), (Encoding::Cp932, None));
    }

    #[test]
    fn utf16_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.csv");
        std::fs::write(&p, b"\xff\xfe\x0f\x6c").unwrap();
        let e = sniff(&p, "f.csv", None).unwrap_err().to_string();
        assert!(e.contains("UTF-16"), "{e}");
    }

    #[test]
    fn v14_decode_errors_name_the_bytes() {
        assert_eq!(decode_field(b"abc", Encoding::Cp932).unwrap(), "abc");
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode("山田");
        assert_eq!(decode_field(&sjis, Encoding::Cp932).unwrap(), "山田");
        // A lead byte followed by an invalid trail byte.
        let e = decode_field(b"\x8e\x52\x81\x20x", Encoding::Cp932).unwrap_err();
        assert_eq!(e.offset, 2);
        assert_eq!(e.hex(), "0x81 0x20");
        let e = decode_field(b"ab\xe5\xb1", Encoding::Utf8).unwrap_err();
        assert_eq!((e.offset, e.hex()), (2, "0xE5 0xB1".to_string()));
        // CP932 user-defined area (外字) decodes to private use: that is V11, not V14.
        let s = decode_field(b"\xf0\x40", Encoding::Cp932).unwrap();
        assert_eq!(s.chars().next(), Some('\u{e000}'));
    }
}
