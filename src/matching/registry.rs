//! Streaming the resident registry against the roster's indexes.
//!
//! The registry is the large side (up to ~125 million rows): it is read once, in blocks, by the
//! same reader as the rosters; each block's rows are parsed and probed in parallel against
//! read-only indexes built from the roster, and only the rows that hit are kept. Memory
//! depends on the roster, never on the registry.

use std::collections::{HashMap, HashSet};

use crate::error::Error;
use crate::findings::mask::MAX_FIELD_BYTES;
use crate::ingest::stream::{BadLine, Probe, TextRow};
use crate::ingest::{self, Encoding, FileInfo, PackedStr, ReadStats, RecordReader};
use crate::normalize::name::name_key;
use crate::schema::{ColumnMap, Layout};

/// Registry columns in contract order (index into a registry layout's fields).
#[derive(Debug, Clone, Copy)]
pub enum RegKey {
    MyNumber = 0,
    Name = 1,
    NameKana = 2,
    BirthDate = 3,
    Sex = 4,
    Address = 5,
    Status = 6,
    ChangedOn = 7,
}

/// One registry row that some roster record needs: its values in one allocation (a million
/// hits are held at once when a national roster is matched).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegRow {
    pub line: u64,
    /// 個人番号, 氏名, 氏名カナ, 生年月日, 性別, 住所, 異動年月日.
    values: PackedStr<7>,
    /// 状態 1: 消除 (death, emigration).
    pub removed: bool,
}

impl RegRow {
    /// `values`: 個人番号, 氏名, 氏名カナ, 生年月日, 性別, 住所, 異動年月日.
    pub fn new(line: u64, values: [&str; 7], removed: bool) -> RegRow {
        RegRow {
            line,
            values: PackedStr::new(values),
            removed,
        }
    }

    fn value(&self, i: usize) -> &str {
        self.values.get(i)
    }

    pub fn number(&self) -> &str {
        self.value(0)
    }
    pub fn name(&self) -> &str {
        self.value(1)
    }
    pub fn kana(&self) -> &str {
        self.value(2)
    }
    pub fn birth(&self) -> &str {
        self.value(3)
    }
    pub fn sex(&self) -> &str {
        self.value(4)
    }
    pub fn address(&self) -> &str {
        self.value(5)
    }
    pub fn changed_on(&self) -> &str {
        self.value(6)
    }
}

/// Hashes a 12-digit 個人番号 (already uniformly spread) with one multiplication: SipHash's
/// cost showed in the profile of a 10-million-row stream, and these keys come from local
/// files, not from an attacker.
#[derive(Debug, Default, Clone, Copy)]
pub struct NumberHasher(u64);

impl std::hash::Hasher for NumberHasher {
    fn finish(&self) -> u64 {
        let m = u128::from(self.0) * 0x9E37_79B9_7F4A_7C15;
        (m >> 64) as u64 ^ m as u64
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0100_0000_01B3);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 ^= n;
    }
}

pub type NumberMap<V> = HashMap<u64, V, std::hash::BuildHasherDefault<NumberHasher>>;
pub type NumberSet = HashSet<u64, std::hash::BuildHasherDefault<NumberHasher>>;

/// A bitmap in front of the number set: each registry row asks whether its number is wanted,
/// and at a national roster (2M numbers) the hash set is 40 MB, so nearly every probe missed
/// the caches (27 % of `match`'s CPU at 125M rows, perf). The bitmap has 16 bits per number
/// (4 MB at 2M): a number not in the set passes it one time in 16 at most, and only what
/// passes is looked up in the set.
pub(crate) struct NumberFilter {
    bits: Vec<u64>,
    /// log2 of the number of bits.
    shift: u32,
}

impl NumberFilter {
    pub(crate) fn new(numbers: &NumberSet) -> NumberFilter {
        let size = (numbers.len() * 16).next_power_of_two().max(64);
        let mut f = NumberFilter {
            bits: vec![0; size / 64],
            shift: 64 - size.trailing_zeros(),
        };
        for &n in numbers {
            let b = f.bit(n);
            f.bits[b >> 6] |= 1 << (b & 63);
        }
        f
    }

    fn bit(&self, n: u64) -> usize {
        (n.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.shift) as usize
    }

    /// False when `n` is surely not in the set.
    pub(crate) fn may_contain(&self, n: u64) -> bool {
        let b = self.bit(n);
        self.bits
            .get(b >> 6)
            .is_some_and(|w| w >> (b & 63) & 1 == 1)
    }
}

