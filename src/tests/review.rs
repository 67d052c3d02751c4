//! The clerk's review across nights: stable 所見ID, `--ack` (CSV and the filled-in workbook),
//! acknowledged.csv, expiry, and review.xlsx opened by a real reader (Python's openpyxl, as a
//! clerk's Excel would open it).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::support::{self, HEADER, clean_row, read_csv, write};

fn registry() -> String {
    support::root()
        .join("fixtures/check/input/registry.csv")
        .display()
        .to_string()
}

/// A clean row of a person of its own (name and birth date differ by `n`).
fn person(n: u32) -> String {
    let names = [
        "佐藤　一郎",
        "鈴木　花子",
        "高橋　次郎",
        "田中　美紀",
        "伊藤　三郎",
        "渡辺　里美",
    ];
    let kanas = [
        "サトウ　イチロウ",
        "スズキ　ハナコ",
        "タカハシ　ジロウ",
        "タナカ　ミキ",
        "イトウ　サブロウ",
        "ワタナベ　サトミ",
    ];
    let i = n as usize % names.len();
    clean_row(n)
        .replace("山田　太郎", names[i])
        .replace("ヤマダ　タロウ", kanas[i])
        .replace(
            "19450312",
            &format!("19{:02}0{}1{}", 40 + n % 50, 1 + n % 9, n % 10),
        )
}

/// Rows of different persons with findings of several kinds: V05 (check digit), V10
/// (spacing), V15 (duplicate), V06 (date).
fn roster_rows() -> Vec<String> {
    let mut f: Vec<String> = person(11).split(',').map(String::from).collect();
    f[1] = "0000110".into(); // 受給者番号 with a wrong check digit: V05
    let spaced = person(12).replace("高橋　次郎", "高橋 次郎"); // V10
    let mut g: Vec<String> = person(13).split(',').map(String::from).collect();
    g[7] = "19450231".into(); // V06
    vec![person(10), f.join(","), spaced.clone(), spaced, g.join(",")]
}

fn roster(dir: &Path, name: &str, rows: &[String]) -> PathBuf {
    let mut text = String::from(HEADER);
    text.push_str("\r\n");
    for r in rows {
        text.push_str(r);
        text.push_str("\r\n");
    }
    write(dir, name, text)
}

fn run_check(rosters: &[&Path], out: &Path, extra: &[&str]) -> (u8, String) {
    run_cmd("check", rosters, out, extra)
}

/// `validate` (entry rules only) or `check` (with the sample registry).
fn run_cmd(command: &str, rosters: &[&Path], out: &Path, extra: &[&str]) -> (u8, String) {
    let mut args: Vec<String> = vec![command.into()];
    args.extend(rosters.iter().map(|p| p.display().to_string()));
    if command == "check" {
        args.extend(["--registry".into(), registry()]);
    }
    args.extend(["--out".into(), out.display().to_string()]);
    args.extend(["--as-of".into(), "20261121".into()]);
    args.extend(extra.iter().map(|s| s.to_string()));
    let (code, _, err) = support::run(&args);
    (code, err)
}

/// (code, 所見ID) of every finding.
fn ids(out: &Path) -> BTreeSet<(String, String)> {
    read_csv(&out.join("findings.csv"))[1..]
        .iter()
        .map(|r| (r[0].clone(), r[11].clone()))
        .collect()
}

/// The same roster rows in another order, split over files in another order, with 1 or 4
/// threads: the same set of 所見ID (line numbers and file names play no part).
#[test]
fn finding_ids_do_not_depend_on_order_files_or_threads() {
    let dir = tempfile::tempdir().unwrap();
    let rows = roster_rows();
    let a = roster(dir.path(), "a.csv", &rows[..3]);
    let b = roster(dir.path(), "b.csv", &rows[3..]);
    let mut reversed: Vec<String> = rows.clone();
    reversed.reverse();
    let c = roster(dir.path(), "c.csv", &reversed[..2]);
    let d = roster(dir.path(), "d.csv", &reversed[2..]);
    let out1 = dir.path().join("o1");
    let out2 = dir.path().join("o2");
    run_check(&[&a, &b], &out1, &["--threads", "1"]);
    run_check(&[&d, &c], &out2, &["--threads", "4"]);
    let (one, two) = (ids(&out1), ids(&out2));
    assert!(one.len() >= 5, "{one:?}");
    // V15 is written on whichever copy comes second: same ID either way (its message names the
    // other line, which the ID leaves out).
    assert_eq!(one, two);
    for (code, id) in &one {
        assert!(
            id.starts_with(&format!("{code}-")) && id.len() == 16,
            "{id}"
        );
    }
}

