//! `totsugo eval`: the accuracy harness. Compares a run's output folder (`findings.csv`,
//! `summary.json`, and `results.csv` when the run had a registry) with the generator's
//! `truth.csv` and reports, per code and per family (V, M, L, D, N), true and false positives,
//! misses, precision, recall and F1, plus the false-alarm rate on benign records.
//!
//! What counts:
//! - A finding is the triple (roster file name, line, code); the truth lists the same triples
//!   (`ファイル,行番号,コード`). Files are compared by name, since a run names them as given
//!   (`data/roster_001.csv`) and the truth by name alone. M01 is not a finding (findings.csv
//!   holds M10 and above): it and M00 are scored from `results.csv` (判定), where a record the
//!   truth lists with no M-code must be M00. A line the truth says cannot be read as a row
//!   (V14, V16: 判定 `-`) is left out of that scoring.
//! - Families add up the findings codes (V, M10–M42, L, D, N); M00/M01 are shown apart.
//! - A benign record is a roster record the truth lists with no code (clean) or with only M01
//!   (a variation that must match). Its false alarm is any 警告 or エラー finding on it. The
//!   record count comes from `summary.json` (rows of the roster inputs).
//!
//! The table goes to stdout; `eval.json` (mode 0600, written atomically) goes into the output
//! folder, or where `--json` says.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::Error;
use crate::exit::Outcome;
use crate::log::Log;
use crate::report::atomic::AtomicFile;

/// What `totsugo eval` was asked to do.
#[derive(Debug, Clone)]
pub struct EvalConfig {
    pub truth: PathBuf,
    pub out: PathBuf,
    /// Where eval.json goes; default `out/eval.json`.
    pub json: Option<PathBuf>,
}

/// Counts for one code or family.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub tp: u64,
    pub fp: u64,
    #[serde(rename = "fn")]
    pub fn_: u64,
}

impl Tally {
    fn add(&mut self, o: Tally) {
        self.tp += o.tp;
        self.fp += o.fp;
        self.fn_ += o.fn_;
    }
    pub fn precision(self) -> Option<f64> {
        ratio(self.tp, self.tp + self.fp)
    }
    pub fn recall(self) -> Option<f64> {
        ratio(self.tp, self.tp + self.fn_)
    }
    pub fn f1(self) -> Option<f64> {
        ratio(2 * self.tp, 2 * self.tp + self.fp + self.fn_)
    }
}

fn ratio(a: u64, b: u64) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

/// One row of eval.json's tables.
#[derive(Debug, Serialize)]
struct Scored {
    truth: u64,
    found: u64,
    tp: u64,
    fp: u64,
    #[serde(rename = "fn")]
    fn_: u64,
    precision: Option<f64>,
    recall: Option<f64>,
    f1: Option<f64>,
}

impl From<Tally> for Scored {
    fn from(t: Tally) -> Scored {
        Scored {
            truth: t.tp + t.fn_,
            found: t.tp + t.fp,
            tp: t.tp,
            fp: t.fp,
            fn_: t.fn_,
            precision: t.precision(),
            recall: t.recall(),
            f1: t.f1(),
        }
    }
}

/// False alarms on benign records.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Benign {
    /// Records the truth does not list.
    pub clean: u64,
    /// Of those, records with a 警告/エラー finding.
    pub clean_alarmed: u64,
    /// Records the truth lists with M01 only.
    pub variations: u64,
    pub variations_alarmed: u64,
}

impl Benign {
    pub fn rate(self) -> Option<f64> {
        ratio(
            self.clean_alarmed + self.variations_alarmed,
            self.clean + self.variations,
        )
    }
}

/// The comparison, before formatting.
#[derive(Debug, Default)]
pub struct Evaluation {
    /// Findings codes (V, M10–M42, L, D, N and any other code found).
    pub by_code: BTreeMap<String, Tally>,
    /// M00/M01 from results.csv (absent when the run wrote none).
    pub verdicts: Option<BTreeMap<String, Tally>>,
    pub benign: Benign,
    pub records: u64,
}

impl Evaluation {
    pub fn by_family(&self) -> BTreeMap<char, Tally> {
        let mut m: BTreeMap<char, Tally> = BTreeMap::new();
        for (code, t) in &self.by_code {
            let fam = code.chars().next().unwrap_or('?');
            m.entry(fam).or_default().add(*t);
        }
        m
    }
    pub fn overall(&self) -> Tally {
        let mut all = Tally::default();
        for t in self.by_code.values() {
            all.add(*t);
        }
        all
    }
}

type Key = (String, u64);

