//! Comparison keys for 氏名 and 氏名カナ (registry matching, contract "Semantics that decide
//! borderline cases"; domain.md §4).
//!
//! A key is built for comparing only; the value as written is what goes into every output.
//!
//! * [`name_key`]: NFKC-style width folding (full-width ASCII → ASCII, half-width katakana →
//!   full-width with voicing composed, compatibility ideographs → unified), spaces (U+0020,
//!   U+3000, U+00A0, tab, any other white space, zero-width), 中黒 (・ ･ ·) and commas (, ，
//!   、) removed, Latin letters lower-cased (ＳＭＩＴＨ = Ｓｍｉｔｈ = Smith), variation
//!   selectors stripped, and every kanji replaced by the representative of its variant class
//!   ([`fold_kanji`]).
//!   A name holding a 外字 (private use, 〓, ●, U+FFFD) has no key: it cannot be compared.
//! * [`kana_key`]: full-width katakana (half-width and hiragana converted, voicing composed),
//!   spaces and 中黒 removed, small kana → large (キョウコ = キヨウコ), a dash written after a
//!   kana → ー. Voiced and unvoiced (シ/ジ), ヴ/ブ, ヂ/ジ, ヅ/ズ and ー versus a vowel stay
//!   different.
//!
//! # Variant kanji: data source and licence
//!
//! [`fold_kanji`]'s classes are derived from the **MJ縮退マップ** (MJ shrink conversion map) and
//! the **MJ文字一覧表** (MJ character table) of 文字情報基盤: author 独立行政法人情報処理推進機構
//! (IPA), publisher 一般社団法人文字情報技術促進協議会 (CITPC, <https://moji.or.jp/mojikiban/>),
//! licensed under **CC BY-SA 2.1 JP** (<https://creativecommons.org/licenses/by-sa/2.1/jp/>).
//! The data is read, offline, from the copy embedded in the `jntajis` crate (code BSD-3-Clause,
//! © Open Collector, Inc.). The classes are computed in memory at first use and never written
//! out; anyone who extracts and redistributes them must do so under the same licence with the
//! same attribution.
//!
//! Two of the map's five relation kinds are used: **JIS包摂規準・UCS統合規則** and
//! **法務省戸籍法関連通達・通知**. 告示582号別表第四 (誤字 → 正字) and 読み・字形による類推 are not:
//! they link characters that are distinct in names. Ja-itaiji style broad families (崎~埼)
//! are never used.
//!
//! How the classes are built (`build_table`):
//! 1. NFKC: every character whose NFKC form is one other character joins that character's class
//!    (full-width Ａ → A, ｶ → カ, 神 U+FA19 → 神, ⾼ → 高).
//! 2. Characters that are the same MJ glyph under several code points are joined.
//! 3. A character whose MJ relations name exactly one other character is joined with it
//!    (髙 → 高, 齋 → 斎, 德 → 徳). One that names several (䲵 → 島 or 雀) is joined only when they
//!    all already share one class (邉 → 辺, 邊 once 邊 → 辺 is known); otherwise it stays alone.
//!    Joining by blind transitive closure would link 島 with 雀 and 仏 with 均.
//! 4. A short curated list ([`CURATED_JOINS`]) adds 人名用漢字 variant pairs the map lacks
//!    (槇/槙, 凜/凛 …), and [`CURATED_SPLITS`] keeps apart distinct characters that the map links
//!    through a rare glyph (玉/王, 切/功, 着/著 …).
//! 5. Each class's representative is its member that is NFKC-stable, then lowest in JIS X 0208
//!    (第1水準 before 第2水準 before anything else), then is a relation target that names no
//!    other character itself (the 正字: 富 rather than 冨, 島 rather than 嶋), then has the
//!    smallest code point: 髙 → 高, 﨑 → 崎, 邊 → 辺, 嶋 → 島, 𠮷 → 吉. 斎 and 斉 are in different
//!    classes.
//!
//! The result is a dense table over the BMP plus a map for the other planes, so a lookup is
//! O(1); it is built once per process (about 0.1 s) through a `OnceLock`.

use std::collections::HashMap;
use std::sync::OnceLock;

use jntajis::codec::mj_shrink::{MJShrinkScheme, MJShrinkSchemes, mj_shrink_candidates};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::{canonical_combining_class, decompose_compatible};

use super::FieldMatch;
use super::kana::to_katakana;
use super::width::{compose_voicing, is_dakuten, is_dash_like, is_voicing_mark};

/// Comparison key of a kanji name (氏名): None when the name cannot be compared (empty after
/// trimming, or it contains a private-use char U+E000–F8FF / planes 15–16, 〓 U+3013, ● U+25CF,
/// U+FFFD).
pub fn name_key(s: &str) -> Option<String> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(s.len());
    let needs_nfc = fold_pass(s, &mut out)?;
    if needs_nfc {
        // Rare (combining diacritics in a Latin name): compose, then fold what composing made,
        // until nothing changes.
        for _ in 0..3 {
            let composed: String = out.nfc().collect();
            let mut again = String::with_capacity(composed.len());
            fold_pass(&composed, &mut again)?;
            if again == out {
                break;
            }
            out = again;
        }
    }
    if out.is_empty() { None } else { Some(out) }
}

