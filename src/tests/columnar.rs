//! Parquet at the boundary (issue 19): a Parquet registry gives the CSV run's results.csv byte
//! for byte, `prepare` records what it was made from, damaged or mistyped files stop the run
//! with exit 2 and a message (never a panic), and `--parquet` writes the CSVs' rows.

use std::path::{Path, PathBuf};

use polars::prelude::*;

use super::support::{root, run};

const ROSTERS: [&str; 2] = [
    "fixtures/match/input/tokyo.csv",
    "fixtures/match/input/kanagawa_cp932.csv",
];

fn match_args(registry: &Path, out: &Path, extra: &[&str]) -> Vec<String> {
    let mut a = vec!["match".to_string()];
    a.extend(ROSTERS.iter().map(|r| root().join(r).display().to_string()));
    a.extend([
        "--registry".into(),
        registry.display().to_string(),
        "--as-of".into(),
        "20261121".into(),
        "--out".into(),
        out.display().to_string(),
    ]);
    a.extend(extra.iter().map(|s| s.to_string()));
    a
}

fn csv_registry() -> PathBuf {
    root().join("fixtures/match/input/registry.csv")
}

fn prepare(csv: &Path, parquet: &Path) -> (u8, String) {
    let (code, _, err) = run(&[
        "prepare",
        "--registry",
        &csv.display().to_string(),
        "--out",
        &parquet.display().to_string(),
    ]);
    (code, err)
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn write_parquet(path: &Path, df: &mut DataFrame, kv: Option<Vec<(String, String)>>) {
    let f = std::fs::File::create(path).unwrap();
    ParquetWriter::new(f)
        .with_key_value_metadata(kv.map(KeyValueMetadata::from_static))
        .finish(df)
        .unwrap();
}

/// The fixture's registry rows as a frame of strings (the broken line 8 left out).
fn registry_frame() -> DataFrame {
    let text = std::fs::read_to_string(csv_registry()).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let rows: Vec<Vec<&str>> = lines
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|r| r.len() == header.len())
        .collect();
    let cols: Vec<Column> = header
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let v: Vec<&str> = rows.iter().map(|r| r[i]).collect();
            Column::new((*h).into(), v)
        })
        .collect();
    DataFrame::new_infer_height(cols).unwrap()
}

#[test]
fn results_csv_is_the_same_from_csv_prepared_and_plain_parquet() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (code_csv, _, err) = run(&match_args(&csv_registry(), &d.join("csv"), &[]));
    assert_eq!(code_csv, 1, "{err}");

    let prepared = d.join("registry.parquet");
    let (code, err) = prepare(&csv_registry(), &prepared);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("8 行目"), "the broken line is reported: {err}");
    assert_eq!(&read(&prepared)[..4], b"PAR1");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&prepared).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let (code_pq, _, err) = run(&match_args(&prepared, &d.join("prepared"), &[]));
    assert_eq!(code_pq, code_csv, "{err}");

    let plain = root().join("fixtures/parquet/registry_pyarrow.parquet");
    let (code_plain, _, err) = run(&match_args(&plain, &d.join("plain"), &[]));
    assert_eq!(code_plain, code_csv, "{err}");

    let want = read(&d.join("csv/results.csv"));
    assert!(
        want.iter().filter(|b| **b == b'\n').count() > 20,
        "the fixture gives many rows"
    );
    assert_eq!(read(&d.join("prepared/results.csv")), want);
    assert_eq!(read(&d.join("plain/results.csv")), want);
    // Only the rows some record asked for are kept, as from the CSV.
    let kept = |run: &str| {
        let s: serde_json::Value =
            serde_json::from_slice(&read(&d.join(run).join("summary.json"))).unwrap();
        s["registry_rows_kept"].as_u64().unwrap()
    };
    assert!(kept("csv") < 26, "{}", kept("csv"));
    assert_eq!(kept("prepared"), kept("csv"));
    assert_eq!(kept("plain"), kept("csv"));

    // The prepared file keeps the extract's lines: findings.csv is the CSV run's too (the
    // registry's V16 on line 8 included), but for the registry's file name.
    let csv_name = csv_registry().display().to_string();
    let findings_csv = String::from_utf8(read(&d.join("csv/findings.csv"))).unwrap();
    let findings_pq = String::from_utf8(read(&d.join("prepared/findings.csv"))).unwrap();
    assert!(findings_csv.contains(&format!("V16,エラー,{csv_name},8,")));
    // 所見ID hashes the file name: compare every column before it.
    let without_id = |t: &str| -> Vec<String> {
        t.lines()
            .map(|l| l.rsplit_once(',').map_or(l, |(a, _)| a).to_string())
            .collect()
    };
    assert_eq!(
        without_id(&findings_pq.replace(&prepared.display().to_string(), &csv_name)),
        without_id(&findings_csv)
    );
}