/// A finding as eval sees it.
#[derive(Debug, Clone)]
pub struct Found {
    pub file: String,
    pub line: u64,
    pub code: String,
    /// 警告 or エラー.
    pub alarm: bool,
}

/// Scores `found` (findings.csv) and `verdicts` (results.csv: file, line, 判定) against
/// `truth` (file, line, code). `rosters` are the roster file names and their record count.
pub fn evaluate(
    truth: &[(String, u64, String)],
    found: &[Found],
    verdicts: Option<&[(String, u64, String)]>,
    rosters: &BTreeSet<String>,
    records: u64,
) -> Evaluation {
    let mut truth_by_record: HashMap<Key, BTreeSet<&str>> = HashMap::new();
    let mut truth_set: BTreeSet<(&str, u64, &str)> = BTreeSet::new();
    for (f, l, c) in truth {
        truth_by_record
            .entry((f.clone(), *l))
            .or_default()
            .insert(c.as_str());
        if c != "M01" {
            truth_set.insert((f.as_str(), *l, c.as_str()));
        }
    }
    let found_set: BTreeSet<(&str, u64, &str)> = found
        .iter()
        .map(|f| (f.file.as_str(), f.line, f.code.as_str()))
        .collect();
    let mut by_code: BTreeMap<String, Tally> = BTreeMap::new();
    for k in found_set.union(&truth_set) {
        let t = by_code.entry(k.2.to_string()).or_default();
        match (found_set.contains(k), truth_set.contains(k)) {
            (true, true) => t.tp += 1,
            (true, false) => t.fp += 1,
            _ => t.fn_ += 1,
        }
    }

    let verdicts = verdicts.map(|rows| {
        let mut m: BTreeMap<String, Tally> = BTreeMap::new();
        for code in ["M00", "M01"] {
            m.insert(code.to_string(), Tally::default());
        }
        for (f, l, got) in rows {
            let codes = truth_by_record.get(&(f.clone(), *l));
            // A line that cannot be read as a row (V14, V16) has no verdict to score.
            if codes.is_some_and(|c| c.contains("V14") || c.contains("V16")) {
                continue;
            }
            let want = codes
                .and_then(|codes| codes.iter().find(|c| c.starts_with('M')).copied())
                .unwrap_or("M00");
            for code in ["M00", "M01"] {
                let t = m.entry(code.to_string()).or_default();
                match (got == code, want == code) {
                    (true, true) => t.tp += 1,
                    (true, false) => t.fp += 1,
                    (false, true) => t.fn_ += 1,
                    (false, false) => {}
                }
            }
        }
        m
    });

    let alarmed: BTreeSet<(&str, u64)> = found
        .iter()
        .filter(|f| f.alarm && rosters.contains(&f.file))
        .map(|f| (f.file.as_str(), f.line))
        .collect();
    let mut benign = Benign::default();
    let listed = truth_by_record.len() as u64;
    for (key, codes) in &truth_by_record {
        if codes.iter().all(|c| *c == "M01") {
            benign.variations += 1;
            benign.variations_alarmed += u64::from(alarmed.contains(&(key.0.as_str(), key.1)));
        }
    }
    benign.clean = records.saturating_sub(listed);
    benign.clean_alarmed = alarmed
        .iter()
        .filter(|(f, l)| !truth_by_record.contains_key(&(f.to_string(), *l)))
        .count() as u64;
    Evaluation {
        by_code,
        verdicts,
        benign,
        records,
    }
}

/// The file name of a path as a run writes it (`data/roster_001.csv` → `roster_001.csv`).
fn base_name(s: &str) -> String {
    s.rsplit(['/', '\\']).next().unwrap_or(s).to_string()
}

/// A CSV file as (header, [(physical line, fields)]); UTF-8 with or without BOM, or CP932 (a
/// run may write its outputs with `--output-encoding cp932`).
struct Table {
    path: String,
    header: Vec<String>,
    rows: Vec<(u64, Vec<String>)>,
}

fn bad(path: &str, message: String) -> Error {
    Error::Unsupported {
        path: path.to_string(),
        message,
    }
}

