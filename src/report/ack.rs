//! Stable finding IDs (`所見ID`, the last column of findings.csv) and acknowledgements
//! (`--ack FILE`): the clerk's answer to alert fatigue, as linters have baselines and security
//! scanners suppressions with an expiry.
//!
//! **The ID** is the code and a 48-bit hash in 12 letters (`V03-kdmbhsfapqce`: no digit, so the
//! masking of findings.csv can never take it for a number) of what caused the finding:
//! the code, the office (保険者番号), the 受給者番号, the field and the message, which names the
//! values found and expected. It leaves out what changes from night to night without the
//! finding changing: the record's own line, the other record's line and file name ("… の12行目
//! と"), the registry's line, the date of the previous baseline and the run date. It hashes
//! every run of 5 or more digits as masked (last 4 only), with or without `--unmask`, so the ID
//! is the same in both and carries no number that could be searched for. A finding that names
//! no record (a registry line, a row without 受給者番号) adds its line number. The same values give the same ID every night, in any
//! file order and with any thread count; a changed value gives a new ID, and the finding comes
//! back as new: that is the point.
//!
//! **An acknowledgement file** is a CSV (UTF-8 with or without BOM, or CP932, as Excel saves)
//! with the columns `所見ID` and `理由` and optionally `期限` (YYYYMMDD; `2026/12/31` as Excel
//! shows dates is read too), or the review workbook (`review.xlsx`) whose `確認` column the
//! clerk filled in. A listed finding whose 期限 has not passed is left out of findings.csv and
//! of the exit code and written to `acknowledged.csv`; summary.json counts it and names the
//! acknowledgements that matched nothing (`stale`). A line that cannot be used (an ID of the
//! wrong form, a bad date, no reason) is named in the log and skipped; the run goes on.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::Serialize;
use xxhash_rust::xxh3::Xxh3;

use crate::error::Error;
use crate::findings::{Finding, Severity};
use crate::log::Log;
use crate::rules::date::Ymd;

/// Letters of a 所見ID's hash part: 16 letters and no digit, so no run of digits in an ID can
/// look like a My Number to the masking of findings.csv (a hex ID sometimes held 11 digits in a
/// row and was written starred), and no letter that reads like a digit (i, l, o).
const ID_LETTERS: &[u8; 16] = b"abcdefghjkmnpqrs";

/// The `所見ID` of a finding (see the module doc). `files`: the run's input names, which are
/// left out of the message; `as_of`: the run date, left out too (V12 names it).
pub fn finding_id(f: &Finding, files: &[String], as_of: Ymd) -> String {
    let message = without_references(&f.message, files, as_of);
    let message = as_masked(&message);
    let mut h = Xxh3::new();
    for part in [
        f.code.as_str(),
        &as_masked(&f.insurer_no),
        &as_masked(&f.recipient_no),
        &f.field,
        &message,
    ] {
        h.update(part.as_bytes());
        h.update(&[0x1f]);
    }
    // A finding that names no record (a registry or insurance line, a row without 受給者番号)
    // has only its line to tell it from the next one like it.
    if f.recipient_no.trim().is_empty() {
        h.update(&f.source.line.to_le_bytes());
    }
    let mut bits = h.digest();
    let mut id = format!("{}-", f.code.as_str());
    for _ in 0..12 {
        id.push(char::from(ID_LETTERS[(bits & 15) as usize]));
        bits >>= 4;
    }
    id
}

/// Text as the masked output shows it, whatever `--unmask` says: every run of 5 or more digits
/// or `*` (ASCII or full-width) keeps its last 4 characters and stars the rest. A My Number is
/// then the same (`********9018`) masked or not, and so is the 所見ID.
fn as_masked(s: &str) -> String {
    let is_d = |c: char| c.is_ascii_digit() || ('０'..='９').contains(&c) || c == '*';
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        if !is_d(chars[i]) {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && is_d(chars[i]) {
            i += 1;
        }
        let run = &chars[start..i];
        if run.len() >= 5 {
            out.extend(std::iter::repeat_n('*', run.len() - 4));
            out.extend(&run[run.len() - 4..]);
        } else {
            out.extend(run);
        }
    }
    out
}

