//! Roster date fields (生年月日, 資格取得日, 資格喪失日).
//!
//! The contract wants strict Gregorian `YYYYMMDD`. A value written in a recognizable
//! alternative form (和暦, separators, full-width digits) is V07 and gets converted;
//! anything else that is not an existing `YYYYMMDD` date is V06.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

/// A Gregorian calendar date that exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ymd {
    pub year: u16,
    pub month: u8,
    pub day: u8,
}

const EPOCH: Ymd = ymd(1970, 1, 1);
/// `to_days` of 0001-01-01 and 9999-12-31: the range `from_days` accepts.
const MIN_DAYS: i64 = -719_162;
const MAX_DAYS: i64 = 2_932_896;

fn is_leap(y: u32) -> bool {
    y.is_multiple_of(4) && (!y.is_multiple_of(100) || y.is_multiple_of(400))
}

fn days_in_month(y: u32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => 0,
    }
}

impl Ymd {
    /// None unless the date exists (leap years: Gregorian rule), year 1..=9999.
    #[must_use]
    pub fn new(year: u16, month: u8, day: u8) -> Option<Ymd> {
        let ok = (1..=9999).contains(&year)
            && day >= 1
            && u32::from(day) <= days_in_month(u32::from(year), u32::from(month));
        ok.then_some(Ymd { year, month, day })
    }

    fn from_u32(y: u32, m: u32, d: u32) -> Option<Ymd> {
        Ymd::new(
            u16::try_from(y).ok()?,
            u8::try_from(m).ok()?,
            u8::try_from(d).ok()?,
        )
    }

    /// Strict: exactly 8 ASCII digits forming an existing date.
    #[must_use]
    pub fn parse_yyyymmdd(s: &str) -> Option<Ymd> {
        if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Ymd::from_u32(num(&s[0..4]), num(&s[4..6]), num(&s[6..8]))
    }

    /// "19890913"
    #[must_use]
    pub fn to_yyyymmdd(&self) -> String {
        format!("{:04}{:02}{:02}", self.year, self.month, self.day)
    }

    /// Today's date in Japan Standard Time (UTC+9, no DST), from `SystemTime`.
    #[must_use]
    pub fn today_jst() -> Ymd {
        let secs = match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
        };
        Ymd::from_days(secs.saturating_add(9 * 3600).div_euclid(86_400)).unwrap_or(EPOCH)
    }

    /// Days since 1970-01-01 (negative before). Howard Hinnant's `days_from_civil`.
    #[must_use]
    pub fn to_days(&self) -> i64 {
        let (m, d) = (i64::from(self.month), i64::from(self.day));
        let y = i64::from(self.year) - i64::from(m <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// Inverse of [`Ymd::to_days`] (Hinnant's `civil_from_days`); None outside years 1..=9999.
    #[must_use]
    pub fn from_days(days: i64) -> Option<Ymd> {
        if !(MIN_DAYS..=MAX_DAYS).contains(&days) {
            return None;
        }
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        let y = yoe + era * 400 + i64::from(m <= 2);
        Ymd::new(
            u16::try_from(y).ok()?,
            u8::try_from(m).ok()?,
            u8::try_from(d).ok()?,
        )
    }
}

impl fmt::Display for Ymd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}年{}月{}日", self.year, self.month, self.day)
    }
}

/// How an alternative form was written (used in the Japanese message).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AltForm {
    Wareki,
    Separated,
    FullWidth,
}

impl AltForm {
    #[must_use]
    pub fn label(&self) -> &'static str {
        match self {
            AltForm::Wareki => "和暦",
            AltForm::Separated => "区切り文字付き",
            AltForm::FullWidth => "全角数字",
        }
    }
}

/// Outcome of [`check_date`] for one roster date field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DateCheck {
    /// Already strict YYYYMMDD and exists.
    Valid(Ymd),
    /// V07: recognizable alternative form; `date` is the converted value.
    Alternative { date: Ymd, form: AltForm },
    /// V06: not an existing date. `reason` is a Japanese sentence (the caller prints the
    /// raw value separately). `suggestion` is set only for era overflow, never applied.
    Invalid {
        reason: String,
        suggestion: Option<Ymd>,
    },
}

