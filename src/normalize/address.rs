//! Comparison keys for 住所 (registry matching; domain.md §5).
//!
//! [`address_key`] splits an address into the street part (up to the house number) and the
//! building part (建物名・部屋番号, 方書), each normalized so that notations of the same place
//! compare equal. A key is for comparing only and is not meant to be shown.
//!
//! The rules, in order:
//! 1. Characters: the same per-char fold as names ([`super::name`]: full-width digits and
//!    letters → ASCII, half-width kana → full-width with voicing composed (a mark that composes
//!    with nothing is dropped), variant kanji → their class representative, 中黒 dropped);
//!    ヶ ケ ヵ が ガ → ヶ (霞が関 = 霞ヶ関 = 霞ケ関); every dash-like char (‐ - － ― − ｰ ー – — ─ ━)
//!    → `-` (so `1ー2` = `1-2`; as the very last step a `-` right after a kana becomes ー again:
//!    コーポ = コ－ポ). Spaces are removed, except that a run of them after a number is kept as
//!    one space until step 6 (it may separate a room number: `1-2-3 101`). 外字 (private use,
//!    〓, ●, U+FFFD) makes the address uncomparable, as for names.
//!    零, ○ (U+25CB) and ◯ next to a numeral or digit are 〇 (二零番地 = 二〇番地).
//! 2. Prefecture: a leading one of the 47 都道府県 names is removed (it is optional), but
//!    [`compare_address`] still tells 大阪府中央区… from 東京都中央区… when both sides name one.
//!    Then the town dictionary (module `towns`, Japan Post data) is consulted. A 郡 written
//!    before one of its cities is removed (宮城県加美郡加美町 = 宮城県加美町). The city is the
//!    longest city name of the dictionary at the start. After it, a leading 大字 and 字 are
//!    dropped, and in a ward of 京都市 a 通り名 up to its direction (上る/上ル/上がる/下る/東入/
//!    西入 …, 通 written or not) is decoration. The town is the longest town of that city at
//!    that point, compared on town keys (之/ノ = の, digits = kanji digits, 北二十一条西 =
//!    北21条西); the key of the official name goes into the street (for two official towns
//!    sharing a key, the name as written), so 樋之上町 = 樋ノ上町, ５番町 = 五番町, １区 = 一区,
//!    and a numeral of the name (十余三, 四番町, 八区, 東５号北) is never read as a house
//!    number. A 字 right after the town is the 字 marker and is dropped (大字久保田字中島 =
//!    久保田字中島). What follows is read by steps 3–6, a numeral run at its start being a
//!    number (十丁目, 百二十三).
//!    When the city or the town is not in the dictionary the address is read by steps 3–6
//!    alone, as before the dictionary existed.
//! 3. 大字 is removed wherever it is. 字 is removed only as the 字 marker: directly after 町, 村
//!    or 市 (○○町字△△, 那覇市字△△), or after a 大字 before any house number (大字△△字××). A 字
//!    anywhere else (e.g. inside a place name) stays.
//! 4. Kanji numerals (〇一二三四五六七八九十百千) become digits where they are address numbers:
//!    when followed by 丁目, 丁, 番地, 番 (not 番町/番丁), 号, 条, 線, 地割, `-`, or の/ノ/之 and a
//!    number; or when they follow such a separator after a digit and are not followed by a
//!    kanji (一丁目二番地三 → 1丁目2番地3, but 5番地三田ハイツ keeps 三田). 二 → 2, 十二 → 12,
//!    二十三 → 23, 二〇三 → 203. Place names (一宮, 千代田, 九十九里, 一番町) are left alone. A
//!    丁目 number is one digit or written with 十, so numerals before 丁目 that follow a kanji
//!    end the town name but for the last one (十余三一丁目 → 十余三1丁目). 丁 alone is a unit
//!    only before a number, a dash, a space or the end (六丁の目 is a name).
//! 5. The house number: the first number group that is not part of the town name (a number
//!    directly followed by 条, 線, 地割 is: 北3条西4丁目) is read as numbers joined by 丁目, 丁,
//!    番地, 番, 号, `-` or の/ノ/之 (spaces around a separator are ignored), leading zeros
//!    dropped, and written as `1-2-3`: `1丁目2番3号`, `1-2-3`, `一丁目二番地三`, `1丁目2-3`, `1ノ2ノ3` all give
//!    `1-2-3`. A fourth and later number (`1-2-3-101`) belongs to the building. 番地, 番 or
//!    nothing after the last number are alike (１２３番地 = １２３番 = １２３).
//! 6. Everything after the house number is the building, with spaces removed and a
//!    号室/号/室 after a room number dropped (`コーポ山田101号室` = `コーポ山田101`). Without a house
//!    number the whole address is the street. Other spaces are removed.
//!
//! [`compare_address`] adds one rule of its own: a room number written as a third hyphen
//! group after a 地番 address (`３番地１７` = `３－１７－１０５`, never `３－１７` = `３番地`).
//! [`address_rules`] names the rules that made two addresses equal (`--verbose`).

use std::sync::OnceLock;

use super::FieldMatch;
use super::name::{Fold, fold_char};
use super::towns::{City, Town, dict, key_char, literal_char};
use super::width::{compose_voicing, is_dash_like, is_voicing_mark};

/// Comparison key of an address: the street part up to the house number, and the building part.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AddressKey {
    pub street: String,
    pub building: String,
}

/// Comparison key of an address; None when it is empty (nothing left but spaces, 中黒 or 大字),
/// or holds a 外字 like a name.
pub fn address_key(s: &str) -> Option<AddressKey> {
    parse(s).map(|p| p.key)
}

/// Compare a roster address with a registry address: Equal when identical as written (after
/// trimming), Variant when the street keys are equal and the building keys are equal or only one
/// side has a building, Differ otherwise (also when both name a prefecture and they differ),
/// NotCompared when either side has no key.
pub fn compare_address(roster: &str, registry: &str) -> FieldMatch {
    let (a, b) = (roster.trim(), registry.trim());
    if a == b && plain_address(a) {
        return FieldMatch::Equal;
    }
    let Some(pa) = parse(a) else {
        return FieldMatch::NotCompared;
    };
    if a == b {
        return FieldMatch::Equal;
    }
    let Some(pb) = parse(b) else {
        return FieldMatch::NotCompared;
    };
    if let (Some(x), Some(y)) = (pa.prefecture, pb.prefecture)
        && x != y
    {
        return FieldMatch::Differ;
    }
    if compare_parsed(&pa, &pb).is_some() {
        FieldMatch::Variant
    } else {
        FieldMatch::Differ
    }
}