/// `message` without what changes between nights when the finding does not: input file names,
/// line numbers (`12行目`), the previous baseline's date (`前回（20261206` …) and the run date
/// (`基準日 2026年11月21日`, `20261121`).
fn without_references(message: &str, files: &[String], as_of: Ymd) -> String {
    let mut text = message.to_string();
    let mut names: Vec<&String> = files.iter().filter(|f| !f.is_empty()).collect();
    names.sort_by_key(|n| std::cmp::Reverse(n.len()));
    for name in names {
        if text.contains(name.as_str()) {
            text = text.replace(name.as_str(), "<file>");
        }
    }
    for date in [
        format!("{}年{}月{}日", as_of.year, as_of.month, as_of.day),
        as_of.to_yyyymmdd(),
    ] {
        if text.contains(&date) {
            text = text.replace(&date, "<today>");
        }
    }
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            let line_number = chars[i..].starts_with(&['行', '目']);
            let after = |word: &str| {
                let w: Vec<char> = word.chars().collect();
                start >= w.len() && chars[start - w.len()..start] == w[..]
            };
            let baseline_date = i - start == 8 && (after("前回（") || after("基準（"));
            if line_number || baseline_date {
                out.push('#');
            } else {
                out.extend(&chars[start..i]);
            }
            continue;
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

/// Whether `id` has the form of a 所見ID (`V03-kdmbhsfapqce`).
fn is_id(id: &str) -> bool {
    let b = id.as_bytes();
    b.len() == 16
        && matches!(b[0], b'V' | b'M' | b'L' | b'D' | b'N')
        && b[1].is_ascii_digit()
        && b[2].is_ascii_digit()
        && b[3] == b'-'
        && b[4..].iter().all(|c| ID_LETTERS.contains(c))
}

/// One acknowledgement.
#[derive(Debug, Clone)]
pub struct Ack {
    pub reason: String,
    /// 期限 (inclusive): after this date the finding comes back.
    pub until: Option<Ymd>,
    /// Where it was written (line or row of the file), for the log.
    pub line: u64,
}

/// The acknowledgements of a run, read from `--ack`.
#[derive(Debug, Clone, Default)]
pub struct Acks {
    /// The file as given.
    pub file: String,
    by_id: HashMap<String, Ack>,
    /// The run date: an ack whose 期限 is before it has expired.
    as_of: Option<Ymd>,
}

/// What the acknowledgements did in one run (summary.json `acknowledged`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct AckSummary {
    pub file: String,
    /// Acknowledgements read (usable lines).
    pub listed: u64,
    /// Findings left out of findings.csv (written to acknowledged.csv).
    pub acknowledged: u64,
    /// Of those, エラー: the exit code does not count them.
    pub errors_acknowledged: u64,
    pub by_code: BTreeMap<String, u64>,
    /// Findings whose acknowledgement has expired (期限 passed): listed again.
    pub expired: u64,
    /// Acknowledged IDs that matched no finding tonight (the finding was resolved, or its values
    /// changed and it has a new ID).
    pub stale: Vec<String>,
}

/// What the acknowledgements say of one 所見ID.
pub enum Lookup<'a> {
    /// Not acknowledged: listed in findings.csv.
    None,
    /// Acknowledged and in force: acknowledged.csv.
    InForce(&'a Ack),
    /// Acknowledged, but its 期限 has passed: listed again.
    Expired,
}