/// Whether the roster wants number `n`: the bitmap first, the set only for what passes.
fn wants_number(idx: &Indexes, filter: &NumberFilter, n: u64) -> bool {
    filter.may_contain(n) && idx.by_number.contains(&n)
}

/// A set of (birth date, sex) as a bitmap over the days of 1800–2299 (37 KB, in cache), with a
/// hash set for dates outside it: the registry's rows are filtered on it before a name is
/// normalized.
#[derive(Debug, Default)]
pub struct BirthSexSet {
    bits: Vec<u64>,
    others: HashSet<(u32, u8)>,
    len: usize,
}

impl BirthSexSet {
    fn slot(birth: u32, sex: u8) -> Option<usize> {
        let (y, m, d) = (birth / 10_000, birth / 100 % 100, birth % 100);
        if !(1800..2300).contains(&y) || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
            return None;
        }
        let day = ((y - 1800) * 12 + (m - 1)) * 31 + (d - 1);
        Some(day as usize * 2 + usize::from(sex & 1))
    }

    pub fn insert(&mut self, birth: u32, sex: u8) {
        match Self::slot(birth, sex) {
            Some(i) => {
                if self.bits.is_empty() {
                    self.bits = vec![0; (500 * 12 * 31 * 2) / 64 + 1];
                }
                let (w, b) = (i / 64, 1u64 << (i % 64));
                if self.bits[w] & b == 0 {
                    self.bits[w] |= b;
                    self.len += 1;
                }
            }
            None => {
                if self.others.insert((birth, sex)) {
                    self.len += 1;
                }
            }
        }
    }

    pub fn contains(&self, birth: u32, sex: u8) -> bool {
        match Self::slot(birth, sex) {
            Some(i) => self
                .bits
                .get(i / 64)
                .is_some_and(|w| w & (1 << (i % 64)) != 0),
            None => self.others.contains(&(birth, sex)),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// Key of the no-number search: normalized name + birth date + sex.
pub type SearchKey = (String, u32, u8);

/// What the roster asks of the registry.
#[derive(Default)]
pub struct Indexes {
    /// Usable 個人番号 on the roster.
    pub by_number: NumberSet,
    /// (normalized name, birth, sex) → roster records without a usable number.
    pub by_person: HashMap<SearchKey, Vec<u32>>,
    /// (birth, sex) of those records: a cheap filter before a registry name is normalized.
    pub birth_sex: BirthSexSet,
}

impl Indexes {
    /// Asks for the registry rows of record `i`'s person (normalized name, birth date, sex);
    /// false when the record lacks one of them.
    pub fn add_person(&mut self, i: u32, name: &str, birth: &str, sex: &str) -> bool {
        let (Some(name), Some(birth), Some(sex)) =
            (name_key(name), parse_birth(birth), parse_sex(sex))
        else {
            return false;
        };
        self.birth_sex.insert(birth, sex);
        self.by_person
            .entry((name, birth, sex))
            .or_default()
            .push(i);
        true
    }
}

/// What one registry row gave: the roster carries its number, or asks for its person, or
/// both (a resident whose number is on one roster line is still a candidate for another line
/// without a usable number).
pub(crate) struct Found {
    number: Option<u64>,
    person: Option<SearchKey>,
    row: RegRow,
}

/// Everything the stream found.
#[derive(Default)]
pub struct Hits {
    /// Per 個人番号: the first registry row with it, and how many rows carried it.
    pub by_number: NumberMap<(RegRow, u32)>,
    /// Per search key: the resident (状態 0) rows found, in registry order.
    pub by_person: HashMap<SearchKey, Vec<RegRow>>,
    pub bad_lines: Vec<BadLine>,
    /// Registry rows held at the peak (proof that the stream keeps only hits).
    pub rows_held: usize,
}

impl Hits {
    /// Keeps one row that some roster record asked for.
    pub(crate) fn add(&mut self, found: Found) {
        let Found {
            number,
            person,
            row,
        } = found;
        match (number, person) {
            (Some(n), Some(key)) => {
                self.by_person.entry(key).or_default().push(row.clone());
                self.by_number.entry(n).or_insert((row, 0)).1 += 1;
            }
            (Some(n), None) => self.by_number.entry(n).or_insert((row, 0)).1 += 1,
            (None, Some(key)) => self.by_person.entry(key).or_default().push(row),
            (None, None) => {}
        }
    }

    /// Counts the rows held (after the stream).
    pub(crate) fn count_held(&mut self) {
        self.rows_held =
            self.by_number.len() + self.by_person.values().map(Vec::len).sum::<usize>();
    }
}

/// 12 ASCII digits → the number.
pub fn parse_number(s: &str) -> Option<u64> {
    digits(s.as_bytes(), 12)
}

/// `YYYYMMDD` → a comparable number (validity is checked by the caller where it matters).
pub fn parse_birth(s: &str) -> Option<u32> {
    digits(s.as_bytes(), 8).map(|n| n as u32)
}

pub fn parse_sex(s: &str) -> Option<u8> {
    match s {
        "1" => Some(1),
        "2" => Some(2),
        _ => None,
    }
}

/// A row of a chunk to decode and probe whatever its number ([`row_key`]).
const DECODE: u64 = u64::MAX;
/// A row without a number of 12 digits.
const NO_NUMBER: u64 = u64::MAX - 1;

/// Probes up to [`ingest::stream::CHUNK`] rows. Nearly every registry row is a miss for one
/// office: a well-formed row of a valid UTF-8 block is first read as bytes (its number, and its
/// 生年月日, 性別 and 状態 for the number-less records); then every number of the chunk is
/// looked up in the bitmap in one loop, so that the cache misses of a national roster's
/// bitmap overlap instead of stalling row by row; only the rows that may hit are decoded and
/// probed as [`probe_values`] does. Same answers as probing every row decoded.
fn probe_chunk(
    block: &ingest::Block,
    spans: &[ingest::Span],
    scratch: &mut ingest::FieldScratch,
    valid_utf8: bool,
    (enc, columns): (Encoding, &ColumnMap),
    (idx, filter): (&Indexes, &NumberFilter),
    out: &mut Vec<Probe<Found>>,
) {
    let fast = valid_utf8 && enc == Encoding::Utf8;
    let keys: Vec<u64> = spans
        .iter()
        .map(|span| {
            let fields = block.fields(span, scratch);
            let well_formed = fields.cut == 0
                && fields.len() == columns.width
                && fields.bytes().len() <= MAX_FIELD_BYTES;
            match fast && well_formed {
                true => row_key(&fields, columns, idx),
                false => DECODE,
            }
        })
        .collect();
    let may: Vec<bool> = keys
        .iter()
        .map(|&k| k == DECODE || (k != NO_NUMBER && filter.may_contain(k)))
        .collect();
    for (span, may) in spans.iter().zip(may) {
        if may {
            match probe(block.fields(span, scratch), enc, columns, (idx, filter)) {
                Probe::Miss => {}
                p => out.push(p),
            }
        }
    }
}

/// One row decoded and probed.
fn probe(
    fields: ingest::Fields<'_>,
    enc: Encoding,
    columns: &ColumnMap,
    (idx, filter): (&Indexes, &NumberFilter),
) -> Probe<Found> {
    let row = match TextRow::decode(fields, enc, columns.width) {
        Ok(r) => r,
        Err(bad) => return Probe::Bad(bad),
    };
    probe_values(
        row.line(),
        |k: RegKey| row.get(columns.columns.get(k as usize).copied().flatten()),
        idx,
        filter,
    )
}

/// A well-formed UTF-8 row read as bytes: [`DECODE`] when, as a resident's row, its birth date
/// and sex are those of a record without a usable number; else its number ([`NO_NUMBER`]
/// without 12 digits). A number the bitmap rejects means [`probe_values`] would say Miss.
fn row_key(fields: &ingest::Fields<'_>, columns: &ColumnMap, idx: &Indexes) -> u64 {
    let get = |k: RegKey| {
        columns
            .columns
            .get(k as usize)
            .copied()
            .flatten()
            .and_then(|c| fields.get(c))
            .map_or(&b""[..], trim_spaces)
    };
    if !idx.birth_sex.is_empty() && get(RegKey::Status) != b"1" {
        let sex = match get(RegKey::Sex) {
            b"1" => Some(1),
            b"2" => Some(2),
            _ => None,
        };
        if let (Some(sex), Some(birth)) = (sex, digits(get(RegKey::BirthDate), 8))
            && idx.birth_sex.contains(birth as u32, sex)
        {
            return DECODE;
        }
    }
    digits(get(RegKey::MyNumber), 12).unwrap_or(NO_NUMBER)
}

/// A UTF-8 value's bytes without the half- and full-width spaces around it (as
/// [`TextRow::get`] trims them).
fn trim_spaces(mut b: &[u8]) -> &[u8] {
    const IDEOGRAPHIC_SPACE: &[u8] = "\u{3000}".as_bytes();
    loop {
        if let Some(rest) = b.strip_prefix(b" ") {
            b = rest;
        } else if let Some(rest) = b.strip_prefix(IDEOGRAPHIC_SPACE) {
            b = rest;
        } else if let Some(rest) = b.strip_suffix(b" ") {
            b = rest;
        } else if let Some(rest) = b.strip_suffix(IDEOGRAPHIC_SPACE) {
            b = rest;
        } else {
            return b;
        }
    }
}

/// Exactly `len` ASCII digits → their value.
fn digits(b: &[u8], len: usize) -> Option<u64> {
    if b.len() != len {
        return None;
    }
    b.iter().try_fold(0u64, |n, &d| {
        d.is_ascii_digit().then(|| n * 10 + u64::from(d - b'0'))
    })
}

/// Probes one registry row given as its values (trimmed like [`TextRow::get`]; "" for a column
/// the file does not have): the CSV reader and the Parquet reader share it, so both keep the
/// same rows.
pub(crate) fn probe_values<'a>(
    line: u64,
    get: impl Fn(RegKey) -> &'a str,
    idx: &Indexes,
    filter: &NumberFilter,
) -> Probe<Found> {
    let number = parse_number(get(RegKey::MyNumber)).filter(|&n| wants_number(idx, filter, n));
    let person = person_key(&get, idx);
    if number.is_none() && person.is_none() {
        return Probe::Miss;
    }
    Probe::Hit(Found {
        number,
        person,
        row: RegRow::new(
            line,
            [
                get(RegKey::MyNumber),
                get(RegKey::Name),
                get(RegKey::NameKana),
                get(RegKey::BirthDate),
                get(RegKey::Sex),
                get(RegKey::Address),
                get(RegKey::ChangedOn),
            ],
            get(RegKey::Status) == "1",
        ),
    })
}

/// The search key of a resident's row (状態 0) when the roster asks for that person.
fn person_key<'a>(get: &impl Fn(RegKey) -> &'a str, idx: &Indexes) -> Option<SearchKey> {
    if idx.birth_sex.is_empty() || get(RegKey::Status) == "1" {
        return None;
    }
    let birth = parse_birth(get(RegKey::BirthDate))?;
    let sex = parse_sex(get(RegKey::Sex))?;
    if !idx.birth_sex.contains(birth, sex) {
        return None;
    }
    let key = (name_key(get(RegKey::Name))?, birth, sex);
    idx.by_person.contains_key(&key).then_some(key)
}

