//! `run`: the whole job in one command, the nightly baseline (N01/N02), the config file, the
//! lock, and what a killed or interrupted run leaves behind. The tests that need a real process
//! (signals, kill -9) start this test binary again as a child running the CLI
//! ([`support::child`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::support;
use crate::report::lock::{LOCK_FILE, Lock};
use crate::rules::check_digit::my_number_check_digit;
use crate::state::baseline::BASELINE_FILE;

fn input(name: &str) -> PathBuf {
    support::root().join("fixtures/check/input").join(name)
}

/// Lines 2, 3, 6, 7, 10, 11 of fixtures/check office_a.csv: each is M00 against the registry
/// and nothing else is wrong with them.
fn clean_lines() -> Vec<String> {
    let text = std::fs::read_to_string(input("office_a.csv")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    [1, 2, 5, 6, 9, 10]
        .iter()
        .map(|&i| lines[i].trim_start_matches('\u{feff}').to_string())
        .collect()
}

fn roster(dir: &Path, rows: &[String]) -> PathBuf {
    let mut text = format!("{}\n", support::HEADER);
    for r in rows {
        text.push_str(r);
        text.push('\n');
    }
    support::write(dir, "office.csv", text)
}

fn run_args(roster: &Path, out: &Path, state: &Path) -> Vec<String> {
    vec![
        "run".into(),
        "--roster".into(),
        roster.display().to_string(),
        "--registry".into(),
        input("registry.csv").display().to_string(),
        "--out".into(),
        out.display().to_string(),
        "--state".into(),
        state.display().to_string(),
        "--as-of".into(),
        "20261121".into(),
    ]
}

/// (code, line, field, action) of every finding.
fn findings(out: &Path) -> Vec<(String, u64, String, String)> {
    support::read_csv(&out.join("findings.csv"))
        .into_iter()
        .skip(1)
        .map(|r| {
            (
                r[0].clone(),
                r[3].parse().unwrap(),
                r[6].clone(),
                r[8].clone(),
            )
        })
        .collect()
}

fn summary(out: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap()
}

/// A valid 個人番号 that is in no fixture registry.
fn unknown_number(n: u64) -> String {
    let base = format!("{:011}", 70_000_000_000u64 + n);
    format!("{base}{}", my_number_check_digit(&base).unwrap())
}

#[test]
fn a_clean_roster_exits_0_and_becomes_the_baseline() {
    let dir = tempfile::tempdir().unwrap();
    let r = roster(dir.path(), &clean_lines());
    let (out, state) = (dir.path().join("out"), dir.path().join("state"));
    let (code, _, err) = support::run(&run_args(&r, &out, &state));
    assert_eq!(code, 0, "{err}");
    assert!(findings(&out).is_empty(), "{:?}", findings(&out));
    let s = summary(&out);
    assert_eq!(s["command"], "run");
    assert_eq!(s["baseline"]["status"], "first");
    assert_eq!(s["baseline"]["verified"], 6);
    assert_eq!(s["baseline"]["records_written"], 6);
    assert_eq!(s["verdicts"]["M00"], 6);
    assert!(err.contains("初回"), "{err}");
    assert!(state.join(BASELINE_FILE).exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert!(
            !state.join(LOCK_FILE).exists() && !out.join(LOCK_FILE).exists(),
            "a finished run leaves no lock file"
        );
        for f in [BASELINE_FILE, "state.json"] {
            let mode = std::fs::metadata(state.join(f))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{f}");
        }
        let mode = std::fs::metadata(&state).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
    }
}

#[test]
fn the_fixture_rosters_with_errors_exit_1_with_every_output() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut args: Vec<String> = vec!["run".into()];
    for r in ["office_a.csv", "office_b_cp932.csv", "office_c.csv"] {
        args.push(input(r).display().to_string());
    }
    for a in ["--registry", "registry.csv", "--insurance", "insurance.csv"] {
        args.push(if a.ends_with(".csv") {
            input(a).display().to_string()
        } else {
            a.into()
        });
    }
    args.extend(["--out".into(), out.display().to_string()]);
    args.extend(["--as-of".into(), "20261121".into()]);
    let (code, _, err) = support::run(&args);
    assert_eq!(code, 1, "{err}");
    let codes: std::collections::BTreeSet<String> =
        findings(&out).into_iter().map(|f| f.0).collect();
    // V (entry rules), M (registry), L and D (linkage, coverage) all come out of one run.
    for c in ["V16", "M10", "M20", "L01", "L03", "D01", "D02"] {
        assert!(codes.contains(c), "{c} missing from {codes:?}");
    }
    for f in ["results.csv", "corrections.csv", "summary.json"] {
        assert!(out.join(f).exists(), "{f}");
    }
    // Without --state there is no baseline, but the output folder is locked and released
    // (the lock file deleted: a finished run leaves nothing behind).
    assert!(summary(&out).get("baseline").is_none());
    assert!(!out.join(LOCK_FILE).exists());
}