impl Table {
    fn read(path: &Path) -> Result<Table, Error> {
        let name = path.display().to_string();
        let bytes = crate::ingest::encoding::read_input(path, &name)?;
        let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
        let text = match std::str::from_utf8(body) {
            Ok(t) => t.to_string(),
            Err(_) => encoding_rs::SHIFT_JIS
                .decode_without_bom_handling_and_without_replacement(body)
                .ok_or_else(|| {
                    bad(
                        &name,
                        "UTF-8 としても CP932 としても読めません（totsugo の出力か確認してください）"
                            .into(),
                    )
                })?
                .into_owned(),
        };
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.as_bytes());
        let mut header = None;
        let mut rows = Vec::new();
        for rec in reader.records() {
            let rec = rec.map_err(|e| {
                let line = e.position().map_or(0, |p| p.line());
                bad(&name, format!("{line}行目を CSV として読めません: {e}"))
            })?;
            let line = rec.position().map_or(0, |p| p.line());
            let fields: Vec<String> = rec.iter().map(String::from).collect();
            if header.is_none() {
                header = Some(fields);
            } else {
                rows.push((line, fields));
            }
        }
        let header =
            header.ok_or_else(|| bad(&name, "ファイルが空です（見出し行がありません）".into()))?;
        Ok(Table {
            path: name,
            header,
            rows,
        })
    }

    fn column(&self, want: &str) -> Result<usize, Error> {
        self.header.iter().position(|h| h == want).ok_or_else(|| {
            bad(
                &self.path,
                format!(
                    "見出し「{want}」がありません（見出し: {}）",
                    self.header.join(",")
                ),
            )
        })
    }

    fn line_number(&self, line: u64, value: &str, column: &str) -> Result<u64, Error> {
        value.parse::<u64>().map_err(|_| {
            bad(
                &self.path,
                format!("{line}行目の{column}「{value}」が行番号（1 以上の整数）ではありません"),
            )
        })
    }
}

fn read_truth(path: &Path) -> Result<Vec<(String, u64, String)>, Error> {
    let t = Table::read(path)?;
    let (f, l, c) = (
        t.column("ファイル")?,
        t.column("行番号")?,
        t.column("コード")?,
    );
    let mut out = Vec::with_capacity(t.rows.len());
    for (line, r) in &t.rows {
        let n = t.line_number(*line, &r[l], "行番号")?;
        if r[c].is_empty() {
            return Err(bad(&t.path, format!("{line}行目のコードが空です")));
        }
        out.push((base_name(&r[f]), n, r[c].clone()));
    }
    Ok(out)
}

fn read_findings(path: &Path) -> Result<Vec<Found>, Error> {
    let t = Table::read(path)?;
    let (c, s, f, l) = (
        t.column("コード")?,
        t.column("重要度")?,
        t.column("入力ファイル")?,
        t.column("行番号")?,
    );
    let mut out = Vec::with_capacity(t.rows.len());
    for (line, r) in &t.rows {
        // A finding about a whole file has no line; it cannot match a record, so it is kept as
        // line 0 and counts against its code.
        let n = if r[l].is_empty() {
            0
        } else {
            t.line_number(*line, &r[l], "行番号")?
        };
        out.push(Found {
            file: base_name(&r[f]),
            line: n,
            code: r[c].clone(),
            alarm: matches!(r[s].as_str(), "警告" | "エラー"),
        });
    }
    Ok(out)
}

fn read_results(path: &Path) -> Result<Vec<(String, u64, String)>, Error> {
    let t = Table::read(path)?;
    let (f, l, v) = (
        t.column("入力ファイル")?,
        t.column("行番号")?,
        t.column("判定")?,
    );
    let mut out = Vec::with_capacity(t.rows.len());
    for (line, r) in &t.rows {
        let n = t.line_number(*line, &r[l], "行番号")?;
        out.push((base_name(&r[f]), n, r[v].clone()));
    }
    Ok(out)
}

/// Roster file names and their record count, from summary.json's inputs.
fn read_rosters(path: &Path) -> Result<(BTreeSet<String>, u64), Error> {
    let name = path.display().to_string();
    let bytes = crate::ingest::encoding::read_input(path, &name)?;
    let v: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| bad(&name, format!("JSON として読めません: {e}")))?;
    let inputs = v["inputs"].as_array().ok_or_else(|| {
        bad(
            &name,
            "inputs がありません（totsugo の summary.json か確認してください）".into(),
        )
    })?;
    let mut files = BTreeSet::new();
    let mut rows = 0;
    for i in inputs.iter().filter(|i| i["role"] == "roster") {
        let (Some(p), Some(n)) = (i["path"].as_str(), i["rows"].as_u64()) else {
            return Err(bad(&name, "inputs の path・rows が読めません".into()));
        };
        files.insert(base_name(p));
        rows += n;
    }
    Ok((files, rows))
}

fn pct(x: Option<f64>) -> String {
    x.map_or_else(|| "-".to_string(), |v| format!("{v:.4}"))
}