/// One folding pass of `s` into `out`; `None` when `s` holds an uncomparable char. Returns
/// whether `out` holds a combining mark (and so may need canonical composition).
fn fold_pass(s: &str, out: &mut String) -> Option<bool> {
    let mut needs_nfc = false;
    for c in s.chars() {
        if is_voicing_mark(c) {
            push_voicing(out, c);
            continue;
        }
        match fold_char(c) {
            Fold::Char(',' | '、') => {}
            Fold::Char(d) => {
                needs_nfc |= is_combining(d);
                out.push(latin_lower(d));
            }
            Fold::Skip => {}
            Fold::Reject => return None,
            Fold::Expand(e) => {
                needs_nfc |= e.chars().any(is_combining);
                out.extend(
                    e.chars()
                        .filter(|c| !matches!(c, ',' | '、'))
                        .map(latin_lower),
                );
            }
        }
    }
    Some(needs_nfc)
}

/// Composes a voicing mark onto the last char of `out` (ｶﾞ, カ゛, か + U+3099), or pushes the
/// standalone full-width mark ゛/゜ when it does not compose.
fn push_voicing(out: &mut String, mark: char) {
    if let Some(v) = out
        .chars()
        .next_back()
        .and_then(|b| compose_voicing(b, mark))
    {
        out.pop();
        out.push(v);
    } else {
        out.push(if is_dakuten(mark) { '゛' } else { '゜' });
    }
}

fn is_combining(c: char) -> bool {
    let u = c as u32;
    // Kana and kanji never combine; skip the lookup for them.
    u >= 0x300 && !(0x3000..=0x9FFF).contains(&u) && canonical_combining_class(c) != 0
}

/// Comparison key of a カナ name: None when empty or it holds anything that is not kana after
/// folding.
pub fn kana_key(s: &str) -> Option<String> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let k = to_katakana(s);
    let mut out = String::with_capacity(k.len());
    // Whether the previous input char (spaces included) was a kana: a dash is ー only then.
    let mut after_kana = false;
    for c in k.chars() {
        if is_name_space(c) || matches!(c, '・' | '･' | '·') {
            after_kana = false;
            continue;
        }
        let k = match c {
            'ー' => 'ー',
            'ヽ' | 'ゝ' => out.chars().next_back()?,
            'ヾ' | 'ゞ' => compose_voicing(out.chars().next_back()?, '゛')?,
            _ if is_dash_like(c) || matches!(c, '-' | '－') => {
                if !after_kana {
                    return None;
                }
                'ー'
            }
            _ => {
                let large = small_to_large(c);
                if !matches!(large, '\u{30A1}'..='\u{30FA}') {
                    return None;
                }
                large
            }
        };
        out.push(k);
        after_kana = true;
    }
    if out.is_empty() { None } else { Some(out) }
}

/// Small katakana → large (ァ→ア, ッ→ツ, ャ→ヤ, ヮ→ワ, ヵ→カ, ヶ→ケ, ㇰ→ク …); others unchanged.
fn small_to_large(c: char) -> char {
    match c {
        'ァ' | 'ィ' | 'ゥ' | 'ェ' | 'ォ' | 'ッ' | 'ャ' | 'ュ' | 'ョ' | 'ヮ' => {
            char::from_u32(c as u32 + 1).unwrap_or(c)
        }
        'ヵ' => 'カ',
        'ヶ' => 'ケ',
        // Katakana Phonetic Extensions (small ク シ ス ト ヌ ハ ヒ フ ヘ ホ ム ラ リ ル レ ロ).
        '\u{31F0}'..='\u{31FF}' => {
            const LARGE: [char; 16] = [
                'ク', 'シ', 'ス', 'ト', 'ヌ', 'ハ', 'ヒ', 'フ', 'ヘ', 'ホ', 'ム', 'ラ', 'リ', 'ル',
                'レ', 'ロ',
            ];
            LARGE[(c as u32 - 0x31F0) as usize]
        }
        _ => c,
    }
}

/// Compare a roster value with a registry value: Equal when identical as written (after trimming
/// surrounding spaces), Variant when the keys are equal, Differ otherwise, NotCompared when either
/// key is None.
pub fn compare_name(roster: &str, registry: &str) -> FieldMatch {
    compare_by(roster, registry, name_key, plain_name)
}

/// [`compare_name`] for カナ values, on [`kana_key`].
pub fn compare_kana(roster: &str, registry: &str) -> FieldMatch {
    compare_by(roster, registry, kana_key, plain_kana)
}

