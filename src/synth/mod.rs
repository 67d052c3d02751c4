//! `totsugo gen`: deterministic synthetic data — a resident registry, office rosters, the
//! other-insurance file ([`insurance`]) and a truth file — that anyone may hold (real
//! registries are 特定個人情報).
//!
//! The population is generated household by household: a head of household, maybe a
//! spouse and children, sharing a family name and an address drawn from real towns
//! ([`data::TOWNS`]). Names come from frequency-weighted lists with their readings; ages follow
//! Japan's age profile. Households on welfare are chosen with a probability that grows with the
//! head's age and for single households (welfare recipients skew old and alone), and are
//! assigned to the office of their town.
//!
//! Each roster record is either clean (M00), carries one benign variation that must match as
//! ゆれ (M01, never a warning: old kanji on the registry side, address notation, small kana …),
//! or one injected problem with the finding code it must produce: M10–M42, every entry rule
//! V01–V16 (V14 in CP932 rosters only), D02/D03 through its other insurance; `--problem-mix`
//! weighs them. Some households on welfare get a number linkage or duplicate coverage problem
//! across their records instead (L01–L05, D01, D04, D05: [`linkage`]). `truth.csv` lists
//! every variation and problem by file, line and code;
//! `links.csv` names, for every roster line, the registry line of the person it really is.
//!
//! Addresses: the registry writes `N丁目N番N号` (住居表示; a few towns run to 十丁目 and beyond),
//! or `大字△△字××N番地N` (地番, with a 小字) for a house of a 町 or 村 without 丁目. The address
//! variations are the notations clerks use for the same place (issue 16): hyphens, 丁目 in
//! digits, no prefecture, no building, 郡 left out, 之/ノ/の in the town name, 零/○ for 〇, a
//! Kyoto 通り名 before the town, the town name's number in the other notation (５番町/五番町), a
//! room as a third group after a 地番, 番/の for 番地, 大字 (and 字) left out, 十丁目 written
//! 一〇丁目. A moved person's old address (M10) is written in one of these notations too, so a
//! notation never hides a move.
//!
//! Speed: residents are cut into chunks of [`CHUNK`]; each chunk has its own random stream
//! ([`rng::Rng::derive`]) and renders its registry and insurance rows into byte buffers, so
//! chunks are generated in parallel (rayon) and written in order while the next window is
//! generated. The output is byte-identical for the same seed, `--as-of` and options, whatever
//! the thread count. Memory stays flat: a window of chunks, plus, for the insurance file, one
//! hash entry per roster record and the few number-less rows held to the end ([`Owners`]).

pub mod data;
mod insurance;
mod linkage;
mod rng;

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;

use rayon::prelude::*;

use crate::error::Error;
use crate::normalize::address::PREFECTURES;
use crate::normalize::width::{compose_voicing, halfwidth_kana_to_full};
use crate::report::atomic::AtomicFile;
use crate::rules::check_digit::{mhlw_check_digit, my_number_check_digit};
use crate::rules::date::Ymd;
use insurance::{Deferred, INSURANCE_HEADER, InsuranceOut, Insurers, Period};
use rng::{Rng, Weighted};

/// Residents per chunk (one random stream, one unit of parallel work).
pub const CHUNK: u64 = 1 << 15;

/// What to generate.
#[derive(Debug, Clone)]
pub struct GenConfig {
    pub out: PathBuf,
    /// Registry rows (residents; a few namesake rows for M41 come on top).
    pub residents: u64,
    /// Roster rows wanted across all offices (approximate: whole households are chosen).
    pub recipients: u64,
    pub offices: u32,
    pub seed: u64,
    /// Share of roster records with one injected problem (a finding code).
    pub problem_rate: f64,
    /// Relative weights of the per-record problems by code (`V03` → 2.0); a code not named
    /// weighs 1, a weight of 0 leaves the code out. L01–L05, D01, D04 and D05 come with
    /// `linkage_rate` instead.
    pub problem_mix: Vec<(String, f64)>,
    /// Share of roster records with one benign variation (must match as M01).
    pub variation_rate: f64,
    /// Share of households on welfare with one number linkage or duplicate coverage problem
    /// (L01–L05, D01, D04, D05) or a look-alike that must stay silent ([`linkage`]).
    pub linkage_rate: f64,
    /// Share of offices whose roster is written in CP932 with CRLF (vendor systems).
    pub cp932_share: f64,
    /// Write the registry in CP932 (then no variant outside CP932 is used).
    pub registry_cp932: bool,
    /// Reference date: ages, coverage periods and change dates are relative to it.
    pub as_of: Ymd,
}

/// Which optional files to write (kept apart from [`GenConfig`], which says what the data is).
#[derive(Debug, Clone, Copy)]
pub struct GenOutputs {
    /// Write `insurance.csv` (他制度資格ファイル) and inject the coverage problems D02/D03.
    pub insurance: bool,
}

impl Default for GenOutputs {
    fn default() -> GenOutputs {
        GenOutputs { insurance: true }
    }
}

/// What was written.
#[derive(Debug, Default)]
pub struct GenStats {
    pub registry_rows: u64,
    pub roster_rows: u64,
    /// Rows of `insurance.csv` (0 when it is not written).
    pub insurance_rows: u64,
    pub files: Vec<String>,
    /// Injected problems and variations per code.
    pub truth: std::collections::BTreeMap<&'static str, u64>,
}

/// One injected problem: the code the run must report on that record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Problem {
    /// Moved: the roster still has the old address.
    M10,
    /// Name changed (marriage): the roster has the old family name.
    M11,
    /// Reading registered differently (voiced/unvoiced).
    M12,
    /// Birth date or sex mistyped.
    M20,
    /// A number that exists nowhere in the registry.
    M30,
    /// The resident was removed (死亡・転出).
    M31,
    /// No number yet; one candidate.
    M40,
    /// No number yet; the registry has the person twice at the same address (a double
    /// registration): several residents equal on all four fields.
    M41,
    /// No number yet; the person is not in this registry extract.
    M42,
    /// No number yet and moved: the roster has the old address, the registry the new one, and a
    /// namesake born the same day lives elsewhere too. Both are leads, neither a candidate
    /// (contract: M40 needs the address).
    M42Moved,
    /// No address (住居のない被保護者): 住所 and 郵便番号 empty.
    V01,
    /// 世帯員番号 with its leading zero lost (`1`, as a spreadsheet writes it).
    V02,
    /// Check digit mistyped (then searched by 4 fields: M40).
    V03,
    /// 保険者番号 with a wrong check digit.
    V04,
    /// 受給者番号 with a wrong check digit.
    V05,
    /// 資格取得日 that does not exist (the 31st of a 30-day month, 30 February).
    V06,
    /// Birth date in 和暦.
    V07,
    /// 性別 written 男/女 instead of the code.
    V08,
    /// Reading in half-width kana.
    V09,
    /// Half-width space between family and given name.
    V10,
    /// A 外字 (private-use character) in place of a kanji of the family name.
    V11,
    /// 資格喪失日 before 資格取得日.
    V12,
    /// Postcode with a hyphen.
    V13,
    /// 氏名 cut inside a double-byte character (CP932 rosters only: a fixed-width export).
    V14,
    /// The same row twice.
    V15,
    /// An unquoted comma in 住所: one column too many.
    V16,
    /// 個人番号 beginning with 0, saved by Excel as a number: 11 digits (the 0-prefixed form is
    /// proposed; the verdict is the person's own, M00).
    ExcelZero,
    /// 個人番号 shown by Excel as `6.21498E+11`: digits lost, found by the 4 fields (M40).
    ExcelE,
    /// 個人番号 `000000000000` typed where it was not known: emptied, found by the 4 fields (M40).
    Placeholder,
    /// 受給者番号 saved by Excel as a number: its leading zeros dropped (padded value proposed).
    RecipientZero,
    /// Also covered by 国保, 国保組合 or 後期高齢者医療 over part of the welfare period.
    D02,
    /// 社会保険状況 contradicts the employee-insurance rows.
    D03,
}

const PROBLEMS: [Problem; 32] = [
    Problem::M10,
    Problem::M11,
    Problem::M12,
    Problem::M20,
    Problem::M30,
    Problem::M31,
    Problem::M40,
    Problem::M41,
    Problem::M42,
    Problem::M42Moved,
    Problem::V01,
    Problem::V02,
    Problem::V03,
    Problem::V04,
    Problem::V05,
    Problem::V06,
    Problem::V07,
    Problem::V08,
    Problem::V09,
    Problem::V10,
    Problem::V11,
    Problem::V12,
    Problem::V13,
    Problem::V14,
    Problem::V15,
    Problem::V16,
    Problem::ExcelZero,
    Problem::ExcelE,
    Problem::Placeholder,
    Problem::RecipientZero,
    Problem::D02,
    Problem::D03,
];

impl Problem {
    /// The codes the run must report for this problem, on this record.
    fn codes(self) -> &'static [&'static str] {
        match self {
            Problem::M10 => &["M10"],
            Problem::M11 => &["M11"],
            Problem::M12 => &["M12"],
            Problem::M20 => &["M20"],
            Problem::M30 => &["M30"],
            Problem::M31 => &["M31"],
            Problem::M40 => &["M40"],
            Problem::M41 => &["M41"],
            Problem::M42 | Problem::M42Moved => &["M42"],
            Problem::V01 => &["V01"],
            Problem::V02 => &["V02"],
            Problem::V03 => &["V03", "M40"],
            Problem::V04 => &["V04"],
            Problem::V05 => &["V05"],
            Problem::V06 => &["V06"],
            Problem::V07 => &["V07"],
            Problem::V08 => &["V08"],
            // Half-width kana come with a half-width space between the names.
            Problem::V09 => &["V09", "V10"],
            Problem::V10 => &["V10"],
            Problem::V11 => &["V11"],
            Problem::V12 => &["V12"],
            Problem::V13 => &["V13"],
            Problem::V14 => &["V14"],
            Problem::V15 => &["V15"],
            Problem::V16 => &["V16"],
            Problem::ExcelZero | Problem::RecipientZero => &["V02"],
            Problem::ExcelE | Problem::Placeholder => &["V02", "M40"],
            Problem::D02 => &["D02"],
            Problem::D03 => &["D03"],
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Problem::M10 => "転居: 名簿は旧住所",
            Problem::M11 => "氏の変更: 名簿は旧姓",
            Problem::M12 => "カナの登録違い（濁点）",
            Problem::M20 => "生年月日または性別の誤り",
            Problem::M30 => "住基にない個人番号",
            Problem::M31 => "住基で消除（死亡・転出）",
            Problem::M40 => "個人番号未記載（候補1人）",
            Problem::M41 => "個人番号未記載（住基に4情報の同じ住民が2人: 二重登録）",
            Problem::M42Moved => {
                "個人番号未記載・転居（名簿は旧住所。本人と同姓同名・同生年月日・同性別の人が別の住所に）"
            }
            Problem::M42 => "個人番号未記載（住基の抽出範囲外）",
            Problem::V01 => "住所なし（住居のない被保護者）: 住所・郵便番号が空",
            Problem::V02 => "世帯員番号の先頭の0が落ちている",
            Problem::V03 => "個人番号の検査数字の誤り",
            Problem::V04 => "保険者番号の検証番号の誤り",
            Problem::V05 => "受給者番号の検証番号の誤り",
            Problem::V06 => "資格取得日が存在しない日付",
            Problem::V07 => "生年月日を和暦で記載",
            Problem::V08 => "性別をコードでなく男・女で記載",
            Problem::V09 => "カナを半角で記載",
            Problem::V10 => "氏名の区切りが半角スペース",
            Problem::V11 => "氏名に外字（私用領域の文字）",
            Problem::V12 => "資格喪失日が資格取得日より前",
            Problem::V13 => "郵便番号にハイフン",
            Problem::V14 => "氏名が2バイト文字の途中で切れている（CP932 として読めない行）",
            Problem::V15 => "同じ行の重複",
            Problem::V16 => "住所に引用符なしのカンマ（列が1つ多い）",
            Problem::ExcelZero => "個人番号の先頭の0が Excel で落ちた（11桁）",
            Problem::ExcelE => "個人番号が Excel の指数表示（6.21498E+11）で桁が失われた",
            Problem::Placeholder => "個人番号に仮の値 000000000000",
            Problem::RecipientZero => "受給者番号の先頭の0が Excel で落ちた",
            Problem::D02 => "医療扶助と国保・国保組合・後期高齢者医療の資格が重複",
            Problem::D03 => "社会保険状況が被用者保険の資格と食い違う",
        }
    }
}

