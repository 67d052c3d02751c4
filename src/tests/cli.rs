//! The CLI in-process: exit codes, bad inputs, privacy, determinism, atomic replacement, scale.

use std::path::Path;

use super::support::{self, HEADER, clean_row, read_csv, run, write};
use crate::exit;

fn validate(dir: &Path, files: &[&Path]) -> (u8, String, String) {
    let mut args: Vec<String> = vec!["validate".into()];
    args.extend(files.iter().map(|p| p.display().to_string()));
    args.extend([
        "--as-of".into(),
        "20261121".into(),
        "--out".into(),
        dir.join("out").display().to_string(),
    ]);
    run(&args)
}

fn findings(dir: &Path) -> Vec<Vec<String>> {
    read_csv(&dir.join("out/findings.csv"))
}

#[test]
fn help_and_version_exit_zero_usage_errors_exit_two() {
    let (code, out, _) = run(&["--help"]);
    assert_eq!(code, exit::CLEAN);
    assert!(out.contains("validate"), "{out}");
    let (code, out, _) = run(&["validate", "--help"]);
    assert_eq!(code, exit::CLEAN);
    assert!(out.contains("終了コード"), "{out}");
    let (code, out, _) = run(&["--version"]);
    assert_eq!((code, out.trim()), (exit::CLEAN, "totsugo 0.1.0"));
    let (code, _, err) = run(&["validate", "--no-such-flag"]);
    assert_eq!(code, exit::FAILED);
    assert!(err.contains("--no-such-flag"), "{err}");
    let (code, _, err) = run(&["validate", "x.csv"]);
    assert_eq!(code, exit::FAILED, "--out is required: {err}");
    let (code, _, err) = run(&["validate", "x.csv", "--out", "o", "--as-of", "20261332"]);
    assert_eq!(code, exit::FAILED);
    assert!(err.contains("YYYYMMDD"), "{err}");
}

#[test]
fn unreadable_input_exits_two() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = validate(dir.path(), &[&dir.path().join("missing.csv")]);
    assert_eq!(code, exit::FAILED);
    assert!(err.contains("missing.csv: 読み込めません"), "{err}");
}

#[test]
fn missing_header_exits_two_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let header = HEADER.replace("個人番号,", "");
    let p = write(dir.path(), "r.csv", format!("{header}\n"));
    let (code, _, err) = validate(dir.path(), &[&p]);
    assert_eq!(code, exit::FAILED);
    assert!(
        err.contains("必須の見出し「個人番号」がありません"),
        "{err}"
    );
    assert!(
        err.contains("マイナンバー"),
        "accepted aliases are listed: {err}"
    );
    // Nothing is left under a final name by a run that could not be done.
    assert!(!dir.path().join("out/findings.csv").exists());
}

#[test]
fn empty_file_exits_two_header_only_file_is_clean() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "empty.csv", "");
    let (code, _, err) = validate(dir.path(), &[&p]);
    assert_eq!(code, exit::FAILED);
    assert!(err.contains("ファイルが空です"), "{err}");

    let p = write(dir.path(), "header.csv", format!("{HEADER}\r\n"));
    let (code, _, err) = validate(dir.path(), &[&p]);
    assert_eq!(code, exit::CLEAN, "{err}");
    assert_eq!(findings(dir.path()).len(), 1, "header row only");
    let s: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("out/summary.json")).unwrap())
            .unwrap();
    assert_eq!(s["totals"]["rows"], 0);
    assert_eq!(s["inputs"][0]["line_ending"], "CRLF");
}

#[test]
fn bom_utf8_file_reads_its_first_header() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("\u{feff}{HEADER}\n{}\n", clean_row(1));
    let p = write(dir.path(), "bom.csv", text);
    let (code, _, err) = validate(dir.path(), &[&p]);
    assert_eq!(code, exit::CLEAN, "{err}");
    let s = std::fs::read_to_string(dir.path().join("out/summary.json")).unwrap();
    assert!(s.contains("\"bom\": true"), "{s}");
}