/// Kanji, kana and spaces only, with at least one letter: [`name_key`] is surely `Some`, so a
/// value equal as written is 一致 without building the key (most rows of a roster).
pub(crate) fn plain_name(s: &str) -> bool {
    let mut letter = false;
    s.chars().all(|c| match c {
        '\u{4E00}'..='\u{9FFF}' | '々' | '\u{3041}'..='\u{3096}' | '\u{30A1}'..='\u{30FA}' => {
            letter = true;
            true
        }
        'ー' | '\u{3000}' | ' ' => true,
        _ => false,
    }) && letter
}

/// Full-width katakana, ー and spaces only, with at least one letter: [`kana_key`] is `Some`.
pub(crate) fn plain_kana(s: &str) -> bool {
    let mut letter = false;
    s.chars().all(|c| match c {
        '\u{30A1}'..='\u{30FA}' => {
            letter = true;
            true
        }
        'ー' | '\u{3000}' | ' ' => true,
        _ => false,
    }) && letter
}

fn compare_by(
    roster: &str,
    registry: &str,
    key: fn(&str) -> Option<String>,
    plain: fn(&str) -> bool,
) -> FieldMatch {
    let (a, b) = (roster.trim(), registry.trim());
    if a == b {
        if plain(a) {
            return FieldMatch::Equal;
        }
        return match key(a) {
            Some(_) => FieldMatch::Equal,
            None => FieldMatch::NotCompared,
        };
    }
    match (key(a), key(b)) {
        (Some(x), Some(y)) if x == y => FieldMatch::Variant,
        (Some(_), Some(_)) => FieldMatch::Differ,
        _ => FieldMatch::NotCompared,
    }
}

/// The canonical representative of one kanji's variant class (identity for anything else).
pub fn fold_kanji(c: char) -> char {
    if !is_kanji_range(c) {
        return c;
    }
    match fold_char(c) {
        Fold::Char(d) => d,
        _ => c,
    }
}

/// CJK unified ideographs (URO, Ext. A), compatibility ideographs, and planes 2–3 (Ext. B–H,
/// compatibility supplement).
fn is_kanji_range(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x3FFFF)
}

/// Spaces removed from a name key: U+0020, U+3000, U+00A0, tab, every other Unicode White_Space
/// char (line breaks included), and the zero-width ones.
fn is_name_space(c: char) -> bool {
    c.is_whitespace() || matches!(c, '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}')
}

/// Dropped from a name key: spaces, 中黒, variation selectors.
fn is_skip(c: char) -> bool {
    is_name_space(c)
        || matches!(
            c,
            '・' | '･' | '·' | '\u{FE00}'..='\u{FE0F}' | '\u{E0100}'..='\u{E01EF}'
        )
}

/// In a name, commas between the parts are notation like spaces and 中黒 (ＳＭＩＴＨ，ＪＯＨＮ =
/// ＳＭＩＴＨ　ＪＯＨＮ = ＳＭＩＴＨ・ＪＯＨＮ; `，` folds to `,`), and Latin letters compare
/// case-insensitively (ＳＭＩＴＨ = Ｓｍｉｔｈ = Smith: the width is folded
/// by NFKC first): an upper-case Latin letter (Basic Latin to Latin Extended-B) becomes its
/// single lower-case letter. Other scripts are unchanged.
fn latin_lower(c: char) -> char {
    if (c as u32) >= 0x250 || !c.is_uppercase() {
        return c;
    }
    let mut lower = c.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(l), None) => l,
        _ => c,
    }
}

/// A name holding one of these cannot be compared: private use (外字), 〓 (geta), ●, U+FFFD.
fn is_uncomparable(c: char) -> bool {
    matches!(
        c,
        '\u{E000}'..='\u{F8FF}' | '\u{F0000}'..='\u{10FFFF}' | '〓' | '●' | '\u{FFFD}'
    )
}

/// What one input char becomes in a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Fold {
    /// This char (possibly itself).
    Char(char),
    /// Nothing (space, 中黒, variation selector).
    Skip,
    /// The value cannot be compared (外字).
    Reject,
    /// Several chars (NFKC expansions such as ㈱ → (株)), each already folded.
    Expand(&'static str),
}

/// Table entries: a char's code point, or one of these markers.
const SKIP: u32 = 0x11_0000;
const REJECT: u32 = 0x11_0001;
const EXPAND: u32 = 0x12_0000;

/// The per-char fold used by the keys: NFKC (single-char results), variant-kanji class
/// representative, skip and reject classes. O(1).
pub(super) fn fold_char(c: char) -> Fold {
    let u = c as u32;
    let t = table();
    let e = if let Some(&e) = t.bmp.get(u as usize) {
        e
    } else if is_uncomparable(c) {
        REJECT
    } else if is_skip(c) {
        SKIP
    } else {
        t.supp.get(&u).copied().unwrap_or(u)
    };
    decode(t, e, c)
}

fn decode(t: &'static Table, e: u32, c: char) -> Fold {
    match e {
        SKIP => Fold::Skip,
        REJECT => Fold::Reject,
        _ if e >= EXPAND => t
            .expand
            .get((e - EXPAND) as usize)
            .map_or(Fold::Char(c), |s| Fold::Expand(s)),
        _ => Fold::Char(char::from_u32(e).unwrap_or(c)),
    }
}