/// The rules that made two addresses equal ([`compare_address`] gives Variant): the rules that
/// changed either side on the way to its key, in [`Rule::ALL`] order. Empty when the addresses
/// are equal as written, differ, or cannot be compared.
pub fn address_rules(roster: &str, registry: &str) -> Vec<Rule> {
    let (a, b) = (roster.trim(), registry.trim());
    if a == b {
        return Vec::new();
    }
    let (Some(pa), Some(pb)) = (parse(a), parse(b)) else {
        return Vec::new();
    };
    if let (Some(x), Some(y)) = (pa.prefecture, pb.prefecture)
        && x != y
    {
        return Vec::new();
    }
    let Some(extra) = compare_parsed(&pa, &pb) else {
        return Vec::new();
    };
    let mut bits = pa.rules | pb.rules | extra;
    if pa.prefecture.is_some() != pb.prefecture.is_some() {
        bits |= Rule::Prefecture.bit();
    }
    Rule::ALL
        .into_iter()
        .filter(|r| bits & r.bit() != 0)
        .collect()
}

/// Whether two parsed addresses are the same place (prefectures aside): Some(the rules the
/// comparison itself used) or None.
fn compare_parsed(pa: &Parsed, pb: &Parsed) -> Option<u32> {
    let (ba, bb) = (&pa.key.building, &pb.key.building);
    if pa.key.street != pb.key.street {
        return room_rule(pa, pb).or_else(|| room_rule(pb, pa));
    }
    if ba == bb {
        Some(0)
    } else if ba.is_empty() != bb.is_empty() {
        Some(Rule::BuildingOneSide.bit())
    } else {
        None
    }
}

/// A room number written as a third hyphen group after a 地番 address: `short` is `３番地１７`
/// (two numbers, 番地, no 丁目 or 号), `long` is `３－１７－１０５` (hyphens only, the same two
/// numbers and one more). The extra number is the room; `short` must not name another room.
fn room_rule(short: &Parsed, long: &Parsed) -> Option<u32> {
    let (hs, hl) = (short.house, long.house);
    if !(hs.count == 2 && hs.banchi && !hs.chome && !hs.go && hl.hyphens_only && hl.count >= 3) {
        return None;
    }
    let (street, room) = long.key.street.rsplit_once('-')?;
    if street != short.key.street || !room.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // The short side may have no building, the same room, or a building name ending in that
    // room (ハイツ鈴木101 = 101).
    let sb = &short.key.building;
    let written = format!("{room}{}", long.key.building);
    let same_room = sb.is_empty()
        || sb
            .strip_suffix(written.as_str())
            .is_some_and(|name| !name.ends_with(|c: char| c.is_ascii_digit()));
    same_room.then_some(Rule::Room.bit())
}

struct Parsed {
    key: AddressKey,
    /// Index into [`PREFECTURES`] of the prefecture written at the start, if any.
    prefecture: Option<usize>,
    /// The rules that changed something on the way to the key ([`Rule`] bits).
    rules: u32,
    /// How the house number was written.
    house: House,
}

/// How the house number was written (for the room-number rule of [`compare_address`]).
#[derive(Debug, Default, Clone, Copy)]
struct House {
    /// Numbers in the group, the ones that went to the building included.
    count: usize,
    /// A 番地 or 番 separator was written.
    banchi: bool,
    /// A 丁目 or 丁 separator was written.
    chome: bool,
    /// A 号 separator was written.
    go: bool,
    /// Every separator was a hyphen.
    hyphens_only: bool,
}

/// A normalization rule, for [`address_rules`]: which rules made two addresses equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// 都道府県 written on one side only.
    Prefecture,
    /// 郡 written on one side only (宮城県加美郡加美町 = 宮城県加美町).
    Gun,
    /// 之/ノ/の in a town name, resolved against the official name (樋之上町 = 樋ノ上町).
    No,
    /// 零 or ○ written for 〇 in a kanji numeral (二零番地 = 二〇番地).
    Zero,
    /// Kanji numerals read as numbers (一丁目二番地三 = 1-2-3, 十丁目 = 一〇丁目).
    KanjiNumeral,
    /// 丁目/番地/番/号/の written instead of hyphens (or a 番地 left out).
    HouseNotation,
    /// 大字 dropped.
    Oaza,
    /// The 字 marker dropped (大字久保田字中島 = 久保田字中島).
    Aza,
    /// A Kyoto 通り名 with 上る/下る/東入/西入 before the town (decoration).
    Kyoto,
    /// A number of the town's name in another notation (５番町 = 五番町, 一区 = １区).
    TownNumeral,
    /// A room number as the third group after a 番地 address (３番地１７ = ３－１７－１０５).
    Room,
    /// A building name or room on one side only.
    BuildingOneSide,
}

impl Rule {
    const ALL: [Rule; 12] = [
        Rule::Prefecture,
        Rule::Gun,
        Rule::No,
        Rule::Zero,
        Rule::KanjiNumeral,
        Rule::HouseNotation,
        Rule::Oaza,
        Rule::Aza,
        Rule::Kyoto,
        Rule::TownNumeral,
        Rule::Room,
        Rule::BuildingOneSide,
    ];

    fn bit(self) -> u32 {
        1 << (self as u32)
    }

    /// The rule's name as a clerk reads it (log lines, report).
    pub fn label(self) -> &'static str {
        match self {
            Rule::Prefecture => "都道府県の省略",
            Rule::Gun => "郡の省略",
            Rule::No => "之・ノ・の",
            Rule::Zero => "〇・零・○",
            Rule::KanjiNumeral => "漢数字",
            Rule::HouseNotation => "番地・号の書き方",
            Rule::Oaza => "大字の省略",
            Rule::Aza => "字の省略",
            Rule::Kyoto => "京都の通り名",
            Rule::TownNumeral => "町名の数字",
            Rule::Room => "部屋番号",
            Rule::BuildingOneSide => "建物名の片側省略",
        }
    }
}

fn parse(s: &str) -> Option<Parsed> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let mut rules = 0;
    let folded = fold_chars_rules(s, &mut rules)?;
    if folded.is_empty() {
        return None;
    }
    let (prefecture, rest) = strip_prefecture(&folded);
    let (street, building, house) = match dictionary_town(rest, &mut rules) {
        Some((town, remaining)) => {
            let no_aza = drop_aza(remaining, &mut rules);
            let numbered = kanji_numerals(&no_aza, true, &mut rules);
            let (house_part, building, house) = split_street(&numbered, &mut rules);
            let mut street = town;
            street.push_str(&house_part);
            (street, building, house)
        }
        None => {
            let no_aza = drop_aza(rest, &mut rules);
            let numbered = kanji_numerals(&no_aza, false, &mut rules);
            split_street(&numbered, &mut rules)
        }
    };
    if street.is_empty() && building.is_empty() {
        return None;
    }
    Some(Parsed {
        key: AddressKey {
            street: long_vowels(street),
            building: long_vowels(building),
        },
        prefecture,
        rules,
        house,
    })
}

