//! `totsugo gen`: deterministic output, and generated data that `totsugo match` reads exactly as
//! its truth file says (every injected problem found on its line, every benign variation M01,
//! nothing else flagged).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::support::{read_csv, run};
use crate::exit;

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

/// The generator's truth and the matcher agree record by record: this is both a test of the
/// generator (it injects what it says) and an accuracy test of matching on realistic data.
#[test]
fn match_on_generated_data_finds_exactly_the_truth() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (code, err) = generate(
        &data,
        "2",
        &["--problem-rate", "0.3", "--variation-rate", "0.4"],
    );
    assert_eq!(code, exit::CLEAN, "{err}");
    let mut args: Vec<String> = vec!["match".into()];
    for f in files(&data).keys().filter(|f| f.starts_with("roster_")) {
        args.push(data.join(f).display().to_string());
    }
    let out = dir.path().join("out");
    args.extend([
        "--registry".into(),
        data.join("registry.csv").display().to_string(),
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
    for r in &read_csv(&data.join("truth.csv"))[1..] {
        let key = (r[0].clone(), r[1].clone());
        if r[2].starts_with('M') {
            expected_verdict.insert(key.clone(), r[2].clone());
        }
        if r[2] != "M01" {
            truth_codes.insert((r[0].clone(), r[1].clone(), r[2].clone()));
        }
    }
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
        "M10", "M11", "M12", "M20", "M30", "M31", "M40", "M41", "M42", "V03", "V07", "V09", "V10",
        "V13", "V15",
    ] {
        assert!(codes.contains(c), "{c} never injected");
    }

    let results = read_csv(&out.join("results.csv"));
    let mut variations = 0;
    for r in &results[1..] {
        let key = (base(&r[0]), r[1].clone());
        let want = expected_verdict.get(&key).map_or("M00", String::as_str);
        assert_eq!(r[5], want, "verdict of {key:?}: {r:?}");
        variations += usize::from(want == "M01");
    }
    assert!(
        variations > 500,
        "benign variations were exercised: {variations}"
    );
}