#[test]
fn second_night_reports_the_new_record_and_the_changed_number() {
    let dir = tempfile::tempdir().unwrap();
    let (out, state) = (dir.path().join("out"), dir.path().join("state"));
    let mut rows = clean_lines();
    let r = roster(dir.path(), &rows);
    assert_eq!(support::run(&run_args(&r, &out, &state)).0, 0);

    // Night 2: line 4 (受給者番号 0001057) now carries another number; a new record at the end
    // is in no registry.
    let changed = unknown_number(1);
    let mut f: Vec<String> = rows[2].split(',').map(String::from).collect();
    assert_eq!(f[1], "0001057");
    f[4] = changed.clone();
    rows[2] = f.join(",");
    let new_row = support::clean_row(900_001);
    rows.push(new_row.clone());
    let r = roster(dir.path(), &rows);
    let (code, _, err) = support::run(&run_args(&r, &out, &state));
    assert_eq!(code, 1, "M30 on both is an エラー: {err}");
    let found = findings(&out);
    let nightly: Vec<_> = found
        .iter()
        .filter(|f| f.0.starts_with('N'))
        .cloned()
        .collect();
    assert_eq!(
        nightly,
        vec![
            ("N02".into(), 4, "個人番号".into(), "本人確認".into()),
            ("N01".into(), 8, String::new(), "保留".into()),
        ]
    );
    // The new record is held in the corrections (not to be registered yet).
    let held: Vec<Vec<String>> = support::read_csv(&out.join("corrections.csv"))
        .into_iter()
        .filter(|r| r[2] == "8")
        .collect();
    assert_eq!(held.len(), 1);
    assert_eq!(held[0][0], "保留");
    let s = summary(&out);
    assert_eq!(s["baseline"]["status"], "compared");
    assert_eq!(s["baseline"]["previous_records"], 6);
    assert_eq!(s["baseline"]["new_unverified"], 1);
    assert_eq!(s["baseline"]["changed"], 1);
    assert_eq!(s["by_code"]["N01"], 1);
    assert_eq!(s["by_code"]["N02"], 1);
    // The report page says what the comparison found.
    let page = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        page.contains("2026年11月21日 の基準（6 件）と比べました"),
        "baseline status missing"
    );
    assert!(
        page.contains("<td>N01 新しい記録で照合できなかった（保留）</td><td class=\"n\">1</td>")
    );
    // Never a full number in the log or the findings.
    let text = std::fs::read_to_string(out.join("findings.csv")).unwrap();
    assert!(!text.contains(&changed) && !err.contains(&changed));

    // Night 3, same roster: the change is still unresolved (N02 again); the new record was seen
    // last night, so it is no longer new (its M30 still says what is wrong).
    let (code, _, _) = support::run(&run_args(&r, &out, &state));
    assert_eq!(code, 1);
    let nightly: Vec<_> = findings(&out)
        .into_iter()
        .filter(|f| f.0.starts_with('N'))
        .map(|f| (f.0, f.1))
        .collect();
    assert_eq!(nightly, vec![("N02".into(), 4)]);
}