impl Acks {
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// What the acknowledgements say of `id` (see [`Lookup`]).
    pub fn lookup(&self, id: &str) -> Lookup<'_> {
        match self.by_id.get(id) {
            None => Lookup::None,
            Some(a) => match (a.until, self.as_of) {
                (Some(until), Some(today)) if until < today => Lookup::Expired,
                _ => Lookup::InForce(a),
            },
        }
    }

    /// Every acknowledged ID, sorted.
    pub fn ids(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = self.by_id.keys().map(String::as_str).collect();
        ids.sort_unstable();
        ids
    }

    /// Reads an acknowledgement file (CSV, or a review workbook by its ZIP magic). Lines that
    /// cannot be used are named in the log and skipped; a file without the needed columns
    /// gives no acknowledgements and says why. Err only when the file cannot be read at all.
    pub fn read(path: &Path, as_of: Ymd, log: &mut Log) -> Result<Acks, Error> {
        let display = path.display().to_string();
        let bytes = crate::ingest::encoding::read_input(path, &display)?;
        let mut acks = Acks {
            file: display.clone(),
            by_id: HashMap::new(),
            as_of: Some(as_of),
        };
        let rows = if bytes.starts_with(b"PK\x03\x04") {
            match workbook_rows(&bytes) {
                Ok(rows) => rows,
                // A damaged workbook must not cost the night's run: it goes on, listing every
                // finding, and says why.
                Err(message) => {
                    log.warn(format!(
                        "{display}: {message}。確認済みの一覧として読めないため、今回は使いません（所見はすべて findings.csv に載せます）"
                    ));
                    return Ok(acks);
                }
            }
        } else {
            csv_rows(&bytes, &display, log)
        };
        let Some((header_line, header)) = rows.first() else {
            log.warn(format!("{display}: 確認済みの一覧が空です"));
            return Ok(acks);
        };
        let col = |name: &str| header.iter().position(|h| h.trim() == name);
        let (Some(id_col), Some(reason_col)) = (col("所見ID"), col("理由")) else {
            log.warn(format!(
                "{display}: {header_line}行目（見出し）に「所見ID」と「理由」の列がありません。確認済みの一覧として使えないため、今回は使いません"
            ));
            return Ok(acks);
        };
        let until_col = col("期限");
        // The workbook's 確認 column says which rows the clerk confirmed.
        let confirm_col = col("確認");
        let mut skipped = 0;
        for (line, row) in &rows[1..] {
            let get = |c: Option<usize>| {
                c.and_then(|c| row.get(c))
                    .map_or("", |v| v.trim_matches([' ', '\u{3000}']))
            };
            let id = get(Some(id_col));
            if row.iter().all(|v| v.trim().is_empty())
                || (confirm_col.is_some() && get(confirm_col).is_empty())
            {
                continue;
            }
            let mut skip = |why: String| {
                skipped += 1;
                log.warn(format!("{display}: {line}行目: {why}。この行は使いません"));
            };
            let id = id.strip_prefix('\'').unwrap_or(id).to_ascii_lowercase();
            let id = match id.get(..1) {
                Some(c) => format!("{}{}", c.to_ascii_uppercase(), &id[1..]),
                None => id,
            };
            if !is_id(&id) {
                skip(format!(
                    "所見ID「{}」の形が違います（例: V03-kdmbhsfapqce）",
                    crate::findings::mask::review_cell(&id, true)
                ));
                continue;
            }
            let reason = get(Some(reason_col));
            if reason.is_empty() {
                skip(format!("所見ID {id} の理由が空です"));
                continue;
            }
            let until = match get(until_col) {
                "" => None,
                v => match parse_until(v) {
                    Some(d) => Some(d),
                    None => {
                        skip(format!(
                            "期限「{}」が日付（YYYYMMDD）として読めません",
                            crate::findings::mask::review_cell(v, true)
                        ));
                        continue;
                    }
                },
            };
            acks.by_id.insert(
                id,
                Ack {
                    reason: reason.to_string(),
                    until,
                    line: *line,
                },
            );
        }
        log.info(format!(
            "{display}: 確認済みの所見 {} 件を読みました{}",
            acks.by_id.len(),
            if skipped > 0 {
                format!("（使えない行 {skipped} 行）")
            } else {
                String::new()
            }
        ));
        Ok(acks)
    }
}