/// A benign difference between roster and registry: the run must say M01, never warn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Variation {
    /// The registry writes the name with an old or variant kanji (髙, 﨑, 邊 …).
    VariantKanji,
    /// The roster writes 丁目・番・号 as hyphens.
    Hyphens,
    /// The roster omits the prefecture.
    NoPrefecture,
    /// The roster omits the building and room the registry has.
    NoBuilding,
    /// The roster writes 丁目 with a digit, the registry with a kanji numeral.
    DigitChome,
    /// The roster writes small kana large (キョウコ → キヨウコ), as legacy systems do.
    LargeKana,
    /// The roster leaves out the 郡 (宮城県加美郡加美町 → 宮城県加美町).
    NoGun,
    /// The roster writes 之/ノ/の in the town name another way (樋之上町 → 樋ノ上町).
    NoSpelling,
    /// The roster writes the 番 in kanji with 零 or ○ for 〇 (２０番 → 二零番).
    ZeroTypo,
    /// The roster writes a Kyoto 通り名 and its direction before the town.
    KyotoStreet,
    /// The roster writes the number of a town's name in the other notation (５番町 → 五番町).
    TownNumeral,
    /// The roster writes the room as a third group after a 地番 (３番地１７ → ３－１７－１０５).
    RoomGroup,
    /// The roster writes 番 or の for the 番地 of a 地番 (１２番地３ → １２番３).
    BanchiSuffix,
    /// The roster leaves out the 大字 (and maybe the 字) of a 地番 (大字久保田字中島 → 久保田字中島).
    NoOaza,
    /// The roster writes a 丁目 of 10 or more digit by digit (十丁目 → 一〇丁目).
    ChomeDigits,
    /// A foreign resident's Latin name: the registry writes it in title case (Ｓｍｉｔｈ), the
    /// roster in capitals (ＳＭＩＴＨ).
    LatinCase,
}

const VARIATIONS: [Variation; 16] = [
    Variation::VariantKanji,
    Variation::Hyphens,
    Variation::NoPrefecture,
    Variation::NoBuilding,
    Variation::DigitChome,
    Variation::LargeKana,
    Variation::NoGun,
    Variation::NoSpelling,
    Variation::ZeroTypo,
    Variation::KyotoStreet,
    Variation::TownNumeral,
    Variation::RoomGroup,
    Variation::BanchiSuffix,
    Variation::NoOaza,
    Variation::ChomeDigits,
    Variation::LatinCase,
];

impl Variation {
    fn describe(self) -> &'static str {
        match self {
            Variation::VariantKanji => "ゆれ: 住基の氏名が旧字・異体字",
            Variation::Hyphens => "ゆれ: 住所の丁目・番・号をハイフンで記載",
            Variation::NoPrefecture => "ゆれ: 住所の都道府県を省略",
            Variation::NoBuilding => "ゆれ: 住所の建物名・部屋番号を省略",
            Variation::DigitChome => "ゆれ: 丁目を算用数字で記載",
            Variation::LargeKana => "ゆれ: カナの小書き文字を大書き",
            Variation::NoGun => "ゆれ: 住所の郡を省略",
            Variation::NoSpelling => "ゆれ: 町名の之・ノ・のを別の書き方で記載",
            Variation::ZeroTypo => "ゆれ: 番地の〇を零・○で記載",
            Variation::KyotoStreet => "ゆれ: 京都の通り名を記載",
            Variation::TownNumeral => "ゆれ: 町名の数字を別の書き方で記載",
            Variation::RoomGroup => "ゆれ: 部屋番号を地番のハイフン3つ目で記載",
            Variation::BanchiSuffix => "ゆれ: 地番の番地を番・のと記載",
            Variation::NoOaza => "ゆれ: 大字を省略",
            Variation::ChomeDigits => "ゆれ: 十丁目以上を一〇丁目と記載",
            Variation::LatinCase => "ゆれ: ローマ字氏名の大文字・小文字（住基は Ｓｍｉｔｈ の形）",
        }
    }
}

struct Town {
    postcode: &'static str,
    pref: &'static str,
    city: &'static str,
    town: &'static str,
    pref_code: u8,
}

struct Office {
    insurer_no: String,
    file: String,
    cp932: bool,
    /// Saved through Excel's "CSV (コンマ区切り)": every data row carries empty cells beyond the
    /// header (its used range was wider). Not a finding: counted in summary.json.
    excel: bool,
}

/// Everything read-only the chunks share.
struct Tables {
    surnames: Weighted,
    male: Weighted,
    female: Weighted,
    towns: Vec<Town>,
    offices: Vec<Office>,
    /// Standard kanji → variant forms usable in the registry's encoding.
    variants: HashMap<char, Vec<char>>,
    /// Adult ages (20..=104) weighted by Japan's age profile.
    adult_age: Weighted,
    /// Welfare selection scale: p(household) = scale × weight(household).
    scale: f64,
    as_of_days: i64,
    /// The problems to inject (D02/D03 only with the insurance file) and their weights.
    problems: Vec<Problem>,
    problem_pick: Weighted,
    insurance: bool,
    insurers: Insurers,
}

/// Japan's population by 5-year age band (0–4 … 100–104), in ten-thousands (2024 estimate,
/// rounded): the shape, not the exact figures, is what matters.
const AGE_BANDS: [u64; 21] = [
    400, 430, 450, 460, 500, 510, 520, 580, 630, 760, 740, 660, 610, 640, 760, 590, 480, 330, 170,
    50, 8,
];

const BUILDINGS: [&str; 8] = [
    "コーポ",
    "ハイツ",
    "メゾン",
    "グリーンハイツ",
    "サンライズ",
    "パークサイド",
    "ヴィラ",
    "シャトー",
];

fn load_towns() -> Result<Vec<Town>, Error> {
    let mut towns = Vec::new();
    for line in data::TOWNS.lines().filter(|l| !l.is_empty()) {
        let f: Vec<&str> = line.split('\t').collect();
        let [postcode, pref, city, town] = f[..] else {
            return Err(Error::Internal(format!(
                "町名データの行が壊れています: {line}"
            )));
        };
        let Some(i) = PREFECTURES.iter().position(|p| *p == pref) else {
            return Err(Error::Internal(format!(
                "町名データの都道府県が不明です: {pref}"
            )));
        };
        towns.push(Town {
            postcode,
            pref,
            city,
            town,
            pref_code: i as u8 + 1,
        });
    }
    if towns.is_empty() {
        return Err(Error::Internal("町名データが空です".into()));
    }
    Ok(towns)
}

impl Tables {
    fn new(cfg: &GenConfig, outputs: GenOutputs) -> Result<Tables, Error> {
        let towns = load_towns()?;
        // Offices: contiguous runs of towns (the data is ordered by postcode, so mostly one
        // prefecture each); the 実施機関番号 counts offices within a prefecture from 101.
        let k = cfg.offices.max(1) as usize;
        let mut per_pref: HashMap<u8, u32> = HashMap::new();
        let width = k.to_string().len().max(3);
        let mut offices = Vec::with_capacity(k);
        for o in 0..k {
            let first = &towns[o * towns.len() / k];
            let n = per_pref.entry(first.pref_code).or_insert(0);
            *n += 1;
            let body = format!("12{:02}{:03}", first.pref_code, 100 + *n);
            let check = mhlw_check_digit(&body).unwrap_or(0);
            let cp932 =
                ((o + 1) as f64 * cfg.cp932_share).round() > (o as f64 * cfg.cp932_share).round();
            offices.push(Office {
                insurer_no: format!("{body}{check}"),
                file: format!(
                    "roster_{:0width$}{}.csv",
                    o + 1,
                    if cp932 { "_cp932" } else { "" }
                ),
                cp932,
                excel: o % 4 == 2,
            });
        }
        let mut variants: HashMap<char, Vec<char>> = HashMap::new();
        for &(std, var) in data::VARIANT_KANJI {
            variants.entry(std).or_default().push(var);
        }
        if !cfg.registry_cp932 {
            for &(std, var) in data::VARIANT_KANJI_NON_CP932 {
                variants.entry(std).or_default().push(var);
            }
        }
        let weights = |t: &[(&str, &str, u32)]| Weighted::new(t.iter().map(|e| u64::from(e.2)));
        let adult_age = Weighted::new((20..=104).map(|a: usize| AGE_BANDS[a / 5]));
        let insurers = Insurers::new(&towns);
        let mut tables = Tables {
            surnames: weights(data::SURNAMES),
            male: weights(data::MALE_GIVEN),
            female: weights(data::FEMALE_GIVEN),
            towns,
            offices,
            variants,
            adult_age,
            scale: 0.0,
            as_of_days: cfg.as_of.to_days(),
            problems: Vec::new(),
            problem_pick: Weighted::new([]),
            insurance: outputs.insurance,
            insurers,
        };
        let (problems, weights) = problem_weights(&cfg.problem_mix, outputs.insurance)?;
        tables.problems = problems;
        tables.problem_pick = Weighted::new(weights);
        // Scale the welfare probability so the expected roster size is `recipients`: estimate
        // E[size] and E[size × weight] on a fixed sample of households.
        let mut rng = Rng::derive(cfg.seed, 99, 0);
        let (mut sizes, mut weighted) = (0.0, 0.0);
        for _ in 0..20_000 {
            let (size, head_age) = tables.household_shape(&mut rng);
            sizes += size as f64;
            weighted += size as f64 * welfare_weight(size, head_age);
        }
        let share = cfg.recipients as f64 / cfg.residents.max(1) as f64;
        tables.scale = share * sizes / weighted.max(1e-9);
        Ok(tables)
    }