#[test]
fn v14_cp932_broken_bytes_cost_one_line_only() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = Vec::new();
    let enc = |s: &str| encoding_rs::SHIFT_JIS.encode(s).0.into_owned();
    bytes.extend(enc(&format!("{HEADER}\r\n")));
    for i in 0..5 {
        let mut line = enc(&format!("{}\r\n", clean_row(i)));
        if i == 2 {
            // 山 is 0x8E 0x52: a space for its trail byte makes it undecodable.
            let pos = line.windows(2).position(|w| w == [0x8E, 0x52]).unwrap();
            line[pos + 1] = b' ';
        }
        if i == 4 {
            // A bad line also holds a 全角 number: V02 on the good line after it still shows.
            line = enc(&format!("{}\r\n", clean_row(i).replace(",01,", ",１,")));
        }
        bytes.extend(line);
    }
    let p = write(dir.path(), "sjis.csv", bytes);
    let (code, _, err) = validate(dir.path(), &[&p]);
    assert_eq!(code, exit::FOUND_ERRORS, "{err}");
    let f = findings(dir.path());
    let got: Vec<(&str, &str, &str)> = f[1..]
        .iter()
        .map(|r| (r[0].as_str(), r[3].as_str(), r[6].as_str()))
        .collect();
    assert_eq!(got, [("V14", "4", "氏名"), ("V02", "6", "世帯員番号")]);
    // The broken line still names its record.
    assert_eq!(f[1][4], "12130019");

    // UTF-8 with a BOM stays UTF-8 when a later line is broken: V14 on that line only.
    let mut bytes = format!("\u{feff}{HEADER}\n{}\n", clean_row(1)).into_bytes();
    bytes.extend_from_slice(clean_row(2).replace("太郎", "\u{1}").as_bytes());
    let n = bytes.len();
    bytes[n - 1] = 0xE5; // a cut-off 3-byte sequence at the end of the line
    bytes.extend_from_slice(format!("\n{}\n", clean_row(3)).as_bytes());
    let p = write(dir.path(), "bom.csv", bytes);
    let (_, _, err) = validate(dir.path(), &[&p]);
    let f = findings(dir.path());
    let got: Vec<(&str, &str)> = f[1..]
        .iter()
        .map(|r| (r[0].as_str(), r[3].as_str()))
        .collect();
    assert_eq!(got, [("V14", "3")], "{err}");
}

/// A BOM-less file with one line that is not UTF-8 is CP932 by the contract's rule; when the
/// rest is UTF-8 Japanese the run says so and how to override, instead of guessing.
#[test]
fn mostly_utf8_file_without_bom_is_cp932_with_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = format!("{HEADER}\n").into_bytes();
    for i in 0..5 {
        bytes.extend_from_slice(format!("{}\n", clean_row(i)).as_bytes());
    }
    bytes.extend_from_slice(b"12130019,\xff\n");
    let p = write(dir.path(), "u.csv", &bytes);
    let (code, _, err) = validate(dir.path(), &[&p]);
    assert_eq!(code, exit::FAILED, "the header is not CP932");
    assert!(err.contains("--encoding utf8"), "{err}");
    let out = dir.path().join("o2");
    let (code, _, err) = run(&[
        "validate".as_ref(),
        p.as_os_str(),
        "--encoding".as_ref(),
        "utf8".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    assert_eq!(code, exit::FOUND_ERRORS, "{err}");
    let f = read_csv(&out.join("findings.csv"));
    assert_eq!((f[1][0].as_str(), f[1][3].as_str()), ("V14", "7"));
}

/// Past the sniffed prefix, UTF-8 is only provisional: a later line that is not UTF-8 makes the
/// whole file CP932 by the contract's rule, exactly as if it had all been read up front.
#[test]
fn a_late_non_utf8_line_still_makes_the_file_cp932() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = format!("{HEADER}\n").into_bytes();
    let mut i = 0;
    while bytes.len() as u64 <= crate::ingest::encoding::PREFIX + 100_000 {
        bytes.extend_from_slice(format!("{}\n", clean_row(i)).as_bytes());
        i += 1;
    }
    bytes.extend_from_slice(b"12130019,\xff\n");
    let p = write(dir.path(), "late.csv", &bytes);
    let (code, _, err) = validate(dir.path(), &[&p]);
    assert!(err.contains("読み直します"), "{err}");
    assert_eq!(code, exit::FAILED, "the header is not CP932: {err}");
    assert!(err.contains("--encoding utf8"), "{err}");
    assert!(
        !dir.path().join("out/findings.csv").exists(),
        "nothing of the first attempt is left"
    );
}

