//! Golden files: each `fixtures/<case>/args.txt` is run through the CLI into a fresh folder and
//! every output is compared byte for byte with `fixtures/<case>/expected/` (encoding, BOM and
//! line endings matter). `summary.json` is compared with its volatile fields (version, timings)
//! redacted; report.html is left out (see src/tests/html.rs). `UPDATE_GOLDEN=1 cargo test golden` rewrites expected/; review the git diff.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::support;

fn collect(dir: &Path, base: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        let rel = p.strip_prefix(base).unwrap().to_string_lossy().into_owned();
        if p.is_dir() {
            collect(&p, base, out);
        } else {
            out.insert(rel, std::fs::read(&p).unwrap());
        }
    }
}

fn redact_summary(bytes: &[u8]) -> Vec<u8> {
    let mut v: serde_json::Value = serde_json::from_slice(bytes).unwrap();
    v["version"] = "(redacted)".into();
    v["timings_ms"] = "(redacted)".into();
    let mut s = serde_json::to_string_pretty(&v).unwrap();
    s.push('\n');
    s.into_bytes()
}

fn first_difference(a: &[u8], b: &[u8]) -> String {
    let (a, b) = (String::from_utf8_lossy(a), String::from_utf8_lossy(b));
    for (i, (x, y)) in a.lines().zip(b.lines()).enumerate() {
        if x != y {
            return format!("line {}:\n  expected: {x}\n  actual:   {y}", i + 1);
        }
    }
    format!(
        "line count {} vs {} (or line endings/bytes differ)",
        a.lines().count(),
        b.lines().count()
    )
}

fn run_case(case: &Path) -> Vec<String> {
    let args_text = std::fs::read_to_string(case.join("args.txt")).unwrap();
    let out = tempfile::tempdir().unwrap();
    let args: Vec<String> = args_text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.replace("{OUT}", &out.path().display().to_string()))
        .collect();
    let (code, _, stderr) = support::run(&args);
    let mut actual = BTreeMap::new();
    collect(out.path(), out.path(), &mut actual);
    // report.html carries the time it was made and is checked by structure instead
    // (src/tests/html.rs): a golden copy of a page would be reviewed by nobody line by line.
    actual.remove(crate::report::html::FILE_NAME);
    // review.xlsx is a ZIP made from findings.csv and corrections.csv (compared here): its
    // cells are checked by reading it back (src/tests/review.rs).
    actual.remove(crate::report::workbook::FILE);
    if let Some(s) = actual.get_mut("summary.json") {
        *s = redact_summary(s);
    }
    actual.insert("exit_code.txt".into(), format!("{code}\n").into_bytes());
    let expected_dir = case.join("expected");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        let _ = std::fs::remove_dir_all(&expected_dir);
        for (name, bytes) in &actual {
            let p = expected_dir.join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, bytes).unwrap();
        }
        return Vec::new();
    }
    let mut expected = BTreeMap::new();
    collect(&expected_dir, &expected_dir, &mut expected);
    let mut problems = Vec::new();
    let names: std::collections::BTreeSet<_> = expected.keys().chain(actual.keys()).collect();
    for name in names {
        match (expected.get(name), actual.get(name)) {
            (Some(e), Some(a)) if e == a => {}
            (Some(e), Some(a)) => problems.push(format!(
                "{}: {name} differs at {}",
                case.display(),
                first_difference(e, a)
            )),
            (Some(_), None) => problems.push(format!("{}: {name} not written", case.display())),
            (None, Some(_)) => problems.push(format!("{}: {name} not expected", case.display())),
            (None, None) => {}
        }
    }
    if !problems.is_empty() {
        problems.push(format!("stderr was:\n{stderr}"));
    }
    problems
}

#[test]
fn golden_fixtures() {
    let fixtures = support::root().join("fixtures");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&fixtures)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("args.txt").exists())
        .collect();
    cases.sort();
    assert!(cases.len() >= 2, "fixture cases: {cases:?}");
    let problems: Vec<String> = cases.iter().flat_map(|c| run_case(c)).collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Every V-code of the contract is produced by some fixture (and so pinned by a golden file).
#[test]
fn fixtures_exercise_every_v_code() {
    let path = support::root().join("fixtures/validate/expected/findings.csv");
    let rows = support::read_csv(&path);
    for code in crate::findings::Code::ALL
        .iter()
        .filter(|c| c.as_str().starts_with('V'))
    {
        assert!(
            rows.iter().any(|r| r[0] == code.as_str()),
            "{code} not in {}",
            path.display()
        );
    }
}

/// The match fixture gives every verdict M00–M42 (results.csv 判定), and `-` for an unreadable
/// line.
#[test]
fn match_fixture_exercises_every_m_code() {
    let path = support::root().join("fixtures/match/expected/results.csv");
    let rows = support::read_csv(&path);
    for code in crate::findings::Code::ALL
        .iter()
        .filter(|c| c.as_str().starts_with('M'))
    {
        assert!(
            rows.iter().any(|r| r[5] == code.as_str()),
            "{code} not in {}",
            path.display()
        );
    }
    assert!(rows.iter().any(|r| r[5] == "-"));
}