    /// Household size and head's age.
    fn household_shape(&self, rng: &mut Rng) -> (u64, u32) {
        let size = match rng.below(100) {
            0..38 => 1,
            38..66 => 2,
            66..82 => 3,
            82..95 => 4,
            _ => 5,
        };
        (size, 20 + self.adult_age.pick(rng) as u32)
    }
}

/// The problems to inject and their weights (in thousandths) from `--problem-mix`.
fn problem_weights(
    mix: &[(String, f64)],
    insurance: bool,
) -> Result<(Vec<Problem>, Vec<u64>), Error> {
    let name = |p: Problem| p.codes()[0];
    for (code, w) in mix {
        let Some(p) = PROBLEMS.into_iter().find(|p| name(*p) == code) else {
            let known: Vec<&str> = PROBLEMS.into_iter().map(name).collect();
            return Err(Error::Usage(format!(
                "--problem-mix の「{code}」は仕込めるコードではありません（{}。L01–L05・D01・D04・D05 は --linkage-rate で）",
                known.join(" ")
            )));
        };
        if !(w.is_finite() && *w >= 0.0) {
            return Err(Error::Usage(format!(
                "--problem-mix の {code} の重み「{w}」は 0 以上の数ではありません"
            )));
        }
        if !insurance && matches!(p, Problem::D02 | Problem::D03) && *w > 0.0 {
            return Err(Error::Usage(format!(
                "{code} は他制度資格ファイルで仕込みます。--no-insurance とは一緒に使えません"
            )));
        }
    }
    let mut problems = Vec::new();
    let mut weights = Vec::new();
    for p in PROBLEMS {
        if !insurance && matches!(p, Problem::D02 | Problem::D03) {
            continue;
        }
        let w = mix
            .iter()
            .rev()
            .find(|(c, _)| c == name(p))
            .map_or(1.0, |(_, w)| *w);
        let w = (w * 1000.0).round() as u64;
        if w > 0 {
            problems.push(p);
            weights.push(w);
        }
    }
    Ok((problems, weights))
}

/// Relative welfare probability of a household: elderly heads and people living alone.
fn welfare_weight(size: u64, head_age: u32) -> f64 {
    let age = match head_age {
        0..40 => 0.4,
        40..65 => 1.0,
        _ => 2.6,
    };
    if size == 1 { age * 2.0 } else { age }
}

#[derive(Clone)]
struct Person {
    /// Global resident index: the 個人番号 is derived from it.
    index: u64,
    /// Index into [`data::FOREIGN_NAMES`] when `foreign`, else into [`data::SURNAMES`].
    surname: usize,
    /// A foreign resident living alone, with a name of three parts.
    foreign: bool,
    given: usize,
    male: bool,
    birth: Ymd,
}

struct Household {
    town: usize,
    chome: u8,
    ban: u16,
    go: u16,
    /// (building, room)
    building: Option<(usize, u16)>,
    members: Vec<Person>,
}