#[test]
fn v16_and_blank_lines_are_reported_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{HEADER}\n{}\n\n12130019,1000017\n{},extra\n\n",
        clean_row(1),
        clean_row(2)
    );
    let p = write(dir.path(), "r.csv", text);
    let (code, _, _) = validate(dir.path(), &[&p]);
    assert_eq!(code, exit::FOUND_ERRORS);
    let f = findings(dir.path());
    let got: Vec<(&str, &str)> = f[1..]
        .iter()
        .map(|r| (r[0].as_str(), r[3].as_str()))
        .collect();
    assert_eq!(got, [("V16", "4"), ("V16", "5")]);
    let s: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("out/summary.json")).unwrap())
            .unwrap();
    assert_eq!(s["inputs"][0]["blank_lines"], 2);
    assert_eq!(s["inputs"][0]["rows"], 3);
    assert_eq!(s["inputs"][0]["unreadable_lines"], 2);
}

#[test]
fn vendor_schema_renames_headers() {
    let dir = tempfile::tempdir().unwrap();
    let header = HEADER
        .replace("個人番号", "マイナンバー番号")
        .replace("生年月日", "生年月日（西暦）");
    let p = write(dir.path(), "v.csv", format!("{header}\n{}\n", clean_row(7)));
    let (code, _, err) = validate(dir.path(), &[&p]);
    assert_eq!(code, exit::FAILED, "unknown header without a schema");
    assert!(err.contains("「個人番号」"), "{err}");
    let schema = write(
        dir.path(),
        "vendor.toml",
        "layout = \"roster\"\n[[field]]\nkey = \"個人番号\"\nheaders = [\"マイナンバー番号\"]\n",
    );
    let out = dir.path().join("out2");
    let (code, _, err) = run(&[
        "validate".as_ref(),
        p.as_os_str(),
        "--schema".as_ref(),
        schema.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    // 生年月日(西暦) is a built-in alias; 個人番号 comes from the schema.
    assert_eq!(code, exit::CLEAN, "{err}");
}

/// My Numbers appear in full only in the correction files, never in findings, the summary or
/// the log, unless --unmask.
#[test]
fn my_numbers_are_masked_outside_corrections() {
    let dir = tempfile::tempdir().unwrap();
    let rows: Vec<String> = (0..4)
        .map(|i| clean_row(i).replace("山田　太郎", "山田太郎"))
        .collect();
    let p = write(
        dir.path(),
        "r.csv",
        format!("{HEADER}\n{}\n", rows.join("\n")),
    );
    let (code, out, err) = validate(dir.path(), &[&p]);
    assert_eq!(code, exit::FOUND_ERRORS);
    let numbers: Vec<String> = rows
        .iter()
        .map(|r| r.split(',').nth(4).unwrap().to_string())
        .collect();
    let o = dir.path().join("out");
    for (file, may_hold) in [
        ("findings.csv", false),
        ("summary.json", false),
        ("report.html", false),
        ("corrections.csv", true),
        ("corrections/r.csv", true),
    ] {
        let text = std::fs::read_to_string(o.join(file)).unwrap();
        for n in &numbers {
            assert_eq!(text.contains(n.as_str()), may_hold, "{file} / {n}");
        }
    }
    for n in &numbers {
        assert!(!err.contains(n.as_str()) && !out.contains(n.as_str()));
    }
    // V03 shows the masked number; --unmask shows it whole.
    let good = clean_row(9);
    let number = good.split(',').nth(4).unwrap();
    let last = number.as_bytes()[11] - b'0';
    let wrong = format!("{}{}", &number[..11], (last + 1) % 10);
    let bad = good.replace(number, &wrong);
    let p = write(dir.path(), "b.csv", format!("{HEADER}\n{bad}\n"));
    let (_, _, _) = validate(dir.path(), &[&p]);
    let f = findings(dir.path());
    assert!(
        f[1][7].contains(&format!("********{}", &wrong[8..])),
        "{:?}",
        f[1]
    );
    let (_, _, _) = run(&[
        "validate".as_ref(),
        p.as_os_str(),
        "--unmask".as_ref(),
        "--out".as_ref(),
        o.as_os_str(),
    ]);
    assert!(findings(dir.path())[1][7].contains(&wrong));
    // report.html stays masked: --unmask opens findings.csv only.
    let page = std::fs::read_to_string(o.join("report.html")).unwrap();
    assert!(!page.contains(&wrong));
    assert!(page.contains(&format!("********{}", &wrong[8..])));
}

#[test]
fn outputs_are_private_and_stale_corrections_are_removed() {
    let dir = tempfile::tempdir().unwrap();
    let fixable = clean_row(1).replace(",01,", ",1,");
    let p = write(dir.path(), "r.csv", format!("{HEADER}\n{fixable}\n"));
    let (code, _, _) = validate(dir.path(), &[&p]);
    assert_eq!(code, exit::FOUND_ERRORS);
    let o = dir.path().join("out");
    let fixed = read_csv(&o.join("corrections/r.csv"));
    assert_eq!(fixed[1][0], "修正");
    assert_eq!(fixed[1][4], "01");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for f in [
            "findings.csv",
            "corrections.csv",
            "summary.json",
            "report.html",
            "corrections/r.csv",
        ] {
            let mode = std::fs::metadata(o.join(f)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{f}");
        }
    }
    // The roster was fixed: the next run leaves no stale correction file to re-import.
    write(dir.path(), "r.csv", format!("{HEADER}\n{}\n", clean_row(1)));
    let (code, _, _) = validate(dir.path(), &[&p]);
    assert_eq!(code, exit::CLEAN);
    assert!(!o.join("corrections/r.csv").exists());
    let leftovers: Vec<_> = std::fs::read_dir(&o)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

#[test]
fn cp932_output_encoding() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "r.csv",
        format!(
            "{HEADER}\n{}\n",
            clean_row(1).replace("山田　太郎", "山田太郎")
        ),
    );
    let o = dir.path().join("out");
    let (code, _, _) = run(&[
        "validate".as_ref(),
        p.as_os_str(),
        "--output-encoding".as_ref(),
        "cp932".as_ref(),
        "--out".as_ref(),
        o.as_os_str(),
    ]);
    assert_eq!(code, exit::FOUND_ERRORS);
    let bytes = std::fs::read(o.join("findings.csv")).unwrap();
    assert!(!bytes.starts_with(b"\xEF\xBB\xBF"));
    let (text, _, bad) = encoding_rs::SHIFT_JIS.decode(&bytes);
    assert!(!bad);
    assert!(text.starts_with("コード,重要度"), "{text}");
    assert!(text.contains("V10"));
}

/// The same fixture checked with 1 thread and with 4, in batches of 3 rows, gives the same bytes.
#[test]
fn output_does_not_depend_on_thread_count() {
    use crate::log::{Log, Verbosity};
    use crate::rules::RuleContext;
    use crate::rules::date::Ymd;
    use crate::schema::{Layout, LayoutKind};
    let root = support::root();
    let mut outputs = Vec::new();
    for threads in [1, 4] {
        let dir = tempfile::tempdir().unwrap();
        let cfg = crate::validate::ValidateConfig {
            rosters: vec![
                root.join("fixtures/validate/input/tokyo_cp932.csv"),
                root.join("fixtures/validate/input/osaka_utf8bom.csv"),
            ],
            out: dir.path().to_path_buf(),
            layout: Layout::builtin(LayoutKind::Roster),
            encoding: None,
            output_encoding: Default::default(),
            rules: RuleContext {
                as_of: Ymd::new(2026, 11, 21).unwrap(),
                unmask: false,
            },
            ack: None,
            batch_size: 3,
            parquet: false,
        };
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let mut sink = Vec::new();
        let mut log = Log::new(&mut sink, Verbosity::Quiet);
        pool.install(|| crate::validate::run(&cfg, &mut log))
            .unwrap();
        let read = |f: &str| std::fs::read(dir.path().join(f)).unwrap();
        outputs.push((
            read("findings.csv"),
            read("corrections.csv"),
            read("corrections/tokyo_cp932.csv"),
        ));
    }
    assert!(outputs[0] == outputs[1]);
}

/// One broken line among many good ones: that line is reported, every other row is checked.
/// (200,000 rows here to keep the debug-build suite quick; the README's million-row run is
/// the same code.)
#[test]
fn one_broken_line_among_many_good_ones() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("big.csv");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&p).unwrap());
    let n = 200_000u32;
    let sjis = |s: String| encoding_rs::SHIFT_JIS.encode(&s).0.into_owned();
    // CP932 with CRLF, as vendor systems export it.
    f.write_all(&sjis(format!("{HEADER}\r\n"))).unwrap();
    for i in 0..n {
        if i == 123_456 {
            f.write_all(b"12130019,1,\xff\xfe\r\n").unwrap();
        } else {
            f.write_all(&sjis(format!("{}\r\n", clean_row(i)))).unwrap();
        }
    }
    drop(f);
    let (code, _, err) = validate(dir.path(), &[&p]);
    assert_eq!(code, exit::FOUND_ERRORS, "{err}");
    let fnd = findings(dir.path());
    let got: Vec<(&str, &str)> = fnd[1..]
        .iter()
        .map(|r| (r[0].as_str(), r[3].as_str()))
        .collect();
    // Line 123,458 = header + 123,456 rows before it + 1. FF is undecodable in CP932 (V14) and
    // the line has 3 columns (V16).
    assert_eq!(got, [("V14", "123458"), ("V16", "123458")]);
    let s: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("out/summary.json")).unwrap())
            .unwrap();
    assert_eq!(s["totals"]["rows"], u64::from(n));
    assert_eq!(s["totals"]["rows_with_findings"], 1);
}

