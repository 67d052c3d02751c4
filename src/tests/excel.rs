//! Rosters as Excel writes them: trailing empty cells from a used range wider than the header,
//! numbers that lost their leading zeros or became `6.21498E+11`, and a tab-separated save.

use std::path::Path;

use super::support;

/// Runs `validate` on `bytes` as roster.csv: (exit code, stderr, findings rows, summary).
fn validate(dir: &Path, bytes: &[u8]) -> (u8, String, Vec<Vec<String>>, serde_json::Value) {
    let roster = support::write(dir, "roster.csv", bytes);
    let out = dir.join("out");
    let (code, _, err) = support::run(&[
        "validate",
        roster.to_str().unwrap(),
        "--as-of",
        "20261121",
        "--out",
        out.to_str().unwrap(),
    ]);
    if code == 2 {
        return (code, err, Vec::new(), serde_json::Value::Null);
    }
    let findings = support::read_csv(&out.join("findings.csv"))
        .into_iter()
        .skip(1)
        .collect();
    let summary =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    (code, err, findings, summary)
}

/// CP932 with CRLF, as Excel's "CSV (コンマ区切り)" saves a sheet.
fn cp932(text: &str) -> Vec<u8> {
    encoding_rs::SHIFT_JIS
        .encode(&text.replace('\n', "\r\n"))
        .0
        .into_owned()
}

#[test]
fn trailing_empty_cells_beyond_the_header_are_ignored_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    // Excel wrote the used range three columns wider than the header on the data rows.
    let text = format!(
        "{}\n{},,,\n{},,,\n",
        support::HEADER,
        support::clean_row(1),
        support::clean_row(2)
    );
    let (code, err, findings, summary) = validate(dir.path(), &cp932(&text));
    assert_eq!(code, 0, "{err} {findings:?}");
    assert!(findings.is_empty(), "{findings:?}");
    assert_eq!(summary["inputs"][0]["trailing_empty_cells"], 6);
    assert_eq!(summary["inputs"][0]["rows"], 2);
    // A non-empty cell beyond the header is still a wrong column count.
    let text = format!(
        "{}\n{},,,\n{},,x,\n",
        support::HEADER,
        support::clean_row(1),
        support::clean_row(2)
    );
    let (code, _, findings, summary) = validate(dir.path(), &cp932(&text));
    assert_eq!(code, 1);
    let codes: Vec<(&str, &str)> = findings
        .iter()
        .map(|f| (f[0].as_str(), f[3].as_str()))
        .collect();
    assert_eq!(codes, [("V16", "3")]);
    assert!(findings[0][7].contains("列の数が17です"), "{findings:?}");
    assert_eq!(summary["inputs"][0]["trailing_empty_cells"], 3);
}

#[test]
fn a_tab_separated_roster_is_named_as_such_with_how_to_save_it_as_csv() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{}\n{}\n",
        support::HEADER.replace(',', "\t"),
        support::clean_row(1).replace(',', "\t")
    );
    let (code, err, ..) = validate(dir.path(), &cp932(&text));
    assert_eq!(code, 2);
    assert!(err.contains("タブ区切りのファイルです"), "{err}");
    assert!(err.contains("タブで14列に分かれています"), "{err}");
    assert!(err.contains("CSV (コンマ区切り)"), "{err}");
    assert!(!err.contains("見出し「保険者番号」がありません"), "{err}");
}