#[test]
fn a_damaged_baseline_stops_the_run_and_touches_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (out, state) = (dir.path().join("out"), dir.path().join("state"));
    let r = roster(dir.path(), &clean_lines());
    assert_eq!(support::run(&run_args(&r, &out, &state)).0, 0);
    let before = snapshot(&out);
    let path = state.join(BASELINE_FILE);
    let mut bytes = std::fs::read(&path).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x40;
    std::fs::write(&path, &bytes).unwrap();

    let (code, _, err) = support::run(&run_args(&r, &out, &state));
    assert_eq!(code, 2);
    assert!(
        err.contains("壊れて") && err.contains("--reset-baseline"),
        "{err}"
    );
    assert_eq!(
        snapshot(&out),
        before,
        "outputs replaced after a damaged baseline"
    );
    assert_eq!(std::fs::read(&path).unwrap(), bytes, "baseline touched");

    // A baseline that disappears is not a first run either.
    std::fs::remove_file(&path).unwrap();
    let (code, _, err) = support::run(&run_args(&r, &out, &state));
    assert_eq!(code, 2);
    assert!(err.contains("基準ファイルがありません"), "{err}");

    // Starting over is explicit.
    let mut args = run_args(&r, &out, &state);
    args.push("--reset-baseline".into());
    let (code, _, err) = support::run(&args);
    assert_eq!(code, 0, "{err}");
    assert_eq!(summary(&out)["baseline"]["status"], "reset");
    assert_eq!(support::run(&run_args(&r, &out, &state)).0, 0);
}

#[test]
fn a_live_lock_refuses_the_run_and_a_dead_ones_is_taken_over() {
    let dir = tempfile::tempdir().unwrap();
    let (out, state) = (dir.path().join("out"), dir.path().join("state"));
    let r = roster(dir.path(), &clean_lines());
    assert_eq!(support::run(&run_args(&r, &out, &state)).0, 0);
    let before = snapshot(&out);
    let baseline = std::fs::read(state.join(BASELINE_FILE)).unwrap();

    // Held (as another run holds it: an flock on its own open file).
    let (held, _) = Lock::acquire(&state).unwrap();
    let (code, _, err) = support::run(&run_args(&r, &out, &state));
    assert_eq!(code, 2);
    assert!(
        err.contains("使用中") && err.contains(&format!("PID {}", std::process::id())),
        "{err}"
    );
    assert_eq!(snapshot(&out), before);
    assert_eq!(std::fs::read(state.join(BASELINE_FILE)).unwrap(), baseline);
    drop(held);

    // Left by a process that died (its PID is still in the file, nobody holds the flock).
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    std::fs::write(state.join(LOCK_FILE), format!("{pid}\nunix 1\n")).unwrap();
    // ... and the temp files it left behind.
    std::fs::write(out.join(".totsugo-abc123.tmp"), "half").unwrap();
    std::fs::create_dir(out.join(".totsugo-corrections-xyz")).unwrap();
    let (code, _, err) = support::run(&run_args(&r, &out, &state));
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains(&format!("PID {pid}")) && err.contains("引き継ぎます"),
        "{err}"
    );
    assert!(!out.join(".totsugo-abc123.tmp").exists());
    assert!(!out.join(".totsugo-corrections-xyz").exists());
    assert!(!state.join(LOCK_FILE).exists(), "released and deleted");
}