fn ack_file(dir: &Path, name: &str, lines: &[String], cp932: bool) -> PathBuf {
    let text = format!("所見ID,理由,期限\r\n{}\r\n", lines.join("\r\n"));
    if cp932 {
        let (bytes, _, _) = encoding_rs::SHIFT_JIS.encode(&text);
        write(dir, name, bytes)
    } else {
        write(dir, name, format!("\u{feff}{text}"))
    }
}

/// Tonight's acknowledged finding is absent tomorrow (in acknowledged.csv instead, not in the
/// exit code); it is back after its 期限, and back as new when its values change.
#[test]
fn an_acknowledged_finding_stays_away_until_it_expires_or_changes() {
    let dir = tempfile::tempdir().unwrap();
    let r = roster(dir.path(), "r.csv", &roster_rows()[..2]); // one V05 エラー
    let out = dir.path().join("out");
    let (code, err) = run_cmd("validate", &[&r], &out, &[]);
    assert_eq!(code, 1, "{err}");
    let night1 = read_csv(&out.join("findings.csv"));
    assert_eq!(night1.len(), 2, "{night1:?}");
    let id = night1[1][11].clone();
    assert!(id.starts_with("V05-"), "{id}");
    // The clerk's file, saved by Excel as CP932, with one good line and three bad ones.
    let acks = ack_file(
        dir.path(),
        "acks.csv",
        &[
            format!("{id},窓口で確認済み（旧番号のまま）,20261231"),
            "V05-xyz,書式違い,".into(),
            format!("{},期限が変,2026/13/40", id.replace("V05", "V03")),
            "V03-0123456789ab,,".into(),
        ],
        true,
    );
    let (code, err) = run_cmd("validate", &[&r], &out, &["--ack", acks.to_str().unwrap()]);
    assert_eq!(code, 0, "acknowledged エラー leave the exit code: {err}");
    assert!(
        err.contains("3行目") && err.contains("4行目") && err.contains("5行目"),
        "bad lines named: {err}"
    );
    assert_eq!(read_csv(&out.join("findings.csv")).len(), 1);
    // The acknowledged row stays as it is: no correction row for it.
    assert_eq!(read_csv(&out.join("corrections.csv")).len(), 1);
    assert!(!out.join("corrections").join("r.csv").exists());
    let acked = read_csv(&out.join("acknowledged.csv"));
    assert_eq!(acked.len(), 2, "{acked:?}");
    assert_eq!(acked[1][11], id);
    assert_eq!(acked[1][12], "窓口で確認済み（旧番号のまま）");
    assert_eq!(acked[1][13], "20261231");
    let s: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(s["acknowledged"]["acknowledged"], 1);
    assert_eq!(s["acknowledged"]["errors_acknowledged"], 1);
    assert_eq!(s["totals"]["errors"], 0);
    let page = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(page.contains("うちエラー 1 件") && page.contains("<details>"));

    // After the 期限: back in findings.csv.
    let expired = ack_file(
        dir.path(),
        "old.csv",
        &[format!("{id},確認済み,20261120")],
        false,
    );
    let (code, _) = run_cmd(
        "validate",
        &[&r],
        &out,
        &["--ack", expired.to_str().unwrap()],
    );
    assert_eq!(code, 1);
    assert_eq!(read_csv(&out.join("findings.csv"))[1][11], id);
    let s: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(s["acknowledged"]["expired"], 1);

    // The value changes: a new ID, the finding is back, the old acknowledgement is stale.
    let mut rows = roster_rows()[..2].to_vec();
    rows[1] = rows[1].replace(",0000110,", ",0000120,");
    let r2 = roster(dir.path(), "r.csv", &rows);
    let (code, _) = run_cmd("validate", &[&r2], &out, &["--ack", acks.to_str().unwrap()]);
    assert_eq!(code, 1);
    let now = read_csv(&out.join("findings.csv"));
    assert!(
        now[1][11].starts_with("V05-") && now[1][11] != id,
        "{now:?}"
    );
    let s: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(s["acknowledged"]["stale"][0], id);

    // A run without --ack removes the old acknowledged.csv.
    run_cmd("validate", &[&r2], &out, &[]);
    assert!(!out.join("acknowledged.csv").exists());
}

