//! Streaming the resident registry against the roster's indexes.
//!
//! The registry is the large side (up to ~125 million rows): it is read once, in blocks, by the
//! same reader as the rosters; each block's rows are parsed and probed in parallel against
//! read-only indexes built from the roster, and only the rows that hit are kept. Memory
//! depends on the roster, never on the registry.

use std::collections::{HashMap, HashSet};
use std::sync::mpsc;

use rayon::prelude::*;

use crate::error::Error;
use crate::ingest::{self, Block, Encoding, FieldScratch, FileInfo, ReadStats, RecordReader};
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

/// One registry row that some roster record needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegRow {
    pub line: u64,
    pub number: String,
    pub name: String,
    pub kana: String,
    pub birth: String,
    pub sex: String,
    pub address: String,
    /// 状態 1: 消除 (death, emigration).
    pub removed: bool,
    pub changed_on: String,
}

/// Key of the no-number search: normalized name + birth date + sex.
pub type SearchKey = (String, u32, u8);

/// What the roster asks of the registry.
#[derive(Default)]
pub struct Indexes {
    /// Usable 個人番号 → roster records carrying it.
    pub by_number: HashMap<u64, Vec<u32>>,
    /// (normalized name, birth, sex) → roster records without a usable number.
    pub by_person: HashMap<SearchKey, Vec<u32>>,
    /// (birth, sex) of those records: a cheap filter before a registry name is normalized.
    pub birth_sex: HashSet<(u32, u8)>,
}

/// A registry line that could not be read (V14/V16 in findings.csv with the registry's name).
pub struct BadLine {
    pub line: u64,
    pub code: crate::findings::Code,
    pub message: String,
}

/// What one registry row gave.
enum Probe {
    Miss,
    Number(u64, RegRow),
    Person(SearchKey, RegRow),
    Bad(BadLine),
}

/// Everything the stream found.
#[derive(Default)]
pub struct Hits {
    /// Per 個人番号: the first registry row with it, and how many rows carried it.
    pub by_number: HashMap<u64, (RegRow, u32)>,
    /// Per search key: the resident (状態 0) rows found, in registry order.
    pub by_person: HashMap<SearchKey, Vec<RegRow>>,
    pub bad_lines: Vec<BadLine>,
    /// Registry rows held at the peak (proof that the stream keeps only hits).
    pub rows_held: usize,
}

/// 12 ASCII digits → the number.
pub fn parse_number(s: &str) -> Option<u64> {
    (s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// `YYYYMMDD` → a comparable number (validity is checked by the caller where it matters).
pub fn parse_birth(s: &str) -> Option<u32> {
    (s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

pub fn parse_sex(s: &str) -> Option<u8> {
    match s {
        "1" => Some(1),
        "2" => Some(2),
        _ => None,
    }
}

fn probe(fields: ingest::Fields<'_>, enc: Encoding, columns: &ColumnMap, idx: &Indexes) -> Probe {
    if fields.len() != columns.width {
        return Probe::Bad(BadLine {
            line: fields.line,
            code: crate::findings::Code::V16,
            message: format!(
                "列の数が{}です。見出しは{}列です",
                fields.len(),
                columns.width
            ),
        });
    }
    let whole = match enc {
        Encoding::Utf8 => simdutf8::basic::from_utf8(fields.bytes()).ok(),
        Encoding::Cp932 => None,
    };
    let mut decoded: Vec<std::borrow::Cow<str>> = Vec::new();
    if whole.is_none() {
        for (i, b) in fields.iter().enumerate() {
            match ingest::decode_field(b, enc) {
                Ok(s) => decoded.push(s),
                Err(e) => {
                    return Probe::Bad(BadLine {
                        line: fields.line,
                        code: crate::findings::Code::V14,
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
    let get = |k: RegKey| -> &str {
        let Some(c) = columns.columns.get(k as usize).copied().flatten() else {
            return "";
        };
        let v = match whole {
            Some(w) => fields.range(c).and_then(|r| w.get(r)).unwrap_or(""),
            None => decoded.get(c).map_or("", |v| v.as_ref()),
        };
        v.trim_matches([' ', '\u{3000}'])
    };
    let row = || RegRow {
        line: fields.line,
        number: get(RegKey::MyNumber).to_string(),
        name: get(RegKey::Name).to_string(),
        kana: get(RegKey::NameKana).to_string(),
        birth: get(RegKey::BirthDate).to_string(),
        sex: get(RegKey::Sex).to_string(),
        address: get(RegKey::Address).to_string(),
        removed: get(RegKey::Status) == "1",
        changed_on: get(RegKey::ChangedOn).to_string(),
    };
    if let Some(n) = parse_number(get(RegKey::MyNumber))
        && idx.by_number.contains_key(&n)
    {
        return Probe::Number(n, row());
    }
    if idx.birth_sex.is_empty() || get(RegKey::Status) == "1" {
        return Probe::Miss;
    }
    let (Some(birth), Some(sex)) = (
        parse_birth(get(RegKey::BirthDate)),
        parse_sex(get(RegKey::Sex)),
    ) else {
        return Probe::Miss;
    };
    if !idx.birth_sex.contains(&(birth, sex)) {
        return Probe::Miss;
    }
    let Some(name) = name_key(get(RegKey::Name)) else {
        return Probe::Miss;
    };
    let key = (name, birth, sex);
    if idx.by_person.contains_key(&key) {
        return Probe::Person(key, row());
    }
    Probe::Miss
}

/// Reads the registry once and returns the rows the indexes asked for.
pub fn stream(
    info: &FileInfo,
    layout: &Layout,
    idx: &Indexes,
) -> Result<(Hits, ReadStats, u64, ColumnMap), Error> {
    let reader = RecordReader::open(info)?;
    let columns = layout.resolve(&info.display, &reader.header)?;
    let header_line = reader.header_line;
    let (tx, rx) = mpsc::sync_channel::<Result<Block, Error>>(2);
    let (back_tx, back_rx) = mpsc::channel::<Block>();
    let mut hits = Hits::default();
    let columns_ref = &columns;
    let stats = std::thread::scope(|s| -> Result<ReadStats, Error> {
        let producer = s.spawn(move || reader.produce(tx, back_rx));
        let mut failed = None;
        let mut found: Vec<Probe> = Vec::new();
        for block in rx.iter() {
            let block = match block {
                Ok(b) => b,
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            };
            // Only hits are collected: a block of misses allocates nothing.
            found.clear();
            found.par_extend(
                block
                    .spans
                    .par_iter()
                    .with_min_len(512)
                    .map_init(FieldScratch::default, |scratch, span| {
                        probe(block.fields(span, scratch), info.encoding, columns_ref, idx)
                    })
                    .filter(|p| !matches!(p, Probe::Miss)),
            );
            for p in found.drain(..) {
                match p {
                    Probe::Number(n, row) => {
                        let e = hits.by_number.entry(n).or_insert((row, 0));
                        e.1 += 1;
                    }
                    Probe::Person(key, row) => hits.by_person.entry(key).or_default().push(row),
                    Probe::Bad(b) => hits.bad_lines.push(b),
                    Probe::Miss => {}
                }
            }
            let _ = back_tx.send(block);
        }
        drop(rx);
        let stats = producer
            .join()
            .map_err(|_| Error::Internal("住基の読み込みスレッドが異常終了しました".into()))?;
        match failed {
            Some(e) => Err(e),
            None => stats,
        }
    })?;
    hits.rows_held = hits.by_number.len() + hits.by_person.values().map(Vec::len).sum::<usize>();
    Ok((hits, stats, header_line, columns))
}