#[test]
fn prepare_records_the_source_and_the_normalizer_in_the_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.parquet");
    let (code, err) = prepare(&csv_registry(), &out);
    assert_eq!(code, 0, "{err}");
    let mut r = ParquetReader::new(std::fs::File::open(&out).unwrap());
    let md = r.get_metadata().unwrap().clone();
    let kv: std::collections::HashMap<String, String> = md
        .key_value_metadata()
        .clone()
        .unwrap()
        .into_iter()
        .filter_map(|kv| Some((kv.key, kv.value?)))
        .collect();
    let csv = read(&csv_registry());
    assert_eq!(kv["totsugo.source_bytes"], csv.len().to_string());
    use sha2::Digest;
    let sha: String = sha2::Sha256::digest(&csv)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(kv["totsugo.source_sha256"], sha);
    // Never written over the extract itself.
    let copy = dir.path().join("extract.csv");
    std::fs::copy(csv_registry(), &copy).unwrap();
    let (code, err) = prepare(&copy, &copy);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("抽出ファイルそのもの"), "{err}");
    assert_eq!(read(&copy), csv);
    assert_eq!(
        kv["totsugo.normalization_version"],
        crate::normalize::NORMALIZATION_VERSION.to_string()
    );
    assert!(kv["totsugo.bad_lines"].contains("[8,\"V16\""));
    let df = r.finish().unwrap();
    assert_eq!(df.height(), 26);
    assert_eq!(df.column("行番号").unwrap().dtype(), &DataType::Int64);
    assert_eq!(df.column("個人番号").unwrap().dtype(), &DataType::String);
    let lines: Vec<i64> = df
        .column("行番号")
        .unwrap()
        .i64()
        .unwrap()
        .into_no_null_iter()
        .collect();
    assert_eq!(
        lines[..8],
        [2, 3, 4, 5, 6, 7, 9, 10],
        "line 8 is the broken one"
    );
}