/// One roster line, rendered by the writer (受給者番号 and ケース番号 are counted per office).
#[derive(Clone)]
struct RosterRow {
    office: u32,
    /// [`insurance::link_key`] of the standard form and of the roster's form (the same unless
    /// a problem changed name, reading, birth date or sex).
    keys: [u64; 2],
    welfare: Period,
    /// Global index of the household's head: a new value starts a new ケース番号.
    household: u64,
    /// Global index of the person.
    person: u64,
    member: u8,
    number: String,
    name: String,
    kana: String,
    birth: String,
    sex: u8,
    postcode: String,
    address: String,
    acquired: String,
    lost: String,
    social: u8,
    problem: Option<Problem>,
    variation: Option<Variation>,
    /// Truth text replacing the problem's generic description.
    note: Option<String>,
    /// The person's row in the chunk's registry part (0-based), for `links.csv`; None when the
    /// person is not in the registry (M42).
    registry_row: Option<u64>,
    /// Codes of a linkage or coverage conflict this record is part of, with the truth text.
    extra: Vec<(&'static str, String)>,
    /// Reuses the 受給者番号 of the office's previous row (D04).
    same_recipient: bool,
}

struct Chunk {
    registry: Vec<u8>,
    registry_rows: u64,
    roster: Vec<RosterRow>,
    insurance: InsuranceOut,
}

/// 個人番号 of resident `index`: an affine bijection of 0..10¹¹ scatters the bases (so numbers
/// do not run in registry order), then the check digit.
fn my_number_digits(index: u64) -> [u8; 12] {
    const M: u128 = 100_000_000_000;
    let mut base = ((u128::from(index) * 7_919_126_693 + 31_415_926_535) % M) as u64;
    let mut d = [b'0'; 12];
    for slot in d[..11].iter_mut().rev() {
        *slot = b'0' + (base % 10) as u8;
        base /= 10;
    }
    let check = std::str::from_utf8(&d[..11])
        .ok()
        .and_then(my_number_check_digit)
        .unwrap_or(0);
    d[11] = b'0' + check;
    d
}

fn my_number(index: u64) -> String {
    my_number_digits(index)
        .iter()
        .map(|&b| char::from(b))
        .collect()
}

/// Index space of numbers that are nowhere in the registry (M30) and of namesakes (M41).
const UNKNOWN_BASE: u64 = 90_000_000_000;
const NAMESAKE_BASE: u64 = 80_000_000_000;

fn push_fw_digits(s: &mut String, n: u64) {
    if n >= 10 {
        push_fw_digits(s, n / 10);
    }
    s.push(char::from_u32(0xFF10 + (n % 10) as u32).unwrap_or('０'));
}

/// The 番 number: full-width digits, or with `zero` digit by digit in kanji with that char for
/// 〇 (２０ → 二零).
fn push_ban(s: &mut String, ban: u16, zero: Option<char>) {
    match zero {
        Some(z) => {
            for d in ban.to_string().bytes() {
                match d {
                    b'0' => s.push(z),
                    _ => s.push_str(kanji_numeral(d - b'0')),
                }
            }
        }
        None => push_fw_digits(s, u64::from(ban)),
    }
}

/// A 丁目 number in kanji: positional (十, 十二) or, with `digits`, digit by digit (一〇, 一二).
fn push_kanji_chome(s: &mut String, chome: u8, digits: bool) {
    if chome < 10 {
        s.push_str(kanji_numeral(chome));
    } else if digits {
        s.push_str(kanji_numeral(chome / 10));
        s.push_str(kanji_numeral(chome % 10));
    } else {
        if chome >= 20 {
            s.push_str(kanji_numeral(chome / 10));
        }
        s.push('十');
        if !chome.is_multiple_of(10) {
            s.push_str(kanji_numeral(chome % 10));
        }
    }
}

fn kanji_numeral(n: u8) -> &'static str {
    const K: [&str; 10] = ["〇", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    K.get(usize::from(n)).copied().unwrap_or("十")
}

fn ymd_from_days(days: i64) -> Ymd {
    Ymd::from_days(days).unwrap_or(Ymd {
        year: 1970,
        month: 1,
        day: 1,
    })
}

/// How the address is written.
#[derive(Clone, Copy, Default)]
struct Notation {
    no_prefecture: bool,
    hyphens: bool,
    digit_chome: bool,
    no_building: bool,
    /// The 郡 left out.
    no_gun: bool,
    /// 之/ノ/の between kanji of the town name written as this char.
    no_spelling: Option<char>,
    /// The 番 written digit by digit in kanji, with this char for 〇.
    zero: Option<char>,
    /// A Kyoto 通り名 with its direction before the town.
    kyoto: Option<&'static str>,
    /// The number of the town's name in the other notation.
    town_numeral: bool,
    /// 地番: the room as a third hyphen group, no building name.
    room_group: bool,
    /// 地番: this instead of 番地 between the two numbers.
    banchi_suffix: Option<&'static str>,
    /// 地番 with 大字 and 字: 0 both written, 1 大字 left out, 2 大字 and 字 left out.
    oaza: u8,
    /// A 丁目 of 10 or more in kanji digit by digit (一〇丁目 for 十丁目).
    chome_digits: bool,
}

/// 小字 names of a 地番 address (大字△△字中島), picked by the 番.
const KOAZA: [&str; 6] = ["中島", "前田", "東原", "西浦", "上野", "下川原"];

/// Kyoto 通り名 with directions, in the spellings clerks use (上る/上ル/上がる, 西入/西入ル).
const KYOTO_STREETS: [&str; 6] = [
    "烏丸通御池上る",
    "烏丸通御池上ル",
    "烏丸御池上がる",
    "寺町通四条西入ル",
    "寺町通四条西入",
    "河原町通三条下ル",
];

/// The city without its 郡 (加美郡加美町 → 加美町); None when it has none.
fn city_without_gun(city: &str) -> Option<&str> {
    let (gun, rest) = city.split_once('郡')?;
    (!gun.is_empty() && (rest.ends_with('町') || rest.ends_with('村'))).then_some(rest)
}

/// A town of a 町 or 村 (not of a 市): its addresses without 丁目 are 地番 (`１２番地３`).
fn is_rural(city: &str) -> bool {
    city.ends_with('町') || city.ends_with('村')
}

fn is_kanji(c: char) -> bool {
    matches!(c as u32, 0x4E00..=0x9FFF)
}

/// Positions of 之/ノ/の between two kanji in a town name.
fn no_positions(town: &str) -> Vec<usize> {
    let chars: Vec<char> = town.chars().collect();
    (1..chars.len().saturating_sub(1))
        .filter(|&k| {
            matches!(chars[k], '之' | 'ノ' | 'の')
                && is_kanji(chars[k - 1])
                && is_kanji(chars[k + 1])
        })
        .collect()
}

/// The town's name with the number of its name in the other notation (５番町 ↔ 五番町, ８区 ↔
/// 八区, 北１０条 ↔ 北十条); None when the name holds no such number.
fn town_numeral_swapped(town: &str) -> Option<String> {
    const KANJI: &str = "〇一二三四五六七八九";
    let chars: Vec<char> = town.chars().collect();
    let is_num = |c: char| {
        c.is_ascii_digit() || ('０'..='９').contains(&c) || KANJI.contains(c) || c == '十'
    };
    let mut i = 0;
    while i < chars.len() {
        if !is_num(chars[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && is_num(chars[i]) {
            i += 1;
        }
        let after: String = chars[i..].iter().collect();
        if !["番町", "番丁", "区", "号", "条", "線", "地割"]
            .iter()
            .any(|u| after.starts_with(u))
        {
            continue;
        }
        let run = &chars[start..i];
        let digit = |c: char| match c {
            '０'..='９' => Some(c as u32 - '０' as u32),
            _ => KANJI.chars().position(|d| d == c).map(|p| p as u32),
        };
        let written: String = if run.iter().all(|c| ('０'..='９').contains(c)) {
            let v = run
                .iter()
                .try_fold(0u32, |a, &c| Some(a * 10 + digit(c)?))?;
            match v {
                1..=9 => kanji_numeral(v as u8).to_string(),
                10..=99 => {
                    let (t, o) = (v / 10, v % 10);
                    let mut k = if t > 1 {
                        kanji_numeral(t as u8).to_string()
                    } else {
                        String::new()
                    };
                    k.push('十');
                    if o > 0 {
                        k.push_str(kanji_numeral(o as u8));
                    }
                    k
                }
                _ => return None,
            }
        } else {
            let (mut v, mut cur) = (0u32, 0u32);
            for &c in run {
                if c == '十' {
                    v += cur.max(1) * 10;
                    cur = 0;
                } else {
                    cur = cur * 10 + digit(c)?;
                }
            }
            let mut s = String::new();
            push_fw_digits(&mut s, u64::from(v + cur));
            s
        };
        let head: String = chars[..start].iter().collect();
        return Some(format!("{head}{written}{after}"));
    }
    None
}

/// A notation for a moved person's old address: one of the issue-16 notations that applies to
/// it, picked by `index`, or the registry's own.
fn move_notation(t: &Tables, h: &Household, index: u64) -> Notation {
    let town = &t.towns[h.town];
    let mut options = vec![Notation::default()];
    if city_without_gun(town.city).is_some() {
        options.push(Notation {
            no_gun: true,
            ..Default::default()
        });
    }
    if !no_positions(town.town).is_empty() {
        options.push(Notation {
            no_spelling: Some('ノ'),
            ..Default::default()
        });
    }
    if town.city.starts_with("京都市") {
        options.push(Notation {
            kyoto: Some(KYOTO_STREETS[0]),
            ..Default::default()
        });
    }
    if town_numeral_swapped(town.town).is_some() {
        options.push(Notation {
            town_numeral: true,
            ..Default::default()
        });
    }
    if h.chome == 0 && is_rural(town.city) {
        options.push(Notation {
            banchi_suffix: Some("番"),
            ..Default::default()
        });
        options.push(Notation {
            oaza: 1,
            ..Default::default()
        });
    }
    options.push(Notation {
        zero: Some('零'),
        ..Default::default()
    });
    options[(index % options.len() as u64) as usize]
}

fn address(t: &Tables, h: &Household, n: Notation) -> String {
    let town = &t.towns[h.town];
    let mut s = String::with_capacity(96);
    if !n.no_prefecture {
        s.push_str(town.pref);
    }
    match city_without_gun(town.city) {
        Some(city) if n.no_gun => s.push_str(city),
        _ => s.push_str(town.city),
    }
    if let Some(k) = n.kyoto {
        s.push_str(k);
    }
    let chiban = h.chome == 0 && is_rural(town.city);
    let oaza = chiban && !town.town.starts_with('字') && !town.town.starts_with("大字");
    if oaza && n.oaza == 0 {
        s.push_str("大字");
    }
    let swapped = n
        .town_numeral
        .then(|| town_numeral_swapped(town.town))
        .flatten();
    match (n.no_spelling, swapped) {
        (_, Some(w)) => s.push_str(&w),
        (Some(c), None) => {
            let at = no_positions(town.town);
            s.extend(
                town.town
                    .chars()
                    .enumerate()
                    .map(|(k, x)| if at.contains(&k) { c } else { x }),
            );
        }
        (None, None) => s.push_str(town.town),
    }
    if oaza {
        // The 小字 (字 marker kept unless the notation drops it).
        if n.oaza < 2 {
            s.push('字');
        }
        s.push_str(KOAZA[usize::from(h.ban) % KOAZA.len()]);
    }
    if chiban {
        // 地番 (no 号): １２番地３.
        push_ban(&mut s, h.ban, n.zero);
        if n.room_group
            && let Some((_, room)) = h.building
        {
            s.push('－');
            push_fw_digits(&mut s, u64::from(h.go));
            s.push('－');
            push_fw_digits(&mut s, u64::from(room));
            return s;
        }
        s.push_str(if n.hyphens {
            "－"
        } else {
            n.banchi_suffix.unwrap_or("番地")
        });
        push_fw_digits(&mut s, u64::from(h.go));
    } else if n.hyphens {
        if h.chome > 0 {
            push_fw_digits(&mut s, u64::from(h.chome));
            s.push('－');
        }
        push_fw_digits(&mut s, u64::from(h.ban));
        s.push('－');
        push_fw_digits(&mut s, u64::from(h.go));
    } else {
        if h.chome > 0 {
            if n.digit_chome {
                push_fw_digits(&mut s, u64::from(h.chome));
            } else {
                push_kanji_chome(&mut s, h.chome, n.chome_digits);
            }
            s.push_str("丁目");
        }
        push_ban(&mut s, h.ban, n.zero);
        s.push('番');
        push_fw_digits(&mut s, u64::from(h.go));
        s.push('号');
    }
    if let (Some((b, room)), false) = (h.building, n.no_building) {
        s.push('　');
        s.push_str(BUILDINGS[b % BUILDINGS.len()]);
        s.push_str(data::SURNAMES[b / BUILDINGS.len() % data::SURNAMES.len()].0);
        push_fw_digits(&mut s, u64::from(room));
        s.push_str("号室");
    }
    s
}

fn name_of(p: &Person) -> (&'static str, &'static str, &'static str, &'static str) {
    if p.foreign
        && let Some(&f) = data::FOREIGN_NAMES.get(p.surname)
    {
        return f;
    }
    let (sur, sur_kana, _) = data::SURNAMES[p.surname];
    let given = if p.male {
        data::MALE_GIVEN[p.given]
    } else {
        data::FEMALE_GIVEN[p.given]
    };
    (sur, sur_kana, given.0, given.1)
}

/// Full-width Latin capitals in title case, part by part (ＳＭＩＴＨ　ＪＯＨＮ → Ｓｍｉｔｈ　Ｊｏｈｎ).
fn title_case(name: &str) -> String {
    let mut first = true;
    name.chars()
        .map(|c| {
            let out = if !first && ('Ａ'..='Ｚ').contains(&c) {
                char::from_u32(c as u32 + 0x20).unwrap_or(c)
            } else {
                c
            };
            first = c == '　';
            out
        })
        .collect()
}

/// The name with one kanji replaced by a variant form, if any has one.
fn variant_name(t: &Tables, name: &str, rng: &mut Rng) -> Option<String> {
    let (i, c, vars) = name
        .char_indices()
        .find_map(|(i, c)| t.variants.get(&c).map(|v| (i, c, v)))?;
    let v = vars[rng.below(vars.len() as u64) as usize];
    let mut s = String::with_capacity(name.len() + 4);
    s.push_str(&name[..i]);
    s.push(v);
    s.push_str(&name[i + c.len_utf8()..]);
    Some(s)
}

const SMALL_TO_LARGE: [(char, char); 11] = [
    ('ァ', 'ア'),
    ('ィ', 'イ'),
    ('ゥ', 'ウ'),
    ('ェ', 'エ'),
    ('ォ', 'オ'),
    ('ッ', 'ツ'),
    ('ャ', 'ヤ'),
    ('ュ', 'ユ'),
    ('ョ', 'ヨ'),
    ('ヮ', 'ワ'),
    ('ヵ', 'カ'),
];

fn large_kana(kana: &str) -> Option<String> {
    let out: String = kana
        .chars()
        .map(|c| {
            SMALL_TO_LARGE
                .iter()
                .find(|(s, _)| *s == c)
                .map_or(c, |(_, l)| *l)
        })
        .collect();
    (out != kana).then_some(out)
}

/// The reading with its first voiceable kana voiced (or a voiced one unvoiced): another name.
fn misread_kana(kana: &str) -> Option<String> {
    let mut done = false;
    let out: String = kana
        .chars()
        .map(|c| {
            if done {
                return c;
            }
            if let Some(v) = compose_voicing(c, '゛').filter(|v| *v != 'ヴ') {
                done = true;
                return v;
            }
            // Voiced → unvoiced: the code point just below composes back to it.
            if let Some(u) = char::from_u32((c as u32).wrapping_sub(1))
                && compose_voicing(u, '゛') == Some(c)
                && c != 'ヴ'
            {
                done = true;
                return u;
            }
            c
        })
        .collect();
    done.then_some(out)
}

/// Full-width katakana → half-width (ｶﾞ for ガ), for the V09 problem.
fn halfwidth_kana(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    'chars: for c in s.chars() {
        if c == '　' {
            out.push(' ');
            continue;
        }
        for h in '\u{FF66}'..='\u{FF9D}' {
            let Some(f) = halfwidth_kana_to_full(h) else {
                continue;
            };
            if f == c {
                out.push(h);
                continue 'chars;
            }
            if compose_voicing(f, '゛') == Some(c) {
                out.push(h);
                out.push('ﾞ');
                continue 'chars;
            }
            if compose_voicing(f, '゜') == Some(c) {
                out.push(h);
                out.push('ﾟ');
                continue 'chars;
            }
        }
        out.push(c);
    }
    out
}

/// The number with its last (check) digit changed.
/// Share of one-person households that are foreign residents with a three-part name.
const FOREIGN_SHARE: f64 = 0.03;

/// The empty cells an Excel-saved roster's data rows end with ([`Office::excel`]).
const EXCEL_TRAILING: &str = ",,,";

/// A 12-digit number as Excel's General format shows it: six significant digits
/// (`621498320257` → `6.21498E+11`, trailing zeros dropped: `6.2E+11`). None when the number
/// starts with 0 or rounds up to 13 digits.
fn excel_scientific(n: &str) -> Option<String> {
    let v: u64 = n.parse().ok()?;
    if n.len() != 12 || n.starts_with('0') {
        return None;
    }
    let six = (v + 500_000) / 1_000_000;
    if six >= 1_000_000 {
        return None;
    }
    let digits = six.to_string();
    let frac = digits[1..].trim_end_matches('0');
    Some(if frac.is_empty() {
        format!("{}E+11", &digits[..1])
    } else {
        format!("{}.{frac}E+11", &digits[..1])
    })
}

fn with_wrong_check_digit(n: &str) -> String {
    let mut s = n.to_string();
    let last = s.pop().map_or(0, |c| c as u8 - b'0');
    s.push(char::from(b'0' + (last + 1) % 10));
    s
}

/// A date that does not exist near `d`: the 31st of a 30-day month, or 30 February (V06).
fn nonexistent_date(d: Ymd) -> String {
    for m in [d.month, d.month % 12 + 1, (d.month + 10) % 12 + 1] {
        let day = if m == 2 { 30 } else { 31 };
        if Ymd::new(d.year, m, day).is_none() {
            return format!("{:04}{m:02}{day:02}", d.year);
        }
    }
    format!("{:04}0230", d.year)
}

/// A date in 和暦 as clerks write it (昭和20年3月12日); Gregorian with slashes for 元年.
fn wareki(d: Ymd) -> String {
    let ymd = (d.year, d.month, d.day);
    let (era, start) = if ymd >= (2019, 5, 1) {
        ("令和", 2018)
    } else if ymd >= (1989, 1, 8) {
        ("平成", 1988)
    } else if ymd >= (1926, 12, 25) {
        ("昭和", 1925)
    } else {
        ("大正", 1911)
    };
    let year = d.year - start;
    if year == 1 {
        return format!("{}/{:02}/{:02}", d.year, d.month, d.day);
    }
    format!("{era}{year}年{}月{}日", d.month, d.day)
}

fn gen_household(t: &Tables, rng: &mut Rng, first_index: u64, max_size: u64) -> Household {
    let (size, head_age) = t.household_shape(rng);
    let size = size.min(max_size);
    let foreign = size == 1 && rng.chance(FOREIGN_SHARE);
    let surname = if foreign {
        rng.below(data::FOREIGN_NAMES.len() as u64) as usize
    } else {
        t.surnames.pick(rng)
    };
    let head_male = rng.chance(0.55);
    let birth_of = |rng: &mut Rng, age: u32| {
        let days = t.as_of_days - i64::from(age) * 365 - rng.below(365) as i64 - i64::from(age / 4);
        ymd_from_days(days)
    };
    let mut members = Vec::with_capacity(size as usize);
    for m in 0..size {
        let (male, age) = match m {
            0 => (head_male, head_age),
            1 if rng.chance(0.75) => (
                !head_male,
                (head_age as i64 + rng.range(0, 8) as i64 - 4).clamp(18, 104) as u32,
            ),
            _ => (
                rng.chance(0.5),
                head_age.saturating_sub(22 + rng.range(0, 14)),
            ),
        };
        let given = if male {
            t.male.pick(rng)
        } else {
            t.female.pick(rng)
        };
        members.push(Person {
            index: first_index + m,
            surname,
            foreign,
            given,
            male,
            birth: birth_of(rng, age),
        });
    }
    let mut h = Household {
        town: rng.below(t.towns.len() as u64) as usize,
        chome: if rng.chance(0.6) {
            rng.range(1, 7) as u8
        } else {
            0
        },
        ban: rng.range(1, 40) as u16,
        go: rng.range(1, 30) as u16,
        building: rng.chance(0.3).then(|| {
            (
                rng.below(BUILDINGS.len() as u64 * 40) as usize,
                (rng.range(1, 6) * 100 + rng.range(1, 12)) as u16,
            )
        }),
        members,
    };
    // Some towns run to 丁目 10 and beyond (十丁目, written 一〇丁目 too): a quarter of the
    // 6丁目 draws, derived from the 番 and 号 so the random stream does not change.
    if h.chome == 6 && h.ban.is_multiple_of(4) {
        h.chome = 10 + (h.go % 3) as u8;
    }
    h
}

/// What the registry must show for one member.
#[derive(Default)]
struct RegistrySide {
    name: Option<String>,
    omit: bool,
    removed: bool,
    namesake: Option<Namesake>,
    keep_kana: bool,
}

/// Where a resident with the same name, birth date and sex lives.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Namesake {
    /// At the person's own address (a double registration): M41.
    Here,
    /// Elsewhere: a lead only (M42).
    Elsewhere,
}

fn gen_chunk(t: &Tables, cfg: &GenConfig, c: u64) -> Chunk {
    let start = c * CHUNK;
    let end = (start + CHUNK).min(cfg.residents);
    let mut rng = Rng::derive(cfg.seed, 1, c);
    let mut chunk = Chunk {
        registry: Vec::with_capacity(((end - start) * 150) as usize),
        registry_rows: 0,
        roster: Vec::new(),
        insurance: InsuranceOut::new(t.insurance, ((end - start) * 110) as usize),
    };
    let mut line = String::with_capacity(256);
    let mut namesakes = 0u64;
    let mut lenders = linkage::Lenders::default();
    let mut i = start;
    while i < end {
        let mut h = gen_household(t, &mut rng, i, end - i);
        i += h.members.len() as u64;
        let size = h.members.len() as u64;
        let head_age = ((t.as_of_days - h.members[0].birth.to_days()) / 365) as u32;
        let on_welfare = rng.chance(t.scale * welfare_weight(size, head_age));
        let plan = (on_welfare && cfg.linkage_rate > 0.0 && rng.chance(cfg.linkage_rate))
            .then(|| linkage::plan(t, &mut rng, &mut h, &mut lenders))
            .flatten();
        let injected = plan.is_some();
        let mut sides: Vec<RegistrySide> = h.members.iter().map(|_| Default::default()).collect();
        if let Some(plan) = &plan {
            // The verdicts of the injection are known only where the registry has the カナ.
            for side in &mut sides {
                side.keep_kana = true;
            }
            if let Some(b) = plan.outside() {
                sides[b].omit = true;
            }
        }
        let roster_first = chunk.roster.len();
        if on_welfare {
            let office = (h.town * t.offices.len() / t.towns.len()) as u32;
            let acquired_h = t.as_of_days - rng.below(15 * 365) as i64 - 1;
            for (m, p) in h.members.iter().enumerate() {
                let mut row = roster_row(t, cfg, &mut rng, &h, p, m, office, acquired_h, injected);
                if !injected {
                    // (An injected household has no other insurance: its rows would link to
                    // the records carrying the numbers it moves around.)
                    let digits = my_number_digits(p.index);
                    let cover = insurance::recipient(
                        t,
                        &mut rng,
                        &mut chunk.insurance,
                        h.town,
                        p,
                        std::str::from_utf8(&digits).unwrap_or_default(),
                        row.keys[0],
                        row.welfare,
                        row.problem,
                    );
                    row.social = cover.social;
                    row.note = cover.note;
                }
                if t.insurance {
                    let owners = &mut chunk.insurance.owners;
                    owners.extend(row.keys.map(|k| (k, p.index)));
                }
                let side = &mut sides[m];
                match row.problem {
                    Some(Problem::M31) => side.removed = true,
                    Some(Problem::M42) => side.omit = true,
                    Some(Problem::M41) => side.namesake = Some(Namesake::Here),
                    Some(Problem::M42Moved) => side.namesake = Some(Namesake::Elsewhere),
                    Some(Problem::M12) => side.keep_kana = true,
                    _ => {}
                }
                // Large kana can only be seen where the registry has a reading.
                side.keep_kana |= row.variation == Some(Variation::LargeKana);
                if row.variation == Some(Variation::VariantKanji) {
                    let (sur, _, given, _) = name_of(p);
                    side.name = variant_name(t, &format!("{sur}　{given}"), &mut rng);
                }
                if row.variation == Some(Variation::LatinCase) {
                    let (sur, _, given, _) = name_of(p);
                    side.name = Some(title_case(&format!("{sur}　{given}")));
                }
                chunk.roster.push(row);
            }
            match plan {
                Some(plan) => plan.apply(t, &mut rng, &mut chunk.roster, roster_first),
                None if lenders.clean.is_none() => {
                    // A clean record (verdict M00) may lend its number to a later outsider.
                    let rows = &chunk.roster[roster_first..];
                    if let Some(m) = rows
                        .iter()
                        .position(|r| r.problem.is_none() && r.variation.is_none())
                    {
                        let facts = linkage::Facts::of(t, &h, m);
                        lenders.clean = Some((roster_first + m, facts));
                    }
                }
                None => {}
            }
        }
        let registered = address(t, &h, Notation::default());
        // Each member's row in the chunk's registry part (households have at most 5 members).
        let mut registry_rows = [None; 5];
        let mut lender = None;
        let house = (t.insurance && !on_welfare)
            .then(|| insurance::house_cover(t, &mut rng, h.town, &h.members[0], t.as_of_days));
        for (m, (p, side)) in h.members.iter().zip(&sides).enumerate() {
            if side.omit {
                continue;
            }
            if let Some(r) = registry_rows.get_mut(m) {
                *r = Some(chunk.registry_rows);
            }
            let kana_empty = !side.keep_kana && rng.chance(0.05);
            let changed = t.as_of_days - rng.below(20 * 365) as i64;
            let changed = changed.max(p.birth.to_days());
            let removed = side.removed || (!on_welfare && rng.chance(0.004));
            if !on_welfare && !removed && !kana_empty {
                lender = Some(m);
            }
            let digits = my_number_digits(p.index);
            let number = std::str::from_utf8(&digits).unwrap_or_default();
            registry_line(
                &mut line,
                number,
                p,
                side.name.as_deref(),
                kana_empty,
                &registered,
                removed,
                ymd_from_days(changed),
            );
            push_line(&mut chunk.registry, &line, cfg.registry_cp932);
            chunk.registry_rows += 1;
            if let Some(house) = &house {
                let removed_on = removed.then_some(changed);
                let out = &mut chunk.insurance;
                insurance::resident(t, &mut rng, out, h.town, house, p, number, removed_on);
            }
            if let Some(namesake) = side.namesake {
                // Someone else with the same name, birth date and sex, living elsewhere, or
                // the person registered a second time at the same address.
                let other = match namesake {
                    Namesake::Elsewhere => Household {
                        town: rng.below(t.towns.len() as u64) as usize,
                        chome: 0,
                        ban: rng.range(1, 40) as u16,
                        go: rng.range(1, 30) as u16,
                        building: None,
                        members: Vec::new(),
                    },
                    Namesake::Here => Household {
                        town: h.town,
                        chome: h.chome,
                        ban: h.ban,
                        go: h.go,
                        building: h.building,
                        members: Vec::new(),
                    },
                };
                let index = NAMESAKE_BASE + start + namesakes;
                namesakes += 1;
                let number = my_number(index);
                registry_line(
                    &mut line,
                    &number,
                    p,
                    None,
                    false,
                    &address(t, &other, Notation::default()),
                    false,
                    ymd_from_days(changed),
                );
                push_line(&mut chunk.registry, &line, cfg.registry_cp932);
                chunk.registry_rows += 1;
                if t.insurance {
                    // Always with the number: without it the row would link to the roster
                    // record by name, reading, birth date and sex, which the two share.
                    let house = insurance::house_cover(t, &mut rng, other.town, p, t.as_of_days);
                    let out = &mut chunk.insurance;
                    insurance::resident(t, &mut rng, out, other.town, &house, p, &number, None);
                }
            }
        }
        for row in &mut chunk.roster[roster_first..] {
            row.registry_row = registry_rows
                .get(usize::from(row.member).wrapping_sub(1))
                .copied()
                .flatten();
        }
        // A resident off welfare may lend a number to a later recipient (L04).
        if let Some(m) = lender.filter(|_| lenders.plain.is_none()) {
            lenders.plain = Some(linkage::Facts::of(t, &h, m));
        }
    }
    chunk
}

#[allow(clippy::too_many_arguments)]
fn registry_line(
    line: &mut String,
    number: &str,
    p: &Person,
    name: Option<&str>,
    kana_empty: bool,
    address: &str,
    removed: bool,
    changed: Ymd,
) {
    let (sur, sur_kana, given, given_kana) = name_of(p);
    line.clear();
    line.push_str(number);
    line.push(',');
    match name {
        Some(n) => line.push_str(n),
        None => {
            line.push_str(sur);
            line.push('　');
            line.push_str(given);
        }
    }
    line.push(',');
    if !kana_empty {
        line.push_str(sur_kana);
        line.push('　');
        line.push_str(given_kana);
    }
    line.push(',');
    push_ymd(line, p.birth);
    line.push_str(if p.male { ",1," } else { ",2," });
    line.push_str(address);
    line.push_str(if removed { ",1," } else { ",0," });
    push_ymd(line, changed);
    line.push('\n');
}

fn push_ymd(s: &mut String, d: Ymd) {
    s.extend(insurance::ymd8(d).iter().map(|&b| char::from(b)));
}

fn push_line(buf: &mut Vec<u8>, line: &str, cp932: bool) {
    if !cp932 {
        buf.extend_from_slice(line.as_bytes());
        return;
    }
    // 外字 (V11) are written in CP932's user-defined area F040–F9FC, which decoders map to
    // U+E000–U+E757; encoding_rs (WHATWG) does not encode them, so they are placed by hand.
    let mut rest = line;
    while let Some((at, c)) = rest
        .char_indices()
        .find(|(_, c)| ('\u{E000}'..='\u{E757}').contains(c))
    {
        let (bytes, _, _) = encoding_rs::SHIFT_JIS.encode(&rest[..at]);
        buf.extend_from_slice(&bytes);
        let pointer = 8836 + (c as u32 - 0xE000);
        let (lead, trail) = (pointer / 188, pointer % 188);
        buf.push((lead + if lead < 0x1F { 0x81 } else { 0xC1 }) as u8);
        buf.push((trail + if trail < 0x3F { 0x40 } else { 0x41 }) as u8);
        rest = &rest[at + c.len_utf8()..];
    }
    let (bytes, _, _) = encoding_rs::SHIFT_JIS.encode(rest);
    buf.extend_from_slice(&bytes);
}

#[allow(clippy::too_many_arguments)]
fn roster_row(
    t: &Tables,
    cfg: &GenConfig,
    rng: &mut Rng,
    h: &Household,
    p: &Person,
    m: usize,
    office: u32,
    acquired_h: i64,
    quiet: bool,
) -> RosterRow {
    let (sur, sur_kana, given, given_kana) = name_of(p);
    let mut problem = None;
    let mut variation = None;
    // A record of a linkage injection carries no other problem or variation.
    let roll = if quiet { f64::INFINITY } else { rng.unit() };
    if roll < cfg.problem_rate && !t.problems.is_empty() {
        problem = Some(t.problems[t.problem_pick.pick(rng)]);
    } else if roll < cfg.problem_rate + cfg.variation_rate {
        // A variation that applies to this record (not every name has a variant kanji). A
        // foreign resident's Latin name gets the case variation half the time: such records
        // are few, and among 16 variations it would hardly ever be drawn.
        let latin = p.foreign
            && sur
                .chars()
                .any(|c| c.is_alphabetic() && (c as u32) >= 0xFF21);
        if latin && rng.below(2) == 0 {
            variation = Some(Variation::LatinCase);
        }
        for _ in 0..if variation.is_some() { 0 } else { 4 } {
            let v = VARIATIONS[rng.below(VARIATIONS.len() as u64) as usize];
            let applies = match v {
                Variation::VariantKanji => sur
                    .chars()
                    .chain(given.chars())
                    .any(|c| t.variants.contains_key(&c)),
                Variation::LargeKana => large_kana(given_kana).is_some(),
                Variation::LatinCase => {
                    p.foreign
                        && sur
                            .chars()
                            .any(|c| c.is_alphabetic() && (c as u32) >= 0xFF21)
                }
                Variation::NoBuilding => h.building.is_some(),
                Variation::DigitChome => h.chome > 0,
                Variation::ChomeDigits => h.chome >= 10,
                Variation::Hyphens | Variation::NoPrefecture => true,
                Variation::NoGun => city_without_gun(t.towns[h.town].city).is_some(),
                Variation::NoSpelling => !no_positions(t.towns[h.town].town).is_empty(),
                Variation::ZeroTypo => h.ban.to_string().contains('0'),
                Variation::KyotoStreet => t.towns[h.town].city.starts_with("京都市"),
                Variation::TownNumeral => town_numeral_swapped(t.towns[h.town].town).is_some(),
                Variation::RoomGroup => {
                    h.chome == 0 && is_rural(t.towns[h.town].city) && h.building.is_some()
                }
                Variation::BanchiSuffix => h.chome == 0 && is_rural(t.towns[h.town].city),
                Variation::NoOaza => {
                    let town = &t.towns[h.town];
                    h.chome == 0
                        && is_rural(town.city)
                        && !town.town.starts_with('字')
                        && !town.town.starts_with("大字")
                }
            };
            if applies {
                variation = Some(v);
                break;
            }
        }
    }
    let mut name = format!("{sur}　{given}");
    let mut kana = format!("{sur_kana}　{given_kana}");
    let mut notation = Notation::default();
    let mut birth = p.birth;
    let mut male = p.male;
    let mut number = my_number(p.index);
    let mut other_address = None;
    let town = &t.towns[h.town];
    let mut postcode = town.postcode.to_string();
    match variation {
        Some(Variation::Hyphens) => notation.hyphens = true,
        Some(Variation::NoPrefecture) => notation.no_prefecture = true,
        Some(Variation::NoBuilding) => notation.no_building = true,
        Some(Variation::DigitChome) => notation.digit_chome = true,
        Some(Variation::ChomeDigits) => notation.chome_digits = true,
        Some(Variation::NoGun) => notation.no_gun = true,
        Some(Variation::NoSpelling) => {
            let town = t.towns[h.town].town;
            let at = no_positions(town).first().copied().unwrap_or(0);
            let now = town.chars().nth(at).unwrap_or('の');
            let others: Vec<char> = ['之', 'ノ', 'の']
                .into_iter()
                .filter(|c| *c != now)
                .collect();
            notation.no_spelling = Some(others[(p.index % 2) as usize]);
        }
        Some(Variation::ZeroTypo) => {
            notation.zero = Some(if p.index.is_multiple_of(2) {
                '零'
            } else {
                '○'
            });
        }
        Some(Variation::KyotoStreet) => {
            notation.kyoto = Some(KYOTO_STREETS[(p.index % KYOTO_STREETS.len() as u64) as usize]);
        }
        Some(Variation::TownNumeral) => notation.town_numeral = true,
        Some(Variation::RoomGroup) => notation.room_group = true,
        Some(Variation::NoOaza) => notation.oaza = 1 + (p.index % 2) as u8,
        Some(Variation::BanchiSuffix) => {
            notation.banchi_suffix = Some(if p.index.is_multiple_of(2) {
                "番"
            } else {
                "の"
            });
        }
        Some(Variation::LargeKana) => {
            if let Some(k) = large_kana(given_kana) {
                kana = format!("{sur_kana}　{k}");
            }
        }
        Some(Variation::VariantKanji | Variation::LatinCase) | None => {}
    }
    if matches!(problem, Some(Problem::M10 | Problem::M42Moved)) {
        // M10: moved. M42Moved: moved without a number; the person and a namesake live
        // elsewhere, and the roster's (old) address is neither one's.
        {
            let old = Household {
                town: rng.below(t.towns.len() as u64) as usize,
                chome: 0,
                ban: (h.ban % 39) + 1 + rng.range(0, 1) as u16,
                go: rng.range(1, 30) as u16,
                building: None,
                members: Vec::new(),
            };
            // Keep the old address different even when the same town comes up.
            let old = Household {
                ban: if old.town == h.town {
                    h.ban + 40
                } else {
                    old.ban
                },
                ..old
            };
            // The old address in one of the notations clerks use (chosen by the person's index,
            // so the random stream is the same as without it): a move stays a move however
            // it is written.
            let written = move_notation(t, &old, p.index);
            other_address = Some(address(t, &old, written));
            postcode = t.towns[old.town].postcode.to_string();
        }
    }
    match problem {
        Some(Problem::M11) => {
            let mut other = t.surnames.pick(rng);
            if data::SURNAMES[other].0 == sur {
                other = (other + 1) % data::SURNAMES.len();
            }
            let (s, k, _) = data::SURNAMES[other];
            name = format!("{s}　{given}");
            kana = format!("{k}　{given_kana}");
        }
        Some(Problem::M12) => match misread_kana(given_kana) {
            Some(k) => kana = format!("{sur_kana}　{k}"),
            None => problem = None,
        },
        Some(Problem::M20) => {
            if rng.chance(0.5) {
                male = !male;
            } else {
                let d = birth.to_days() + if rng.chance(0.5) { 1 } else { -365 };
                birth = ymd_from_days(d);
            }
        }
        Some(Problem::M30) => number = my_number(UNKNOWN_BASE + p.index),
        Some(Problem::M40 | Problem::M41 | Problem::M42 | Problem::M42Moved) => number.clear(),
        Some(Problem::V03) => number = with_wrong_check_digit(&number),
        Some(Problem::ExcelZero) => match number.strip_prefix('0') {
            Some(rest) => number = rest.to_string(),
            None => problem = None,
        },
        Some(Problem::ExcelE) => match excel_scientific(&number) {
            Some(e) => number = e,
            None => problem = None,
        },
        Some(Problem::Placeholder) => number = "000000000000".into(),
        Some(Problem::V01) => {
            other_address = Some(String::new());
            postcode.clear();
        }
        Some(Problem::V09) => kana = halfwidth_kana(&kana),
        Some(Problem::V10) => name = format!("{sur} {given}"),
        Some(Problem::V11) => {
            // The vendor system's 外字 for the family name's last kanji.
            let gaiji = char::from_u32(0xE000 + rng.below(0x100) as u32).unwrap_or('\u{E000}');
            let mut s: String = sur.chars().collect();
            s.pop();
            s.push(gaiji);
            name = format!("{s}　{given}");
        }
        Some(Problem::V13) => postcode = format!("{}-{}", &postcode[..3], &postcode[3..]),
        Some(Problem::V14) if !t.offices[office as usize].cp932 => problem = None,
        Some(
            Problem::M10
            | Problem::M31
            | Problem::V02
            | Problem::V04
            | Problem::V05
            | Problem::V06
            | Problem::V07
            | Problem::V08
            | Problem::V12
            | Problem::V14
            | Problem::V15
            | Problem::V16
            | Problem::RecipientZero
            | Problem::D02
            | Problem::D03,
        )
        | None => {}
    }
    let keys = [
        insurance::standard_key(p),
        insurance::link_key(&[&kana], birth, male),
    ];
    let birth_text = if problem == Some(Problem::V07) {
        wareki(birth)
    } else {
        birth.to_yyyymmdd()
    };
    let acquired = acquired_h.max(p.birth.to_days() + rng.below(60) as i64);
    let acquired = acquired.min(t.as_of_days);
    let lost = if rng.chance(0.05) {
        Some(acquired + 30 + rng.below(3000) as i64).filter(|d| *d < t.as_of_days)
    } else {
        None
    };
    let mut acquired_text = ymd_from_days(acquired).to_yyyymmdd();
    let mut lost_text = lost
        .map(|d| ymd_from_days(d).to_yyyymmdd())
        .unwrap_or_default();
    let mut addr = other_address.unwrap_or_else(|| address(t, h, notation));
    match problem {
        Some(Problem::V06) => acquired_text = nonexistent_date(ymd_from_days(acquired)),
        Some(Problem::V12) => {
            lost_text = ymd_from_days(acquired - 1 - rng.below(365) as i64).to_yyyymmdd();
        }
        Some(Problem::V16) => {
            // Before the building when there is one, else between city and town.
            let at = addr
                .find('　')
                .or_else(|| addr.find(town.town))
                .unwrap_or(addr.len());
            if addr[at..].starts_with('　') {
                addr.replace_range(at..at + '　'.len_utf8(), ",");
            } else {
                addr.insert(at, ',');
            }
        }
        _ => {}
    }
    RosterRow {
        office,
        keys,
        welfare: Period {
            from: acquired,
            to: lost,
        },
        household: h.members[0].index,
        person: p.index,
        member: m as u8 + 1,
        number,
        name,
        kana,
        birth: birth_text,
        sex: if male { 1 } else { 2 },
        postcode,
        address: addr,
        acquired: acquired_text,
        lost: lost_text,
        // Set with the other insurance (see `insurance::recipient`).
        social: 0,
        problem,
        variation,
        note: None,
        registry_row: None,
        extra: Vec::new(),
        same_recipient: false,
    }
}

const ROSTER_HEADER: &str = "保険者番号,受給者番号,ケース番号,世帯員番号,個人番号,氏名,氏名カナ,生年月日,性別,郵便番号,住所,資格取得日,資格喪失日,社会保険状況";
const REGISTRY_HEADER: &str = "個人番号,氏名,氏名カナ,生年月日,性別,住所,状態,異動年月日";

/// One office's roster file as it is written.
struct RosterOut {
    file: AtomicFile,
    cp932: bool,
    next_line: u64,
    next_serial: u64,
    cases: u64,
    last_household: Option<u64>,
}

fn write_err(path: &std::path::Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |source| Error::Write {
        path: path.display().to_string(),
        source,
    }
}

/// Which roster person each [`insurance::link_key`] belongs to. A number-less insurance row
/// is linked by `check` to every roster record with its key: where another roster person shares
/// the key (a namesake with the same birth date and sex), the row is written with its number
/// instead, so it links to its owner only and no unintended finding arises.
///
/// The (key, resident) pairs are gathered per chunk and sorted once at the end, so the writer
/// thread only appends them.
#[derive(Default)]
struct Owners {
    keys: Vec<(u64, u64)>,
    deferred: Vec<Deferred>,
}

impl Owners {
    /// Whether `key` belongs to `person` alone (`keys` sorted and deduplicated).
    fn owned(&self, key: u64, person: u64) -> bool {
        let from = self.keys.partition_point(|e| e.0 < key);
        let mut same = self.keys[from..].iter().take_while(|e| e.0 == key);
        same.next() == Some(&(key, person)) && same.next().is_none()
    }