/// Runs Python with openpyxl (installed by .ci/run); None (with a notice) where it is missing
/// outside CI.
fn python_openpyxl(script: &str, args: &[&str]) -> Option<String> {
    let probe = std::process::Command::new("python3")
        .args(["-c", "import openpyxl"])
        .status();
    if !probe.is_ok_and(|s| s.success()) {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have python3 with openpyxl (.ci/run installs it)"
        );
        eprintln!("SKIPPED: python3 with openpyxl not found (pip install openpyxl)");
        return None;
    }
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8(out.stdout).unwrap())
}

/// review.xlsx opened by openpyxl: the two sheets, every cell a string with the text format,
/// leading zeros kept, no number in scientific notation, frozen header, filter on; then the
/// clerk marks two rows as checked (as in Excel) and the next run with `--ack review.xlsx`
/// leaves out exactly those two.
#[test]
fn the_workbook_reads_as_text_and_round_trips_as_ack() {
    let dir = tempfile::tempdir().unwrap();
    let r = roster(dir.path(), "r.csv", &roster_rows());
    let out = dir.path().join("out");
    let (code, err) = run_check(&[&r], &out, &[]);
    assert_eq!(code, 1, "{err}");
    let book = out.join("review.xlsx");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&book).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let findings = read_csv(&out.join("findings.csv"));
    let corrections = read_csv(&out.join("corrections.csv"));
    let check = r#"
import sys, json, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
out = {"sheets": wb.sheetnames}
for ws in wb.worksheets:
    rows = []
    kinds = set()
    fmts = set()
    for row in ws.iter_rows():
        cells = []
        for c in row:
            if c.value is not None:
                kinds.add(type(c.value).__name__)
                fmts.add(c.number_format)
            cells.append("" if c.value is None else c.value)
        rows.append(cells)
    out[ws.title] = {"rows": rows, "kinds": sorted(kinds), "formats": sorted(fmts),
                     "freeze": ws.freeze_panes, "filter": ws.auto_filter.ref}
print(json.dumps(out, ensure_ascii=False))
"#;
    let Some(json) = python_openpyxl(check, &[book.to_str().unwrap()]) else {
        return;
    };
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["sheets"], serde_json::json!(["所見", "修正"]));
    for sheet in ["所見", "修正"] {
        assert_eq!(v[sheet]["kinds"], serde_json::json!(["str"]), "{sheet}");
        assert_eq!(v[sheet]["formats"], serde_json::json!(["@"]), "{sheet}");
        assert_eq!(v[sheet]["freeze"], "A2", "{sheet}");
        assert!(v[sheet]["filter"].as_str().unwrap().starts_with("A1:"));
    }
    let shown =
        |sheet: &str, r: usize, c: usize| v[sheet]["rows"][r][c].as_str().unwrap_or("").to_string();
    // Same cells as the CSVs: 受給者番号 with its zeros, 12-digit numbers whole.
    for (r, row) in findings.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            assert_eq!(&shown("所見", r, c), cell, "所見 row {r} col {c}");
        }
    }
    assert_eq!(
        v["所見"]["rows"][0],
        serde_json::json!([
            "コード",
            "重要度",
            "入力ファイル",
            "行番号",
            "保険者番号",
            "受給者番号",
            "項目",
            "内容",
            "対応",
            "関連ファイル",
            "関連行番号",
            "所見ID",
            "確認",
            "理由",
            "期限"
        ])
    );
    for (r, row) in corrections.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            assert_eq!(&shown("修正", r, c), cell, "修正 row {r} col {c}");
        }
    }
    assert!(corrections.iter().any(|r| r.iter().any(|c| c == "0000110")));
    assert!(
        corrections[1..]
            .iter()
            .all(|r| r[7].is_empty() || r[7].len() == 12)
    );

    // The clerk marks rows 2 and 4 as checked, with a reason, and saves.
    let fill = r#"
import sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
ws = wb["所見"]
for r in (2, 4):
    ws.cell(row=r, column=13, value="済")
    ws.cell(row=r, column=14, value="窓口で本人確認")
ws.cell(row=3, column=14, value="理由だけで確認の印なし")
wb.save(sys.argv[2])
"#;
    let filled = dir.path().join("filled.xlsx");
    python_openpyxl(fill, &[book.to_str().unwrap(), filled.to_str().unwrap()]);
    let confirmed: BTreeSet<String> = [findings[1][11].clone(), findings[3][11].clone()].into();
    let before = ids(&out);
    let (_, err) = run_check(&[&r], &out, &["--ack", filled.to_str().unwrap()]);
    let after = ids(&out);
    let gone: BTreeSet<String> = before
        .difference(&after)
        .map(|(_, id)| id.clone())
        .collect();
    assert_eq!(gone, confirmed, "{err}");
    let acked: BTreeSet<String> = read_csv(&out.join("acknowledged.csv"))[1..]
        .iter()
        .map(|r| r[11].clone())
        .collect();
    assert_eq!(acked, confirmed);

    // Tonight's workbook carries them forward, marked: saved as is and given as tomorrow's
    // --ack, it acknowledges the same two (the clerk's file is replaced every night).
    let tonight = dir.path().join("tonight.xlsx");
    std::fs::copy(&book, &tonight).unwrap();
    let (_, err) = run_check(&[&r], &out, &["--ack", tonight.to_str().unwrap()]);
    let again: BTreeSet<String> = read_csv(&out.join("acknowledged.csv"))[1..]
        .iter()
        .map(|r| r[11].clone())
        .collect();
    assert_eq!(again, confirmed, "{err}");
}

/// The sample run's workbook, marked by a clerk and saved by LibreOffice Calc
/// (fixtures/ack/README.md): `--ack` leaves out exactly its two marked findings.
#[test]
fn a_workbook_saved_by_libreoffice_acknowledges_exactly_its_marked_rows() {
    let dir = tempfile::tempdir().unwrap();
    let input = |f: &str| {
        support::root()
            .join("fixtures/check/input")
            .join(f)
            .display()
            .to_string()
    };
    let out = dir.path().join("out");
    let book = support::root().join("fixtures/ack/review_libreoffice.xlsx");
    let mut args: Vec<String> = vec!["run".into()];
    for f in ["office_a.csv", "office_b_cp932.csv", "office_c.csv"] {
        args.push(input(f));
    }
    for a in [
        "--registry".to_string(),
        input("registry.csv"),
        "--insurance".into(),
        input("insurance.csv"),
        "--out".into(),
        out.display().to_string(),
        "--as-of".into(),
        "20261121".into(),
        "--ack".into(),
        book.display().to_string(),
    ] {
        args.push(a);
    }
    let (code, _, err) = support::run(&args);
    assert_eq!(code, 1, "{err}");
    let acked: BTreeSet<String> = read_csv(&out.join("acknowledged.csv"))[1..]
        .iter()
        .map(|r| r[11].clone())
        .collect();
    let want: BTreeSet<String> = ["D04-pbjgqjqedbqs", "V16-cksbjgnbefcn"]
        .map(String::from)
        .into();
    assert_eq!(acked, want, "{err}");
    assert!(ids(&out).iter().all(|(_, id)| !want.contains(id)));
    let s: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(s["acknowledged"]["listed"], 2);
    assert_eq!(s["acknowledged"]["stale"], serde_json::json!([]));
}