const UNREADABLE: &str = "日付として読めません";
const NOT_8_DIGITS: &str = "8桁の西暦日付（YYYYMMDD）ではありません";
const TWO_DIGIT_YEAR: &str = "西暦年が2桁で、世紀を決められません";
const ERA_CODE: &str = "元号コード付き7桁の日付は元号表が施設ごとに異なるため変換しません";

fn invalid(reason: impl Into<String>) -> DateCheck {
    DateCheck::Invalid {
        reason: reason.into(),
        suggestion: None,
    }
}

/// Digits-only token to number; tokens reaching here are at most 8 digits long.
fn num(s: &str) -> u32 {
    s.parse().unwrap_or(u32::MAX)
}

struct Era {
    name: &'static str,
    short: char,
    letter: char,
    offset: u32,
    /// First and last Gregorian day accepted for this era (boundary days overlap).
    first: Ymd,
    last: Ymd,
}

const fn ymd(year: u16, month: u8, day: u8) -> Ymd {
    Ymd { year, month, day }
}

#[rustfmt::skip]
const ERAS: [Era; 5] = [
    // 明治元年1月1日–5年12月2日 are lunar dates; only 1868-01-25 onward maps onto Gregorian.
    Era { name: "明治", short: '明', letter: 'M', offset: 1867, first: ymd(1868, 1, 25), last: ymd(1912, 7, 30) },
    Era { name: "大正", short: '大', letter: 'T', offset: 1911, first: ymd(1912, 7, 30), last: ymd(1926, 12, 25) },
    Era { name: "昭和", short: '昭', letter: 'S', offset: 1925, first: ymd(1926, 12, 25), last: ymd(1989, 1, 7) },
    Era { name: "平成", short: '平', letter: 'H', offset: 1988, first: ymd(1989, 1, 8), last: ymd(2019, 4, 30) },
    Era { name: "令和", short: '令', letter: 'R', offset: 2018, first: ymd(2019, 5, 1), last: ymd(9999, 12, 31) },
];

impl Era {
    fn year_text(y: u32) -> String {
        if y == 1 {
            "元".to_owned()
        } else {
            y.to_string()
        }
    }
    /// "平成31年5月1日"
    fn spell(&self, y: u32, m: u32, d: u32) -> String {
        format!("{}{}年{}月{}日", self.name, Era::year_text(y), m, d)
    }
    /// "31年4月30日" (era name omitted) for a date inside this era.
    fn spell_short(&self, g: Ymd) -> String {
        let y = u32::from(g.year).saturating_sub(self.offset);
        format!("{}年{}月{}日", Era::year_text(y), g.month, g.day)
    }
}

/// Full-width ASCII (U+FF01–FF5E) and ideographic space to ASCII; dash look-alikes to '-'.
fn fold(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        '\u{FF65}' => '・',
        '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{30FC}' | '\u{FF70}' => '-',
        _ => c,
    }
}

/// Excel-style time suffix: `H:MM` or `H:MM:SS` (value ignored).
fn is_time(s: &str) -> bool {
    let parts: Vec<&str> = s.split(':').collect();
    (2..=3).contains(&parts.len())
        && parts.iter().enumerate().all(|(i, p)| {
            let len_ok = if i == 0 {
                (1..=2).contains(&p.len())
            } else {
                p.len() == 2
            };
            len_ok && p.bytes().all(|b| b.is_ascii_digit())
        })
}

#[derive(Debug, Clone, Copy)]
enum Tok<'a> {
    Num(&'a str),
    /// 元 (as in 元年)
    Gan,
    Sep(char),
}

fn lex(s: &str) -> Option<Vec<Tok<'_>>> {
    let mut toks = Vec::new();
    let mut it = s.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        toks.push(match c {
            '0'..='9' => {
                let mut end = i + 1;
                while let Some(&(j, '0'..='9')) = it.peek() {
                    end = j + 1;
                    it.next();
                }
                Tok::Num(&s[i..end])
            }
            '元' => Tok::Gan,
            '.' | '/' | '-' | '・' | '年' | '月' | '日' => Tok::Sep(c),
            _ => return None,
        });
    }
    Some(toks)
}