/// 期限: `YYYYMMDD`, `YYYY/MM/DD`, `YYYY-MM-DD`, `YYYY/M/D` (Excel's display), or an Excel
/// serial day number as a workbook stores a date.
fn parse_until(v: &str) -> Option<Ymd> {
    // Full-width digits and 年月日, as typed in a Japanese spreadsheet.
    let folded: String = v
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            '年' | '月' | '／' => '/',
            '－' => '-',
            c => c,
        })
        .filter(|c| *c != '日')
        .collect();
    let v = folded.as_str();
    if let Some(d) = Ymd::parse_yyyymmdd(v) {
        return Some(d);
    }
    let parts: Vec<&str> = v.split(['/', '-', '.']).collect();
    if let [y, m, d] = parts[..]
        && y.len() == 4
    {
        return Ymd::new(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    }
    // An Excel serial (days since 1899-12-30), as calamine gives a date cell.
    let serial: f64 = v.parse().ok()?;
    if (20_000.0..100_000.0).contains(&serial) {
        let epoch = Ymd::new(1899, 12, 30)?.to_days();
        return Ymd::from_days(epoch + serial.trunc() as i64);
    }
    None
}

/// Rows of a CSV file as text, with their physical line numbers (1-based): UTF-8 with or
/// without BOM, otherwise CP932. Each physical line is its own record (an acknowledgement never
/// spans lines), so an unclosed quote costs its own line, named in the log, never the rest of
/// the file.
fn csv_rows(bytes: &[u8], display: &str, log: &mut Log) -> Vec<(u64, Vec<String>)> {
    let text = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(b) => String::from_utf8_lossy(b).into_owned(),
        None => match std::str::from_utf8(bytes) {
            Ok(t) => t.to_string(),
            Err(_) => encoding_rs::SHIFT_JIS.decode(bytes).0.into_owned(),
        },
    };
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line_no = i as u64 + 1;
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        if line.bytes().filter(|b| *b == b'"').count() % 2 == 1 {
            log.warn(format!(
                "{display}: {line_no}行目: 引用符「\"」が閉じていません。この行は使いません"
            ));
            continue;
        }
        let mut r = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(line.as_bytes());
        let mut rec = csv::StringRecord::new();
        if let Ok(true) = r.read_record(&mut rec) {
            rows.push((line_no, rec.iter().map(String::from).collect()));
        }
    }
    rows
}

/// Rows of the review workbook's 所見 sheet (or its first sheet), with their row numbers.
fn workbook_rows(bytes: &[u8]) -> Result<Vec<(u64, Vec<String>)>, String> {
    use calamine::{Data, Reader, Xlsx};
    let mut wb = Xlsx::new(std::io::Cursor::new(bytes))
        .map_err(|e| format!("Excel のブックとして読めません: {e}"))?;
    let names = wb.sheet_names();
    let name = names
        .iter()
        .find(|n| n.as_str() == super::workbook::FINDINGS_SHEET)
        .or(names.first())
        .cloned()
        .ok_or_else(|| "シートがありません".to_string())?;
    let range = wb
        .worksheet_range(&name)
        .map_err(|e| format!("シート「{name}」を読めません: {e}"))?;
    let first = u64::from(range.start().map_or(0, |(r, _)| r));
    Ok(range
        .rows()
        .enumerate()
        .map(|(i, row)| {
            let cells = row
                .iter()
                .map(|c| match c {
                    Data::Empty => String::new(),
                    Data::String(s) => s.clone(),
                    Data::Float(f) if f.fract() == 0.0 => format!("{}", *f as i64),
                    Data::Float(f) => f.to_string(),
                    Data::Int(n) => n.to_string(),
                    Data::Bool(b) => if *b { "TRUE" } else { "" }.to_string(),
                    Data::DateTime(d) => format!("{}", d.as_f64().trunc() as i64),
                    Data::DateTimeIso(s) | Data::DurationIso(s) => {
                        s.get(..10).unwrap_or(s).replace('-', "")
                    }
                    Data::Error(_) => String::new(),
                })
                .collect();
            (first + i as u64 + 1, cells)
        })
        .collect())
}

