//! Registry matching: the whole `totsugo match` on generated data, the csv-crate parse of the
//! same registry (the floor the issue compares against), and the normalizer's hot paths.
//!
//! `cargo bench --bench matching` (RESIDENTS=… and RECIPIENTS=… to change the size; default
//! 1,000,000 residents and 100,000 roster rows). The national-scale run (1M × 10M) is
//! `benches/bulk.sh`, which times the release binary with `/usr/bin/time -v`.
//!
//! The micro-benches (`normalize_*`, `hash_probe_*`) need no generated data:
//! `cargo bench --bench matching -- normalize hash_probe`.

// Harness code on generated data: a failure here is a broken bench, not bad input.
#![allow(clippy::unwrap_used, clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use totsugo::cmd::r#match::run;
use totsugo::log::{Log, Verbosity};
use totsugo::matching::registry::{Indexes, parse_birth, parse_number, parse_sex};
use totsugo::matching::{FieldMode, MatchConfig};
use totsugo::normalize::address::{address_key, compare_address};
use totsugo::normalize::name::{compare_name, kana_key, name_key};
use totsugo::report::OutputEncoding;
use totsugo::rules::RuleContext;
use totsugo::rules::date::Ymd;
use totsugo::schema::{Layout, LayoutKind};
use totsugo::synth::{GenConfig, run as generate};
use totsugo::validate::ValidateConfig;

fn main() {
    divan::main();
}

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

fn as_of() -> Ymd {
    Ymd::new(2026, 11, 21).unwrap()
}

struct Data {
    _dir: tempfile::TempDir,
    dir: PathBuf,
    residents: u64,
    rosters: Vec<PathBuf>,
}

/// One generated dataset for the whole bench run.
fn data() -> &'static Data {
    static DATA: OnceLock<Data> = OnceLock::new();
    DATA.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let residents = env("RESIDENTS", 1_000_000);
        let cfg = GenConfig {
            out: dir.path().join("data"),
            residents,
            recipients: env("RECIPIENTS", residents / 10),
            offices: 10,
            seed: 1,
            problem_rate: 0.02,
            problem_mix: Vec::new(),
            variation_rate: 0.05,
            linkage_rate: 0.0,
            cp932_share: 0.3,
            registry_cp932: false,
            as_of: as_of(),
        };
        let stats = generate(&cfg).unwrap();
        eprintln!(
            "data: {} registry rows, {} roster rows",
            stats.registry_rows, stats.roster_rows
        );
        let rosters = stats
            .files
            .iter()
            .filter(|f| f.starts_with("roster_"))
            .map(|f| cfg.out.join(f))
            .collect();
        Data {
            dir: cfg.out.clone(),
            _dir: dir,
            residents,
            rosters,
        }
    })
}

fn registry(d: &Data) -> PathBuf {
    d.dir.join("registry.csv")
}

fn match_config(d: &Data, out: &Path) -> MatchConfig {
    MatchConfig {
        roster: ValidateConfig {
            rosters: d.rosters.clone(),
            out: out.to_path_buf(),
            layout: Layout::builtin(LayoutKind::Roster),
            encoding: None,
            output_encoding: OutputEncoding::Utf8Bom,
            rules: RuleContext {
                as_of: as_of(),
                unmask: false,
            },
            ack: None,
            parquet: false,
        },
        registry: registry(d),
        registry_layout: Layout::builtin(LayoutKind::Registry),
        fields: FieldMode::Five,
    }
}

/// The whole run: rosters, indexes, registry stream, verdicts, outputs.
#[divan::bench(sample_count = 5, sample_size = 1)]
fn match_end_to_end(bencher: divan::Bencher) {
    let d = data();
    let out = tempfile::tempdir().unwrap();
    let cfg = match_config(d, out.path());
    bencher
        .counter(divan::counter::ItemsCount::new(d.residents))
        .bench(|| {
            let mut sink = std::io::sink();
            let mut log = Log::new(&mut sink, Verbosity::Quiet);
            run(&cfg, &mut log).unwrap()
        });
}