#[test]
fn a_changed_extract_or_another_normalizer_stops_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let extract = d.join("extract.csv");
    std::fs::copy(csv_registry(), &extract).unwrap();
    let prepared = d.join("extract.parquet");
    assert_eq!(prepare(&extract, &prepared).0, 0);
    let (code, _, err) = run(&match_args(&prepared, &d.join("o1"), &[]));
    assert_eq!(code, 1, "unchanged extract: the run goes on: {err}");

    // Tonight's extract arrived at the same path; the Parquet was not made again.
    let mut bytes = read(&extract);
    bytes.extend_from_slice("400000999999,新しい　人,,19900101,1,東京都,0,\n".as_bytes());
    std::fs::write(&extract, bytes).unwrap();
    let (code, _, err) = run(&match_args(&prepared, &d.join("o2"), &[]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("prepare の後に変わっています"), "{err}");
    assert!(!d.join("o2/results.csv").exists());

    // Made by another normalizer version.
    let mut df = registry_frame();
    let other = (crate::normalize::NORMALIZATION_VERSION + 1).to_string();
    let old = d.join("old.parquet");
    write_parquet(
        &old,
        &mut df,
        Some(vec![(
            "totsugo.normalization_version".into(),
            other.clone(),
        )]),
    );
    let (code, _, err) = run(&match_args(&old, &d.join("o3"), &[]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains(&format!("正規化の版 {other}")), "{err}");
    assert!(err.contains("totsugo prepare"), "{err}");
}

#[test]
fn damaged_truncated_or_mistyped_parquet_is_exit_2_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let good = d.join("good.parquet");
    assert_eq!(prepare(&csv_registry(), &good).0, 0);
    let bytes = read(&good);

    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "truncated",
            bytes[..bytes.len() / 2].to_vec(),
            "Parquet ファイルとして読めません",
        ),
        (
            "magic only",
            b"PAR1".to_vec(),
            "Parquet ファイルとして読めません",
        ),
        (
            "garbage",
            [&b"PAR1"[..], &[0xAB; 300][..], &b"PAR1"[..]].concat(),
            "Parquet ファイルとして読めません",
        ),
        (
            "footer damaged",
            {
                let mut b = bytes.clone();
                let n = b.len();
                for x in &mut b[n - 200..n - 8] {
                    *x ^= 0x5A;
                }
                b
            },
            "Parquet ファイルとして読めません",
        ),
    ];
    for (what, b, want) in cases {
        let p = d.join(format!("{what}.parquet"));
        std::fs::write(&p, b).unwrap();
        let (code, _, err) = run(&match_args(&p, &d.join(what), &[]));
        assert_eq!(code, 2, "{what}: {err}");
        assert!(err.contains(want), "{what}: {err}");
        assert!(!err.contains("内部エラー"), "{what}: no panic: {err}");
    }

    // A column missing: named.
    let mut df = registry_frame().drop("生年月日").unwrap();
    let p = d.join("missing.parquet");
    write_parquet(&p, &mut df, None);
    let (code, _, err) = run(&match_args(&p, &d.join("missing"), &[]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("生年月日"), "{err}");

    // A column of the wrong type: named.
    let mut df = registry_frame();
    let births = df
        .column("生年月日")
        .unwrap()
        .cast(&DataType::Int64)
        .unwrap();
    df.with_column(births).unwrap();
    let p = d.join("typed.parquet");
    write_parquet(&p, &mut df, None);
    let (code, _, err) = run(&match_args(&p, &d.join("typed"), &[]));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("「生年月日」") && err.contains("文字列の列ではありません"),
        "{err}"
    );
}

#[test]
fn parquet_outputs_hold_the_csv_rows_masked_with_integer_lines() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = d.join("out");
    let (code, _, err) = run(&match_args(&csv_registry(), &out, &["--parquet"]));
    assert_eq!(code, 1, "{err}");
    for name in ["findings", "results"] {
        let csv = super::support::read_csv(&out.join(format!("{name}.csv")));
        let pq = out.join(format!("{name}.parquet"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&pq).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{name}");
        }
        let df = ParquetReader::new(std::fs::File::open(&pq).unwrap())
            .finish()
            .unwrap();
        let names: Vec<String> = df
            .get_column_names()
            .iter()
            .map(|n| n.to_string())
            .collect();
        assert_eq!(names, csv[0], "{name}: same columns");
        assert_eq!(df.height(), csv.len() - 1, "{name}: same rows");
        assert!(df.height() > 10, "{name}");
        assert_eq!(df.column("行番号").unwrap().dtype(), &DataType::Int64);
        for (c, col) in names.iter().enumerate() {
            let s = df.column(col).unwrap().cast(&DataType::String).unwrap();
            let s = s.str().unwrap();
            for (i, v) in s.iter().enumerate() {
                assert_eq!(v.unwrap_or(""), csv[i + 1][c], "{name} row {i} {col}");
            }
        }
        // Masked like the CSV: no run of 12 digits anywhere.
        let all: String = csv.iter().flatten().cloned().collect::<Vec<_>>().join(",");
        assert!(
            !all.as_bytes()
                .windows(12)
                .any(|w| w.iter().all(u8::is_ascii_digit))
        );
    }
}

