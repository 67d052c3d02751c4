//! End-to-end validation throughput: file bytes → findings/corrections/summary, on a clean
//! roster of ~150-byte UTF-8 rows (the target: ≥ 1,000,000 rows/s on 2 cores).
//!
//! `cargo bench --bench validate` (ROWS=… to change the size, default 1,000,000).
//! The input is generated once from a fixed pattern (valid check digits), nothing is committed.
//!
//! Also the ingest hot paths on their own, so a regression shows in the stage that has it:
//! `decode_cp932_*` (CP932 → UTF-8, [`decode_field`]) and `parse_record_reader` (the record
//! reader splitting a page-cached roster into records and fields). Run only these with
//! `cargo bench --bench validate -- decode parse`.

// Harness code on generated data: a failure here is a broken bench, not bad input.
#![allow(clippy::unwrap_used, clippy::print_stderr)]

use std::io::Write;
use std::path::{Path, PathBuf};

use totsugo::cmd::validate::run;
use totsugo::ingest::{Block, Encoding, FieldScratch, FileInfo, RecordReader, decode_field};
use totsugo::log::{Log, Verbosity};
use totsugo::report::OutputEncoding;
use totsugo::rules::RuleContext;
use totsugo::rules::check_digit::{mhlw_check_digit, my_number_check_digit};
use totsugo::rules::date::Ymd;
use totsugo::schema::{Layout, LayoutKind};
use totsugo::validate::ValidateConfig;

fn main() {
    divan::main();
}

const HEADER: &str = "保険者番号,受給者番号,ケース番号,世帯員番号,個人番号,氏名,氏名カナ,生年月日,性別,郵便番号,住所,資格取得日,資格喪失日,社会保険状況";

fn rows() -> usize {
    std::env::var("ROWS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000)
}

/// Writes a clean roster; returns its path (kept in a temp folder for the whole bench run).
fn roster(dir: &Path, n: usize) -> PathBuf {
    let p = dir.join("roster.csv");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&p).unwrap());
    writeln!(f, "{HEADER}").unwrap();
    let names = [
        ("山田　太郎", "ヤマダ　タロウ"),
        ("佐藤　花子", "サトウ　ハナコ"),
        ("鈴木　一郎", "スズキ　イチロウ"),
        ("高橋　美咲", "タカハシ　ミサキ"),
    ];
    for i in 0..n {
        let body = format!("{:06}", i % 1_000_000);
        let rec = format!("{body}{}", mhlw_check_digit(&body).unwrap());
        let base = format!("{:011}", 30_000_000_000u64 + i as u64);
        let my = format!("{base}{}", my_number_check_digit(&base).unwrap());
        let (name, kana) = names[i % names.len()];
        // Full-width digits in 住所 (half-width ones are V02).
        let ban: String = (1 + i % 30)
            .to_string()
            .chars()
            .map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap())
            .collect();
        writeln!(
            f,
            "12130019,{rec},C{:07},01,{my},{name},{kana},1945{:02}{:02},{},1000001,東京都千代田区千代田１丁目{}番,20200401,,0",
            i % 10_000_000,
            1 + i % 12,
            1 + i % 28,
            1 + i % 2,
            ban
        )
        .unwrap();
    }
    p
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn validate_clean_roster(bencher: divan::Bencher) {
    let n = rows();
    let dir = tempfile::tempdir().unwrap();
    let input = roster(dir.path(), n);
    let bytes = std::fs::metadata(&input).unwrap().len();
    eprintln!(
        "input: {n} rows, {bytes} bytes ({:.0} bytes/row)",
        bytes as f64 / n as f64
    );
    let cfg = ValidateConfig {
        rosters: vec![input],
        out: dir.path().join("out"),
        layout: Layout::builtin(LayoutKind::Roster),
        encoding: None,
        output_encoding: OutputEncoding::Utf8Bom,
        rules: RuleContext {
            as_of: Ymd::new(2026, 11, 21).unwrap(),
            unmask: false,
        },
        ack: None,
        parquet: false,
    };
    bencher
        .counter(divan::counter::ItemsCount::new(n))
        .bench(|| {
            let mut sink = std::io::sink();
            let mut log = Log::new(&mut sink, Verbosity::Quiet);
            run(&cfg, &mut log).unwrap()
        });
}

/// Rows of the clean roster, encoded as CP932 (the encoding of most office exports).
fn cp932_rows(n: usize) -> Vec<Vec<u8>> {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(roster(dir.path(), n)).unwrap();
    text.lines()
        .skip(1)
        .map(|l| encoding_rs::SHIFT_JIS.encode(l).0.into_owned())
        .collect()
}

/// One CP932 record's 14 fields decoded one by one (what a worker does for every CP932 row).
#[divan::bench]
fn decode_cp932_record(bencher: divan::Bencher) {
    let rows = cp932_rows(64);
    let fields: Vec<Vec<&[u8]>> = rows
        .iter()
        .map(|r| r.split(|b| *b == b',').collect())
        .collect();
    let mut i = 0;
    bencher
        .counter(divan::counter::BytesCount::new(rows[0].len()))
        .bench_local(|| {
            i = (i + 1) % fields.len();
            let mut n = 0;
            for f in &fields[i] {
                n += decode_field(divan::black_box(f), Encoding::Cp932)
                    .unwrap()
                    .len();
            }
            n
        });
}

/// The Japanese fields alone (氏名, 氏名カナ, 住所), where CP932 decoding does real work.
#[divan::bench(args = ["山田　太郎", "ヤマダ　タロウ", "東京都千代田区千代田１丁目１番"])]
fn decode_cp932_field(bencher: divan::Bencher, text: &str) {
    let bytes = encoding_rs::SHIFT_JIS.encode(text).0.into_owned();
    bencher
        .counter(divan::counter::BytesCount::new(bytes.len()))
        .bench(|| decode_field(divan::black_box(&bytes), Encoding::Cp932).unwrap());
}

/// The record reader over 100,000 rows (about 15 MB, page-cached after the first sample):
/// record boundaries, blank-line check, the SHA-256 of the bytes and the split into fields.
#[divan::bench(sample_count = 10, sample_size = 1)]
fn parse_record_reader(bencher: divan::Bencher) {
    const N: usize = 100_000;
    let dir = tempfile::tempdir().unwrap();
    let path = roster(dir.path(), N);
    let info = FileInfo {
        bytes: std::fs::metadata(&path).unwrap().len(),
        path,
        display: "roster.csv".into(),
        encoding: Encoding::Utf8,
        encoding_forced: true,
        bom: false,
        crlf: false,
        provisional: false,
        note: None,
    };
    bencher
        .counter(divan::counter::ItemsCount::new(N))
        .bench(|| {
            let mut reader = RecordReader::open(&info).unwrap();
            let mut block = Block::default();
            let mut scratch = FieldScratch::default();
            let mut fields = 0;
            while reader.next_block(&mut block).unwrap() {
                for span in &block.spans {
                    fields += block.fields(span, &mut scratch).len();
                }
            }
            assert_eq!(fields, N * 14);
            reader.finish().unwrap().records
        });
}