/// Kyoto's 通り名 directions (上る/下る/東入/西入 in their spellings), longest first: what stands
/// before the last of them is decoration, and the town name follows.
/// (が is folded to ヶ by then.)
const KYOTO_DIRECTIONS: [&str; 14] = [
    "上ヶる",
    "下ヶる",
    "東入る",
    "西入る",
    "東入ル",
    "西入ル",
    "上る",
    "上ル",
    "上り",
    "下る",
    "下ル",
    "下り",
    "東入",
    "西入",
];

/// Steps 2a–2c with the town dictionary: a 郡 before one of its cities is dropped, the city is
/// found, then (after 大字/字, and in Kyoto after a 通り名 with its direction) the town. Gives
/// the street's start (city and the town's key) and what follows the town, or None when the
/// city or the town is not in the dictionary (the address is then read without it).
fn dictionary_town<'a>(rest: &'a str, rules: &mut u32) -> Option<(String, &'a str)> {
    let d = dict();
    let mut rest = rest;
    let mut gun = false;
    if let Some((i, _)) = rest.char_indices().take(8).find(|&(_, c)| c == '郡')
        && let Some(cities) = d.guns.get(&rest[..i + '郡'.len_utf8()])
    {
        let after = &rest[i + '郡'.len_utf8()..];
        if let Some((len, _)) = find_city(after)
            && cities.iter().any(|c| **c == after[..len])
        {
            rest = after;
            gun = true;
        }
    }
    let (city_len, city) = find_city(rest)?;
    let (city_name, after_city) = rest.split_at(city_len);
    // 大字/字 before the town are markers; but a town named 大 may stand there with its 字
    // (大字大字東原 written 大字東原): when no town follows the markers, read them as written.
    let mut after = after_city;
    let mut local = 0;
    if let Some(r) = after.strip_prefix("大字") {
        after = r;
        local |= Rule::Oaza.bit();
    }
    if let Some(r) = after.strip_prefix('字').filter(|r| !r.is_empty()) {
        after = r;
        local |= Rule::Aza.bit();
    }
    if !city.kyoto && after.len() < after_city.len() && find_town(city, after).is_none() {
        after = after_city;
        local = 0;
    }
    let (start, len, town) = if city.kyoto {
        let mut found = None;
        let mut cuts: Vec<usize> = Vec::new();
        for dir in KYOTO_DIRECTIONS {
            cuts.extend(after.match_indices(dir).map(|(i, m)| i + m.len()));
        }
        cuts.sort_unstable();
        for &cut in cuts.iter().rev().chain(&[0]) {
            if let Some((len, town)) = find_town(city, &after[cut..]) {
                found = Some((cut, len, town));
                break;
            }
        }
        found?
    } else {
        let (len, town) = find_town(city, after)?;
        (0, len, town)
    };
    if start > 0 {
        local |= Rule::Kyoto.bit();
    }
    let written = &after[start..start + len];
    let literal: String = written.chars().map(literal_char).collect();
    let mut street = String::with_capacity(rest.len() + 8);
    street.push_str(city_name);
    match town {
        Town::Canonical(k) => {
            street.push_str(k);
            if literal.chars().count() == k.chars().count()
                && literal
                    .chars()
                    .zip(k.chars())
                    .any(|(l, c)| c == 'の' && matches!(l, '之' | 'ノ'))
            {
                local |= Rule::No.bit();
            }
            if literal
                .chars()
                .zip(k.chars())
                .any(|(l, c)| l != c && c != 'の')
                || literal.chars().count() != k.chars().count()
                || literal != written
            {
                local |= Rule::TownNumeral.bit();
            }
        }
        Town::Ambiguous => street.push_str(&literal),
    }
    let mut remaining = &after[start + len..];
    // The 字 marker after a 大字 town (大字久保田字中島 = 久保田字中島).
    if let Some(r) = remaining
        .strip_prefix('字')
        .filter(|r| r.starts_with(|c: char| !c.is_ascii_digit() && !is_numeral(c)))
    {
        remaining = r;
        local |= Rule::Aza.bit();
    }
    if gun {
        local |= Rule::Gun.bit();
    }
    *rules |= local;
    Some((street, remaining))
}

/// The longest city name of the dictionary at the start of `s` (a name ends in 市, 区, 町 or
/// 村): its length in bytes and its towns.
fn find_city(s: &str) -> Option<(usize, &'static City)> {
    let d = dict();
    let mut best = None;
    for (i, c) in s.char_indices().take(12) {
        if matches!(c, '市' | '区' | '町' | '村') {
            let end = i + c.len_utf8();
            if let Some(city) = d.cities.get(&s[..end]) {
                best = Some((end, city));
            }
        }
    }
    best
}

/// The longest town of `city` at the start of `s`, compared on town keys: its length in bytes
/// (in `s`) and what the key stands for.
fn find_town(city: &'static City, s: &str) -> Option<(usize, &'static Town)> {
    let towns = city.towns();
    const MAX: usize = 40;
    let mut key = String::with_capacity(MAX * 3);
    // ends[n]: (byte length of the key, byte length in `s`) after n chars.
    let mut ends = [(0usize, 0usize); MAX + 1];
    let mut n = 0;
    for (i, c) in s.char_indices() {
        if n == MAX || c == ' ' {
            break;
        }
        key.push(key_char(c));
        n += 1;
        ends[n] = (key.len(), i + c.len_utf8());
    }
    (1..=n.min(63)).rev().find_map(|k| {
        if towns.lens & (1 << k) == 0 {
            return None;
        }
        let (kb, sb) = ends[k];
        towns.towns.get(&key[..kb]).map(|t| (sb, t))
    })
}

/// Kanji, kana, digits, Latin letters, hyphens and spaces only, with at least one digit:
/// [`parse`] surely gives a key (digits are never removed, whereas a value of only 大字 or a
/// prefecture name parses to nothing), so a value equal as written is 一致 without parsing it.
pub(crate) fn plain_address(s: &str) -> bool {
    let mut digit = false;
    s.chars().all(|c| match c {
        '０'..='９' | '0'..='9' => {
            digit = true;
            true
        }
        '\u{4E00}'..='\u{9FFF}'
        | '々'
        | '\u{3041}'..='\u{3096}'
        | '\u{30A1}'..='\u{30FA}'
        | 'Ａ'..='Ｚ'
        | 'ａ'..='ｚ'
        | 'A'..='Z'
        | 'a'..='z'
        | 'ー'
        | '－'
        | '-'
        | '\u{3000}'
        | ' ' => true,
        _ => false,
    }) && digit
}