/// Number of chars whose fold is another kanji (the variant-kanji part of the table): for the
/// documentation and the tests.
pub fn folded_kanji_count() -> usize {
    let t = table();
    let bmp = (0..0x10000u32)
        .filter_map(char::from_u32)
        .filter(|&c| is_kanji_range(c) && fold_kanji(c) != c)
        .count();
    let supp = t
        .supp
        .keys()
        .filter_map(|&u| char::from_u32(u))
        .filter(|&c| is_kanji_range(c) && fold_kanji(c) != c)
        .count();
    bmp + supp
}

struct Table {
    /// Entry per BMP code point (surrogates map to themselves and never occur in a `str`).
    bmp: Box<[u32]>,
    /// Entries for supplementary code points that do not map to themselves.
    supp: HashMap<u32, u32>,
    /// NFKC expansions, indexed by `entry - EXPAND`.
    expand: Vec<Box<str>>,
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(build_table)
}

/// The MJ relation kinds used (see the module doc).
const SCHEMES: MJShrinkSchemes = MJShrinkSchemes::builder()
    .with(MJShrinkScheme::JISIncorporationUCSUnificationRule)
    .with(MJShrinkScheme::MOJFamilyRegisterActRelatedNotice);

/// Code point ranges whose chars are looked up in the MJ data.
const MJ_RANGES: [(u32, u32); 4] = [
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0x20000, 0x323AF),
];

/// Code points covered by the union-find (planes 0–3).
const UNIVERSE: u32 = 0x40000;
/// NFKC is looked at in planes 0–2 (nothing in plane 3 or above has a compatibility mapping
/// that matters here: plane 14's variation selectors are skipped explicitly).
const NFKC_END: u32 = 0x30000;

/// Curated override: 人名用漢字 variant pairs (戸籍法施行規則 別表第二 and 印刷標準字体 /
/// 簡易慣用字体 pairs) that the MJ縮退マップ does not relate, because both forms are ordinary
/// JIS X 0208 characters. Each pair is joined into one class.
const CURATED_JOINS: [(char, char); 15] = [
    ('亘', '亙'),
    ('凛', '凜'),
    ('巌', '巖'),
    ('晃', '晄'),
    ('桧', '檜'),
    ('槙', '槇'),
    ('穣', '穰'),
    ('遥', '遙'),
    ('篭', '籠'),
    ('鴬', '鶯'),
    ('頚', '頸'),
    ('掻', '搔'),
    ('嘘', '噓'),
    ('麹', '麴'),
    ('鹸', '鹼'),
];

/// Curated override: distinct characters (different reading and meaning in names) that the
/// map's relations link only through a rare glyph. They are never put into one class.
const CURATED_SPLITS: [(char, char); 17] = [
    ('玉', '王'),
    ('切', '功'),
    ('昼', '書'),
    ('着', '著'),
    ('帥', '師'),
    ('升', '舛'),
    ('稿', '藁'),
    ('斎', '斉'),
    ('崎', '埼'),
    // Found while building the generator's variant table: the map reaches these through a
    // rare glyph, but they are different characters in names (傅 is not 伝/傳, 个 is 個's).
    ('傅', '伝'),
    ('槁', '橋'),
    ('隹', '佳'),
    ('訷', '伸'),
    ('誧', '輔'),
    ('个', '介'),
    ('皀', '香'),
    ('偂', '前'),
];

/// Union-find over code points `0..UNIVERSE` that refuses joins named in [`CURATED_SPLITS`].
struct Classes {
    parent: Vec<u32>,
    touched: Vec<bool>,
}

impl Classes {
    fn new() -> Self {
        Classes {
            parent: (0..UNIVERSE).collect(),
            touched: vec![false; UNIVERSE as usize],
        }
    }

    fn find(&mut self, mut x: u32) -> u32 {
        if x >= UNIVERSE {
            return x;
        }
        while self.parent[x as usize] != x {
            let grand = self.parent[self.parent[x as usize] as usize];
            self.parent[x as usize] = grand;
            x = grand;
        }
        x
    }

    /// Joins the classes of `a` and `b`; false when refused (out of range or a curated split).
    fn union(&mut self, a: u32, b: u32) -> bool {
        if a >= UNIVERSE || b >= UNIVERSE {
            return false;
        }
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return true;
        }
        for (x, y) in CURATED_SPLITS {
            let (rx, ry) = (self.find(x as u32), self.find(y as u32));
            if (rx == ra && ry == rb) || (rx == rb && ry == ra) {
                return false;
            }
        }
        self.parent[ra.max(rb) as usize] = ra.min(rb);
        self.touched[a as usize] = true;
        self.touched[b as usize] = true;
        true
    }
}

