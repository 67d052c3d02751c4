//! Other-insurance files (他制度資格ファイル) against the roster's coverage (D02, D03).
//!
//! A file may hold tens of millions of rows (every 国保, 後期高齢者医療 and 被用者保険 member of
//! a prefecture): it is streamed like the registry ([`crate::ingest::stream`]), and a row is
//! kept only when it belongs to a roster person and its period overlaps that person's welfare
//! coverage. A row links to roster records
//! * by its 個人番号, when usable: the records carrying that number with the same birth date and
//!   sex, except records whose number the registry gives to someone else (M20, M31, L03, L04),
//!   and records without a number whose single registry candidate (M40) has it and lives at
//!   the record's address;
//! * without a usable number, by normalized 氏名 + 氏名カナ + 生年月日 + 性別 (the file has no
//!   address). A row with a number never links by name: a namesake's row would otherwise land
//!   on an unnumbered record (M41: several residents share that name and birthday);
//!
//! and then to every record of the same person (another office's record of someone who moved).

use std::sync::atomic::{AtomicBool, Ordering};

use super::{Checker, Period};
use crate::error::Error;
use crate::findings::{Code, Source};
use crate::ingest::stream::{BadLine, Probe, TextRow};
use crate::ingest::{self, FileInfo, ReadStats, RecordReader};
use crate::matching::registry::{BirthSexSet, NumberMap, parse_birth, parse_number, parse_sex};
use crate::normalize::name::{kana_key, name_key};
use crate::rules::check_digit::my_number_is_valid;
use crate::schema::{ColumnMap, Layout};
use rayon::prelude::*;
use xxhash_rust::xxh3::Xxh3Default;

/// Insurance columns in contract order.
#[derive(Debug, Clone, Copy)]
enum InsKey {
    InsurerNo = 0,
    System = 1,
    MyNumber = 2,
    Name = 3,
    NameKana = 4,
    BirthDate = 5,
    Sex = 6,
    AcquiredOn = 7,
    LostOn = 8,
}

/// An insurance row overlapping a roster record's welfare coverage.
#[derive(Debug, Clone)]
pub struct Coverage {
    /// The roster record.
    pub rec: u32,
    /// The insurance row.
    pub source: Source,
    /// 制度区分 1–4.
    pub system: u8,
    pub insurer_no: String,
    pub period: Period,
    /// The roster record's 資格取得日.
    pub rec_from: u32,
}

/// What the insurance files gave.
#[derive(Default)]
pub struct InsuranceScan {
    pub coverages: Vec<Coverage>,
    /// Whether any file holds 被用者保険 (04) rows at all: only then can a 社会保険状況 `1`
    /// without one be called wrong.
    pub has_employee_rows: bool,
    /// Lines that could not be read, per file index.
    pub bad_lines: Vec<(u32, BadLine)>,
    /// Rows without a usable 制度区分, birth date or sex, and rows of roster persons without a
    /// usable period: they cannot be compared.
    pub not_comparable: u64,
}

/// One insurance file as read, for the summary.
pub struct InsuranceInput {
    pub info: FileInfo,
    pub stats: ReadStats,
    pub header_line: u64,
    pub columns: ColumnMap,
    pub unreadable: u64,
}

/// Record indexes grouped by a 64-bit key: one sorted vector and, per distinct key, where its
/// run starts and how long it is (no vector per key: two million of them cost seconds).
#[derive(Default)]
struct Grouped {
    recs: Vec<u32>,
    runs: NumberMap<(u32, u32)>,
}

impl Grouped {
    fn build(mut keyed: Vec<(u64, u32)>) -> Grouped {
        keyed.par_sort_unstable();
        let mut runs = NumberMap::default();
        runs.reserve(keyed.len());
        let mut start = 0;
        while start < keyed.len() {
            let key = keyed[start].0;
            let len = keyed[start..].iter().take_while(|k| k.0 == key).count();
            runs.insert(key, (start as u32, len as u32));
            start += len;
        }
        Grouped {
            recs: keyed.into_iter().map(|(_, r)| r).collect(),
            runs,
        }
    }

