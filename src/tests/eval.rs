//! `totsugo eval`: on generated data the real run scores recall 1.0 on every injected code, a
//! doctored findings.csv moves the counts by exactly the doctoring, and bad inputs stop with
//! exit 2 and a message that names the file.

use std::path::Path;

use super::support::{read_csv, run};
use crate::exit;

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn tally(v: &serde_json::Value, table: &str, key: &str) -> (u64, u64, u64) {
    let t = &v[table][key];
    (
        t["tp"].as_u64().unwrap_or(0),
        t["fp"].as_u64().unwrap_or(0),
        t["fn"].as_u64().unwrap_or(0),
    )
}

#[test]
fn eval_scores_a_real_run_and_follows_a_doctored_findings_file() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = data.to_str().unwrap();
    let (code, _, err) = run(&[
        "gen",
        "--residents",
        "6000",
        "--recipients",
        "1500",
        "--offices",
        "2",
        "--seed",
        "5",
        "--as-of",
        "20261121",
        "--problem-rate",
        "0.3",
        "--variation-rate",
        "0.4",
        "--out",
        d,
    ]);
    assert_eq!(code, exit::CLEAN, "{err}");
    let out = dir.path().join("out");
    let o = out.to_str().unwrap();
    let registry = data.join("registry.csv");
    let insurance = data.join("insurance.csv");
    let mut args: Vec<String> = vec!["check".into()];
    for e in std::fs::read_dir(&data).unwrap() {
        let p = e.unwrap().path();
        if p.file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("roster_")
        {
            args.push(p.display().to_string());
        }
    }
    args.extend([
        "--registry".into(),
        registry.display().to_string(),
        "--insurance".into(),
        insurance.display().to_string(),
        "--out".into(),
        o.into(),
        "--as-of".into(),
        "20261121".into(),
    ]);
    let (code, _, err) = run(&args);
    assert_eq!(code, exit::FOUND_ERRORS, "{err}");

    let truth = data.join("truth.csv");
    let t = truth.to_str().unwrap();
    let (code, stdout, err) = run(&["eval", "--truth", t, "--out", o]);
    assert_eq!(code, exit::CLEAN, "{err}");
    assert!(
        stdout.contains("系統別") && stdout.contains("誤警報率"),
        "{stdout}"
    );
    let base = json(&out.join("eval.json"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(out.join("eval.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // Every code the truth lists is found on its line: recall 1.0, and nothing unlisted.
    let truth_rows = read_csv(&truth);
    let injected: std::collections::BTreeSet<&str> = truth_rows[1..]
        .iter()
        .map(|r| r[2].as_str())
        .filter(|c| *c != "M01")
        .collect();
    assert!(injected.len() >= 10, "codes injected: {injected:?}");
    for c in &injected {
        assert_eq!(
            base["by_code"][c]["recall"], 1.0,
            "{c}: {}",
            base["by_code"][c]
        );
    }
    for fam in ["V", "M", "D"] {
        assert_eq!(base["by_family"][fam]["recall"], 1.0, "{fam}");
    }
    assert_eq!(base["verdicts"]["M01"]["recall"], 1.0);
    assert!(base["benign"]["clean"].as_u64().unwrap() > 400);
    // Enough variations to mean something (285 with this seed once the address notations of the
    // town dictionary joined the draw: more of them apply only to rural 地番 addresses).
    assert!(
        base["benign"]["variations"].as_u64().unwrap() > 250,
        "{}",
        base["benign"]
    );

    // Doctor findings.csv: drop one V10 finding and add an L01 on a record that is clean in
    // the truth and has no finding.
    let findings = std::fs::read_to_string(out.join("findings.csv")).unwrap();
    let mut lines: Vec<&str> = findings.split_inclusive('\n').collect();
    let dropped = lines
        .iter()
        .position(|l| l.starts_with("V10,"))
        .expect("a V10 finding");
    lines.remove(dropped);
    let listed: std::collections::BTreeSet<(String, String)> = truth_rows[1..]
        .iter()
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect();
    let results = read_csv(&out.join("results.csv"));
    let name = |p: &str| {
        Path::new(p)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned()
    };
    let clean = results[1..]
        .iter()
        .find(|r| r[5] == "M00" && !listed.contains(&(name(&r[0]), r[1].clone())))
        .expect("a clean record");
    let added = format!(
        "L01,エラー,{},{},,,個人番号,テスト用,修正要確認,,,\r\n",
        clean[0], clean[1]
    );
    lines.push(&added);
    let doctored = dir.path().join("doctored");
    std::fs::create_dir(&doctored).unwrap();
    std::fs::write(doctored.join("findings.csv"), lines.concat()).unwrap();
    std::fs::copy(out.join("summary.json"), doctored.join("summary.json")).unwrap();
    std::fs::copy(out.join("results.csv"), doctored.join("results.csv")).unwrap();
    let json_path = dir.path().join("doctored.json");
    let (code, _, err) = run(&[
        "eval",
        "--truth",
        t,
        "--out",
        doctored.to_str().unwrap(),
        "--json",
        json_path.to_str().unwrap(),
    ]);
    assert_eq!(code, exit::CLEAN, "{err}");
    let doc = json(&json_path);
    let (tp, fp, fn_) = tally(&base, "by_code", "V10");
    assert_eq!(tally(&doc, "by_code", "V10"), (tp - 1, fp, fn_ + 1));
    let (tp, fp, fn_) = tally(&base, "by_code", "L01");
    assert_eq!(tally(&doc, "by_code", "L01"), (tp, fp + 1, fn_));
    let (tp, fp, fn_) = tally(&base, "by_family", "V");
    assert_eq!(tally(&doc, "by_family", "V"), (tp - 1, fp, fn_ + 1));
    let o = |v: &serde_json::Value| {
        (
            v["overall"]["tp"].as_u64().unwrap(),
            v["overall"]["fp"].as_u64().unwrap(),
            v["overall"]["fn"].as_u64().unwrap(),
        )
    };
    let (tp, fp, fn_) = o(&base);
    assert_eq!(o(&doc), (tp - 1, fp + 1, fn_ + 1));
    assert_eq!(
        doc["benign"]["clean_alarmed"].as_u64().unwrap(),
        base["benign"]["clean_alarmed"].as_u64().unwrap() + 1
    );
    assert_eq!(doc["verdicts"], base["verdicts"]);
}

#[test]
fn eval_stops_with_exit_2_on_a_missing_or_malformed_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let truth = dir.path().join("truth.csv");
    std::fs::write(
        &truth,
        "ファイル,行番号,コード,内容\nroster_001.csv,2,V07,x\n",
    )
    .unwrap();
    let t = truth.to_str().unwrap();
    let o = out.to_str().unwrap();

    // No findings.csv in the folder.
    let (code, _, err) = run(&["eval", "--truth", t, "--out", o]);
    assert_eq!(code, exit::FAILED);
    assert!(
        err.contains("findings.csv") && err.contains("読み込めません"),
        "{err}"
    );

    // A findings.csv without the 行番号 column.
    std::fs::write(
        out.join("findings.csv"),
        "コード,重要度,入力ファイル\nV07,エラー,a.csv\n",
    )
    .unwrap();
    std::fs::write(
        out.join("summary.json"),
        r#"{"inputs":[{"role":"roster","path":"roster_001.csv","rows":3}]}"#,
    )
    .unwrap();
    let (code, _, err) = run(&["eval", "--truth", t, "--out", o]);
    assert_eq!(code, exit::FAILED);
    assert!(err.contains("見出し「行番号」がありません"), "{err}");

    // A truth line whose line number is not a number.
    std::fs::write(
        out.join("findings.csv"),
        "コード,重要度,入力ファイル,行番号\nV07,エラー,a.csv,2\n",
    )
    .unwrap();
    std::fs::write(
        &truth,
        "ファイル,行番号,コード,内容\nroster_001.csv,二,V07,x\n",
    )
    .unwrap();
    let (code, _, err) = run(&["eval", "--truth", t, "--out", o]);
    assert_eq!(code, exit::FAILED);
    assert!(err.contains("2行目の行番号「二」"), "{err}");
    assert!(!out.join("eval.json").exists());

    // A well-formed pair works and writes eval.json.
    std::fs::write(
        &truth,
        "ファイル,行番号,コード,内容\nroster_001.csv,2,V07,x\n",
    )
    .unwrap();
    let (code, stdout, err) = run(&["eval", "--truth", t, "--out", o]);
    assert_eq!(code, exit::CLEAN, "{err}");
    assert!(stdout.contains("V07"), "{stdout}");
    assert!(out.join("eval.json").exists());
}