/// Counts one acknowledged finding into the summary.
pub fn count(s: &mut AckSummary, f: &Finding) {
    s.acknowledged += 1;
    if f.severity() == Severity::Error {
        s.errors_acknowledged += 1;
    }
    *s.by_code.entry(f.code.as_str().to_string()).or_default() += 1;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::{Action, Code, Source};

    fn finding(line: u64, message: &str) -> Finding {
        Finding {
            code: Code::V15,
            source: Source { file: 0, line },
            insurer_no: "12130019".into(),
            recipient_no: "0000018".into(),
            field: String::new(),
            message: message.into(),
            action: Action::Delete,
            related: Some(Source { file: 1, line: 7 }),
        }
    }

    fn today() -> Ymd {
        Ymd::new(2026, 11, 21).unwrap()
    }

    #[test]
    fn ids_ignore_lines_files_and_dates_but_not_values() {
        let a = finding(
            10,
            "data/2026-12-06/a.csv の7行目と全項目が同じ行です。前回（20261206）の名簿",
        );
        let b = finding(
            99,
            "data/2026-12-07/a.csv の12行目と全項目が同じ行です。前回（20261207）の名簿",
        );
        let files_a = vec!["x.csv".to_string(), "data/2026-12-06/a.csv".to_string()];
        let files_b = vec!["data/2026-12-07/a.csv".to_string(), "x.csv".to_string()];
        let id = finding_id(&a, &files_a, today());
        assert_eq!(id, finding_id(&b, &files_b, today()));
        assert!(is_id(&id), "{id}");
        assert!(id.starts_with("V15-"));
        // A value in the message is part of the cause.
        let mut c = a.clone();
        c.message = c.message.replace("全項目", "氏名");
        assert_ne!(finding_id(&c, &files_a, today()), id);
        let mut d = a.clone();
        d.recipient_no = "0000026".into();
        assert_ne!(finding_id(&d, &files_a, today()), id);
        // A My Number is hashed masked: the same ID with and without --unmask.
        let mut e = a.clone();
        e.message = "個人番号「123456789018」".into();
        let mut f = a.clone();
        f.message = "個人番号「********9018」".into();
        assert_eq!(
            finding_id(&e, &files_a, today()),
            finding_id(&f, &files_a, today())
        );
    }

    /// The reviewer's cases: a 10-digit value shown in full under --unmask and starred
    /// otherwise; V12 naming the run date; two unreadable registry lines with the same message.
    #[test]
    fn ids_hold_across_unmask_and_nights_and_tell_nameless_lines_apart() {
        let files = vec!["r.csv".to_string()];
        let mut a = finding(5, "「1234567890」は10桁です");
        a.code = Code::V02;
        let mut b = a.clone();
        b.message = "「******7890」は10桁です".into();
        assert_eq!(
            finding_id(&a, &files, today()),
            finding_id(&b, &files, today())
        );
        let mut v12 = finding(
            5,
            "資格取得日 2027年4月1日 が基準日 2026年11月21日 より後です",
        );
        v12.code = Code::V12;
        let mut next = v12.clone();
        next.message = "資格取得日 2027年4月1日 が基準日 2026年11月22日 より後です".into();
        assert_eq!(
            finding_id(&v12, &files, today()),
            finding_id(&next, &files, Ymd::new(2026, 11, 22).unwrap())
        );
        let mut reg1 = finding(7, "住基ファイルの行を読めません: 列の数が9です");
        reg1.code = Code::V16;
        reg1.insurer_no.clear();
        reg1.recipient_no.clear();
        let mut reg2 = reg1.clone();
        reg2.source.line = 9;
        assert_ne!(
            finding_id(&reg1, &files, today()),
            finding_id(&reg2, &files, today())
        );
        // No digit in the hash part, whatever the hash: findings.csv's masking never touches it.
        for n in 0..2000u64 {
            let mut f = finding(n, "x");
            f.recipient_no = format!("{n:07}");
            let id = finding_id(&f, &files, today());
            assert!(
                is_id(&id) && !id[4..].bytes().any(|c| c.is_ascii_digit()),
                "{id}"
            );
        }
    }

    #[test]
    fn until_dates_in_the_forms_excel_shows() {
        let d = Ymd::new(2026, 12, 31);
        for v in [
            "20261231",
            "2026/12/31",
            "2026-12-31",
            "46387",
            "２０２６１２３１",
            "2026年12月31日",
        ] {
            assert_eq!(parse_until(v), d, "{v}");
        }
        assert_eq!(parse_until("2026/2/3"), Ymd::new(2026, 2, 3));
        for v in ["2026/13/01", "令和8年", "x", "20260230"] {
            assert_eq!(parse_until(v), None, "{v}");
        }
    }
}