    /// Writes the held rows, number-less unless the key is shared.
    fn write(mut self, file: &mut AtomicFile, stats: &mut GenStats) -> Result<(), Error> {
        self.keys.par_sort_unstable();
        self.keys.dedup();
        let path = file.target().to_path_buf();
        let mut buf = Vec::new();
        for d in &self.deferred {
            buf.clear();
            let (head, tail) = d.line.split_at(d.at.min(d.line.len()));
            buf.extend_from_slice(head);
            if !self.owned(d.key, d.person) {
                buf.extend_from_slice(d.number.as_bytes());
            }
            buf.extend_from_slice(tail);
            file.write_all(&buf).map_err(write_err(&path))?;
            stats.insurance_rows += 1;
        }
        Ok(())
    }
}

/// Writes everything, `insurance.csv` included; returns what was written.
pub fn run(cfg: &GenConfig) -> Result<GenStats, Error> {
    run_with(cfg, GenOutputs::default())
}

/// Writes everything `outputs` asks for; returns what was written.
pub fn run_with(cfg: &GenConfig, outputs: GenOutputs) -> Result<GenStats, Error> {
    let out = &cfg.out;
    // 0700 like every folder totsugo makes: generated numbers pass every check.
    crate::report::lock::create_private_dir(out)?;
    let t = Tables::new(cfg, outputs)?;
    let registry_path = out.join("registry.csv");
    let mut registry = AtomicFile::create(&registry_path)?;
    let mut header = String::from(REGISTRY_HEADER);
    header.push('\n');
    let mut buf = Vec::new();
    push_line(&mut buf, &header, cfg.registry_cp932);
    registry
        .write_all(&buf)
        .map_err(write_err(&registry_path))?;
    let mut rosters = Vec::with_capacity(t.offices.len());
    for o in &t.offices {
        let path = out.join(&o.file);
        let mut f = AtomicFile::create(&path)?;
        let mut buf = Vec::new();
        push_line(&mut buf, ROSTER_HEADER, o.cp932);
        buf.extend_from_slice(if o.cp932 { b"\r\n" } else { b"\n" });
        f.write_all(&buf).map_err(write_err(&path))?;
        rosters.push(RosterOut {
            file: f,
            cp932: o.cp932,
            next_line: 2,
            next_serial: 1,
            cases: 0,
            last_household: None,
        });
    }
    let insurance_path = out.join("insurance.csv");
    let mut insurance = None;
    if t.insurance {
        let mut f = AtomicFile::create(&insurance_path)?;
        f.write_all(format!("{INSURANCE_HEADER}\n").as_bytes())
            .map_err(write_err(&insurance_path))?;
        insurance = Some(f);
    }
    let mut owners = Owners::default();
    let truth_path = out.join("truth.csv");
    let mut truth = AtomicFile::create(&truth_path)?;
    truth
        .write_all("ファイル,行番号,コード,内容\n".as_bytes())
        .map_err(write_err(&truth_path))?;

    let links_path = out.join("links.csv");
    let mut links = AtomicFile::create(&links_path)?;
    links
        .write_all("ファイル,行番号,住民行番号\n".as_bytes())
        .map_err(write_err(&links_path))?;
    let mut files = OutFiles {
        truth: &mut truth,
        links: &mut links,
    };

    let mut stats = GenStats::default();
    let chunks = cfg.residents.div_ceil(CHUNK);
    let window = (rayon::current_num_threads() as u64 * 2).max(2);
    let gen_window = |from: u64| -> Vec<Chunk> {
        (from..(from + window).min(chunks))
            .into_par_iter()
            .map(|c| gen_chunk(&t, cfg, c))
            .collect()
    };
    let mut pending = gen_window(0);
    let mut next = window;
    while !pending.is_empty() {
        let current = std::mem::take(&mut pending);
        let (written, following) = rayon::join(
            || -> Result<(), Error> {
                for chunk in current {
                    // Physical line of the chunk's first registry row (the header is line 1).
                    let registry_line = stats.registry_rows + 2;
                    registry
                        .write_all(&chunk.registry)
                        .map_err(write_err(&registry_path))?;
                    stats.registry_rows += chunk.registry_rows;
                    if let Some(f) = insurance.as_mut() {
                        f.write_all(&chunk.insurance.bytes)
                            .map_err(write_err(&insurance_path))?;
                        stats.insurance_rows += chunk.insurance.rows;
                        owners.deferred.extend(chunk.insurance.deferred);
                        owners.keys.extend_from_slice(&chunk.insurance.owners);
                    }
                    for row in &chunk.roster {
                        let at = row.registry_row.map(|r| r + registry_line);
                        write_roster_row(&t, &mut rosters, &mut files, row, at, &mut stats)?;
                    }
                }
                Ok(())
            },
            || {
                if next < chunks {
                    gen_window(next)
                } else {
                    Vec::new()
                }
            },
        );
        written?;
        pending = following;
        next += window;
    }
    registry.commit()?;
    stats.files.push("registry.csv".into());
    for (o, r) in t.offices.iter().zip(rosters) {
        r.file.commit()?;
        stats.files.push(o.file.clone());
    }
    if let Some(mut f) = insurance {
        owners.write(&mut f, &mut stats)?;
        f.commit()?;
        stats.files.push("insurance.csv".into());
    }
    truth.commit()?;
    stats.files.push("truth.csv".into());
    links.commit()?;
    stats.files.push("links.csv".into());
    Ok(stats)
}

/// `truth.csv` and `links.csv`, written along the rosters.
struct OutFiles<'a> {
    truth: &'a mut AtomicFile,
    links: &'a mut AtomicFile,
}