/// Single chars among the MJ shrink candidates of `c` under `schemes`, without `c` itself.
fn mj_candidates(c: char, schemes: MJShrinkSchemes, out: &mut Vec<u32>) {
    out.clear();
    let mut buf = [0u8; 4];
    for cand in mj_shrink_candidates(c.encode_utf8(&mut buf), schemes) {
        let mut chars = cand.chars();
        if let (Some(d), None) = (chars.next(), chars.next())
            && d != c
            && !out.contains(&(d as u32))
        {
            out.push(d as u32);
        }
    }
}

/// JIS X 0208 level of `c`: 0 for 第1水準 (rows 16–47), 1 for 第2水準 (rows 48–84), 2 for other
/// Shift_JIS chars, 3 for chars outside Shift_JIS.
fn jis_level(c: char) -> u8 {
    let mut buf = [0u8; 4];
    let (bytes, _, unmappable) = encoding_rs::SHIFT_JIS.encode(c.encode_utf8(&mut buf));
    if unmappable {
        return 3;
    }
    let [lead, trail] = *bytes else { return 2 };
    let base = match lead {
        0x81..=0x9F => (u32::from(lead) - 0x81) * 2 + 1,
        0xE0..=0xEF => (u32::from(lead) - 0xC1) * 2 + 1,
        _ => return 2,
    };
    match base + u32::from(trail >= 0x9F) {
        16..=47 => 0,
        48..=84 => 1,
        _ => 2,
    }
}

/// NFKC of one char into `buf`; false when it is the char itself.
fn nfkc_of(c: char, buf: &mut String) -> bool {
    let (mut n, mut same) = (0, true);
    decompose_compatible(c, |d| {
        n += 1;
        same &= d == c;
    });
    if n == 1 && same {
        return false;
    }
    buf.clear();
    buf.extend(std::iter::once(c).nfkc());
    let mut it = buf.chars();
    !(it.next() == Some(c) && it.next().is_none())
}