/// Step 1: per-char fold; runs of spaces become one `' '`, none at either end.
pub(super) fn fold_chars(s: &str) -> Option<String> {
    fold_chars_rules(s, &mut 0)
}

/// 零, ○ (U+25CB) and ◯ (U+25EF) typed for 〇.
fn zero_like(c: char) -> bool {
    matches!(c, '零' | '○' | '◯')
}

/// [`fold_chars`], noting the rules used. 零/○/◯ next to a kanji numeral or digit is 〇
/// (二零番地, 二○番地 = 二〇番地); elsewhere (○○町) it is left alone.
fn fold_chars_rules(s: &str, rules: &mut u32) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(mut c) = chars.next() {
        if zero_like(c) {
            let numeric =
                |x: char| x.is_ascii_digit() || is_numeral(x) || ('０'..='９').contains(&x);
            if out.chars().next_back().is_some_and(numeric)
                || chars.peek().is_some_and(|&n| numeric(n))
            {
                c = '〇';
                *rules |= Rule::Zero.bit();
            }
        }
        if c.is_whitespace() || matches!(c, '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}') {
            // Kept (as one space) only after a number, where it may separate the room number
            // from the house number (`1-2-3 101`); anywhere else it tells nothing.
            if out.ends_with(|p: char| p.is_ascii_digit() || is_numeral(p)) {
                out.push(' ');
            }
        } else if is_voicing_mark(c) {
            // A mark that composes with nothing is noise in an address: dropped.
            if let Some(v) = out.chars().next_back().and_then(|b| compose_voicing(b, c)) {
                out.pop();
                out.push(v);
            }
        } else {
            match fold_char(c) {
                Fold::Char(d) => out.push(d),
                Fold::Skip => {}
                Fold::Reject => return None,
                Fold::Expand(e) => out.push_str(e),
            }
        }
    }
    while out.ends_with(' ') {
        out.pop();
    }
    // Done after voicing is composed, so ｹﾞ stays ゲ and ｶﾞ becomes ヶ like ガ.
    Some(
        out.chars()
            .map(|c| match c {
                'ヶ' | 'ケ' | 'ヵ' | 'が' | 'ガ' => 'ヶ',
                _ if is_dash_like(c) || matches!(c, '-' | '─' | '━') => '-',
                _ => c,
            })
            .collect(),
    )
}

/// Last step for both parts: a `-` right after a kana is the long-vowel mark ー (コーポ).
/// Done last, on the final neighbours, so a key read again gives itself.
fn long_vowels(s: String) -> String {
    if !s.contains('-') {
        return s;
    }
    let mut out = String::with_capacity(s.len());
    let mut prev = ' ';
    for c in s.chars() {
        let d = if c == '-' && is_kana(prev) { 'ー' } else { c };
        out.push(d);
        prev = d;
    }
    out
}

/// Hiragana, katakana or ー: a dash after one of these is the long-vowel mark (コーポ).
fn is_kana(c: char) -> bool {
    matches!(c, '\u{3041}'..='\u{3096}' | '\u{30A1}'..='\u{30FA}' | 'ー')
}

/// The 47 prefectures (都道府県), in JIS X 0401 order.
pub(crate) const PREFECTURES: [&str; 47] = [
    "北海道",
    "青森県",
    "岩手県",
    "宮城県",
    "秋田県",
    "山形県",
    "福島県",
    "茨城県",
    "栃木県",
    "群馬県",
    "埼玉県",
    "千葉県",
    "東京都",
    "神奈川県",
    "新潟県",
    "富山県",
    "石川県",
    "福井県",
    "山梨県",
    "長野県",
    "岐阜県",
    "静岡県",
    "愛知県",
    "三重県",
    "滋賀県",
    "京都府",
    "大阪府",
    "兵庫県",
    "奈良県",
    "和歌山県",
    "鳥取県",
    "島根県",
    "岡山県",
    "広島県",
    "山口県",
    "徳島県",
    "香川県",
    "愛媛県",
    "高知県",
    "福岡県",
    "佐賀県",
    "長崎県",
    "熊本県",
    "大分県",
    "宮崎県",
    "鹿児島県",
    "沖縄県",
];

/// The prefecture names as [`fold_chars`] writes them (variant kanji folded the same way).
fn folded_prefectures() -> &'static [String] {
    static FOLDED: OnceLock<Vec<String>> = OnceLock::new();
    FOLDED.get_or_init(|| {
        PREFECTURES
            .iter()
            .map(|p| fold_chars(p).unwrap_or_else(|| (*p).to_string()))
            .collect()
    })
}

/// Step 2: removes a leading prefecture (unless nothing else is left).
fn strip_prefecture(s: &str) -> (Option<usize>, &str) {
    for (i, p) in folded_prefectures().iter().enumerate() {
        if let Some(rest) = s.strip_prefix(p.as_str()) {
            let rest = rest.trim_start_matches(' ');
            if !rest.is_empty() {
                return (Some(i), rest);
            }
            return (Some(i), s);
        }
    }
    (None, s)
}

/// Step 3: removes 大字, and 字 where it is the 字 marker (see the module doc).
fn drop_aza(s: &str, rules: &mut u32) -> String {
    let mut out = String::with_capacity(s.len());
    // A 大字 was seen and no house number has started since.
    let mut after_oaza = false;
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        if let Some(r) = rest.strip_prefix("大字") {
            after_oaza = true;
            rest = r;
            *rules |= Rule::Oaza.bit();
            continue;
        }
        rest = &rest[c.len_utf8()..];
        if c == '字' {
            let prev = out.chars().rev().find(|&p| p != ' ');
            if after_oaza || matches!(prev, Some('町' | '村' | '市')) {
                *rules |= Rule::Aza.bit();
                continue;
            }
        }
        if c.is_ascii_digit() || is_numeral(c) {
            after_oaza = false;
        }
        out.push(c);
    }
    out
}

fn is_numeral(c: char) -> bool {
    matches!(
        c,
        '〇' | '一' | '二' | '三' | '四' | '五' | '六' | '七' | '八' | '九' | '十' | '百' | '千'
    )
}

fn is_kanji(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x3FFFF)
}

/// Value of a kanji numeral run as decimal digits: positional (十百千) when it has a multiplier,
/// digit by digit otherwise. None when it does not fit in a u64.
pub(super) fn kanji_number(run: &str) -> Option<String> {
    let digit = |c: char| "〇一二三四五六七八九".chars().position(|d| d == c);
    if !run.chars().any(|c| matches!(c, '十' | '百' | '千')) {
        return run
            .chars()
            .map(|c| digit(c).and_then(|d| char::from_digit(u32::try_from(d).ok()?, 10)))
            .collect();
    }
    let (mut total, mut cur): (u64, Option<u64>) = (0, None);
    for c in run.chars() {
        let mult = match c {
            '十' => 10,
            '百' => 100,
            '千' => 1000,
            _ => {
                let d = u64::try_from(digit(c)?).ok()?;
                cur = Some(cur.unwrap_or(0).checked_mul(10)?.checked_add(d)?);
                continue;
            }
        };
        total = total.checked_add(cur.unwrap_or(1).checked_mul(mult)?)?;
        cur = None;
    }
    Some(total.checked_add(cur.unwrap_or(0))?.to_string())
}