/// What one pass over the registry gave.
pub type Streamed = (Hits, ReadStats, u64, ColumnMap);

/// A Parquet registry: the rows come from [`crate::columnar`] a row group at a time and go
/// through the same probe as a CSV row.
fn stream_parquet(info: &FileInfo, layout: &Layout, idx: &Indexes) -> Result<Streamed, Error> {
    let filter = NumberFilter::new(&idx.by_number);
    let mut hits = Hits::default();
    hits.by_number.reserve(idx.by_number.len());
    let mut bad = Vec::new();
    let read = crate::columnar::read::stream_rows(
        info,
        layout,
        |line, get| probe_values(line, |k: RegKey| get(k as usize), idx, &filter),
        |p| match p {
            Probe::Hit(h) => hits.add(h),
            Probe::Bad(b) => bad.push(b),
            Probe::Miss => {}
        },
    )?;
    hits.bad_lines = read.recorded_bad_lines;
    hits.bad_lines.append(&mut bad);
    hits.bad_lines.sort_by_key(|b| b.line);
    hits.count_held();
    Ok((hits, read.stats, 1, read.columns))
}

/// Reads the registry once and returns the rows the indexes asked for. `None` when the file was
/// taken for UTF-8 from its first bytes ([`FileInfo::provisional`]) and a later line is not:
/// the caller decides on the whole file and streams it again.
///
/// A Parquet file (magic bytes `PAR1`, see [`crate::columnar`]) is read by row groups instead.
pub fn stream(info: &FileInfo, layout: &Layout, idx: &Indexes) -> Result<Option<Streamed>, Error> {
    stream_pass(info, layout, idx, true)
}