fn build_table() -> Table {
    let mut classes = Classes::new();
    let mut unstable = vec![false; UNIVERSE as usize];
    let mut multi: Vec<(u32, String)> = Vec::new();

    // 1. NFKC single-char mappings join a class; multi-char ones become expansions.
    let mut buf = String::new();
    for u in 0..NFKC_END {
        let Some(c) = char::from_u32(u) else { continue };
        if !nfkc_of(c, &mut buf) {
            continue;
        }
        unstable[u as usize] = true;
        let mut it = buf.chars();
        match (it.next(), it.next()) {
            (Some(d), None) => {
                classes.union(u, d as u32);
            }
            _ => multi.push((u, buf.clone())),
        }
    }

    // 2. and 3. MJ relations.
    let none = MJShrinkSchemes::NONE;
    let (mut same, mut targets) = (Vec::new(), Vec::new());
    let mut ambiguous: Vec<(u32, Vec<u32>)> = Vec::new();
    let mut outgoing = vec![false; UNIVERSE as usize];
    for (lo, hi) in MJ_RANGES {
        for u in lo..=hi {
            let Some(c) = char::from_u32(u) else { continue };
            mj_candidates(c, none, &mut same);
            for &d in &same {
                classes.union(u, d);
            }
            mj_candidates(c, SCHEMES, &mut targets);
            targets.retain(|d| !same.contains(d));
            outgoing[u as usize] = !targets.is_empty();
            match targets.as_slice() {
                [] => {}
                [t] => {
                    classes.union(u, *t);
                }
                _ => ambiguous.push((u, targets.clone())),
            }
        }
    }
    for (a, b) in CURATED_JOINS {
        classes.union(a as u32, b as u32);
    }
    loop {
        let mut changed = false;
        for (u, ts) in &ambiguous {
            let Some((&first, rest)) = ts.split_first() else {
                continue;
            };
            let r = classes.find(first);
            if rest.iter().all(|&t| classes.find(t) == r) && classes.find(*u) != r {
                changed |= classes.union(*u, first);
            }
        }
        if !changed {
            break;
        }
    }

    // 5. Representatives.
    let mut best: HashMap<u32, (bool, u8, bool, u32)> = HashMap::new();
    for u in 0..UNIVERSE {
        if !classes.touched[u as usize] {
            continue;
        }
        let Some(c) = char::from_u32(u) else { continue };
        let key = (unstable[u as usize], jis_level(c), outgoing[u as usize], u);
        let r = classes.find(u);
        best.entry(r)
            .and_modify(|k| *k = (*k).min(key))
            .or_insert(key);
    }
    let mut rep = |u: u32| -> u32 {
        if u < UNIVERSE && classes.touched[u as usize] {
            best.get(&classes.find(u)).map_or(u, |k| k.3)
        } else {
            u
        }
    };
    let simple = |e: u32| -> u32 {
        match char::from_u32(e) {
            Some(d) if is_uncomparable(d) => REJECT,
            Some(d) if is_skip(d) => SKIP,
            _ => e,
        }
    };

    let mut bmp: Box<[u32]> = (0..0x10000u32).collect();
    let mut supp: HashMap<u32, u32> = HashMap::new();
    for u in 0..UNIVERSE {
        let Some(c) = char::from_u32(u) else { continue };
        let e = if is_uncomparable(c) {
            REJECT
        } else if is_skip(c) {
            SKIP
        } else {
            simple(rep(u))
        };
        if let Some(slot) = bmp.get_mut(u as usize) {
            *slot = e;
        } else if e != u {
            supp.insert(u, e);
        }
    }
    let mut expand: Vec<Box<str>> = Vec::new();
    for (u, s) in multi {
        let mut folded = String::new();
        let mut e = SKIP;
        for d in s.chars() {
            match simple(rep(d as u32)) {
                SKIP => {}
                REJECT => {
                    e = REJECT;
                    break;
                }
                x => folded.extend(char::from_u32(x)),
            }
        }
        let Some(c) = char::from_u32(u) else { continue };
        if e != REJECT && !folded.is_empty() {
            e = EXPAND + expand.len() as u32;
            expand.push(folded.into_boxed_str());
        }
        if is_uncomparable(c) || is_skip(c) {
            continue;
        }
        if let Some(slot) = bmp.get_mut(u as usize) {
            *slot = e;
        } else {
            supp.insert(u, e);
        }
    }
    Table { bmp, supp, expand }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Foreign residents' names: Latin letters in any width and case, and the punctuation
    /// between parts, are notation (ゆれ); a different letter is still a different name.
    #[test]
    fn latin_names_compare_case_and_width_insensitively() {
        let key = |s: &str| name_key(s).unwrap();
        assert_eq!(
            key("ＳＭＩＴＨ　ＪＯＨＮ　ＭＩＣＨＡＥＬ"),
            "smithjohnmichael"
        );
        for same in [
            "Ｓｍｉｔｈ　Ｊｏｈｎ　Ｍｉｃｈａｅｌ",
            "Smith John Michael",
            "ＳＭＩＴＨ，ＪＯＨＮ　ＭＩＣＨＡＥＬ",
            "ＳＭＩＴＨ・ＪＯＨＮ・ＭＩＣＨＡＥＬ",
            "SMITH, JOHN MICHAEL",
        ] {
            assert_eq!(
                compare_name(same, "ＳＭＩＴＨ　ＪＯＨＮ　ＭＩＣＨＡＥＬ"),
                FieldMatch::Variant,
                "{same}"
            );
        }
        assert_eq!(
            compare_name("ＳＭＹＴＨ　ＪＯＨＮ", "ＳＭＩＴＨ　ＪＯＨＮ"),
            FieldMatch::Differ
        );
        assert_eq!(key("ÉLODIE　MARTIN"), key("élodie martin"));
        // Kanji and kana are untouched by the case folding.
        assert_eq!(key("山田　太郎"), "山田太郎");
    }

    #[test]
    fn fold_kanji_required_results() {
        let cases = [
            ('髙', '高'),
            ('\u{FA11}', '崎'),
            ('邊', '辺'),
            ('邉', '辺'),
            ('齋', '斎'),
            ('齊', '斉'),
            ('濱', '浜'),
            ('澤', '沢'),
            ('嶋', '島'),
            ('櫻', '桜'),
            ('廣', '広'),
            ('國', '国'),
            ('德', '徳'),
            ('𠮷', '吉'),
            ('藏', '蔵'),
            ('栁', '柳'),
            ('濵', '浜'),
            ('嵜', '崎'),
            ('\u{FA19}', '神'),
            ('神', '神'),
            ('槇', '槙'),
            ('遙', '遥'),
            ('凜', '凛'),
            ('高', '高'),
            ('a', 'a'),
            ('ア', 'ア'),
            ('Ａ', 'Ａ'),
        ];
        for (c, want) in cases {
            assert_eq!(fold_kanji(c), want, "{c:?} U+{:04X}", c as u32);
        }
    }

    #[test]
    fn fold_kanji_keeps_distinct_characters_apart() {
        let pairs = [
            ('斎', '斉'),
            ('齋', '齊'),
            ('崎', '埼'),
            ('埼', '碕'),
            ('田', '由'),
            ('仲', '中'),
            ('玉', '王'),
            ('切', '功'),
            ('昼', '書'),
            ('着', '著'),
            ('帥', '師'),
            ('升', '舛'),
            ('稿', '藁'),
            ('島', '雀'),
            ('仏', '均'),
            ('奏', '秦'),
            ('宜', '宣'),
            ('示', '雨'),
            ('爾', '示'),
            ('大', '太'),
            ('己', '已'),
            ('已', '巳'),
            ('土', '士'),
            ('未', '末'),
            ('祐', '佑'),
            ('藤', '籐'),
            ('傅', '伝'),
            ('傅', '傳'),
            ('槁', '橋'),
            ('隹', '佳'),
            ('訷', '伸'),
            ('誧', '輔'),
            ('个', '介'),
            ('皀', '香'),
            ('偂', '前'),
        ];
        for (a, b) in pairs {
            assert_ne!(fold_kanji(a), fold_kanji(b), "{a} vs {b}");
        }
    }

    #[test]
    fn fold_kanji_is_idempotent_everywhere() {
        let t = table();
        for u in (0..0x10000u32).chain(t.supp.keys().copied()) {
            let Some(c) = char::from_u32(u) else { continue };
            let f = fold_kanji(c);
            assert_eq!(fold_kanji(f), f, "U+{u:04X}");
            if is_kanji_range(c) {
                // 乄 → 〆 (JIS X 0208 1-01-26) is the one class represented outside the
                // ideograph blocks.
                assert!(is_kanji_range(f) || f == '〆', "U+{u:04X} -> {f:?}");
            }
        }
    }

    #[test]
    fn folded_kanji_table_size() {
        let n = folded_kanji_count();
        // JIS包摂 + 戸籍通達 classes fold some 13 thousand variant code points (13,228 with
        // jntajis 0.2.2).
        assert!((8_000..=20_000).contains(&n), "{n}");
    }

    #[test]
    fn name_key_table() {
        let cases = [
            ("山田　太郎", "山田太郎"),
            ("  山田 太郎  ", "山田太郎"),
            ("山田\u{A0}\t太郎", "山田太郎"),
            ("髙橋　一郎", "高橋一郎"),
            ("齋藤", "斎藤"),
            ("渡邊", "渡辺"),
            ("渡邉", "渡辺"),
            ("\u{FA11}田", "崎田"),
            ("𠮷田", "吉田"),
            ("葛\u{E0100}西", "葛西"),
            ("辻\u{FE00}", "辻"),
            ("ジョン・スミス", "ジョンスミス"),
            ("ｼﾞｮﾝ･ｽﾐｽ", "ジョンスミス"),
            ("ＪＯＨＮ　ＳＭＩＴＨ", "johnsmith"),
            ("JOHN SMITH", "johnsmith"),
            ("ヤマダ·ハナコ", "ヤマダハナコ"),
            ("カ゛ク", "ガク"),
            ("⾼橋", "高橋"),
            ("㈱", "(株)"),
            ("e\u{301}", "é"),
        ];
        for (input, want) in cases {
            assert_eq!(name_key(input).as_deref(), Some(want), "input {input:?}");
        }
    }

    #[test]
    fn name_key_uncomparable() {
        for s in [
            "",
            "   ",
            "\u{3000}",
            "・",
            "山\u{E000}",
            "〓田",
            "●子",
            "田\u{FFFD}",
            "\u{F0000}",
            "\u{10FFFD}x",
        ] {
            assert_eq!(name_key(s), None, "{s:?}");
        }
    }

    #[test]
    fn compare_name_table() {
        use FieldMatch::*;
        let cases = [
            ("山田　太郎", "山田　太郎", Equal),
            (" 山田　太郎 ", "山田　太郎", Equal),
            ("山田　太郎", "山田 太郎", Variant),
            ("髙橋　一郎", "高橋　一郎", Variant),
            ("斎藤　花子", "齋藤　花子", Variant),
            ("斉藤　花子", "齊藤　花子", Variant),
            ("斎藤　花子", "斉藤　花子", Differ),
            ("宮崎　一", "宮埼　一", Differ),
            ("田中　一", "田仲　一", Differ),
            ("濱田", "浜田", Variant),
            ("", "山田", NotCompared),
            ("山田", "", NotCompared),
            ("", "", NotCompared),
            ("〓田", "〓田", NotCompared),
            ("山\u{E000}", "山田", NotCompared),
        ];
        for (a, b, want) in cases {
            assert_eq!(compare_name(a, b), want, "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn kana_key_table() {
        let cases = [
            ("キョウコ", "キヨウコ"),
            ("キヨウコ", "キヨウコ"),
            ("ヤマダ　タロウ", "ヤマダタロウ"),
            ("ﾔﾏﾀﾞ ﾀﾛｳ", "ヤマダタロウ"),
            ("やまだ　たろう", "ヤマダタロウ"),
            ("ｶﾞｯｺｳ", "ガツコウ"),
            ("カ゛ク", "ガク"),
            ("ト-キョ-", "トーキヨー"),
            ("ト‐キョ―", "トーキヨー"),
            ("ト−キョ－", "トーキヨー"),
            ("ﾄｰｷｮｰ", "トーキヨー"),
            ("ァィゥェォッャュョヮヵヶ", "アイウエオツヤユヨワカケ"),
            ("ぁぃぅぇぉっゃゅょゎゕゖ", "アイウエオツヤユヨワカケ"),
            ("ㇰㇱ", "クシ"),
            ("ヴァイオリン", "ヴアイオリン"),
            ("ゔぃ", "ヴイ"),
            ("ジョン・スミス", "ジヨンスミス"),
            ("ササキ", "ササキ"),
            ("サヽキ", "ササキ"),
            ("ミスヾ", "ミスズ"),
            ("ヨーコ", "ヨーコ"),
            ("ヷ", "ヷ"),
        ];
        for (input, want) in cases {
            assert_eq!(kana_key(input).as_deref(), Some(want), "input {input:?}");
        }
        for bad in [
            "",
            " ",
            "山田",
            "ヤマダ1",
            "Taro",
            "-タロウ",
            "ヤマダ -タロウ",
            "ア゛",
            "゛カ",
            "ﾜﾞ",
            "ヽ",
            "ヾア",
            "ヤマダ\u{E000}",
        ] {
            assert_eq!(kana_key(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn compare_kana_table() {
        use FieldMatch::*;
        let cases = [
            ("キョウコ", "キョウコ", Equal),
            ("キョウコ", "キヨウコ", Variant),
            ("ﾔﾏﾀﾞ ﾀﾛｳ", "ヤマダ　タロウ", Variant),
            ("シンジ", "シンシ", Differ),
            ("ヴィ", "ビ", Differ),
            ("ヴァイオリン", "バイオリン", Differ),
            ("ヂ", "ジ", Differ),
            ("ヅ", "ズ", Differ),
            ("ヨーコ", "ヨウコ", Differ),
            ("", "ヤマダ", NotCompared),
            ("ヤマダ", "山田", NotCompared),
        ];
        for (a, b, want) in cases {
            assert_eq!(compare_kana(a, b), want, "{a:?} vs {b:?}");
        }
    }

    /// Writes a name the way another system might: full-width ASCII or half-width katakana,
    /// and spaces or 中黒 between characters.
    fn variant_spelling(s: &str, flags: &[u8]) -> String {
        let mut out = String::new();
        for (i, c) in s.chars().enumerate() {
            let f = flags.get(i).copied().unwrap_or(0);
            match f % 4 {
                1 => out.push(' '),
                2 => out.push('\u{3000}'),
                3 => out.push('・'),
                _ => {}
            }
            let wide = match c {
                '!'..='~' if f & 4 != 0 => char::from_u32(c as u32 + 0xFEE0).unwrap_or(c),
                _ => c,
            };
            out.push(wide);
        }
        out
    }

    fn name_like() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop::sample::select(vec![
                '山', '田', '髙', '高', '邊', '辺', '齋', '斎', '﨑', '崎', 'A', 'b', '1', 'ア',
                'ガ', 'か', 'ー', '𠮷', '々', '子',
            ]),
            1..8,
        )
        .prop_map(|v| v.into_iter().collect())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn name_key_never_panics_and_is_idempotent(s in any::<String>()) {
            if let Some(k) = name_key(&s) {
                prop_assert_eq!(name_key(&k), Some(k.clone()));
            }
        }

        #[test]
        fn name_key_idempotent_on_japanese(s in "[\\u{3000}-\\u{30FF}\\u{4E00}-\\u{4E40}\\u{9AD0}-\\u{9AE0}\\u{FA00}-\\u{FA30}\\u{FF01}-\\u{FF9F} ・･゛゜\\u{3099}a-z]{0,12}") {
            if let Some(k) = name_key(&s) {
                prop_assert_eq!(name_key(&k), Some(k.clone()));
            }
        }

        #[test]
        fn kana_key_never_panics_and_is_idempotent(s in any::<String>()) {
            if let Some(k) = kana_key(&s) {
                prop_assert_eq!(kana_key(&k), Some(k.clone()));
            }
        }

        #[test]
        fn kana_key_idempotent_on_kana(s in "[\\u{3041}-\\u{30FF}\\u{FF61}-\\u{FF9F} ー\\-]{0,12}") {
            if let Some(k) = kana_key(&s) {
                prop_assert_eq!(kana_key(&k), Some(k.clone()));
            }
        }

        #[test]
        fn spaces_and_width_do_not_change_the_name_key(
            s in name_like(),
            flags in prop::collection::vec(any::<u8>(), 0..8),
        ) {
            let v = variant_spelling(&s, &flags);
            prop_assert_eq!(name_key(&v), name_key(&s), "{:?} vs {:?}", v, s);
            prop_assert_ne!(compare_name(&s, &v), FieldMatch::Differ);
        }

        /// The 一致 fast path: a value it accepts always has a key (so skipping the key is right).
        #[test]
        fn plain_values_always_have_keys(
            s in "[\u{4E00}-\u{9FFF}々\u{3041}-\u{3096}\u{30A1}-\u{30FA}ー\u{3000} ]{0,10}",
        ) {
            if plain_name(&s) {
                prop_assert!(name_key(&s).is_some(), "{:?}", s);
                prop_assert_eq!(compare_name(&s, &s), FieldMatch::Equal);
            }
            if plain_kana(&s) {
                prop_assert!(kana_key(&s).is_some(), "{:?}", s);
                prop_assert_eq!(compare_kana(&s, &s), FieldMatch::Equal);
            }
        }

        #[test]
        fn spaces_and_width_do_not_change_the_kana_key(
            s in "[ァ-ヶー]{1,8}",
            flags in prop::collection::vec(any::<u8>(), 0..8),
        ) {
            let v = variant_spelling(&s, &flags);
            prop_assert_eq!(kana_key(&v), kana_key(&s));
        }
    }
}
