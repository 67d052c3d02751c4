//! `totsugo gen`: deterministic output, and generated data that `totsugo match` reads exactly as
//! its truth file says (every injected problem found on its line, every benign variation M01,
//! nothing else flagged).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::support::{read_csv, run};
use crate::exit;
use crate::normalize::FieldMatch;
use crate::normalize::address::compare_address;
use crate::normalize::name::{kana_key, name_key};
use crate::rules::date::Ymd;

fn generate(out: &Path, threads: &str, extra: &[&str]) -> (u8, String) {
    let seed = if extra.contains(&"--seed") {
        None
    } else {
        Some("7")
    };
    let mut args = vec![
        "gen",
        "--residents",
        "20000",
        "--recipients",
        "3000",
        "--offices",
        "3",
        "--as-of",
        "20261121",
        "--threads",
        threads,
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    if let Some(seed) = seed {
        args.extend(["--seed", seed]);
    }
    let (code, _, err) = run(&args);
    (code, err)
}

fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect()
}

#[test]
fn gen_is_deterministic_whatever_the_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    assert_eq!(generate(&a, "1", &[]).0, exit::CLEAN);
    assert_eq!(generate(&b, "2", &[]).0, exit::CLEAN);
    let (fa, fb) = (files(&a), files(&b));
    assert_eq!(
        fa.keys().collect::<Vec<_>>(),
        [
            "insurance.csv",
            "links.csv",
            "registry.csv",
            "roster_001.csv",
            "roster_002_cp932.csv",
            "roster_003.csv",
            "truth.csv"
        ]
    );
    for (name, bytes) in &fa {
        assert!(bytes == &fb[name], "{name} differs between 1 and 2 threads");
    }
    // Another seed gives other data.
    let c = dir.path().join("c");
    assert_eq!(generate(&c, "2", &["--seed", "8"]).0, exit::CLEAN);
    assert_ne!(files(&c)["registry.csv"], fa["registry.csv"]);
    // The CP932 roster is CP932 with CRLF, the others UTF-8 with LF.
    let cp = &fa["roster_002_cp932.csv"];
    assert!(std::str::from_utf8(cp).is_err());
    assert!(cp.windows(2).any(|w| w == b"\r\n"));
    assert!(!fa["roster_001.csv"].contains(&b'\r'));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(a.join("registry.csv"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

/// The generator's truth and `check --registry --insurance` (entry rules, registry matching and
/// the cross-record checks) agree record by record: this is both a test of the generator (it
/// injects what it says) and an accuracy test of matching and checking on realistic data.
#[test]
fn run_on_generated_data_finds_exactly_the_truth() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (code, err) = generate(
        &data,
        "2",
        &[
            "--problem-rate",
            "0.3",
            "--variation-rate",
            "0.4",
            "--linkage-rate",
            "0.3",
        ],
    );
    assert_eq!(code, exit::CLEAN, "{err}");
    // The whole job, as an office runs it (run = validate + match + check, with the baseline:
    // the first night has nothing to compare, so no N finding may appear).
    let mut args: Vec<String> = vec!["run".into()];
    for f in files(&data).keys().filter(|f| f.starts_with("roster_")) {
        args.push("--roster".into());
        args.push(data.join(f).display().to_string());
    }
    let out = dir.path().join("out");
    args.extend([
        "--state".into(),
        dir.path().join("state").display().to_string(),
        "--registry".into(),
        data.join("registry.csv").display().to_string(),
        "--insurance".into(),
        data.join("insurance.csv").display().to_string(),
        "--out".into(),
        out.display().to_string(),
        "--as-of".into(),
        "20261121".into(),
    ]);
    let (code, _, err) = run(&args);
    assert_eq!(code, exit::FOUND_ERRORS, "{err}");
    let base = |p: &str| {
        Path::new(p)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned()
    };

    let mut truth_codes: BTreeSet<(String, String, String)> = BTreeSet::new();
    let mut expected_verdict: BTreeMap<(String, String), String> = BTreeMap::new();
    let mut coverage_codes = BTreeSet::new();
    for r in &read_csv(&data.join("truth.csv"))[1..] {
        let key = (r[0].clone(), r[1].clone());
        if r[2].starts_with('M') {
            expected_verdict.insert(key.clone(), r[2].clone());
        }
        if r[2].starts_with('D') {
            coverage_codes.insert(r[2].clone());
        }
        if r[2] != "M01" {
            truth_codes.insert((r[0].clone(), r[1].clone(), r[2].clone()));
        }
    }
    assert_eq!(
        coverage_codes
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        ["D01", "D02", "D03", "D04", "D05"]
    );
    let found: BTreeSet<(String, String, String)> = read_csv(&out.join("findings.csv"))[1..]
        .iter()
        .map(|r| (base(&r[2]), r[3].clone(), r[0].clone()))
        .collect();
    let missed: Vec<_> = truth_codes.difference(&found).collect();
    let extra: Vec<_> = found.difference(&truth_codes).collect();
    assert!(missed.is_empty(), "injected but not found: {missed:?}");
    assert!(extra.is_empty(), "found but not injected: {extra:?}");
    // Every code the generator knows was injected at these rates.
    let codes: BTreeSet<&str> = truth_codes.iter().map(|t| t.2.as_str()).collect();
    for c in [
        "M10", "M11", "M12", "M20", "M30", "M31", "M40", "M41", "M42", "V01", "V02", "V03", "V04",
        "V05", "V06", "V07", "V08", "V09", "V10", "V11", "V12", "V13", "V14", "V15", "V16", "L01",
        "L02", "L03", "L04", "L05",
    ] {
        assert!(codes.contains(c), "{c} never injected");
    }
    // What Excel does was injected too: each habit by its truth text, and the Excel-saved
    // roster's empty trailing cells were ignored and counted, never V16.
    let truth_text = std::fs::read_to_string(data.join("truth.csv")).unwrap();
    for habit in [
        "先頭の0が Excel で落ちた（11桁）",
        "Excel の指数表示",
        "仮の値 000000000000",
        "受給者番号の先頭の0が Excel で落ちた",
        "個人番号未記載・転居",
        "二重登録",
        "ローマ字氏名の大文字・小文字",
    ] {
        assert!(truth_text.contains(habit), "{habit} never injected");
    }
    // Foreign residents with three-part names are on the rosters (and, being valid, in no
    // truth line of their own: the exact comparison above shows no V10 on them).
    let three_parts = files(&data)
        .keys()
        .filter(|f| f.starts_with("roster_"))
        .flat_map(|f| read_any(&data.join(f)).into_iter().skip(1))
        .filter(|r| r.len() > 5 && r[5].split('　').count() == 3)
        .count();
    assert!(
        three_parts > 10,
        "foreign residents on the rosters: {three_parts}"
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let trailing: Vec<(String, u64)> = summary["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["role"] == "roster")
        .map(|i| {
            (
                base(i["path"].as_str().unwrap()),
                i["trailing_empty_cells"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(trailing[0].1, 0, "{trailing:?}");
    assert_eq!(trailing[1].1, 0, "{trailing:?}");
    assert!(trailing[2].1 > 1000, "the Excel-saved roster: {trailing:?}");

    let results = read_csv(&out.join("results.csv"));
    let mut variations = 0;
    for r in &results[1..] {
        let key = (base(&r[0]), r[1].clone());
        let unreadable = ["V14", "V16"]
            .iter()
            .any(|c| truth_codes.contains(&(key.0.clone(), key.1.clone(), c.to_string())));
        // A line that cannot be read as a row has no verdict (判定 `-`).
        let want = if unreadable {
            "-"
        } else {
            expected_verdict.get(&key).map_or("M00", String::as_str)
        };
        assert_eq!(r[5], want, "verdict of {key:?}: {r:?}");
        variations += usize::from(want == "M01");
    }
    assert!(
        variations > 500,
        "benign variations were exercised: {variations}"
    );
}

/// `links.csv` names, for every roster line, the registry line of the person that record
/// really is: the resident's own number and basic fields where the record is clean, the real
/// person behind a wrong or missing number, nothing for a person outside the registry.
#[test]
fn links_point_at_the_real_resident() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (code, err) = generate(
        &data,
        "2",
        &["--problem-rate", "0.3", "--variation-rate", "0.2"],
    );
    assert_eq!(code, exit::CLEAN, "{err}");
    let links = read_csv(&data.join("links.csv"));
    assert_eq!(links[0].join(","), "ファイル,行番号,住民行番号");
    let mut link: BTreeMap<(String, usize), String> = BTreeMap::new();
    for r in &links[1..] {
        let key = (r[0].clone(), r[1].parse().unwrap());
        assert!(link.insert(key, r[2].clone()).is_none(), "two links: {r:?}");
    }
    let registry = read_any(&data.join("registry.csv"));
    let mut truth: BTreeMap<(String, usize), Vec<String>> = BTreeMap::new();
    for r in &read_csv(&data.join("truth.csv"))[1..] {
        truth
            .entry((r[0].clone(), r[1].parse().unwrap()))
            .or_default()
            .push(r[2].clone());
    }
    let (mut clean, mut wrong_number, mut outside, mut carried, mut moved) = (0, 0, 0, 0, 0);
    let mut twice = Vec::new();
    let mut targets: BTreeMap<String, usize> = BTreeMap::new();
    for r in &links[1..] {
        *targets.entry(r[2].clone()).or_default() += 1;
    }
    for f in files(&data).keys().filter(|f| f.starts_with("roster_")) {
        for (i, r) in read_any(&data.join(f)).iter().enumerate().skip(1) {
            let key = (f.clone(), i + 1);
            let target = link
                .remove(&key)
                .unwrap_or_else(|| panic!("no link for {key:?}"));
            let codes = truth.get(&key).cloned().unwrap_or_default();
            // Not in the registry: M42, and the outsider carrying someone's number (L01 with
            // its verdict; the number's owner has L01 alone).
            let l01_outsider =
                codes.iter().any(|c| c == "L01") && codes.iter().any(|c| c.starts_with('M'));
            if l01_outsider || (codes.iter().any(|c| c == "M42") && target.is_empty()) {
                assert_eq!(target, "", "{key:?} is not in the registry");
                outside += 1;
                continue;
            }
            if codes.iter().any(|c| c == "M42") {
                // Moved without a number: the person is in the registry at another address,
                // so the 4-field search finds no candidate (only leads).
                let line: usize = target.parse().unwrap();
                let reg = &registry[line - 1];
                assert_eq!(r[4], "", "{key:?} has no number");
                assert_eq!(name_key(&reg[1]), name_key(&r[5]), "name of {key:?}");
                assert_eq!(reg[3], r[7], "birth date of {key:?}");
                assert_eq!(
                    compare_address(&r[10], &reg[5]),
                    FieldMatch::Differ,
                    "{key:?} moved"
                );
                moved += 1;
                continue;
            }
            let line: usize = target
                .parse()
                .unwrap_or_else(|_| panic!("{key:?}: {target}"));
            assert!(line >= 2, "{key:?} links to the header");
            let reg = &registry[line - 1];
            if codes.is_empty() {
                // Clean: the registry row is this record's person, number and all.
                assert_eq!(reg[0], r[4], "number of {key:?}");
                assert_eq!(name_key(&reg[1]), name_key(&r[5]), "name of {key:?}");
                assert_eq!(reg[3], r[7], "birth date of {key:?}");
                assert_eq!(reg[4], r[8], "sex of {key:?}");
                clean += 1;
            } else if codes.iter().any(|c| c == "M30") {
                // A number that exists nowhere: the real person has another one.
                assert_ne!(reg[0], r[4], "{key:?}");
                assert_eq!(reg[3], r[7], "birth date of {key:?}");
                wrong_number += 1;
            } else if codes.iter().any(|c| matches!(c.as_str(), "L03" | "L04"))
                || (codes.iter().any(|c| c == "L02") && codes.iter().any(|c| c.starts_with('M')))
            {
                // Someone else's number (swapped in the household, a twin's, an unrelated
                // resident's): the link is the person the fields describe.
                assert_ne!(reg[0], r[4], "number of {key:?}");
                assert_eq!(reg[3], r[7], "birth date of {key:?}");
                assert_eq!(reg[4], r[8], "sex of {key:?}");
                carried += 1;
            } else if codes
                .iter()
                .any(|c| matches!(c.as_str(), "D01" | "D05" | "L05"))
            {
                // One person on two records: both link to the same resident.
                assert_eq!(reg[3], r[7], "birth date of {key:?}");
                twice.push(target.clone());
            } else if codes.iter().any(|c| c == "V03") {
                // The check digit was mistyped: the rest is the person's number.
                assert_eq!(reg[0][..11], r[4][..11], "number of {key:?}");
                assert_ne!(reg[0], r[4], "{key:?}");
            } else if codes.iter().any(|c| c == "M40" || c == "M41") {
                // No number, or one Excel made unusable (6.21498E+11, a placeholder run).
                let excel = r[4].contains("E+") || r[4] == "000000000000";
                assert!(r[4].is_empty() || excel, "{key:?} has no usable number");
                assert_eq!(reg[3], r[7], "birth date of {key:?}");
                if let Some(e) = r[4].strip_suffix("E+11") {
                    // The six significant digits are the person's number's, rounded.
                    let n: u64 = reg[0].parse().unwrap();
                    let shown: f64 = e.parse().unwrap();
                    let rounded = (n as f64 / 1e11 * 1e5).round() / 1e5;
                    assert!((shown - rounded).abs() < 1e-9, "{key:?}: {e} vs {}", reg[0]);
                }
            } else if codes.iter().any(|c| c == "V02") && r[4].len() == 11 {
                // Excel dropped the leading zero of the person's number.
                assert_eq!(reg[0], format!("0{}", r[4]), "number of {key:?}");
            }
        }
    }
    assert!(link.is_empty(), "links without a roster line: {link:?}");
    assert!(clean > 1000 && wrong_number > 0 && outside > 0 && carried > 0 && moved > 0);
    assert!(!twice.is_empty());
    for t in &twice {
        assert!(targets[t] >= 2, "registry line {t} is linked once");
    }
}

/// A CSV output of `gen` in UTF-8 or CP932 (the rosters of vendor offices), as rows of fields.
/// The V14 lines of a CP932 roster (a name cut inside a character) decode with U+FFFD, and V16
/// lines have one field too many.
fn read_any(path: &Path) -> Vec<Vec<String>> {
    let bytes = std::fs::read(path).unwrap();
    let text = match std::str::from_utf8(&bytes) {
        Ok(t) => t.to_string(),
        Err(_) => encoding_rs::SHIFT_JIS.decode(&bytes).0.into_owned(),
    };
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    r.records()
        .map(|rec| rec.unwrap().iter().map(String::from).collect())
        .collect()
}

fn days(yyyymmdd: &str) -> i64 {
    Ymd::parse_yyyymmdd(yyyymmdd)
        .unwrap_or_else(|| panic!("not a date: {yyyymmdd}"))
        .to_days()
}

fn opt_days(s: &str) -> Option<i64> {
    (!s.is_empty()).then(|| days(s))
}

/// Half-open periods `[from, to)`, `None` = still covered.
fn overlaps(a: (i64, Option<i64>), b: (i64, Option<i64>)) -> bool {
    a.0 < b.1.unwrap_or(i64::MAX) && b.0 < a.1.unwrap_or(i64::MAX)
}

/// What number-less insurance rows are linked by: normalized 氏名, カナ, birth date, sex.
type PersonKey = (Option<String>, Option<String>, Option<Ymd>, String);

fn person_key(name: &str, kana: &str, birth: &str, sex: &str) -> PersonKey {
    use crate::rules::date::{DateCheck, check_date};
    let birth = match check_date(birth) {
        DateCheck::Valid(d) | DateCheck::Alternative { date: d, .. } => Some(d),
        DateCheck::Invalid { .. } => None,
    };
    (name_key(name), kana_key(kana), birth, sex.to_string())
}

struct Record {
    file: String,
    line: usize,
    recipient: String,
    number: String,
    key: PersonKey,
    /// None where the row's period cannot be read as written.
    welfare: Option<(i64, Option<i64>)>,
    social: String,
    codes: Vec<String>,
}

struct Insured {
    line: usize,
    insurer: String,
    scheme: String,
    number: String,
    key: PersonKey,
    birth: Ymd,
    period: (i64, Option<i64>),
}

struct Generated {
    records: Vec<Record>,
    insurance: Vec<Insured>,
    /// 個人番号 → (氏名, カナ, 生年月日, 性別, 状態)
    registry: BTreeMap<String, [String; 5]>,
}

fn load(dir: &Path) -> Generated {
    let mut truth: BTreeMap<(String, usize), Vec<String>> = BTreeMap::new();
    for r in &read_csv(&dir.join("truth.csv"))[1..] {
        truth
            .entry((r[0].clone(), r[1].parse().unwrap()))
            .or_default()
            .push(r[2].clone());
    }
    let mut records = Vec::new();
    for f in files(dir).keys().filter(|f| f.starts_with("roster_")) {
        for (i, r) in read_any(&dir.join(f)).iter().enumerate().skip(1) {
            let line = i + 1;
            let codes = truth.remove(&(f.clone(), line)).unwrap_or_default();
            // Rows whose coverage period cannot be read as written (a date that does not
            // exist, 喪失日 before 取得日, a line that is not a row): `check` leaves them out of
            // the coverage comparisons, and so does this test.
            let unreadable_period = codes
                .iter()
                .any(|c| matches!(c.as_str(), "V06" | "V12" | "V14" | "V16"));
            records.push(Record {
                file: f.clone(),
                line,
                recipient: r[1].clone(),
                number: r[4].clone(),
                key: person_key(&r[5], &r[6], &r[7], &r[8]),
                welfare: (!unreadable_period).then(|| (days(&r[11]), opt_days(&r[12]))),
                social: r[13].clone(),
                codes,
            });
        }
    }
    assert!(
        truth.is_empty(),
        "truth lines without a roster row: {truth:?}"
    );
    let rows = read_any(&dir.join("insurance.csv"));
    assert_eq!(
        rows[0].join(","),
        "保険者番号,制度区分,個人番号,氏名,氏名カナ,生年月日,性別,資格取得日,資格喪失日"
    );
    let insurance = rows[1..]
        .iter()
        .enumerate()
        .map(|(i, r)| Insured {
            line: i + 2,
            insurer: r[0].clone(),
            scheme: r[1].clone(),
            number: r[2].clone(),
            key: person_key(&r[3], &r[4], &r[5], &r[6]),
            birth: Ymd::parse_yyyymmdd(&r[5]).unwrap(),
            period: (days(&r[7]), opt_days(&r[8])),
        })
        .collect();
    let registry = read_any(&dir.join("registry.csv"))[1..]
        .iter()
        .map(|r| {
            (
                r[0].clone(),
                [
                    r[1].clone(),
                    r[2].clone(),
                    r[3].clone(),
                    r[4].clone(),
                    r[6].clone(),
                ],
            )
        })
        .collect();
    Generated {
        records,
        insurance,
        registry,
    }
}

impl Generated {
    /// The roster records an insurance row links to: by 個人番号 when it has one (whatever the
    /// record's verdict: stricter than `check`), else by the normalized person key.
    fn links(&self, row: &Insured) -> Vec<&Record> {
        self.records
            .iter()
            .filter(|r| {
                if row.number.is_empty() {
                    r.key == row.key
                } else {
                    r.number == row.number
                }
            })
            .collect()
    }
}

fn generate_for_coverage(dir: &Path) -> Generated {
    // Without linkage injections: `links` below joins by number whatever the verdict, so a
    // record carrying someone else's number would take that person's rows.
    let (code, err) = generate(
        dir,
        "2",
        &[
            "--problem-rate",
            "0.3",
            "--variation-rate",
            "0.4",
            "--linkage-rate",
            "0",
        ],
    );
    assert_eq!(code, exit::CLEAN, "{err}");
    load(dir)
}

/// D02 and D03 truth agree with the rule `check` applies, and every near miss is one.
#[test]
fn insurance_rows_agree_with_the_coverage_truth() {
    let dir = tempfile::tempdir().unwrap();
    let g = generate_for_coverage(dir.path());
    let mut public_links: BTreeMap<(String, usize), Vec<&Insured>> = BTreeMap::new();
    let mut employee_links: BTreeMap<(String, usize), Vec<&Insured>> = BTreeMap::new();
    let (mut touch_before, mut touch_after) = (0, 0);
    let (mut without_number, mut linked_by_key) = (0, 0);
    for row in &g.insurance {
        let linked = g.links(row);
        if row.number.is_empty() {
            without_number += 1;
            // A number-less row is a recipient's and links to that one person only (or to
            // nobody, when the roster has another name, reading or birth date: M11, M12, M20).
            let persons: BTreeSet<(&str, &str)> = linked
                .iter()
                .map(|r| (r.file.as_str(), r.recipient.as_str()))
                .collect();
            assert!(
                persons.len() <= 1,
                "insurance line {} links {persons:?}",
                row.line
            );
            linked_by_key += persons.len();
            assert_ne!(row.scheme, "04", "line {}", row.line);
        }
        for r in linked {
            let key = (r.file.clone(), r.line);
            if row.scheme == "04" {
                employee_links.entry(key).or_default().push(row);
            } else {
                public_links.entry(key).or_default().push(row);
            }
        }
    }
    let (mut d02, mut d03, mut employed) = (0, 0, 0);
    for r in &g.records {
        let Some(welfare) = r.welfare else { continue };
        let key = (r.file.clone(), r.line);
        let public = public_links.get(&key).map_or(&[][..], Vec::as_slice);
        let overlapping: Vec<_> = public
            .iter()
            .filter(|i| overlaps(i.period, welfare))
            .collect();
        let is_d02 = r.codes.iter().any(|c| c == "D02");
        if is_d02 {
            d02 += 1;
            assert_eq!(overlapping.len(), 1, "{}:{} {:?}", r.file, r.line, r.codes);
            assert_eq!(r.codes, ["D02"], "{}:{}", r.file, r.line);
            assert_eq!(
                public.len(),
                1,
                "{}:{}: only the overlapping row",
                r.file,
                r.line
            );
        } else {
            assert!(
                overlapping.is_empty(),
                "{}:{} {:?}: overlapping 国保/後期 at insurance line {}",
                r.file,
                r.line,
                r.codes,
                overlapping[0].line
            );
            // Every other 国保/後期 row of a recipient is a near miss: it touches.
            for i in public {
                if i.period.1 == Some(welfare.0) {
                    touch_before += 1;
                } else if Some(i.period.0) == welfare.1 {
                    touch_after += 1;
                } else {
                    panic!(
                        "{}:{}: insurance line {} neither ends on 資格取得日 nor starts on 資格喪失日",
                        r.file, r.line, i.line
                    );
                }
            }
        }
        let job = employee_links
            .get(&key)
            .is_some_and(|v| v.iter().any(|i| overlaps(i.period, welfare)));
        let is_d03 = r.codes.iter().any(|c| c == "D03");
        if is_d03 {
            d03 += 1;
            assert_eq!(r.codes, ["D03"], "{}:{}", r.file, r.line);
            assert_ne!(r.social == "1", job, "{}:{} must disagree", r.file, r.line);
        } else {
            assert_eq!(r.social == "1", job, "{}:{} {:?}", r.file, r.line, r.codes);
        }
        let other_problem = r.codes.iter().any(|c| c != "M01" && !c.starts_with('D'));
        if other_problem {
            assert_eq!(r.social, "0", "{}:{} {:?}", r.file, r.line, r.codes);
        }
        employed += usize::from(!is_d03 && job);
    }
    let recipients = g.records.len();
    assert!(d02 > 20 && d03 > 20, "D02 {d02}, D03 {d03}");
    assert!(employed > 10, "employed recipients: {employed}");
    // ≈30 % lost 国保/後期 on the welfare start; a share of the ended ones rejoined.
    let share = touch_before as f64 / recipients as f64;
    assert!((0.2..0.4).contains(&share), "touching before: {share}");
    assert!(touch_after > 10, "touching after: {touch_after}");
    assert!(without_number > 100, "number-less rows: {without_number}");
    assert!(
        linked_by_key * 10 > without_number * 9,
        "{linked_by_key} of {without_number} number-less rows link to a roster person"
    );
}

/// Insurer numbers, periods and personal fields of every row; everyone not on welfare is
/// covered exactly once, with the registry's standard name.
#[test]
fn insurance_rows_are_well_formed_and_cover_every_resident() {
    use crate::rules::check_digit::mhlw_is_valid;
    let dir = tempfile::tempdir().unwrap();
    let g = generate_for_coverage(dir.path());
    let as_of = days("20261121");
    let mut per_number: BTreeMap<&str, Vec<&Insured>> = BTreeMap::new();
    let mut schemes: BTreeMap<&str, usize> = BTreeMap::new();
    for row in &g.insurance {
        let l = row.line;
        let len = if matches!(row.scheme.as_str(), "01" | "02") {
            6
        } else {
            8
        };
        assert_eq!(row.insurer.len(), len, "line {l}: {}", row.insurer);
        assert!(mhlw_is_valid(&row.insurer), "line {l}: {}", row.insurer);
        match row.scheme.as_str() {
            "01" => assert_ne!(&row.insurer[2..3], "3", "line {l}"),
            "02" => assert_eq!(&row.insurer[2..3], "3", "line {l}"),
            "03" => {
                assert!(row.insurer.starts_with("39"), "line {l}");
                let b = row.birth;
                let b75 = (b.year + 75, b.month, b.day);
                let from = Ymd::from_days(row.period.0).unwrap();
                assert!(
                    (from.year, from.month, from.day) >= b75,
                    "line {l}: before 75"
                );
            }
            "04" => {}
            other => panic!("line {l}: 制度区分 {other}"),
        }
        let birth = row.birth.to_days();
        assert!(birth <= row.period.0 && row.period.0 <= as_of, "line {l}");
        if let Some(to) = row.period.1 {
            assert!(row.period.0 < to && to <= as_of, "line {l}");
        }
        if !row.number.is_empty() {
            assert!(crate::rules::check_digit::my_number_is_valid(&row.number));
            per_number.entry(&row.number).or_default().push(row);
        }
        *schemes
            .entry(if row.period.1.is_none() {
                &row.scheme
            } else {
                "ended"
            })
            .or_default() += 1;
    }
    // Current rows: mostly 被用者保険, then 国保 and 後期, a few 国保組合.
    assert!(
        schemes["04"] > schemes["01"] && schemes["01"] > schemes["02"] * 3,
        "{schemes:?}"
    );
    assert!(schemes["03"] > 1000, "{schemes:?}");

    let roster_numbers: BTreeSet<&str> = g.records.iter().map(|r| r.number.as_str()).collect();
    let roster_keys: BTreeSet<(Option<String>, Option<Ymd>, String)> = g
        .records
        .iter()
        .map(|r| (r.key.0.clone(), r.key.2, r.key.3.clone()))
        .collect();
    let mut covered = 0;
    for (number, [name, kana, birth, sex, state]) in &g.registry {
        let rows = per_number
            .get(number.as_str())
            .map_or(&[][..], Vec::as_slice);
        for row in rows {
            // The registry's standard form (the registry itself may write an old kanji).
            assert_eq!(row.key.0, name_key(name), "line {}", row.line);
            if !kana.is_empty() {
                assert_eq!(row.key.1, kana_key(kana), "line {}", row.line);
            }
            assert_eq!(row.birth.to_yyyymmdd(), *birth, "line {}", row.line);
            assert_eq!(&row.key.3, sex, "line {}", row.line);
        }
        let key = (name_key(name), Ymd::parse_yyyymmdd(birth), sex.clone());
        let recipient = roster_numbers.contains(number.as_str()) || roster_keys.contains(&key);
        if recipient {
            continue;
        }
        if state == "0" {
            assert_eq!(rows.len(), 1, "resident {number}");
            assert_eq!(rows[0].period.1, None, "resident {number}: current");
            covered += 1;
        } else {
            assert!(rows.len() <= 1 && rows.iter().all(|r| r.period.1.is_some()));
        }
    }
    assert!(covered > 15_000, "{covered}");
}

/// `--no-insurance`: no insurance file and no D-codes in the truth.
#[test]
fn gen_without_insurance() {
    let dir = tempfile::tempdir().unwrap();
    let (code, err) = generate(
        dir.path(),
        "2",
        &["--no-insurance", "--problem-rate", "0.5"],
    );
    assert_eq!(code, exit::CLEAN, "{err}");
    let f = files(dir.path());
    assert!(!f.contains_key("insurance.csv"));
    assert!(f.contains_key("registry.csv"));
    let truth = read_csv(&dir.path().join("truth.csv"));
    assert!(truth.len() > 1000);
    // The coverage codes of the other insurance are gone; the roster's own (D01, D04, D05) stay.
    assert!(truth[1..].iter().all(|r| r[2] != "D02" && r[2] != "D03"));
    let (_, help, _) = run(&["gen", "--help"]);
    assert!(help.contains("--no-insurance") && help.contains("insurance.csv"));
}

/// `--problem-mix` weighs the per-record problems by code: weight 0 leaves a code out, and a code
/// that cannot be injected that way is a usage error naming the ones that can.
#[test]
fn problem_mix_chooses_the_codes() {
    let dir = tempfile::tempdir().unwrap();
    let all_but = |keep: &[&str]| -> String {
        let codes = [
            "M10", "M11", "M12", "M20", "M30", "M31", "M40", "M41", "M42", "V01", "V02", "V03",
            "V04", "V05", "V06", "V07", "V08", "V09", "V10", "V11", "V12", "V13", "V14", "V15",
            "V16", "D02", "D03",
        ];
        codes
            .iter()
            .map(|c| format!("{c}={}", if keep.contains(c) { 1 } else { 0 }))
            .collect::<Vec<_>>()
            .join(",")
    };
    let mix = all_but(&["V05", "M20"]);
    let (code, err) = generate(
        dir.path(),
        "2",
        &[
            "--problem-rate",
            "0.2",
            "--variation-rate",
            "0",
            "--linkage-rate",
            "0",
            "--problem-mix",
            &mix,
            "--problem-mix",
            "M20=3",
        ],
    );
    assert_eq!(code, exit::CLEAN, "{err}");
    let mut count: BTreeMap<String, usize> = BTreeMap::new();
    for r in &read_csv(&dir.path().join("truth.csv"))[1..] {
        *count.entry(r[2].clone()).or_default() += 1;
    }
    assert_eq!(
        count.keys().collect::<Vec<_>>(),
        ["M20", "V05"],
        "{count:?}"
    );
    // The later M20=3 wins over M20=1: about three times as many.
    let ratio = count["M20"] as f64 / count["V05"] as f64;
    assert!((2.0..4.5).contains(&ratio), "{count:?}");

    let (code, err) = generate(&dir.path().join("x"), "2", &["--problem-mix", "L03=1"]);
    assert_eq!(code, exit::FAILED, "{err}");
    assert!(
        err.contains("L03") && err.contains("--linkage-rate"),
        "{err}"
    );
    let (code, err) = generate(&dir.path().join("y"), "2", &["--problem-mix", "V03"]);
    assert_eq!(code, exit::FAILED, "{err}");
}