/// `Y sep M sep D` with one repeated separator, or `Y年M月D[日]`; month/day 1–2 digits.
fn ymd_shape<'a>(t: &[Tok<'a>]) -> Option<(Tok<'a>, &'a str, &'a str)> {
    let (y, m, d) = match *t {
        [y, Tok::Sep(a), Tok::Num(m), Tok::Sep(b), Tok::Num(d)]
            if a == b && ".-/・".contains(a) =>
        {
            (y, m, d)
        }
        [y, Tok::Sep('年'), Tok::Num(m), Tok::Sep('月'), Tok::Num(d)]
        | [
            y,
            Tok::Sep('年'),
            Tok::Num(m),
            Tok::Sep('月'),
            Tok::Num(d),
            Tok::Sep('日'),
        ] => (y, m, d),
        _ => return None,
    };
    (m.len() <= 2 && d.len() <= 2).then_some((y, m, d))
}

fn gregorian_reason(y: u32, m: u32, d: u32) -> String {
    if y == 0 {
        "0年は存在しません".to_owned()
    } else if !(1..=12).contains(&m) {
        format!("{m}月は存在しません")
    } else {
        format!("{y}年{m}月{d}日は存在しません")
    }
}

fn gregorian(y: u32, m: u32, d: u32, form: Option<AltForm>) -> DateCheck {
    match (Ymd::from_u32(y, m, d), form) {
        (Some(date), Some(form)) => DateCheck::Alternative { date, form },
        (Some(date), None) => DateCheck::Valid(date),
        (None, _) => invalid(gregorian_reason(y, m, d)),
    }
}

/// Seven digits that read as `G YY MM DD` with an era code G (vendor-specific table).
fn looks_like_era_code(n: &str) -> bool {
    let (g, mm, dd) = (num(&n[0..1]), num(&n[3..5]), num(&n[5..7]));
    g >= 1 && (1..=12).contains(&mm) && (1..=31).contains(&dd)
}