/// The floor: parse the same registry with the csv crate, nothing else.
#[divan::bench(sample_count = 5, sample_size = 1)]
fn csv_parse_floor(bencher: divan::Bencher) {
    let d = data();
    let path = registry(d);
    bencher
        .counter(divan::counter::ItemsCount::new(d.residents))
        .bench(|| {
            let mut r = csv::ReaderBuilder::new()
                .buffer_capacity(1 << 20)
                .from_path(&path)
                .unwrap();
            let mut rec = csv::ByteRecord::new();
            let mut n = 0u64;
            while r.read_byte_record(&mut rec).unwrap() {
                n += rec.len() as u64;
            }
            n
        });
}

const NAMES: [&str; 6] = [
    "髙橋　一郎",
    "渡邊　美智子",
    "山﨑　健太",
    "斉藤　花子",
    "ＹＡＭＡＤＡ　太郎",
    "佐藤　恵",
];

const ADDRESSES: [&str; 4] = [
    "東京都千代田区千代田一丁目２番３号　コーポ佐藤１０１号室",
    "千代田区千代田１－２－３",
    "神奈川県横浜市中区山下町三丁目１２番地５",
    "大阪府大阪市北区梅田１丁目１１番４号",
];

#[divan::bench]
fn normalize_name_key(bencher: divan::Bencher) {
    bencher
        .counter(divan::counter::ItemsCount::new(NAMES.len()))
        .bench(|| NAMES.map(|n| name_key(divan::black_box(n))));
}

#[divan::bench]
fn normalize_kana_key(bencher: divan::Bencher) {
    let kana = [
        "タカハシ　イチロウ",
        "ワタナベ　ミチコ",
        "ｻｲﾄｳ ﾊﾅｺ",
        "キヨウコ",
    ];
    bencher
        .counter(divan::counter::ItemsCount::new(kana.len()))
        .bench(|| kana.map(|k| kana_key(divan::black_box(k))));
}

#[divan::bench]
fn normalize_address_key(bencher: divan::Bencher) {
    bencher
        .counter(divan::counter::ItemsCount::new(ADDRESSES.len()))
        .bench(|| ADDRESSES.map(|a| address_key(divan::black_box(a))));
}

/// Notations of issue 16 (郡, 之/ノ, 零, 丁目 ≥ 10, 大字/字, Kyoto, room, numbered towns): the
/// town dictionary is consulted for every one.
const WORLD_ADDRESSES: [&str; 8] = [
    "宮城県加美郡加美町西田三丁目５番地",
    "長野県上田市樋ノ上町１２３番地",
    "東京都千代田区二番町二零番地",
    "北海道札幌市中央区北三条西一〇丁目３番５号",
    "埼玉県比企郡鳩山町大字赤沼字中島１２３番地",
    "京都府京都市中京区烏丸通御池上る虎屋町５７７",
    "神奈川県川崎市中原区上丸子３－１７－１０５",
    "北海道夕張郡長沼町８区１２３番地",
];

#[divan::bench]
fn normalize_address_key_world(bencher: divan::Bencher) {
    bencher
        .counter(divan::counter::ItemsCount::new(WORLD_ADDRESSES.len()))
        .bench(|| WORLD_ADDRESSES.map(|a| address_key(divan::black_box(a))));
}

#[divan::bench]
fn compare_name_and_address(bencher: divan::Bencher) {
    bencher.bench(|| {
        (
            compare_name(divan::black_box("高橋　一郎"), divan::black_box(NAMES[0])),
            compare_address(
                divan::black_box(ADDRESSES[1]),
                divan::black_box(ADDRESSES[0]),
            ),
        )
    });
}

const SURNAMES: [&str; 8] = [
    "山田", "佐藤", "鈴木", "髙橋", "渡邊", "山﨑", "伊藤", "中村",
];
const GIVEN: [&str; 8] = ["太郎", "花子", "一郎", "美智子", "健太", "恵", "翔", "裕子"];

/// 12-digit number of roster person `i` (the index holds even `i`; odd ones are misses).
fn number(i: u64) -> String {
    format!("{:012}", 300_000_000_000 + i * 7_919)
}