/// Units that end an address number (step 4/5). 番地 before 番, 丁目 before 丁.
const UNITS: [&str; 5] = ["丁目", "番地", "丁", "番", "号"];
/// Suffixes that make a number part of the town name (北3条, 東1線, 第2地割).
const TOWN_SUFFIXES: [&str; 3] = ["条", "線", "地割"];

/// A separator at the start of `s` (a unit, `-`, or の/ノ/之 before a digit): the rest after it.
fn take_sep(s: &str) -> Option<&str> {
    take_sep_kind(s).map(|(r, _)| r)
}

/// [`take_sep`] with the separator read: `-`, or the first char of the unit (丁, 番, 号), or の.
fn take_sep_kind(s: &str) -> Option<(&str, char)> {
    if let Some(r) = s.strip_prefix('-') {
        return Some((r, '-'));
    }
    for u in UNITS {
        if let Some(r) = s.strip_prefix(u) {
            if u == "番" && r.starts_with(['町', '丁']) {
                return None;
            }
            // 丁 alone is a unit before a number, a dash, a space or the end (2丁3番, 2丁);
            // before anything else it is part of a place name (六丁の目).
            if u == "丁"
                && !(r.is_empty()
                    || r.starts_with(|c: char| {
                        c.is_ascii_digit() || is_numeral(c) || c == '-' || c == ' '
                    }))
            {
                return None;
            }
            return Some((r, u.chars().next().unwrap_or('-')));
        }
    }
    let r = s.strip_prefix(['の', 'ノ', '之'])?;
    r.trim_start_matches(' ')
        .starts_with(|c: char| c.is_ascii_digit() || is_numeral(c))
        .then_some((r, 'の'))
}

/// Whether `s` (what precedes a numeral run) ends with a separator that follows a digit.
fn ends_with_sep_after_digit(s: &str) -> bool {
    let s = s.trim_end_matches(' ');
    let mut cut = None;
    for u in UNITS.iter().chain(&["-", "の", "ノ", "之"]) {
        if let Some(r) = s.strip_suffix(u) {
            cut = Some(r);
            break;
        }
    }
    cut.and_then(|r| r.chars().next_back())
        .is_some_and(|c| c.is_ascii_digit())
}

/// Step 4: kanji numerals → digits where they are address numbers. `after_town`: `s` starts
/// right after a town name of the dictionary, so a numeral run at its start is a number.
fn kanji_numerals(s: &str, after_town: bool, rules: &mut u32) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        if !is_numeral(c) {
            out.push(c);
            rest = &rest[c.len_utf8()..];
            continue;
        }
        let end = rest.find(|x: char| !is_numeral(x)).unwrap_or(rest.len());
        let (run, after) = rest.split_at(end);
        rest = after;
        let next = after.trim_start_matches(' ');
        let before_unit =
            take_sep(next).is_some() || TOWN_SUFFIXES.iter().any(|t| next.starts_with(t));
        let in_group = (ends_with_sep_after_digit(&out) || (after_town && out.is_empty()))
            && !next.chars().next().is_some_and(is_kanji);
        // Before 丁目/丁, digit-by-digit numerals after a place-name kanji are the name's end
        // and the 丁目 (多古町十余三一丁目 is 十余三 1丁目, not 十余 31丁目): a 丁目 of two or
        // more digits is written with 十.
        let chome = next.starts_with('丁') && take_sep(next).is_some();
        let (name_part, run) = match run.char_indices().next_back() {
            Some((last, _))
                if chome
                    && last > 0
                    && out.chars().next_back().is_some_and(is_kanji)
                    && !run.contains(['十', '百', '千', '〇']) =>
            {
                run.split_at(last)
            }
            _ => ("", run),
        };
        out.push_str(name_part);
        match kanji_number(run) {
            Some(n) if before_unit || in_group => {
                out.push_str(&n);
                *rules |= Rule::KanjiNumeral.bit();
            }
            _ => out.push_str(run),
        }
    }
    out
}

/// Leading zeros dropped (`007` → `7`, `0` stays).
fn trim_zeros(d: &str) -> &str {
    let t = d.trim_start_matches('0');
    if t.is_empty() && !d.is_empty() {
        "0"
    } else {
        t
    }
}

/// Reads a number group at the start of `s` (which starts with a digit): its numbers, whether
/// any separator was read, the rest, and how it was written.
fn number_group(s: &str) -> (Vec<&str>, bool, &str, House) {
    let mut nums = Vec::new();
    let mut any_sep = false;
    let mut house = House {
        hyphens_only: true,
        ..House::default()
    };
    let mut r = s;
    loop {
        let end = r.find(|c: char| !c.is_ascii_digit()).unwrap_or(r.len());
        nums.push(trim_zeros(&r[..end]));
        r = &r[end..];
        let mut had_sep = false;
        // A space may stand before a separator (`1 丁目`), and between separators.
        while let Some((next, kind)) = take_sep_kind(r.trim_start_matches(' ')) {
            had_sep = true;
            r = next;
            match kind {
                '-' => {}
                '丁' => house.chome = true,
                '番' => house.banchi = true,
                '号' => house.go = true,
                _ => {}
            }
            if kind != '-' {
                house.hyphens_only = false;
            }
        }
        if !had_sep {
            break;
        }
        any_sep = true;
        let after_space = r.trim_start_matches(' ');
        if after_space.starts_with(|c: char| c.is_ascii_digit()) {
            r = after_space;
        } else {
            break;
        }
    }
    house.count = nums.len();
    (nums, any_sep, r, house)
}

/// Steps 5 and 6: the street up to the house number, the building after it, and how the
/// house number was written.
fn split_street(s: &str, rules: &mut u32) -> (String, String, House) {
    let mut street = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        if c == ' ' {
            rest = &rest[1..];
            continue;
        }
        if !c.is_ascii_digit() {
            street.push(c);
            rest = &rest[c.len_utf8()..];
            continue;
        }
        let (nums, any_sep, after, house) = number_group(rest);
        let next = after.trim_start_matches(' ');
        if !any_sep && TOWN_SUFFIXES.iter().any(|t| next.starts_with(t)) {
            street.push_str(nums.first().copied().unwrap_or_default());
            rest = after;
            continue;
        }
        for (i, n) in nums.iter().take(3).enumerate() {
            if i > 0 {
                street.push('-');
            }
            street.push_str(n);
        }
        let mut building = nums.get(3..).unwrap_or_default().join("-");
        building.push_str(after);
        if !house.hyphens_only {
            *rules |= Rule::HouseNotation.bit();
        }
        return (street, normalize_building(&building), house);
    }
    (street, String::new(), House::default())
}