/// [`stream`]; `first`: false for a second pass in the same run, which skips the SHA-256 the
/// first pass took (the second pass's stats carry no hash).
fn stream_pass(
    info: &FileInfo,
    layout: &Layout,
    idx: &Indexes,
    first: bool,
) -> Result<Option<Streamed>, Error> {
    if crate::columnar::is_parquet(&info.path, &info.display)? {
        return stream_parquet(info, layout, idx).map(Some);
    }
    let reader = match first {
        true => RecordReader::open(info)?,
        false => RecordReader::open(info)?.unhashed(),
    };
    let columns = layout.resolve(&info.display, &reader.header)?;
    let header_line = reader.header_line;
    let mut hits = Hits::default();
    hits.by_number.reserve(idx.by_number.len());
    let enc = info.encoding;
    let filter = NumberFilter::new(&idx.by_number);
    let streamed = ingest::stream::stream_chunks(
        reader,
        info.provisional,
        |block, spans, scratch, valid_utf8, out| {
            probe_chunk(
                block,
                spans,
                scratch,
                valid_utf8,
                (enc, &columns),
                (idx, &filter),
                out,
            )
        },
        |found| hits.add(found),
    )?;
    let Some((stats, bad)) = streamed else {
        return Ok(None);
    };
    hits.bad_lines = bad;
    hits.count_held();
    Ok(Some((hits, stats, header_line, columns)))
}