/// (name, birth, sex) of person `i`: 64 names × 20 years × 12 months × 28 days × 2 sexes.
fn person(i: u64) -> (String, String, String) {
    let name = format!(
        "{}　{}",
        SURNAMES[(i % 8) as usize],
        GIVEN[(i / 8 % 8) as usize]
    );
    let birth = format!(
        "{}{:02}{:02}",
        1940 + i / 64 % 20,
        1 + i / 1_280 % 12,
        1 + i / 15_360 % 28
    );
    (name, birth, (1 + i % 2).to_string())
}

/// The indexes of a 100,000-row roster: every even person by number, every even person by
/// (name key, birth, sex) too (as if half the roster lacked a usable number).
fn indexes() -> &'static Indexes {
    static IDX: OnceLock<Indexes> = OnceLock::new();
    IDX.get_or_init(|| {
        let mut idx = Indexes::default();
        for i in (0..100_000u64).step_by(2) {
            idx.by_number.insert(parse_number(&number(i)).unwrap());
            let (name, birth, sex) = person(i);
            assert!(idx.add_person(i as u32, &name, &birth, &sex));
        }
        idx
    })
}

/// 1,024 registry rows' 個人番号 (half of them on the roster), probed as the registry stream
/// does: parse the 12 digits, look up the number set.
#[divan::bench]
fn hash_probe_by_number(bencher: divan::Bencher) {
    let idx = indexes();
    let numbers: Vec<String> = (0..1_024u64).map(|i| number(i * 37)).collect();
    bencher
        .counter(divan::counter::ItemsCount::new(numbers.len()))
        .bench(|| {
            numbers
                .iter()
                .filter(|n| {
                    parse_number(divan::black_box(n)).is_some_and(|n| idx.by_number.contains(&n))
                })
                .count()
        });
}

/// 1,024 registry rows probed for a roster person without a number, as the stream does: the
/// (birth, sex) bitmap first, then the name key and the person map.
#[divan::bench]
fn hash_probe_by_person(bencher: divan::Bencher) {
    let idx = indexes();
    let rows: Vec<(String, String, String)> = (0..1_024u64).map(|i| person(i * 37)).collect();
    bencher
        .counter(divan::counter::ItemsCount::new(rows.len()))
        .bench(|| {
            rows.iter()
                .filter(|(name, birth, sex)| {
                    let (Some(b), Some(s)) = (parse_birth(birth), parse_sex(sex)) else {
                        return false;
                    };
                    idx.birth_sex.contains(b, s)
                        && name_key(divan::black_box(name))
                            .is_some_and(|k| idx.by_person.contains_key(&(k, b, s)))
                })
                .count()
        });
}

/// A 200,000-row registry file (UTF-8, the built-in layout) whose numbers [`indexes`] does not
/// want (odd multiples) and whose residents were born after its number-less persons: every row
/// is a miss, as nearly every row of a national registry is for one office.
fn registry_file() -> &'static (tempfile::TempDir, PathBuf) {
    static FILE: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    FILE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("registry.csv");
        let mut text = String::from("個人番号,氏名,氏名カナ,生年月日,性別,住所,状態,異動年月日\n");
        for i in 0..200_000u64 {
            let (name, birth, sex) = person(i);
            let birth = format!("{}{}", 1990 + i % 20, &birth[4..]);
            text.push_str(&format!(
                "{},{name},ヤマダ　タロウ,{birth},{sex},東京都千代田区千代田１丁目{}番{}号,0,20200101\n",
                number(i * 2 + 1),
                i % 30 + 1,
                i % 20 + 1
            ));
        }
        std::fs::write(&path, text).unwrap();
        (dir, path)
    })
}

/// The registry stream on 200,000 rows that no record wants: read, SHA-256, split, and the
/// bytes-only miss test (no decoding), the path nearly every registry row takes.
#[divan::bench(sample_count = 10, sample_size = 1)]
fn registry_stream_misses(bencher: divan::Bencher) {
    let (_, path) = registry_file();
    let idx = indexes();
    let info = totsugo::ingest::sniff(path, "registry.csv", None).unwrap();
    let layout = Layout::builtin(LayoutKind::Registry);
    bencher
        .counter(divan::counter::ItemsCount::new(200_000u64))
        .bench(|| {
            totsugo::matching::registry::stream(&info, &layout, idx)
                .unwrap()
                .unwrap()
                .0
                .rows_held
        });
}