/// Spaces removed, 号室/号/室 after a room number dropped, `-` trimmed at both ends.
fn normalize_building(b: &str) -> String {
    let mut out = String::with_capacity(b.len());
    let mut rest = b;
    while let Some(c) = rest.chars().next() {
        rest = &rest[c.len_utf8()..];
        if c == ' ' {
            continue;
        }
        if c.is_ascii_digit() {
            out.push(c);
            for suffix in ["号室", "号", "室"] {
                if let Some(r) = rest.strip_prefix(suffix) {
                    rest = r;
                    break;
                }
            }
            continue;
        }
        out.push(c);
    }
    out.trim_matches('-').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key(s: &str) -> (String, String) {
        let k = address_key(s).unwrap_or_else(|| panic!("no key for {s:?}"));
        (k.street, k.building)
    }

    #[test]
    fn house_number_notations_agree() {
        let want = ("千代田区霞ヶ関1-2-3".to_string(), String::new());
        for s in [
            "東京都千代田区霞が関1丁目2番3号",
            "東京都千代田区霞が関1-2-3",
            "東京都千代田区霞が関一丁目二番地三",
            "東京都千代田区霞が関1丁目2-3",
            "東京都千代田区霞ヶ関１－２－３",
            "東京都千代田区霞ケ関1‐2‐3",
            "東京都千代田区霞ヵ関1ー2ー3",
            "東京都千代田区霞ガ関1ｰ2ｰ3",
            "東京都千代田区霞が関1−2−3",
            "東京都千代田区霞が関1―2―3",
            "千代田区霞が関1-2-3",
            "東京都　千代田区　霞が関　1丁目 2番 3号",
            "東京都千代田区霞が関一丁目2番3号",
            "東京都千代田区霞が関1丁目2番地の3",
            "東京都千代田区霞が関1ノ2ノ3",
            "東京都千代田区霞が関01-02-03",
            "東京都千代田区霞が関１丁目２番３号",
        ] {
            assert_eq!(key(s), want, "{s:?}");
        }
    }

    #[test]
    fn kanji_numerals_table() {
        let cases = [
            ("中央区銀座二丁目", "中央区銀座2"),
            ("中央区銀座十二丁目", "中央区銀座12"),
            ("中央区銀座二十三番地", "中央区銀座23"),
            ("中央区銀座百二番", "中央区銀座102"),
            ("中央区銀座千二百三十四番地", "中央区銀座1234"),
            ("中央区銀座二〇三番地", "中央区銀座203"),
            ("一宮市本町二丁目", "一宮市本町2"),
            ("千代田区一番町5", "千代田区一番町5"),
            ("山武郡九十九里町片貝1", "九十九里町片貝1"),
            // A town of the dictionary: its numeral is part of its name, in kanji.
            (
                "札幌市中央区北三条西四丁目五番一号",
                "札幌市中央区北三条西4-5-1",
            ),
            ("札幌市中央区北3条西4丁目5-1", "札幌市中央区北三条西4-5-1"),
            // Not in the dictionary: read without it.
            ("某市北三条西四丁目五番一号", "某市北3条西4-5-1"),
            ("盛岡市第二地割十二番地", "盛岡市第2地割12"),
            ("堺市堺区南花田口町2丁3番20号", "堺市堺区南花田口町2-3-20"),
        ];
        for (input, want) in cases {
            assert_eq!(key(input).0, want, "{input:?}");
        }
        assert_eq!(kanji_number("二十三").as_deref(), Some("23"));
        assert_eq!(kanji_number("十").as_deref(), Some("10"));
        assert_eq!(kanji_number("十二").as_deref(), Some("12"));
        assert_eq!(kanji_number("二〇三").as_deref(), Some("203"));
        assert_eq!(
            kanji_number("千千千千千千千千千千千千千千千千千千千千千").as_deref(),
            Some("21000")
        );
        assert_eq!(
            kanji_number("九九九九九九九九九九九九九九九九九九九九九九").map(|s| s.len()),
            Some(22)
        );
        assert_eq!(
            kanji_number("九九九九九九九九九九九九九九九九九九九九九九十"),
            None
        );
    }

    #[test]
    fn aza_rules() {
        let cases = [
            ("埼玉県比企郡鳩山町大字赤沼123番地", "鳩山町赤沼123"),
            ("比企郡鳩山町赤沼123", "鳩山町赤沼123"),
            ("鳩山町赤沼123", "鳩山町赤沼123"),
            ("某郡某村大字上野字下原45", "某郡某村上野下原45"),
            ("某郡某村上野下原45", "某郡某村上野下原45"),
            ("枝幸郡中頓別町字中頓別1", "中頓別町中頓別1"),
            ("沖縄県那覇市字安里1", "那覇市安里1"),
            ("某市十字町1", "某市十字町1"),
            ("某市文字1", "某市文字1"),
        ];
        for (input, want) in cases {
            assert_eq!(key(input).0, want, "{input:?}");
        }
    }

    #[test]
    fn building_split() {
        let cases = [
            (
                "東京都新宿区西新宿1-2-3 コーポ山田101号室",
                "新宿区西新宿1-2-3",
                "コーポ山田101",
            ),
            (
                "新宿区西新宿1-2-3コーポ山田101",
                "新宿区西新宿1-2-3",
                "コーポ山田101",
            ),
            (
                "新宿区西新宿1丁目2番3号　サンハイツ２０１",
                "新宿区西新宿1-2-3",
                "サンハイツ201",
            ),
            (
                "新宿区西新宿一丁目二番三号サンハイツ二〇一号室",
                "新宿区西新宿1-2-3",
                "サンハイツ201",
            ),
            ("新宿区西新宿1-2-3-101", "新宿区西新宿1-2-3", "101"),
            ("新宿区西新宿1-2-3 101", "新宿区西新宿1-2-3", "101"),
            (
                "新宿区西新宿1-2-3 ﾊｲﾂ ｶﾞｰﾃﾞﾝ 2F",
                "新宿区西新宿1-2-3",
                "ハイツヶーデン2F",
            ),
            ("新宿区西新宿1-2-3 山田方", "新宿区西新宿1-2-3", "山田方"),
            ("新宿区西新宿", "新宿区西新宿", ""),
        ];
        for (input, street, building) in cases {
            assert_eq!(
                key(input),
                (street.to_string(), building.to_string()),
                "{input:?}"
            );
        }
    }

    #[test]
    fn prefecture_names_survive_folding() {
        for (p, f) in PREFECTURES.iter().zip(folded_prefectures()) {
            assert_eq!(
                strip_prefecture(&format!("{f}某市1"))
                    .0
                    .map(|i| PREFECTURES[i]),
                Some(*p)
            );
        }
        assert_eq!(key("東京都"), ("東京都".to_string(), String::new()));
        assert_eq!(key("京都府京都市中京区1").0, "京都市中京区1");
        assert_eq!(key("京都市中京区1").0, "京都市中京区1");
    }

    #[test]
    fn compare_address_table() {
        use FieldMatch::*;
        let cases = [
            (
                "東京都千代田区霞が関1-2-3",
                "東京都千代田区霞が関1-2-3",
                Equal,
            ),
            (
                " 東京都千代田区霞が関1-2-3 ",
                "東京都千代田区霞が関1-2-3",
                Equal,
            ),
            (
                "東京都千代田区霞が関1丁目2番3号",
                "千代田区霞ヶ関一丁目二番三号",
                Variant,
            ),
            (
                "東京都千代田区霞が関1-2-3",
                "東京都千代田区霞が関1-2-4",
                Differ,
            ),
            (
                "東京都千代田区霞が関1-2-3",
                "東京都千代田区霞が関1-2",
                Differ,
            ),
            (
                "東京都千代田区霞が関1-2-3",
                "東京都千代田区霞が関1-12-3",
                Differ,
            ),
            (
                "東京都千代田区霞が関1-2-3",
                "東京都千代田区永田町1-2-3",
                Differ,
            ),
            (
                "大阪府大阪市中央区本町1-2-3",
                "東京都大阪市中央区本町1-2-3",
                Differ,
            ),
            ("大阪府中央区本町1-2-3", "東京都中央区本町1-2-3", Differ),
            ("中央区本町1-2-3", "東京都中央区本町1-2-3", Variant),
            (
                "新宿区西新宿1-2-3 コーポ山田101号室",
                "新宿区西新宿1-2-3",
                Variant,
            ),
            (
                "新宿区西新宿1-2-3",
                "新宿区西新宿1-2-3コーポ山田101",
                Variant,
            ),
            (
                "新宿区西新宿1-2-3 コーポ山田101",
                "新宿区西新宿一丁目2番3号コーポ山田101号室",
                Variant,
            ),
            (
                "新宿区西新宿1-2-3 コーポ山田101",
                "新宿区西新宿1-2-3 コーポ山田102",
                Differ,
            ),
            (
                "新宿区西新宿1-2-3 コーポ山田101",
                "新宿区西新宿1-2-3 ハイツ田中101",
                Differ,
            ),
            ("浦安市舞浜2-11", "浦安市舞浜2-1-1", Differ),
            ("鳩山町大字赤沼123", "鳩山町赤沼123番地", Variant),
            ("髙島町1-2", "高島町1-2", Variant),
            // Town names ending in a numeral or holding 丁 (found on generated data at 10M
            // residents): the name's 三 is not part of the 丁目, 丁の目 is not 6丁.
            (
                "千葉県香取郡多古町十余三１丁目２番３号",
                "千葉県香取郡多古町十余三一丁目２番３号",
                Variant,
            ),
            (
                "千葉県香取郡多古町十余三１丁目２番３号",
                "千葉県香取郡多古町十余三二丁目２番３号",
                Differ,
            ),
            (
                "宮城県仙台市若林区六丁の目中町１－２－３",
                "宮城県仙台市若林区六丁の目中町一丁目２番３号",
                Variant,
            ),
            (
                "宮城県仙台市若林区六丁の目中町１丁目２番３号　コーポ",
                "宮城県仙台市若林区六丁の目中町１丁目２番３号",
                Variant,
            ),
            ("", "東京都千代田区", NotCompared),
            ("東京都千代田区", "", NotCompared),
            ("   ", "   ", NotCompared),
            ("〓町1-2", "〓町1-2", NotCompared),
        ];
        for (a, b, want) in cases {
            assert_eq!(compare_address(a, b), want, "{a:?} vs {b:?}");
        }
    }

    /// The notations of issue 16, on real towns of the dictionary (Japan Post data).
    #[test]
    fn dictionary_notations_table() {
        use FieldMatch::*;
        let cases = [
            // 郡 left out or written.
            (
                "宮城県加美郡加美町一本柳三丁目５番地",
                "宮城県加美町一本柳３丁目５番地",
                Variant,
            ),
            (
                "宮城県加美郡加美町一本柳三丁目５番地",
                "宮城県加美町一本柳３丁目６番地",
                Differ,
            ),
            // 之/ノ/の against the official name.
            (
                "北海道函館市日ノ浜町１２３番地",
                "北海道函館市日之浜町１２３番地",
                Variant,
            ),
            (
                "北海道函館市日ノ浜町１２３番地",
                "北海道函館市日ノ出町１２３番地",
                Differ,
            ),
            // 零 and ○ for 〇; 丁目 ≥ 10.
            (
                "東京都千代田区二番町二〇番地",
                "東京都千代田区二番町二零番地",
                Variant,
            ),
            (
                "東京都千代田区二番町二〇番地",
                "東京都千代田区二番町二○番地",
                Variant,
            ),
            (
                "東京都千代田区二番町二〇番地",
                "東京都千代田区二番町二一番地",
                Differ,
            ),
            (
                "北海道札幌市中央区北三条西十丁目３番５号",
                "北海道札幌市中央区北三条西一〇丁目３－５",
                Variant,
            ),
            (
                "北海道札幌市中央区北三条西十丁目３番５号",
                "北海道札幌市中央区北三条西一一丁目３－５",
                Differ,
            ),
            // 大字 dropped while 字 is kept.
            (
                "埼玉県比企郡鳩山町大字赤沼字中島１２３番地",
                "埼玉県比企郡鳩山町赤沼字中島１２３番地",
                Variant,
            ),
            (
                "埼玉県比企郡鳩山町大字赤沼字中島１２３番地",
                "埼玉県比企郡鳩山町赤沼字中島１２４番地",
                Differ,
            ),
            // The town 大 of 色麻町 with its 小字 東原, 大字 written or not (no town 東原 there).
            (
                "宮城県加美郡色麻町大字大字東原２０番地３",
                "宮城県加美郡色麻町大字東原２０番地３",
                Variant,
            ),
            (
                "宮城県加美郡色麻町大字大字東原２０番地３",
                "宮城県加美郡色麻町大字東原２１番地３",
                Differ,
            ),
            // Kyoto: 通り名 and direction are decoration, the town is the key.
            (
                "京都府京都市中京区烏丸通御池上る虎屋町５７７番地",
                "京都府京都市中京区虎屋町５７７番地",
                Variant,
            ),
            (
                "京都府京都市中京区烏丸通御池上ル虎屋町５７７番地",
                "京都府京都市中京区烏丸御池上がる虎屋町５７７番地",
                Variant,
            ),
            (
                "京都府京都市中京区寺町通四条西入ル虎屋町５７７番地",
                "京都府京都市中京区虎屋町５７７番地",
                Variant,
            ),
            (
                "京都府京都市中京区烏丸通御池上る虎屋町５７７番地",
                "京都府京都市中京区烏丸通御池上る亀屋町５７７番地",
                Differ,
            ),
            // A room number as a third group after a 番地 address.
            (
                "神奈川県川崎市中原区上丸子３番地１７",
                "神奈川県川崎市中原区上丸子３－１７－１０５",
                Variant,
            ),
            (
                "神奈川県川崎市中原区上丸子３番地１７",
                "神奈川県川崎市中原区上丸子３－１８－１０５",
                Differ,
            ),
            (
                "神奈川県川崎市中原区上丸子３番地",
                "神奈川県川崎市中原区上丸子３－１７",
                Differ,
            ),
            (
                "東京都千代田区霞が関1-2",
                "東京都千代田区霞が関1-2-3",
                Differ,
            ),
            // Towns whose names hold numbers.
            (
                "北海道夕張郡長沼町８区１２３番地",
                "北海道長沼町八区１２３",
                Variant,
            ),
            (
                "北海道夕張郡長沼町８区１２３番地",
                "北海道長沼町九区１２３",
                Differ,
            ),
            (
                "東京都千代田区五番町１２番地",
                "東京都千代田区５番町１２",
                Variant,
            ),
            (
                "東京都千代田区五番町１２番地",
                "東京都千代田区四番町１２",
                Differ,
            ),
            // 番地, 番 or nothing when no 号 follows.
            (
                "東京都千代田区五番町１２３番地",
                "東京都千代田区五番町１２３番",
                Variant,
            ),
            (
                "東京都千代田区五番町１２３番地",
                "東京都千代田区五番町百二十三",
                Variant,
            ),
            // KEN_ALL lists 稲荷町一丁目 as a town: still the 丁目 of 稲荷町.
            (
                "新潟県十日町市稲荷町一丁目１２番３号",
                "新潟県十日町市稲荷町１－１２－３",
                Variant,
            ),
            (
                "新潟県十日町市稲荷町一丁目１２番３号",
                "新潟県十日町市稲荷町２－１２－３",
                Differ,
            ),
            // Digit shift.
            (
                "東京都千代田区霞が関一丁目１２番３号",
                "東京都千代田区霞が関１１－２－３",
                Differ,
            ),
        ];
        for (a, b, want) in cases {
            assert_eq!(compare_address(a, b), want, "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn address_rules_name_what_made_a_variant() {
        use Rule::*;
        let cases: [(&str, &str, &[Rule]); 7] = [
            (
                "宮城県加美郡加美町一本柳三丁目５番地",
                "宮城県加美町一本柳３丁目５番地",
                &[Gun, KanjiNumeral, HouseNotation],
            ),
            (
                "北海道函館市日ノ浜町１２３",
                "函館市日之浜町１２３",
                &[Prefecture, No],
            ),
            (
                "京都府京都市中京区烏丸通御池上る虎屋町５７７",
                "京都府京都市中京区虎屋町５７７",
                &[Kyoto],
            ),
            (
                "神奈川県川崎市中原区上丸子３番地１７",
                "神奈川県川崎市中原区上丸子３－１７－１０５",
                &[HouseNotation, Room],
            ),
            (
                "東京都千代田区５番町１２",
                "東京都千代田区五番町１２",
                &[TownNumeral],
            ),
            (
                "北海道札幌市北区北２１条西３丁目",
                "北海道札幌市北区北二十一条西三丁目",
                &[KanjiNumeral, HouseNotation, TownNumeral],
            ),
            ("東京都千代田区五番町１２", "東京都千代田区五番町１２", &[]),
        ];
        for (a, b, want) in cases {
            assert_eq!(address_rules(a, b), want, "{a:?} vs {b:?}");
        }
        assert_eq!(
            address_rules("東京都千代田区五番町１２", "東京都千代田区五番町１３"),
            []
        );
        for r in Rule::ALL {
            assert!(!r.label().is_empty());
        }
    }

    #[test]
    fn empty_is_none() {
        for s in ["", " ", "\u{3000}\t", "・", "大字"] {
            assert_eq!(address_key(s), None, "{s:?}");
            // Found by the proptest below: the 一致 shortcut must not call it comparable.
            assert_eq!(compare_address(s, s), FieldMatch::NotCompared, "{s:?}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn address_functions_never_panic(a in any::<String>(), b in any::<String>()) {
            let _ = address_key(&a);
            let _ = compare_address(&a, &b);
        }

        #[test]
        fn address_like_inputs_never_panic_and_streets_rekey_to_themselves(
            a in "[0-9０-９一二三四五六七八九十百千〇丁目番地号室のノ之条線割字大町村市区 　\\-－ー‐ヶケがガカヵコーポ東京都北海道府山田ｶﾞｺｰﾎﾟ髙高]{0,24}",
        ) {
            let key = address_key(&a);
            prop_assert_eq!(compare_address(&a, &a) == FieldMatch::Equal, key.is_some());
            if let Some(k) = key.filter(|k| k.building.is_empty()) {
                let again = address_key(&k.street).map(|k| k.street);
                prop_assert_eq!(again, Some(k.street.clone()), "{:?}", a);
            }
        }

        /// The 一致 fast path: an address it accepts always parses (so skipping the parse is
        /// right).
        #[test]
        fn plain_addresses_always_have_keys(
            s in "[\u{4E00}-\u{9FFF}々\u{3041}-\u{3096}\u{30A1}-\u{30FA}０-９Ａ-Ｚａ-ｚ0-9A-Za-zー－\\-\u{3000} ]{0,16}",
        ) {
            if plain_address(&s) {
                prop_assert!(address_key(&s).is_some(), "{:?}", s);
            }
        }

        #[test]
        fn street_key_is_stable_when_rekeyed(
            town in "[一-龥ぁ-んァ-ヶ]{1,6}",
            n in prop::collection::vec(1u32..200, 1..4),
        ) {
            // A key written back as an address gives itself again (no building, no prefecture).
            let s = format!("{town}{}", n.iter().map(u32::to_string).collect::<Vec<_>>().join("-"));
            if let Some(k) = address_key(&s) {
                let again = address_key(&k.street).map(|k| k.street);
                prop_assert_eq!(again, Some(k.street.clone()), "{}", s);
            }
        }
    }
}