/// Reads the registry once more for the persons `idx.by_person` asks for (the number index
/// empty): `check` uses it to find under which number a record's own person is registered.
pub fn find_persons(
    info: &FileInfo,
    layout: &Layout,
    idx: &Indexes,
) -> Result<HashMap<SearchKey, Vec<RegRow>>, Error> {
    match stream_pass(info, layout, idx, false)? {
        Some((hits, ..)) => Ok(hits.by_person),
        None => {
            let full = ingest::sniff_full(&info.path, &info.display)?;
            Ok(stream_pass(&full, layout, idx, false)?
                .map(|(hits, ..)| hits.by_person)
                .unwrap_or_default())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bytes-only miss test settles exactly the rows the decoded probe calls misses: the
    /// same hits and bad lines with and without it, on rows that put spaces (half- and
    /// full-width) around numbers, quote fields, carry 状態 1, odd sexes, short numbers, a wrong
    /// column count and an over-long field.
    #[test]
    fn the_bytes_only_miss_test_keeps_every_hit_the_decoded_probe_keeps() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("registry.csv");
        let long = "あ".repeat(1500);
        let rows = [
            "400000079195,山田　太郎,ヤマダ　タロウ,19450312,1,東京都千代田区,0,20200101"
                .to_string(),
            " 400000158389　,髙橋　一郎,タカハシ,19500101,1,東京都,0,20200101".into(),
            "\"400000000011\",\"佐藤, 花子\",サトウ,19601224,2,\"東京都\",0,20200101".into(),
            "400000000029,鈴木　次郎,スズキ,19601224,2,東京都,1,20200101".into(),
            "400000000037,田中　三郎,タナカ,19601224,3,東京都,0,20200101".into(),
            "40000000004,伊藤　四郎,イトウ,19601224,2,東京都,0,20200101".into(),
            "400000000052,渡辺　五郎,ワタナベ,　19601224,　2,東京都,0,20200101".into(),
            "400000000060,中村　六郎,ナカムラ,19601224,2,東京都,0".into(),
            format!("400000000078,小林　七郎,コバヤシ,19601224,2,{long},0,20200101"),
            "400000000086,加藤　八郎,カトウ,19700101,1,東京都,0,20200101".into(),
        ];
        let mut text = "個人番号,氏名,氏名カナ,生年月日,性別,住所,状態,異動年月日\n".to_string();
        for r in &rows {
            text.push_str(r);
            text.push('\n');
        }
        std::fs::write(&path, text).unwrap();
        let mut idx = Indexes::default();
        idx.by_number.insert(400_000_158_389);
        idx.by_number.insert(400_000_000_011);
        idx.add_person(0, "渡辺　五郎", "19601224", "2");
        idx.add_person(1, "鈴木　次郎", "19601224", "2");
        let info = ingest::sniff(&path, "registry.csv", None).unwrap();
        let layout = Layout::builtin(crate::schema::LayoutKind::Registry);
        let filter = NumberFilter::new(&idx.by_number);
        let run = |fast: bool| {
            let reader = RecordReader::open(&info).unwrap();
            let columns = layout.resolve("registry.csv", &reader.header).unwrap();
            let mut lines = Vec::new();
            let enc = info.encoding;
            let (_, bad) = if fast {
                ingest::stream::stream_chunks(
                    reader,
                    false,
                    |block, spans, scratch, valid, out| {
                        probe_chunk(
                            block,
                            spans,
                            scratch,
                            valid,
                            (enc, &columns),
                            (&idx, &filter),
                            out,
                        )
                    },
                    |found: Found| lines.push(found.row.line),
                )
            } else {
                ingest::stream::stream(
                    reader,
                    false,
                    |f, _| probe(f, enc, &columns, (&idx, &filter)),
                    |found: Found| lines.push(found.row.line),
                )
            }
            .unwrap()
            .unwrap();
            lines.sort_unstable();
            let bad: Vec<u64> = bad.iter().map(|b| b.line).collect();
            (lines, bad)
        };
        let (fast, slow) = (run(true), run(false));
        assert_eq!(fast, slow);
        // The two wanted numbers (one in spaces, one quoted) and the number-less person.
        assert_eq!(fast.0, vec![3, 4, 8]);
        // The short row and the over-long field.
        assert_eq!(fast.1, vec![9, 10]);
    }

    /// Every number in the set passes the bitmap (no false "not wanted"), and of 100,000
    /// numbers not in it about one in 16 passes (the set then says no).
    #[test]
    fn the_number_bitmap_never_drops_a_wanted_number() {
        let mut set = NumberSet::default();
        for i in 0..50_000u64 {
            set.insert(400_000_000_000 + i * 7_919);
        }
        let f = NumberFilter::new(&set);
        assert!(set.iter().all(|&n| f.may_contain(n)));
        let passed = (0..100_000u64)
            .map(|i| 500_000_000_000 + i * 104_729)
            .filter(|&n| f.may_contain(n))
            .count();
        assert!(passed < 100_000 / 10, "{passed} of 100000 passed");
        assert!(!NumberFilter::new(&NumberSet::default()).may_contain(400_000_079_195));
    }

    #[test]
    fn digits_and_trimming_read_bytes_as_the_decoded_probe_reads_text() {
        assert_eq!(digits(b"400000079195", 12), Some(400_000_079_195));
        assert_eq!(digits(b"40000007919", 12), None);
        assert_eq!(digits(b"4000000791x5", 12), None);
        assert_eq!(digits("４00000079195".as_bytes(), 12), None);
        assert_eq!(trim_spaces(" 　 19601224　 ".as_bytes()), b"19601224");
        assert_eq!(trim_spaces("　".as_bytes()), b"");
        assert_eq!(parse_number(" 400000079195"), None);
        assert_eq!(parse_birth("19601224"), Some(19_601_224));
    }

    #[test]
    fn birth_sex_set_holds_exactly_what_was_inserted() {
        let mut s = BirthSexSet::default();
        assert!(s.is_empty());
        s.insert(19450312, 1);
        s.insert(17000101, 2); // outside the bitmap's years
        s.insert(19450312, 1);
        assert!(!s.is_empty());
        assert!(s.contains(19450312, 1));
        assert!(!s.contains(19450312, 2), "sex is part of the key");
        assert!(!s.contains(19450313, 1));
        assert!(!s.contains(19440312, 1));
        assert!(s.contains(17000101, 2));
        assert!(!s.contains(17000101, 1));
        // Dates that are not dates never collide with real ones.
        assert!(!s.contains(19451312, 1));
        assert!(!s.contains(19450300, 1));
        assert!(!s.contains(22991231, 1));
        s.insert(22991231, 2);
        assert!(s.contains(22991231, 2));
    }

    #[test]
    fn number_hasher_spreads_sequential_numbers() {
        use std::hash::BuildHasher;
        let b = std::hash::BuildHasherDefault::<NumberHasher>::default();
        let buckets: std::collections::HashSet<u64> =
            (0..4096u64).map(|n| b.hash_one(n) >> 52).collect();
        // 4096 sequential keys over 4096 top-bit buckets: a good spread fills most of them.
        assert!(buckets.len() > 2400, "{}", buckets.len());
    }
}