#[test]
fn a_five_line_config_runs_the_job_and_flags_override_it() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = dir.path().join("in");
    std::fs::create_dir(&inputs).unwrap();
    roster(&inputs, &clean_lines());
    std::fs::copy(input("registry.csv"), dir.path().join("juki.csv")).unwrap();
    let config = support::write(
        dir.path(),
        "office.toml",
        "roster = \"in\"\nregistry = \"juki.csv\"\nout = \"out\"\nstate = \"state\"\nas-of = \"20261121\"\n",
    );
    let (code, _, err) = support::run(&["run", "--config", config.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let s = summary(&dir.path().join("out"));
    assert_eq!(s["verdicts"]["M00"], 6);
    assert_eq!(s["baseline"]["status"], "first");
    assert!(dir.path().join("state").join(BASELINE_FILE).exists());

    // --out on the command line wins; --quiet silences the result lines.
    let other = dir.path().join("other");
    let (code, _, err) = support::run(&[
        "run",
        "--config",
        config.to_str().unwrap(),
        "--out",
        other.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(code, 0);
    assert_eq!(err, "", "--quiet prints nothing on a clean run");
    assert_eq!(summary(&other)["baseline"]["status"], "compared");

    // A misspelt key is an error (exit 2), not a silent default.
    let bad = support::write(dir.path(), "bad.toml", "rosters = \"in\"\n");
    let (code, _, err) = support::run(&["run", "--config", bad.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("rosters"), "{err}");
    // So is a run without a registry.
    let none = support::write(dir.path(), "none.toml", "roster = \"in\"\nout = \"out\"\n");
    let (code, _, err) = support::run(&["run", "--config", none.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("--registry"), "{err}");
}

/// File name → bytes of every file under `dir` (lock file excepted).
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut m = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if e.file_name() != LOCK_FILE {
                let name = p.strip_prefix(dir).unwrap().display().to_string();
                m.insert(name, std::fs::read(&p).unwrap());
            }
        }
    }
    m
}

/// summary.json differs between identical runs only by its timings, report.html by the time
/// it was made.
fn comparable(mut files: BTreeMap<String, Vec<u8>>) -> BTreeMap<String, Vec<u8>> {
    if let Some(s) = files.get_mut("summary.json") {
        let mut v: serde_json::Value = serde_json::from_slice(s).expect("summary.json complete");
        v.as_object_mut().unwrap().remove("timings_ms");
        *s = serde_json::to_vec(&v).unwrap();
    }
    if let Some(h) = files.get_mut("report.html") {
        let text = String::from_utf8(h.clone()).expect("report.html is UTF-8");
        assert!(
            text.trim_end().ends_with("</html>"),
            "report.html cut short"
        );
        let open = "<span id=\"generated\">";
        let at = text.find(open).expect("report.html names when it was made") + open.len();
        let made = &text[at..at + text[at..].find("</span>").unwrap()];
        *h = text.replace(made, "").into_bytes();
    }
    files
}

fn restore(dir: &Path, files: &BTreeMap<String, Vec<u8>>) {
    if dir.exists() {
        std::fs::remove_dir_all(dir).unwrap();
    }
    for (name, bytes) in files {
        let p = dir.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
}

/// A generated dataset big enough that a debug run takes a noticeable time.
fn generated(dir: &Path) -> (Vec<String>, PathBuf) {
    let data = dir.join("data");
    let (code, _, err) = support::run(&[
        "gen",
        "--residents",
        "20000",
        "--recipients",
        "2500",
        "--offices",
        "2",
        "--seed",
        "5",
        "--as-of",
        "20261121",
        "--no-insurance",
        "--out",
        data.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let mut rosters: Vec<String> = std::fs::read_dir(&data)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("roster_")
        })
        .map(|p| p.display().to_string())
        .collect();
    rosters.sort();
    (rosters, data.join("registry.csv"))
}

/// Night 1 and night 2 of the generated data (night 2 drops the last rows of the first roster,
/// so its outputs and baseline differ from night 1's).
struct Nights {
    dir: tempfile::TempDir,
    night2_args: Vec<String>,
    /// Outputs and state after night 1, and after an undisturbed night 2.
    after1: (BTreeMap<String, Vec<u8>>, BTreeMap<String, Vec<u8>>),
    after2: (BTreeMap<String, Vec<u8>>, BTreeMap<String, Vec<u8>>),
}

fn nights() -> Nights {
    let dir = tempfile::tempdir().unwrap();
    let (rosters, registry) = generated(dir.path());
    let (out, state) = (dir.path().join("out"), dir.path().join("state"));
    let args = |rosters: &[String]| -> Vec<String> {
        let mut a: Vec<String> = vec!["run".into()];
        a.extend(rosters.iter().cloned());
        for (k, v) in [
            ("--registry", registry.display().to_string()),
            ("--out", out.display().to_string()),
            ("--state", state.display().to_string()),
            ("--as-of", "20261121".into()),
        ] {
            a.push(k.into());
            a.push(v);
        }
        a
    };
    let (code, _, err) = support::run(&args(&rosters));
    assert!(code <= 1, "{err}");
    let after1 = (snapshot(&out), snapshot(&state));
    // Night 2: the first roster loses its last 200 lines.
    let first = std::fs::read(&rosters[0]).unwrap();
    let mut cut = first.len();
    for _ in 0..200 {
        cut = first[..cut - 1].iter().rposition(|&b| b == b'\n').unwrap() + 1;
    }
    let shorter = dir.path().join("night2_roster.csv");
    std::fs::write(&shorter, &first[..cut]).unwrap();
    let mut night2 = rosters.clone();
    night2[0] = shorter.display().to_string();
    let night2_args = args(&night2);
    let (code, _, err) = support::run(&night2_args);
    assert!(code <= 1, "{err}");
    let after2 = (snapshot(&out), snapshot(&state));
    assert_ne!(comparable(after1.0.clone()), comparable(after2.0.clone()));
    assert_ne!(after1.1, after2.1, "night 2 must change the baseline");
    Nights {
        dir,
        night2_args,
        after1,
        after2,
    }
}

/// Every output and the baseline are each either night 1's or night 2's, complete.
fn assert_old_or_new(n: &Nights, what: &str) {
    let out = comparable(snapshot(&n.dir.path().join("out")));
    let (old, new) = (
        comparable(n.after1.0.clone()),
        comparable(n.after2.0.clone()),
    );
    for (name, bytes) in &out {
        if name.starts_with(".totsugo-") {
            continue; // a temp name, never a final one (the next run removes it)
        }
        assert!(
            old.get(name) == Some(bytes) || new.get(name) == Some(bytes),
            "{what}: {name} is neither the previous nor the new version"
        );
    }
    // corrections/ is replaced as one folder: exactly the old set of files or the new one.
    let folder = |m: &BTreeMap<String, Vec<u8>>| -> BTreeMap<String, Vec<u8>> {
        m.iter()
            .filter(|(k, _)| k.starts_with("corrections/"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    let got = folder(&out);
    assert!(
        got == folder(&old) || got == folder(&new),
        "{what}: corrections/ is a mix of two runs: {:?}",
        got.keys().collect::<Vec<_>>()
    );
    for name in old.keys().filter(|k| !k.starts_with("corrections/")) {
        assert!(out.contains_key(name), "{what}: {name} disappeared");
    }
    let state = snapshot(&n.dir.path().join("state"));
    let b = state.get(BASELINE_FILE).expect("baseline present");
    assert!(
        Some(b) == n.after1.1.get(BASELINE_FILE) || Some(b) == n.after2.1.get(BASELINE_FILE),
        "{what}: baseline is neither the previous nor the new one"
    );
}

fn wait_for_lock(state: &Path, child: &mut std::process::Child) {
    let lock = state.join(LOCK_FILE);
    for _ in 0..2000 {
        if std::fs::read_to_string(&lock).is_ok_and(|t| t.starts_with(&child.id().to_string())) {
            return;
        }
        if child.try_wait().unwrap().is_some() {
            return;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    panic!("the child never took the lock");
}

#[test]
fn kill_9_at_any_moment_leaves_old_or_new_files_never_half_written() {
    let n = nights();
    let state = n.dir.path().join("state");
    // How long an undisturbed night 2 takes as a child process.
    restore(&n.dir.path().join("out"), &n.after1.0);
    restore(&state, &n.after1.1);
    let t = std::time::Instant::now();
    let status = support::child(&n.night2_args).status().unwrap();
    let full = t.elapsed();
    assert!(status.code().is_some_and(|c| c <= 1));
    let out = n.dir.path().join("out");
    let temp_in_out = || {
        std::fs::read_dir(&out).is_ok_and(|d| {
            d.flatten()
                .any(|e| e.file_name().to_string_lossy().starts_with(".totsugo-"))
        })
    };
    // Half the kills are spread over the run's time (the estimate shrinks when a run ends
    // first: the machine may be busy or not); the other half come just after the first output
    // temp file appears, so the writing and renaming phase is hit too.
    let mut estimate = full;
    let mut killed = 0;
    for round in 0..14u32 {
        restore(&out, &n.after1.0);
        restore(&state, &n.after1.1);
        let mut child = support::child(&n.night2_args).spawn().unwrap();
        wait_for_lock(&state, &mut child);
        let t = std::time::Instant::now();
        let timed = round % 2 == 0;
        let delay = if timed {
            estimate.mul_f64((f64::from(round / 2) + 0.5) / 7.0)
        } else {
            Duration::from_millis(u64::from(round / 2) * 3)
        };
        let mut seen: Option<std::time::Instant> = None;
        let mut ended = false;
        loop {
            if child.try_wait().unwrap().is_some() {
                ended = true;
                if timed {
                    estimate = estimate.min(t.elapsed());
                }
                break;
            }
            if seen.is_none() && !timed && temp_in_out() {
                seen = Some(std::time::Instant::now());
            }
            let due = match (timed, seen) {
                (true, _) => t.elapsed() >= delay,
                (false, Some(at)) => at.elapsed() >= delay,
                (false, None) => false,
            };
            if due {
                break;
            }
            std::thread::sleep(Duration::from_micros(500));
        }
        if !ended {
            killed += 1;
        }
        let _ = child.kill(); // SIGKILL
        child.wait().unwrap();
        let what = if timed {
            "after"
        } else {
            "after the first temp file +"
        };
        assert_old_or_new(&n, &format!("kill -9 {what} {delay:?}"));
        let baseline_kept = snapshot(&state).get(BASELINE_FILE) == n.after1.1.get(BASELINE_FILE);
        // The next run takes the dead run's lock over, clears its temp files and finishes; from
        // the old baseline it makes exactly the undisturbed night 2.
        let (code, _, err) = support::run(&n.night2_args);
        assert!(code <= 1, "{err}");
        if baseline_kept {
            let again = comparable(snapshot(&n.dir.path().join("out")));
            assert!(
                again == comparable(n.after2.0.clone()),
                "the run after a kill -9 differs from an undisturbed one"
            );
            assert_eq!(
                snapshot(&state).get(BASELINE_FILE),
                n.after2.1.get(BASELINE_FILE)
            );
        }
        let leftovers: Vec<_> = std::fs::read_dir(&out)
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with(".totsugo-"))
            .collect();
        assert!(leftovers.is_empty(), "temp files left: {leftovers:?}");
    }
    assert!(killed >= 5, "only {killed} of 14 runs were killed mid-way");
}

#[cfg(unix)]
#[test]
fn sigterm_stops_cleanly_with_previous_outputs_and_baseline_intact() {
    let n = nights();
    let (out, state) = (n.dir.path().join("out"), n.dir.path().join("state"));
    let mut interrupted = 0;
    for round in 0..6u32 {
        restore(&out, &n.after1.0);
        restore(&state, &n.after1.1);
        let mut child = support::child(&n.night2_args)
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        wait_for_lock(&state, &mut child);
        std::thread::sleep(Duration::from_millis(20 * u64::from(round)));
        let pid = child.id().to_string();
        let _ = std::process::Command::new("sh")
            .args(["-c", &format!("kill -TERM {pid}")])
            .status();
        let output = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&output.stderr);
        match output.status.code() {
            Some(2) => {
                interrupted += 1;
                assert!(err.contains("SIGTERM を受けて中断しました"), "{err}");
                assert_eq!(
                    snapshot(&out),
                    n.after1.0,
                    "outputs changed by an interrupted run"
                );
                assert_eq!(
                    snapshot(&state).get(BASELINE_FILE),
                    n.after1.1.get(BASELINE_FILE)
                );
                let temps = std::fs::read_dir(&out)
                    .unwrap()
                    .flatten()
                    .filter(|e| e.file_name().to_string_lossy().starts_with(".totsugo-"))
                    .count();
                assert_eq!(temps, 0, "an interrupted run removes its temp files");
            }
            Some(0 | 1) => assert_old_or_new(&n, "SIGTERM after the outputs were replaced"),
            other => panic!("exit {other:?}: {err}"),
        }
        assert!(!state.join(LOCK_FILE).exists(), "lock released");
    }
    assert!(
        interrupted >= 2,
        "only {interrupted} of 6 runs were interrupted"
    );
}

/// A baseline written by another normalizer version (its 氏名 and 住所 hashes differ from
/// tonight's for every record, as a normalizer change makes them): the night re-keys it, says
/// so, and raises no N02; the next night compares as usual. The same hashes under the current
/// version are real changes: N02 on every record (the control).
#[test]
fn a_baseline_from_another_normalizer_version_is_rekeyed_without_n02() {
    use crate::normalize::NORMALIZATION_VERSION;
    use crate::state::baseline::{Baseline, Loaded};
    let dir = tempfile::tempdir().unwrap();
    let r = roster(dir.path(), &clean_lines());
    let (out, state) = (dir.path().join("out"), dir.path().join("state"));
    assert_eq!(support::run(&run_args(&r, &out, &state)).0, 0);
    let doctor = |version: u32| {
        let Loaded::Baseline(b) = Baseline::load(&state).unwrap() else {
            panic!("no baseline")
        };
        let entries = b
            .entries()
            .iter()
            .map(|e| {
                let mut e = *e;
                e.fields[1] ^= 1;
                e.fields[5] ^= 1;
                e
            })
            .collect();
        let mut doctored = Baseline::from_entries(entries, b.as_of.clone());
        doctored.normalization = version;
        doctored.write(&state).unwrap();
    };
    let n02 = |out: &Path| findings(out).iter().filter(|f| f.0 == "N02").count();

    doctor(NORMALIZATION_VERSION + 1);
    let (code, _, err) = support::run(&run_args(&r, &out, &state));
    assert_eq!(code, 0, "{err}");
    assert_eq!(n02(&out), 0, "{:?}", findings(&out));
    assert!(err.contains("正規化の版"), "{err}");
    assert_eq!(
        summary(&out)["baseline"]["renormalized_from"],
        NORMALIZATION_VERSION + 1
    );
    // Rewritten with tonight's version: the next night is an ordinary comparison.
    let (code, _, err) = support::run(&run_args(&r, &out, &state));
    assert_eq!(code, 0, "{err}");
    assert_eq!(n02(&out), 0);
    assert!(!err.contains("正規化の版"), "{err}");
    assert!(summary(&out)["baseline"].get("renormalized_from").is_none());

    // Control: the same doctored hashes under the current version are changes.
    doctor(NORMALIZATION_VERSION);
    let (_, _, err) = support::run(&run_args(&r, &out, &state));
    assert_eq!(n02(&out), 6, "{err}");
}

/// A record verified on night 1 whose 氏名 then differs from the registry (M11, not verified)
/// raises N02 every night. When the normalizer version changes in between, its name can no
/// longer be compared: N02 goes on saying so every night (before: the re-key took tonight's name
/// as verified and N02 was gone for good), until the record verifies again.
#[test]
fn a_pending_change_survives_a_new_normalizer_version() {
    use crate::normalize::NORMALIZATION_VERSION;
    use crate::state::baseline::{Baseline, Loaded};
    let dir = tempfile::tempdir().unwrap();
    let (out, state) = (dir.path().join("out"), dir.path().join("state"));
    let rows = clean_lines();
    let r = roster(dir.path(), &rows);
    assert_eq!(support::run(&run_args(&r, &out, &state)).0, 0);
    let mut renamed = rows.clone();
    let mut f: Vec<String> = renamed[0].split(',').map(String::from).collect();
    let family = f[5].split('\u{3000}').next().unwrap().to_string();
    f[5] = f[5].replacen(&family, "鈴木", 1);
    renamed[0] = f.join(",");
    let r2 = roster(dir.path(), &renamed);
    let n02 = |out: &Path| -> Vec<(u64, String)> {
        findings(out)
            .into_iter()
            .filter(|f| f.0 == "N02")
            .map(|f| (f.1, f.2))
            .collect()
    };
    // Night 2: the name changed.
    support::run(&run_args(&r2, &out, &state));
    assert_eq!(n02(&out), vec![(2, "氏名".to_string())]);
    // A new normalizer version before night 3 (the baseline says it was made by another).
    let Loaded::Baseline(b) = Baseline::load(&state).unwrap() else {
        panic!("no baseline")
    };
    let mut older = Baseline::from_entries(b.entries().to_vec(), b.as_of.clone());
    older.normalization = NORMALIZATION_VERSION + 1;
    older.write(&state).unwrap();
    for night in 3..=4 {
        let (_, _, err) = support::run(&run_args(&r2, &out, &state));
        let got = n02(&out);
        assert_eq!(got.len(), 1, "night {night}: {got:?} {err}");
        assert_eq!(got[0].0, 2);
        let message = std::fs::read_to_string(out.join("findings.csv")).unwrap();
        assert!(message.contains("比べられない"), "night {night}");
    }
    // Verified again (the registry's name back): no N02, and the next night is quiet too.
    let r = roster(dir.path(), &rows);
    for _ in 0..2 {
        support::run(&run_args(&r, &out, &state));
        assert!(n02(&out).is_empty(), "{:?}", findings(&out));
    }
}