/// The registry is streamed: only the rows some roster record asked for are kept, however many
/// rows pass by, and the verdicts do not depend on where in the file the hits are.
#[test]
fn match_keeps_only_registry_hits() {
    use crate::rules::check_digit::my_number_check_digit;
    let dir = tempfile::tempdir().unwrap();
    let roster = format!("{HEADER}\n{}\n{}\n", clean_row(1), clean_row(2));
    let r = write(dir.path(), "roster.csv", roster);
    let mut reg = String::from("個人番号,氏名,氏名カナ,生年月日,性別,住所,状態,異動年月日\n");
    for i in 0..60_000u64 {
        let base = format!("{:011}", 50_000_000_000u64 + i);
        let n = format!("{base}{}", my_number_check_digit(&base).unwrap());
        reg.push_str(&format!(
            "{n},他人　{i},タニン,19800101,1,東京都港区芝公園４丁目２番８号,0,20200101\n"
        ));
        if i == 30_000 {
            // clean_row(1)'s person, in the middle of the stream.
            let base = format!("{:011}", 30_000_000_001u64);
            let n = format!("{base}{}", my_number_check_digit(&base).unwrap());
            reg.push_str(&format!(
                "{n},山田　太郎,ヤマダ　タロウ,19450312,1,東京都千代田区千代田一丁目一番,0,20200101\n"
            ));
        }
    }
    let g = write(dir.path(), "registry.csv", reg);
    let out = dir.path().join("out");
    let (code, _, err) = run(&[
        "match".as_ref(),
        r.as_os_str(),
        "--registry".as_ref(),
        g.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    assert_eq!(
        code,
        exit::FOUND_ERRORS,
        "row 2 is not in the registry: {err}"
    );
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["inputs"][1]["rows"], 60_001);
    assert_eq!(summary["registry_rows_kept"], 1, "only the hit is held");
    let results = read_csv(&out.join("results.csv"));
    assert_eq!(
        results[1][5], "M01",
        "address notation only: {:?}",
        results[1]
    );
    assert_eq!(results[2][5], "M30");
    assert_eq!(results[1][10], "ゆれ");
}

/// A BOM-less registry is taken for UTF-8 from its first 4 MiB; one later line that is not
/// UTF-8 makes the whole file CP932 (the contract's rule), read again from the start. (ASCII
/// headers through a vendor schema, so the file means the same in both encodings.)
#[test]
fn match_registry_with_late_non_utf8_line_is_read_again_as_cp932() {
    use crate::rules::check_digit::my_number_check_digit;
    let dir = tempfile::tempdir().unwrap();
    let r = write(
        dir.path(),
        "roster.csv",
        format!("{HEADER}\n{}\n", clean_row(1)),
    );
    let mut schema = String::from("layout = \"registry\"\n");
    let keys = [
        "個人番号",
        "氏名",
        "氏名カナ",
        "生年月日",
        "性別",
        "住所",
        "状態",
        "異動年月日",
    ];
    for (i, k) in keys.iter().enumerate() {
        schema.push_str(&format!("[[field]]\nkey = \"{k}\"\nheaders = [\"c{i}\"]\n"));
    }
    let schema = write(dir.path(), "registry.toml", schema);
    let mut reg = b"c0,c1,c2,c3,c4,c5,c6,c7\n".to_vec();
    for i in 0..90_000u64 {
        let base = format!("{:011}", 50_000_000_000u64 + i);
        let n = format!("{base}{}", my_number_check_digit(&base).unwrap());
        reg.extend_from_slice(
            format!("{n},TANIN {i},,19800101,1,MINATO 4-2-8,0,20200101\n").as_bytes(),
        );
    }
    // ｱ in CP932 (0xB1): not UTF-8.
    reg.extend_from_slice(b"500000000001,\xb1,,19800101,1,X,0,20200101\n");
    let g = dir.path().join("registry.csv");
    std::fs::write(&g, &reg).unwrap();
    assert!(reg.len() as u64 > crate::ingest::PREFIX);
    let out = dir.path().join("out");
    let (code, _, err) = run(&[
        "match".as_ref(),
        r.as_os_str(),
        "--registry".as_ref(),
        g.as_os_str(),
        "--schema".as_ref(),
        schema.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    assert_eq!(code, exit::FOUND_ERRORS, "the roster row is M30: {err}");
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    let registry = &summary["inputs"][1];
    assert_eq!(registry["encoding"], "cp932", "{registry}");
    assert_eq!(registry["rows"], 90_001);
    // Read as CP932, the last line decodes (ｱ): no V14 left over from the first attempt.
    assert_eq!(registry["unreadable_lines"], 0, "{registry}");
    assert!(
        !std::fs::read_to_string(out.join("findings.csv"))
            .unwrap()
            .contains("V14")
    );
}