fn check_gregorian(toks: &[Tok<'_>], spaced: bool) -> DateCheck {
    match *toks {
        [Tok::Num(n)] => match n.len() {
            // Only reached when the raw value was not plain ASCII: full-width or spaced.
            8 => {
                let form = if spaced {
                    AltForm::Separated
                } else {
                    AltForm::FullWidth
                };
                gregorian(num(&n[0..4]), num(&n[4..6]), num(&n[6..8]), Some(form))
            }
            7 if looks_like_era_code(n) => invalid(ERA_CODE),
            _ => invalid(NOT_8_DIGITS),
        },
        _ => match ymd_shape(toks) {
            Some((Tok::Num(y), m, d)) if y.len() == 4 => {
                gregorian(num(y), num(m), num(d), Some(AltForm::Separated))
            }
            Some((Tok::Num(y), ..)) if y.len() == 2 => invalid(TWO_DIGIT_YEAR),
            _ => invalid(UNREADABLE),
        },
    }
}

fn check_wareki(era: &Era, toks: &[Tok<'_>]) -> DateCheck {
    let (yy, m, d) = match *toks {
        [Tok::Num(n)] if n.len() == 6 => (num(&n[0..2]), num(&n[2..4]), num(&n[4..6])),
        _ => match ymd_shape(toks) {
            Some((Tok::Gan, m, d)) => (1, num(m), num(d)),
            Some((Tok::Num(y), m, d)) if y.len() <= 3 => (num(y), num(m), num(d)),
            _ => return invalid(UNREADABLE),
        },
    };
    if yy == 0 {
        return invalid(format!("{}0年は存在しません（元年は1年です）", era.name));
    }
    if !(1..=12).contains(&m) {
        return invalid(format!("{m}月は存在しません"));
    }
    let written = era.spell(yy, m, d);
    let Some(date) = Ymd::from_u32(era.offset + yy, m, d) else {
        return invalid(format!("{written}は存在しません"));
    };
    if date < era.first {
        let first = era.spell_short(era.first);
        return invalid(if era.letter == 'M' {
            format!("{written}は旧暦の日付のため変換できません（明治は{first}から扱います）")
        } else {
            format!("{written}は存在しません（{}は{first}から）", era.name)
        });
    }
    if date > era.last {
        let reason = format!(
            "{written}は存在しません（{}は{}まで）",
            era.name,
            era.spell_short(era.last)
        );
        return DateCheck::Invalid {
            reason,
            suggestion: Some(date),
        };
    }
    DateCheck::Alternative {
        date,
        form: AltForm::Wareki,
    }
}

fn split_era(s: &str) -> (Option<&'static Era>, &str) {
    if let Some((era, rest)) = ERAS.iter().find_map(|e| Some((e, s.strip_prefix(e.name)?))) {
        return (Some(era), rest);
    }
    let mut chars = s.chars();
    if let Some(c) = chars.next() {
        let up = c.to_ascii_uppercase();
        if let Some(era) = ERAS.iter().find(|e| e.short == c || e.letter == up) {
            return (Some(era), chars.as_str());
        }
    }
    (None, s)
}

/// Classify a raw field value. The caller has already trimmed it and handled the empty
/// value. Never panics, whatever the input.
#[must_use]
pub fn check_date(raw: &str) -> DateCheck {
    if raw.len() == 8 && raw.bytes().all(|b| b.is_ascii_digit()) {
        let y = num(&raw[0..4]);
        return gregorian(y, num(&raw[4..6]), num(&raw[6..8]), None);
    }
    let folded: String = raw.chars().map(fold).collect();
    let text = folded.trim();
    let (date_part, has_time) = match text.find(':') {
        None => (text, false),
        Some(colon) => match text[..colon].rfind(char::is_whitespace) {
            Some(ws) if is_time(text[ws..].trim()) => (text[..ws].trim_end(), true),
            _ => return invalid(UNREADABLE),
        },
    };
    let spaced = has_time || date_part.contains(char::is_whitespace);
    let compact: String = date_part.chars().filter(|c| !c.is_whitespace()).collect();
    let (era, rest) = split_era(&compact);
    let Some(toks) = lex(rest) else {
        return invalid(UNREADABLE);
    };
    match era {
        Some(era) => check_wareki(era, &toks),
        None => check_gregorian(&toks, spaced),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    enum Want {
        /// Strict and valid.
        V(&'static str),
        /// Alternative form converted to this YYYYMMDD.
        A(&'static str, AltForm),
        /// Invalid: reason contains this text; optional suggestion.
        I(&'static str, Option<&'static str>),
    }
    use AltForm::{FullWidth as F, Separated as S, Wareki as W};
    use Want::{A, I, V};

    fn run(cases: &[(&str, Want)]) {
        for (raw, want) in cases {
            let got = check_date(raw);
            let ok = match (want, &got) {
                (V(s), DateCheck::Valid(d)) => d.to_yyyymmdd() == *s,
                (A(s, f), DateCheck::Alternative { date, form }) => {
                    date.to_yyyymmdd() == *s && form == f
                }
                (I(r, sug), DateCheck::Invalid { reason, suggestion }) => {
                    reason.contains(r) && suggestion.map(|d| d.to_yyyymmdd()).as_deref() == *sug
                }
                _ => false,
            };
            assert!(ok, "{raw:?} gave {got:?}");
        }
    }

    #[test]
    #[rustfmt::skip]
    fn v07_era_boundaries() {
        run(&[
            ("昭和64年1月7日", A("19890107", W)),
            ("昭和64年1月8日", I("昭和64年1月8日は存在しません（昭和は64年1月7日まで）", Some("19890108"))),
            ("平成元年1月8日", A("19890108", W)),
            ("平成元年1月7日", I("平成元年1月7日は存在しません（平成は元年1月8日から）", None)),
            ("平成31年4月30日", A("20190430", W)),
            ("平成31年5月1日", I("平成31年5月1日は存在しません（平成は31年4月30日まで）", Some("20190501"))),
            ("令和元年5月1日", A("20190501", W)),
            ("令和元年4月30日", I("令和は元年5月1日から", None)),
            ("大正15年12月25日", A("19261225", W)),
            ("昭和元年12月25日", A("19261225", W)),
            ("昭和元年12月24日", I("存在しません", None)),
            ("大正15年12月26日", I("大正は15年12月25日まで", Some("19261226"))),
            ("明治45年7月30日", A("19120730", W)),
            ("大正元年7月30日", A("19120730", W)),
            ("大正元年7月29日", I("存在しません", None)),
            ("明治元年1月25日", A("18680125", W)),
            ("明治元年1月24日", I("旧暦", None)),
            ("M1.1.1", I("旧暦", None)),
        ]);
    }

    #[test]
    #[rustfmt::skip]
    fn v07_wareki_forms() {
        run(&[
            ("H1.9.13", A("19890913", W)), ("H01.09.13", A("19890913", W)),
            ("h1/9/13", A("19890913", W)), ("H1-9-13", A("19890913", W)),
            ("H1・9・13", A("19890913", W)), ("R3.03.01", A("20210301", W)),
            ("S62.9.13", A("19870913", W)), ("T1.8.1", A("19120801", W)),
            ("H010913", A("19890913", W)), ("平成元年9月13日", A("19890913", W)),
            ("平成1年9月13日", A("19890913", W)), ("平成01年9月13日", A("19890913", W)),
            ("平成１年9月13日", A("19890913", W)), ("平成 元年 9月 13日", A("19890913", W)),
            ("平成元年9月13", A("19890913", W)), ("令和3年3月1日", A("20210301", W)),
            ("平1.9.13", A("19890913", W)), ("令元.5.1", A("20190501", W)),
            ("R元.5.1", A("20190501", W)), ("Ｈ１．９．１３", A("19890913", W)),
            ("平成元年９月１３日", A("19890913", W)), ("H1.9.13 0:00", A("19890913", W)),
        ]);
    }

    #[test]
    #[rustfmt::skip]
    fn v07_gregorian_alternatives() {
        run(&[
            ("１９８９０９１３", A("19890913", F)), ("1989/9/13", A("19890913", S)),
            ("1989/09/13", A("19890913", S)), ("1989-09-13", A("19890913", S)),
            ("1989.9.13", A("19890913", S)), ("1989年9月13日", A("19890913", S)),
            ("1989年9月13", A("19890913", S)), ("1989/09/13 0:00", A("19890913", S)),
            ("1989-09-13 00:00:00", A("19890913", S)), ("１９８９／０９／１３", A("19890913", S)),
            ("1989−09−13", A("19890913", S)), ("1989 0913", A("19890913", S)),
            ("9999/12/31", A("99991231", S)),
        ]);
    }

    #[test]
    #[rustfmt::skip]
    fn v06_invalid_examples() {
        run(&[
            ("19890913", V("19890913")),
            ("20230230", I("2023年2月30日は存在しません", None)),
            ("19891313", I("13月は存在しません", None)),
            ("19890001", I("0月は存在しません", None)),
            ("19890100", I("1989年1月0日は存在しません", None)),
            ("00000101", I("0年は存在しません", None)),
            ("1989913", I(NOT_8_DIGITS, None)),
            ("198909130", I(NOT_8_DIGITS, None)),
            ("89/9/13", I(TWO_DIGIT_YEAR, None)),
            ("4010913", I(ERA_CODE, None)),
            ("誕生日は不明", I(UNREADABLE, None)),
            ("H1.2.30", I("平成元年2月30日は存在しません", None)),
            ("1989/2/30", I("1989年2月30日は存在しません", None)),
            ("１９８９０２３０", I("1989年2月30日は存在しません", None)),
            ("H0.1.1", I("平成0年は存在しません", None)),
            ("H1.0.1", I("0月は存在しません", None)),
            ("H1.1.0", I("平成元年1月0日は存在しません", None)),
            ("1989/9-13", I(UNREADABLE, None)),
            ("1989/09/13 noon", I(UNREADABLE, None)),
            ("H999.99.99", I("99月は存在しません", None)),
        ]);
    }

    #[test]
    #[rustfmt::skip]
    fn v06_era_overflow_suggestions() {
        run(&[
            ("平成32年1月1日", I("平成32年1月1日は存在しません（平成は31年4月30日まで）", Some("20200101"))),
            ("H32.1.1", I("平成は31年4月30日まで", Some("20200101"))),
            ("S65.1.1", I("昭和は64年1月7日まで", Some("19900101"))),
            ("M46.1.1", I("明治は45年7月30日まで", Some("19130101"))),
            ("昭和64年2月29日", I("昭和64年2月29日は存在しません", None)),
        ]);
    }

    #[test]
    fn v06_leap_years() {
        run(&[
            ("20000229", V("20000229")),
            ("19000229", I("1900年2月29日は存在しません", None)),
            ("20240229", V("20240229")),
            ("20230229", I("存在しません", None)),
            ("平成12年2月29日", A("20000229", W)),
        ]);
        assert!(Ymd::new(2000, 2, 29).is_some() && Ymd::new(1900, 2, 29).is_none());
        assert_eq!(Ymd::new(0, 1, 1), None);
        assert_eq!(Ymd::new(10000, 1, 1), None);
    }

    #[test]
    fn v06_ymd_api() {
        let d = Ymd::parse_yyyymmdd("19890913").expect("valid");
        assert_eq!(d.to_string(), "1989年9月13日");
        assert_eq!(d.to_yyyymmdd(), "19890913");
        assert_eq!(Ymd::parse_yyyymmdd("１９８９０９１３"), None);
        assert_eq!(Ymd::parse_yyyymmdd("+1989091"), None);
        assert_eq!(AltForm::Wareki.label(), "和暦");
        assert_eq!(AltForm::Separated.label(), "区切り文字付き");
        assert_eq!(AltForm::FullWidth.label(), "全角数字");
    }

    #[test]
    fn v06_days_round_trip() {
        assert_eq!(EPOCH.to_days(), 0);
        assert_eq!(ymd(1, 1, 1).to_days(), MIN_DAYS);
        assert_eq!(ymd(9999, 12, 31).to_days(), MAX_DAYS);
        for out in [MIN_DAYS - 1, MAX_DAYS + 1, i64::MIN, i64::MAX] {
            assert_eq!(Ymd::from_days(out), None);
        }
        let mut expected = ymd(1868, 1, 1).to_days();
        for y in 1868..=2100u16 {
            for m in 1..=12u8 {
                for d in (1..=31u8).filter_map(|d| Ymd::new(y, m, d)) {
                    assert_eq!(d.to_days(), expected, "{d}");
                    assert_eq!(Ymd::from_days(expected), Some(d));
                    expected += 1;
                }
            }
        }
        assert_eq!(expected, ymd(2101, 1, 1).to_days());
    }

    #[test]
    fn v06_today_jst_sane() {
        let t = Ymd::today_jst();
        assert!(
            t.year >= 2024 && Ymd::new(t.year, t.month, t.day) == Some(t),
            "{t:?}"
        );
    }

    #[test]
    fn v06_v07_no_panic_on_nasty_input() {
        let nasty = " |　|/|//|..|--|・|年月日|令和|平成|元|H|Ｈ|99999999999999999999|H999.99.99|\
            H99999999.1.1|令和99999年1月1日|1989/09/13 | 0:00|:|1989/09/13 99:99:99:99|H1.9.13 :|\
            𝟏𝟗𝟖𝟗𝟎𝟗𝟏𝟑|😀|1989😀0913|平成😀元年|Ｈ元.元.元|元年元月元日|H.1.1|HH1.1.1|1989/|/9/13|\
            0000/00/00|\u{0}|ｈ１・９・１３|ﾍｲｾｲ|١٩٨٩٠٩١٣|१९८९०९१३|明治元年0月0日|R9999.1.1|\
            平成元年1月1日1|H1.1.1.1|1989/09/13 0:00 0:00|T１５年１２月２５日|\u{FEFF}19890913";
        for raw in nasty.split('|') {
            let got = check_date(raw);
            assert!(!matches!(got, DateCheck::Valid(_)), "{raw:?} gave {got:?}");
        }
        // Deterministic random strings over the characters the parser cares about.
        let alphabet: Vec<char> =
            "0123456789０１９.／-・年月日元明大昭平令治正和成HhRrSTMＨ :：　😀x"
                .chars()
                .collect();
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..50_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = (seed % 14) as usize + 1;
            let raw: String = (0..len)
                .map(|i| alphabet[((seed >> (i * 4)) as usize + i * 7) % alphabet.len()])
                .collect();
            if let DateCheck::Valid(d) = check_date(&raw) {
                assert_eq!(Ymd::parse_yyyymmdd(&raw), Some(d));
            }
        }
    }
}