#[test]
fn run_from_a_config_file_and_check_read_a_prepared_registry_like_the_csv() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let input = root().join("fixtures/check/input");
    let prepared = d.join("registry.parquet");
    assert_eq!(prepare(&input.join("registry.csv"), &prepared).0, 0);
    let offices = ["office_a.csv", "office_b_cp932.csv", "office_c.csv"];
    let config = |registry: &Path, out: &str| {
        let rosters: Vec<String> = offices
            .iter()
            .map(|o| format!("{:?}", input.join(o).display().to_string()))
            .collect();
        let text = format!(
            "roster = [{}]\nregistry = {:?}\ninsurance = {:?}\nout = {:?}\nas-of = \"20261121\"\nparquet = true\n",
            rosters.join(", "),
            registry.display().to_string(),
            input.join("insurance.csv").display().to_string(),
            d.join(out).display().to_string(),
        );
        let p = d.join(format!("{out}.toml"));
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    };
    let (c1, _, e1) = run(&[
        "run",
        "--config",
        &config(&input.join("registry.csv"), "csv"),
    ]);
    let (c2, _, e2) = run(&["run", "--config", &config(&prepared, "pq")]);
    assert_eq!(c1, 1, "{e1}");
    assert_eq!(c2, c1, "{e2}");
    assert_eq!(
        read(&d.join("pq/results.csv")),
        read(&d.join("csv/results.csv"))
    );
    assert!(d.join("pq/results.parquet").exists() && d.join("pq/findings.parquet").exists());

    // check, on the command line.
    let mut args: Vec<String> = vec!["check".into()];
    args.extend(offices.iter().map(|o| input.join(o).display().to_string()));
    let tail = |registry: &Path, out: &str| -> Vec<String> {
        vec![
            "--registry".into(),
            registry.display().to_string(),
            "--insurance".into(),
            input.join("insurance.csv").display().to_string(),
            "--as-of".into(),
            "20261121".into(),
            "--out".into(),
            d.join(out).display().to_string(),
        ]
    };
    let a1: Vec<String> = args
        .iter()
        .cloned()
        .chain(tail(&input.join("registry.csv"), "c1"))
        .collect();
    let a2: Vec<String> = args.iter().cloned().chain(tail(&prepared, "c2")).collect();
    let (c1, _, e1) = run(&a1);
    let (c2, _, e2) = run(&a2);
    assert_eq!((c1, c2), (1, 1), "{e1}\n{e2}");
    assert_eq!(
        read(&d.join("c2/results.csv")),
        read(&d.join("c1/results.csv"))
    );
}

#[test]
fn an_over_long_value_in_a_parquet_registry_is_an_unreadable_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut df = registry_frame();
    let addr: Vec<String> = df
        .column("住所")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(i, v)| {
            if i == 2 {
                "長".repeat(2000)
            } else {
                v.unwrap_or("").to_string()
            }
        })
        .collect();
    df.with_column(Column::new("住所".into(), addr)).unwrap();
    let p = d.join("long.parquet");
    write_parquet(&p, &mut df, None);
    let (code, _, err) = run(&match_args(&p, &d.join("out"), &[]));
    assert_eq!(code, 1, "{err}");
    let findings = String::from_utf8(read(&d.join("out/findings.csv"))).unwrap();
    // Row 3 of a file without 行番号 is line 4; 住所 is its 6th column.
    let line = findings
        .lines()
        .find(|l| l.starts_with(&format!("V16,エラー,{},4,", p.display())))
        .unwrap_or_else(|| panic!("{findings}"));
    assert!(line.contains("6列目が 6000 バイトあります"), "{line}");
}

#[test]
fn many_small_row_groups_give_the_same_results() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let df = registry_frame();
    let p = d.join("groups.parquet");
    let f = std::fs::File::create(&p).unwrap();
    let mut w = ParquetWriter::new(f).batched(df.schema()).unwrap();
    for at in (0..df.height()).step_by(4) {
        w.write_batch(&df.slice(at as i64, 4)).unwrap();
    }
    w.finish().unwrap();
    let mut r = ParquetReader::new(std::fs::File::open(&p).unwrap());
    assert!(
        r.get_metadata().unwrap().row_groups.len() >= 7,
        "26 rows in groups of 4"
    );
    let (c1, _, e1) = run(&match_args(&csv_registry(), &d.join("csv"), &[]));
    let (c2, _, e2) = run(&match_args(&p, &d.join("pq"), &[]));
    assert_eq!((c1, c2), (1, 1), "{e1}\n{e2}");
    assert_eq!(
        read(&d.join("pq/results.csv")),
        read(&d.join("csv/results.csv"))
    );
}