/// Numbers as Excel leaves them when the column was General: the 受給者番号 and 個人番号 lost
/// their leading zero, the 個人番号 of another row shows as 6.21498E+11. Values from
/// python-stdnum 1.20: 056789012348 (`jp.in_`), 0001016 (`luhn`).
#[test]
fn numbers_excel_mangled_are_recognized_and_recovered_where_certain() {
    let dir = tempfile::tempdir().unwrap();
    let row = |recipient: &str, number: &str| {
        format!(
            "12130019,{recipient},C1,01,{number},山田　太郎,ヤマダ　タロウ,19450312,1,1000001,東京都千代田区千代田１丁目１番,20200401,,0"
        )
    };
    let text = format!(
        "{}\n{}\n{}\n{}\n",
        support::HEADER,
        row("1016", "56789012348"),
        row("0001024", "6.21498E+11"),
        row("0001032", "000000000000"),
    );
    let roster = support::write(dir.path(), "roster.csv", cp932(&text));
    let out = dir.path().join("out");
    let (code, _, err) = support::run(&[
        "validate",
        roster.to_str().unwrap(),
        "--as-of",
        "20261121",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{err}");
    let findings = support::read_csv(&out.join("findings.csv"));
    let got: Vec<(&str, &str, &str)> = findings[1..]
        .iter()
        .map(|f| (f[0].as_str(), f[3].as_str(), f[6].as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("V02", "2", "受給者番号"),
            ("V02", "2", "個人番号"),
            ("V02", "3", "個人番号"),
            ("V02", "4", "個人番号"),
        ]
    );
    let corrections = support::read_csv(&out.join("corrections.csv"));
    // 処理区分, 入力ファイル, 行番号, 保険者番号, 受給者番号, ケース番号, 世帯員番号, 個人番号 …
    let line2 = corrections.iter().find(|r| r[2] == "2").unwrap();
    assert_eq!(line2[0], "修正要確認");
    assert_eq!(
        (line2[4].as_str(), line2[7].as_str()),
        ("0001016", "056789012348")
    );
    let line3 = corrections.iter().find(|r| r[2] == "3").unwrap();
    assert_eq!(line3[7], "6.21498E+11", "digits lost: nothing proposed");
    let line4 = corrections.iter().find(|r| r[2] == "4").unwrap();
    assert_eq!(line4[7], "", "a placeholder is emptied");
}

/// A roster written in Shift_JIS-2004 read as CP932: 蔣 (0xEE55 in JIS X 0213, per Python's
/// `shift_jis_2004` codec) decodes as 皜. Never silently: the run warns and names the line.
#[test]
fn a_cp932_roster_using_the_nec_ibm_rows_is_warned_about_naming_the_lines() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = cp932(&format!("{}\n{}\n", support::HEADER, support::clean_row(1)));
    // Line 3: 山田 太郎 with 蔣 for 田, as Shift_JIS-2004 writes it.
    let row = cp932(&format!("{}\n", support::clean_row(2)));
    let yamada = encoding_rs::SHIFT_JIS.encode("田").0.into_owned();
    let at = row.windows(2).position(|w| w == yamada.as_slice()).unwrap();
    bytes.extend_from_slice(&row[..at]);
    bytes.extend_from_slice(b"\xEE\x55");
    bytes.extend_from_slice(&row[at + 2..]);
    let (code, err, _, summary) = validate(dir.path(), &bytes);
    assert!(code <= 1, "{err}");
    assert!(
        err.contains("1行（3行目）に CP932 の NEC 選定 IBM 拡張の領域"),
        "{err}"
    );
    assert!(err.contains("--encoding sjis2004"), "{err}");
    let note = summary["inputs"][0]["note"].as_str().unwrap_or_default();
    assert!(note.contains("3行目"), "{summary}");
    // Genuine CP932 (IBM extension rows 0xFA–0xFC, as Windows writes 髙; fixtures/clean has
    // 髙 and 﨑 in the NEC-selected rows, as some vendor systems write them) is not warned about.
    let text = format!("{}\n{}\n", support::HEADER, support::clean_row(1)).replace('山', "髙");
    let (_, err, _, summary) = validate(dir.path(), &cp932(&text));
    assert!(!err.contains("NEC 選定"), "{err}");
    assert!(summary["inputs"][0]["note"].is_null(), "{summary}");
}

/// `--encoding sjis2004` reads a Shift_JIS-2004 roster as written: 蔣 (0xEE55, from Python's
/// `shift_jis_2004` codec) matches the registry's 蔣 instead of becoming 皜 and an M11.
#[test]
fn encoding_sjis2004_reads_jis_x_0213_kanji_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let number = "621498320257"; // valid: python-stdnum jp.in_
    let row = format!(
        "12130019,0001016,C1,01,{number},X　太郎,ショウ　タロウ,19450312,1,1000001,東京都千代田区千代田１丁目１番,20200401,,0\n"
    );
    let mut bytes = cp932(&format!("{}\n", support::HEADER));
    let row = cp932(&row);
    let x = row.iter().position(|&b| b == b'X').unwrap();
    bytes.extend_from_slice(&row[..x]);
    bytes.extend_from_slice(b"\xEE\x55");
    bytes.extend_from_slice(&row[x + 1..]);
    let roster = support::write(dir.path(), "roster.csv", &bytes);
    let registry = support::write(
        dir.path(),
        "registry.csv",
        format!(
            "個人番号,氏名,氏名カナ,生年月日,性別,住所,状態,異動年月日\n{number},蔣　太郎,ショウ　タロウ,19450312,1,東京都千代田区千代田１丁目１番,0,20200101\n"
        ),
    );
    let run = |encoding: Option<&str>, name: &str| {
        let out = dir.path().join(name);
        let mut args = vec![
            "match".to_string(),
            roster.display().to_string(),
            "--registry".into(),
            registry.display().to_string(),
            "--as-of".into(),
            "20261121".into(),
            "--out".into(),
            out.display().to_string(),
        ];
        if let Some(e) = encoding {
            args.extend(["--encoding".into(), e.into()]);
        }
        let (code, _, err) = support::run(&args);
        assert!(code <= 1, "{err}");
        let results = support::read_csv(&out.join("results.csv"));
        let findings = support::read_csv(&out.join("findings.csv"));
        let summary: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap())
                .unwrap();
        (results, findings, summary, err)
    };
    // As CP932: 皜　太郎, M11, and the warning.
    let (results, _, _, err) = run(None, "cp932");
    assert_eq!(results[1][5], "M11", "{results:?}");
    assert!(err.contains("--encoding sjis2004"), "{err}");
    // As Shift_JIS-2004: the name is the registry's (M00); 蔣 is outside CP932, so the entry
    // rules still say the national server cannot take it (V11).
    let (results, findings, summary, _) = run(Some("sjis2004"), "sjis2004");
    assert_eq!(results[1][5], "M00", "{results:?}");
    let codes: Vec<&str> = findings[1..].iter().map(|f| f[0].as_str()).collect();
    assert_eq!(codes, ["V11"], "{findings:?}");
    assert!(findings[1][7].contains('蔣'), "{findings:?}");
    assert_eq!(summary["inputs"][0]["encoding"], "sjis2004");
}