/// Writes one roster row (twice for V15), its `links.csv` rows (`registry_line`: the physical
/// line of the person in registry.csv) and its truth lines.
fn write_roster_row(
    t: &Tables,
    rosters: &mut [RosterOut],
    files: &mut OutFiles<'_>,
    row: &RosterRow,
    registry_line: Option<u64>,
    stats: &mut GenStats,
) -> Result<(), Error> {
    let office = &t.offices[row.office as usize];
    let out = &mut rosters[row.office as usize];
    if out.last_household != Some(row.household) {
        out.last_household = Some(row.household);
        out.cases += 1;
    }
    let serial = if row.same_recipient {
        out.next_serial.saturating_sub(1).max(1)
    } else {
        out.next_serial += 1;
        out.next_serial - 1
    };
    let body = format!("{:06}", serial % 1_000_000);
    let mut recipient = format!("{body}{}", mhlw_check_digit(&body).unwrap_or(0));
    let mut insurer = office.insurer_no.clone();
    let mut member = format!("{:02}", row.member);
    let mut sex = row.sex.to_string();
    match row.problem {
        Some(Problem::V02) => member = row.member.to_string(),
        Some(Problem::V04) => insurer = with_wrong_check_digit(&insurer),
        Some(Problem::V05) => recipient = with_wrong_check_digit(&recipient),
        // Serials are counted per office from 1, so the number starts with zeros (a
        // 100,000-row office aside, where the row stays as it is and no truth is written).
        Some(Problem::RecipientZero) if recipient.trim_start_matches('0').len() > 1 => {
            recipient = recipient.trim_start_matches('0').to_string();
        }
        Some(Problem::V08) => sex = if row.sex == 1 { "男" } else { "女" }.to_string(),
        _ => {}
    }
    let head = format!(
        "{insurer},{recipient},K{:07},{member},{},",
        out.cases, row.number
    );
    let tail = format!(
        ",{},{},{sex},{},{},{},{},{}",
        row.kana, row.birth, row.postcode, row.address, row.acquired, row.lost, row.social
    );
    let mut buf = Vec::with_capacity(head.len() + row.name.len() + tail.len() + 2);
    push_line(&mut buf, &head, out.cp932);
    push_line(&mut buf, &row.name, out.cp932);
    if row.problem == Some(Problem::V14) && out.cp932 {
        // Cut inside the last (double-byte) character of the name.
        buf.pop();
    }
    push_line(&mut buf, &tail, out.cp932);
    if office.excel {
        buf.extend_from_slice(EXCEL_TRAILING.as_bytes());
    }
    buf.extend_from_slice(if out.cp932 { b"\r\n" } else { b"\n" });
    let path = out.file.target().to_path_buf();
    let copies = if row.problem == Some(Problem::V15) {
        2
    } else {
        1
    };
    let mut link = String::with_capacity(48);
    for _ in 0..copies {
        out.file.write_all(&buf).map_err(write_err(&path))?;
        link.clear();
        link.push_str(&office.file);
        link.push(',');
        link.push_str(&out.next_line.to_string());
        link.push(',');
        if let Some(r) = registry_line {
            link.push_str(&r.to_string());
        }
        link.push('\n');
        files
            .links
            .write_all(link.as_bytes())
            .map_err(write_err(&PathBuf::from("links.csv")))?;
        out.next_line += 1;
        stats.roster_rows += 1;
    }
    let line_no = out.next_line - 1;
    let mut note = |code: &'static str, what: &str| -> Result<(), Error> {
        *stats.truth.entry(code).or_default() += 1;
        let text = format!("{},{line_no},{code},{what}\n", office.file);
        files
            .truth
            .write_all(text.as_bytes())
            .map_err(write_err(&PathBuf::from("truth.csv")))
    };
    let unchanged = row.problem == Some(Problem::RecipientZero) && recipient.len() == 7;
    if let Some(p) = row.problem.filter(|_| !unchanged) {
        for code in p.codes() {
            note(code, row.note.as_deref().unwrap_or(p.describe()))?;
        }
    }
    if let Some(v) = row.variation {
        note("M01", v.describe())?;
    }
    for (code, what) in &row.extra {
        note(code, what)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn my_numbers_are_valid_and_distinct() {
        let mut seen = std::collections::HashSet::new();
        for i in (0..2000).chain(UNKNOWN_BASE..UNKNOWN_BASE + 100) {
            let n = my_number(i);
            assert!(crate::rules::check_digit::my_number_is_valid(&n), "{n}");
            assert!(seen.insert(n));
        }
    }

    #[test]
    fn number_less_rows_get_their_number_where_another_person_shares_the_key() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("insurance.csv");
        let row = |key, person| Deferred {
            line: b"123456,01,,X\n".to_vec(),
            at: 10,
            number: "N".into(),
            key,
            person,
        };
        let owners = Owners {
            keys: vec![
                (4, 40),
                (1, 10),
                (1, 10),
                (2, 20),
                (3, 20), // the roster changed person 20's reading to key 3
                (3, 30),
                (3, 30),
                (4, 40), // the same person twice (V15)
            ],
            deferred: vec![row(1, 10), row(2, 20), row(3, 30), row(4, 40), row(9, 90)],
        };
        let mut f = AtomicFile::create(&path).unwrap_or_else(|e| panic!("{e}"));
        let mut stats = GenStats::default();
        owners
            .write(&mut f, &mut stats)
            .unwrap_or_else(|e| panic!("{e}"));
        f.commit().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            std::fs::read_to_string(&path).unwrap_or_default(),
            "123456,01,,X\n123456,01,,X\n123456,01,N,X\n123456,01,,X\n123456,01,N,X\n"
        );
        assert_eq!(stats.insurance_rows, 5);
    }

    #[test]
    fn kana_helpers() {
        assert_eq!(large_kana("キョウコ").as_deref(), Some("キヨウコ"));
        assert_eq!(large_kana("タロウ"), None);
        assert_eq!(misread_kana("タロウ").as_deref(), Some("ダロウ"));
        assert_eq!(misread_kana("ジロウ").as_deref(), Some("シロウ"));
        assert_eq!(misread_kana("アイ"), None);
        assert_eq!(halfwidth_kana("ガッコウ　タロウ"), "ｶﾞｯｺｳ ﾀﾛｳ");
        assert_eq!(halfwidth_kana("パン"), "ﾊﾟﾝ");
    }

    #[test]
    fn gaiji_are_written_in_the_cp932_user_defined_area() {
        let mut buf = Vec::new();
        push_line(&mut buf, "山\u{E000}　\u{E05E}\u{E0BC}子", true);
        assert_eq!(buf[2..4], [0xF0, 0x40]);
        assert_eq!(buf[6..10], [0xF0, 0x9F, 0xF1, 0x40]);
        let (back, _, bad) = encoding_rs::SHIFT_JIS.decode(&buf);
        assert!(!bad);
        assert_eq!(back, "山\u{E000}　\u{E05E}\u{E0BC}子");
    }

    /// Every town the generator may use, with every 丁目 it may draw, in each notation it
    /// writes: the address comparison must call them the same place (M01, never M10). Town
    /// names ending in a numeral or holding 丁 (十余三, 六丁の目) once failed this.
    #[test]
    fn every_town_matches_itself_in_every_notation() {
        use crate::normalize::FieldMatch;
        use crate::normalize::address::compare_address;
        let t = Tables::new(
            &GenConfig {
                out: PathBuf::new(),
                residents: 1000,
                recipients: 10,
                offices: 1,
                seed: 1,
                problem_rate: 0.0,
                problem_mix: Vec::new(),
                variation_rate: 0.0,
                linkage_rate: 0.0,
                cp932_share: 0.0,
                registry_cp932: false,
                as_of: Ymd::today_jst(),
            },
            GenOutputs::default(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let notations = [
            Notation {
                hyphens: true,
                ..Default::default()
            },
            Notation {
                digit_chome: true,
                ..Default::default()
            },
            Notation {
                no_prefecture: true,
                ..Default::default()
            },
            Notation {
                no_building: true,
                ..Default::default()
            },
            Notation {
                no_gun: true,
                ..Default::default()
            },
            Notation {
                no_spelling: Some('ノ'),
                ..Default::default()
            },
            Notation {
                no_spelling: Some('之'),
                ..Default::default()
            },
            Notation {
                no_spelling: Some('の'),
                ..Default::default()
            },
            Notation {
                zero: Some('零'),
                ..Default::default()
            },
            Notation {
                zero: Some('○'),
                ..Default::default()
            },
            Notation {
                town_numeral: true,
                ..Default::default()
            },
            Notation {
                room_group: true,
                ..Default::default()
            },
            Notation {
                banchi_suffix: Some("番"),
                ..Default::default()
            },
            Notation {
                banchi_suffix: Some("の"),
                ..Default::default()
            },
            Notation {
                oaza: 1,
                ..Default::default()
            },
            Notation {
                oaza: 2,
                ..Default::default()
            },
            Notation {
                chome_digits: true,
                ..Default::default()
            },
        ];
        let mut bad = Vec::new();
        let mut missed = Vec::new();
        for town in 0..t.towns.len() {
            let kyoto = t.towns[town].city.starts_with("京都市");
            for chome in (0..7).chain(10..13) {
                let h = Household {
                    town,
                    chome,
                    ban: 20,
                    go: 3,
                    building: Some((9, 101)),
                    members: Vec::new(),
                };
                let registered = address(&t, &h, Notation::default());
                let kyoto_notations = KYOTO_STREETS.map(|k| Notation {
                    kyoto: Some(k),
                    ..Default::default()
                });
                let extra: &[Notation] = if kyoto { &kyoto_notations } else { &[] };
                for &n in notations.iter().chain(extra) {
                    let written = address(&t, &h, n);
                    let m = compare_address(&written, &registered);
                    if !matches!(m, FieldMatch::Variant | FieldMatch::Equal) {
                        bad.push(format!("{written} / {registered}"));
                    }
                }
                // A move, written in each notation the generator uses for moves: never ゆれ.
                let old = Household {
                    ban: 21,
                    building: None,
                    ..h
                };
                for index in 0..8 {
                    let written = address(&t, &old, move_notation(&t, &old, index));
                    if compare_address(&written, &registered) != FieldMatch::Differ {
                        missed.push(format!("{written} / {registered}"));
                    }
                }
            }
        }
        assert!(
            bad.is_empty() && missed.is_empty(),
            "{} false alarms: {:?}; {} missed moves: {:?}",
            bad.len(),
            &bad[..bad.len().min(20)],
            missed.len(),
            &missed[..missed.len().min(20)]
        );
    }

    #[test]
    fn notation_helpers() {
        assert_eq!(city_without_gun("加美郡加美町"), Some("加美町"));
        assert_eq!(city_without_gun("郡山市"), None);
        assert_eq!(city_without_gun("大和郡山市"), None);
        assert_eq!(town_numeral_swapped("４番町").as_deref(), Some("四番町"));
        assert_eq!(town_numeral_swapped("五番町").as_deref(), Some("５番町"));
        assert_eq!(
            town_numeral_swapped("神楽岡１０条").as_deref(),
            Some("神楽岡十条")
        );
        assert_eq!(
            town_numeral_swapped("北二十一条西").as_deref(),
            Some("北２１条西")
        );
        assert_eq!(town_numeral_swapped("一宮"), None);
        assert_eq!(no_positions("樋之上町"), [1]);
        assert!(no_positions("ノボリベツ").is_empty());
        let mut s = String::new();
        push_ban(&mut s, 20, Some('零'));
        assert_eq!(s, "二零");
        for (chome, digits, want) in [
            (10, false, "十"),
            (12, false, "十二"),
            (10, true, "一〇"),
            (3, true, "三"),
        ] {
            let mut s = String::new();
            push_kanji_chome(&mut s, chome, digits);
            assert_eq!(s, want);
        }
    }

    #[test]
    fn nonexistent_dates_do_not_exist() {
        let d = |y, m, d| Ymd::new(y, m, d).unwrap_or(Ymd::today_jst());
        for (date, want) in [
            (d(2023, 4, 5), "20230431"),
            (d(2023, 2, 5), "20230230"),
            (d(2023, 3, 5), "20230431"),
            (d(2023, 12, 5), "20231131"),
            (d(2023, 1, 5), "20230230"),
        ] {
            assert_eq!(nonexistent_date(date), want);
            assert!(Ymd::parse_yyyymmdd(want).is_none());
        }
    }

    #[test]
    fn wareki_dates() {
        let d = |y, m, d| Ymd::new(y, m, d).unwrap_or(Ymd::today_jst());
        assert_eq!(wareki(d(1945, 3, 12)), "昭和20年3月12日");
        assert_eq!(wareki(d(1989, 1, 7)), "昭和64年1月7日");
        assert_eq!(wareki(d(1989, 1, 8)), "1989/01/08");
        assert_eq!(wareki(d(2000, 2, 29)), "平成12年2月29日");
        assert_eq!(wareki(d(1920, 5, 1)), "大正9年5月1日");
    }
}