/// `s` padded to `width` terminal columns (a full-width character takes two).
fn pad(s: &str, width: usize) -> String {
    let used: usize = s.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum();
    format!("{s}{}", " ".repeat(width.saturating_sub(used)))
}

fn table_row(w: &mut dyn Write, name: &str, t: Tally) -> std::io::Result<()> {
    writeln!(
        w,
        "{} {:>8} {:>8} {:>8} {:>6} {:>6} {:>8} {:>8} {:>8}",
        pad(name, 6),
        t.tp + t.fn_,
        t.tp + t.fp,
        t.tp,
        t.fp,
        t.fn_,
        pct(t.precision()),
        pct(t.recall()),
        pct(t.f1())
    )
}

/// Writes the human-readable table.
pub fn print(e: &Evaluation, w: &mut dyn Write) -> std::io::Result<()> {
    let width = |s: &str| -> usize { s.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum() };
    let mut head = pad("コード", 6);
    for (h, w) in [
        ("正解", 8),
        ("検出", 8),
        ("TP", 8),
        ("FP", 6),
        ("FN", 6),
        ("適合率", 8),
        ("再現率", 8),
        ("F1", 8),
    ] {
        head.push_str(&" ".repeat(1 + w - width(h)));
        head.push_str(h);
    }
    writeln!(
        w,
        "コード別（findings.csv、ファイル・行番号・コードで照合）"
    )?;
    writeln!(w, "{head}")?;
    for (code, t) in &e.by_code {
        table_row(w, code, *t)?;
    }
    writeln!(w, "\n系統別")?;
    writeln!(w, "{head}")?;
    for (fam, t) in e.by_family() {
        table_row(w, &fam.to_string(), t)?;
    }
    table_row(w, "全体", e.overall())?;
    if let Some(v) = &e.verdicts {
        writeln!(w, "\n判定（results.csv、正解に M コードがない記録は M00）")?;
        writeln!(w, "{head}")?;
        for (code, t) in v {
            table_row(w, code, *t)?;
        }
    }
    let b = e.benign;
    writeln!(
        w,
        "\n誤警報率（正解に問題のない記録のうち、警告・エラーの所見が付いた割合）: {} \
         （記録 {} 件中: 問題なし {} 件のうち {} 件、表記ゆれ M01 {} 件のうち {} 件）",
        pct(b.rate()),
        e.records,
        b.clean,
        b.clean_alarmed,
        b.variations,
        b.variations_alarmed
    )
}

#[derive(Serialize)]
struct Json<'a> {
    truth: String,
    out: String,
    records: u64,
    by_code: BTreeMap<&'a str, Scored>,
    by_family: BTreeMap<String, Scored>,
    overall: Scored,
    verdicts: Option<BTreeMap<&'a str, Scored>>,
    benign: Benign,
    false_alarm_rate: Option<f64>,
}