    fn get(&self, key: u64) -> &[u32] {
        self.runs
            .get(&key)
            .and_then(|&(s, n)| self.recs.get(s as usize..(s + n) as usize))
            .unwrap_or(&[])
    }
}

/// Hash of a person key (normalized name, カナ, birth date, sex); candidates are compared field
/// by field, so a collision links nobody.
fn person_hash(name: &str, kana: &str, birth: u32, sex: u8) -> u64 {
    let mut h = Xxh3Default::new();
    h.update(name.as_bytes());
    h.update(&[0xff]);
    h.update(kana.as_bytes());
    h.update(&[0xff]);
    h.update(&birth.to_le_bytes());
    h.update(&[sex]);
    h.digest()
}

/// Roster records by what an insurance row can link on.
struct Index {
    by_number: Grouped,
    by_person: Grouped,
    /// (birth, sex) of every record in `by_person`: a row without a usable number is looked up
    /// by name only when it passes.
    birth_sex: BirthSexSet,
}

fn index(checker: &Checker<'_>) -> Index {
    let verdicts = checker.input.verdicts;
    let numbers: Vec<(u64, u32)> = checker
        .persons
        .par_iter()
        .enumerate()
        .filter_map(|(i, p)| {
            let p = p.as_ref()?;
            p.birth?;
            p.sex?;
            let n = match p.number {
                Some(n) => {
                    let wrong = checker.wrong_number.contains(&(i as u32))
                        || verdicts
                            .is_some_and(|v| matches!(v[i].code, Some(Code::M20 | Code::M31)));
                    (!wrong).then_some(n)?
                }
                None => {
                    // The single candidate of a number-less record: M40 means one resident
                    // equal on all four fields, the address included. Leads (residents
                    // elsewhere, M42) are never the person's number.
                    let v = verdicts.map(|v| &v[i])?;
                    if v.code != Some(Code::M40) {
                        return None;
                    }
                    v.candidates.first().and_then(|c| parse_number(c))?
                }
            };
            Some((n, i as u32))
        })
        .collect();
    let persons: Vec<(u64, u32)> = checker
        .persons
        .par_iter()
        .enumerate()
        .filter_map(|(i, p)| {
            let p = p.as_ref()?;
            let key = person_hash(p.name.as_ref()?, p.kana.as_ref()?, p.birth?, p.sex?);
            Some((key, i as u32))
        })
        .collect();
    let mut birth_sex = BirthSexSet::default();
    for &(_, i) in &persons {
        if let Some(p) = checker.persons[i as usize].as_ref()
            && let (Some(b), Some(s)) = (p.birth, p.sex)
        {
            birth_sex.insert(b, s);
        }
    }
    Index {
        by_number: Grouped::build(numbers),
        by_person: Grouped::build(persons),
        birth_sex,
    }
}