/// `totsugo eval`: reads, scores, prints the table to `stdout` and writes eval.json.
pub fn run(cfg: &EvalConfig, stdout: &mut dyn Write, log: &mut Log) -> Result<Outcome, Error> {
    let truth = read_truth(&cfg.truth)?;
    let found = read_findings(&cfg.out.join("findings.csv"))?;
    let (rosters, records) = read_rosters(&cfg.out.join("summary.json"))?;
    let results_path = cfg.out.join("results.csv");
    let verdicts = if results_path.exists() {
        Some(read_results(&results_path)?)
    } else {
        log.detail("results.csv がないので M00・M01 は評価しません");
        None
    };
    let e = evaluate(&truth, &found, verdicts.as_deref(), &rosters, records);
    print(&e, stdout).map_err(|source| Error::Write {
        path: "stdout".into(),
        source,
    })?;

    let json = Json {
        truth: cfg.truth.display().to_string(),
        out: cfg.out.display().to_string(),
        records: e.records,
        by_code: e
            .by_code
            .iter()
            .map(|(k, t)| (k.as_str(), (*t).into()))
            .collect(),
        by_family: e
            .by_family()
            .into_iter()
            .map(|(k, t)| (k.to_string(), t.into()))
            .collect(),
        overall: e.overall().into(),
        verdicts: e
            .verdicts
            .as_ref()
            .map(|v| v.iter().map(|(k, t)| (k.as_str(), (*t).into())).collect()),
        benign: e.benign,
        false_alarm_rate: e.benign.rate(),
    };
    let path = cfg
        .json
        .clone()
        .unwrap_or_else(|| cfg.out.join("eval.json"));
    let text = serde_json::to_string_pretty(&json).map_err(|e| Error::Internal(e.to_string()))?;
    let mut f = AtomicFile::create(&path)?;
    f.write_all(text.as_bytes())
        .and_then(|()| f.write_all(b"\n"))
        .map_err(|source| Error::Write {
            path: path.display().to_string(),
            source,
        })?;
    f.commit()?;
    log.info(format!("評価を書きました → {}", path.display()));
    Ok(Outcome { worst: None })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(f: &str, l: u64, c: &str) -> (String, u64, String) {
        (f.into(), l, c.into())
    }
    fn found(f: &str, l: u64, c: &str, alarm: bool) -> Found {
        Found {
            file: f.into(),
            line: l,
            code: c.into(),
            alarm,
        }
    }

    #[test]
    fn counts_hits_misses_and_false_alarms() {
        let truth = [
            t("a.csv", 2, "V07"),
            t("a.csv", 3, "M01"),
            t("a.csv", 4, "L01"),
            t("a.csv", 5, "M01"),
        ];
        let f = [
            found("a.csv", 2, "V07", true),
            found("a.csv", 3, "M10", true),
            found("a.csv", 9, "D02", true),
            found("a.csv", 8, "M12", false),
            found("registry.csv", 7, "V16", true),
        ];
        let verdicts = [
            t("a.csv", 3, "M01"),
            t("a.csv", 5, "M00"),
            t("a.csv", 6, "M00"),
        ];
        let rosters = BTreeSet::from(["a.csv".to_string()]);
        let e = evaluate(&truth, &f, Some(&verdicts), &rosters, 10);
        assert_eq!(
            e.by_code["V07"],
            Tally {
                tp: 1,
                fp: 0,
                fn_: 0
            }
        );
        assert_eq!(
            e.by_code["L01"],
            Tally {
                tp: 0,
                fp: 0,
                fn_: 1
            }
        );
        assert_eq!(
            e.by_code["M10"],
            Tally {
                tp: 0,
                fp: 1,
                fn_: 0
            }
        );
        assert_eq!(
            e.by_code["V16"],
            Tally {
                tp: 0,
                fp: 1,
                fn_: 0
            }
        );
        assert!(!e.by_code.contains_key("M01"));
        assert_eq!(
            e.by_family()[&'M'],
            Tally {
                tp: 0,
                fp: 2,
                fn_: 0
            }
        );
        assert_eq!(
            e.overall(),
            Tally {
                tp: 1,
                fp: 4,
                fn_: 1
            }
        );
        let v = e.verdicts.unwrap();
        assert_eq!(
            v["M01"],
            Tally {
                tp: 1,
                fp: 0,
                fn_: 1
            }
        );
        assert_eq!(
            v["M00"],
            Tally {
                tp: 1,
                fp: 1,
                fn_: 0
            }
        );
        // 10 records, 4 listed: 6 clean, of which line 9 alarmed (line 8 is 情報, and the
        // registry's V16 is not a roster record); 2 variations, line 3 alarmed.
        assert_eq!(
            e.benign,
            Benign {
                clean: 6,
                clean_alarmed: 1,
                variations: 2,
                variations_alarmed: 1
            }
        );
        assert_eq!(e.benign.rate(), Some(2.0 / 8.0));
    }

    #[test]
    fn unreadable_lines_have_no_verdict_to_score() {
        let truth = [
            t("a.csv", 2, "V14"),
            t("a.csv", 3, "V16"),
            t("a.csv", 4, "V01"),
        ];
        let f = [
            found("a.csv", 2, "V14", true),
            found("a.csv", 3, "V16", true),
            found("a.csv", 4, "V01", true),
        ];
        let verdicts = [
            t("a.csv", 2, "-"),
            t("a.csv", 3, "-"),
            t("a.csv", 4, "-"),
            t("a.csv", 5, "M00"),
        ];
        let rosters = BTreeSet::from(["a.csv".to_string()]);
        let e = evaluate(&truth, &f, Some(&verdicts), &rosters, 4);
        assert_eq!(e.overall().tp, 3);
        let v = e.verdicts.unwrap();
        // Lines 2 and 3 are skipped; line 4 was readable and should have had its verdict.
        assert_eq!(
            v["M00"],
            Tally {
                tp: 1,
                fp: 0,
                fn_: 1
            }
        );
    }

    #[test]
    fn file_names_are_compared_without_folders() {
        assert_eq!(base_name("bench/data/roster_001.csv"), "roster_001.csv");
        assert_eq!(base_name(r"C:\data\roster_001.csv"), "roster_001.csv");
        assert_eq!(base_name("roster_001.csv"), "roster_001.csv");
    }
}