fn probe(
    fields: ingest::Fields<'_>,
    enc: ingest::Encoding,
    columns: &ColumnMap,
    file: u32,
    idx: &Index,
    checker: &Checker<'_>,
    employee_seen: &AtomicBool,
) -> Probe<Result<Vec<Coverage>, ()>> {
    let row = match TextRow::decode(fields, enc, columns.width) {
        Ok(r) => r,
        Err(bad) => return Probe::Bad(bad),
    };
    let get = |k: InsKey| row.get(columns.columns.get(k as usize).copied().flatten());
    let system = match get(InsKey::System) {
        "01" | "1" => 1u8,
        "02" | "2" => 2,
        "03" | "3" => 3,
        "04" | "4" => 4,
        _ => return Probe::Hit(Err(())),
    };
    if system == 4 && !employee_seen.load(Ordering::Relaxed) {
        employee_seen.store(true, Ordering::Relaxed);
    }
    let (Some(birth), Some(sex)) = (
        parse_birth(get(InsKey::BirthDate)),
        parse_sex(get(InsKey::Sex)),
    ) else {
        return Probe::Hit(Err(()));
    };
    let number = Some(get(InsKey::MyNumber))
        .filter(|n| my_number_is_valid(n))
        .and_then(parse_number);
    let person = |i: &u32| checker.persons[*i as usize].as_ref();
    let mut linked: Vec<u32> = Vec::new();
    if let Some(n) = number
        && let recs = idx.by_number.get(n)
        && !recs.is_empty()
    {
        linked.extend(
            recs.iter().filter(|i| {
                person(i).is_some_and(|p| p.birth == Some(birth) && p.sex == Some(sex))
            }),
        );
    }
    if number.is_none()
        && idx.birth_sex.contains(birth, sex)
        && let (Some(name), Some(kana)) =
            (name_key(get(InsKey::Name)), kana_key(get(InsKey::NameKana)))
    {
        let recs = idx.by_person.get(person_hash(&name, &kana, birth, sex));
        linked.extend(recs.iter().filter(|i| {
            person(i).is_some_and(|p| {
                p.name.as_deref() == Some(name.as_str())
                    && p.kana.as_deref() == Some(kana.as_str())
                    && p.birth == Some(birth)
                    && p.sex == Some(sex)
            })
        }));
    }
    if linked.is_empty() {
        return Probe::Miss;
    }
    // Only rows of roster persons need their period.
    let Some(period) = Period::parse(get(InsKey::AcquiredOn), get(InsKey::LostOn)) else {
        return Probe::Hit(Err(()));
    };
    let mut recs: Vec<u32> = linked
        .iter()
        .flat_map(|&i| checker.members_of(i).iter().copied())
        .collect();
    recs.sort_unstable();
    recs.dedup();
    let found: Vec<Coverage> = recs
        .into_iter()
        .filter_map(|i| {
            let p = person(&i)?.period?;
            p.overlaps(period).then(|| Coverage {
                rec: i,
                source: Source {
                    file,
                    line: row.line(),
                },
                system,
                insurer_no: get(InsKey::InsurerNo).to_string(),
                period,
                rec_from: p.from,
            })
        })
        .collect();
    if found.is_empty() {
        Probe::Miss
    } else {
        Probe::Hit(Ok(found))
    }
}

/// Streams every insurance file once. `files`: each file's sniffed info and its index in the
/// run's file list.
pub(crate) fn scan(
    checker: &Checker<'_>,
    files: &[(FileInfo, u32)],
    layout: &Layout,
) -> Result<(InsuranceScan, Vec<InsuranceInput>), Error> {
    let idx = index(checker);
    let mut scan = InsuranceScan::default();
    let mut inputs = Vec::new();
    let employee_seen = AtomicBool::new(false);
    for (info, fi) in files {
        let mut info = info.clone();
        let (stats, bad, header_line, columns) = loop {
            let reader = RecordReader::open(&info)?;
            let columns = layout.resolve(&info.display, &reader.header)?;
            let header_line = reader.header_line;
            let mut coverages = Vec::new();
            let mut not_comparable = 0u64;
            let enc = info.encoding;
            let streamed = ingest::stream::stream(
                reader,
                info.provisional,
                |fields, _| probe(fields, enc, &columns, *fi, &idx, checker, &employee_seen),
                |hit| match hit {
                    Ok(found) => coverages.extend(found),
                    Err(()) => not_comparable += 1,
                },
            )?;
            match streamed {
                Some((stats, bad)) => {
                    scan.coverages.extend(coverages);
                    scan.not_comparable += not_comparable;
                    break (stats, bad, header_line, columns);
                }
                // UTF-8 from the first bytes, but a later line is not: decide on the whole file.
                None => info = ingest::sniff_full(&info.path, &info.display)?,
            }
        };
        inputs.push(InsuranceInput {
            unreadable: bad.len() as u64,
            info,
            stats,
            header_line,
            columns,
        });
        scan.bad_lines.extend(bad.into_iter().map(|b| (*fi, b)));
    }
    scan.has_employee_rows = employee_seen.load(Ordering::Relaxed);
    // Streams hand hits over block by block; the order inside a block is the probes' order,
    // which is the file's: sort once so the outputs never depend on it.
    scan.coverages
        .sort_by_key(|c| (c.rec, c.source.file, c.source.line));
    Ok((scan, inputs))
}
