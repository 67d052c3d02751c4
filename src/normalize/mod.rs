//! Japanese text normalization: pure functions over `&str`.
//!
//! - `width`: half-width ⇔ full-width (digits, letters, katakana with voicing marks).
//! - `kana`: katakana checks and hiragana/half-width → katakana.
//! - `name`: comparison keys for 氏名 (variant kanji folded) and 氏名カナ (small kana folded).
//! - `address`: comparison keys for 住所 (numbers, 丁目/番地/号, prefecture, building split).
//!
//! Validation uses `width`/`kana` to fix a value in place (V02, V09); registry matching uses
//! `name`/`address`, which build on the same functions, so a value fixed there compares equal
//! here. A comparison key is only ever compared, never written back into an output file.

pub mod address;
#[cfg(test)]
mod address_world;
pub mod kana;

/// The version of the comparison keys ([`name::name_key`], [`name::kana_key`],
/// [`address::address_key`]). The nightly baseline stores hashes of these keys with this
/// version; bump it whenever a change makes any key differ for some input, so the next night
/// re-keys the baseline instead of reporting every re-normalized record as changed (N02).
///
/// - 1: the keys up to 2026-12-07 (baselines written before the field existed read as 1).
/// - 2: Latin letters in names compare case- and width-insensitively; `，` `、` between the
///   parts of a name are notation.
/// - 3: addresses against the Japan Post town dictionary: 郡 dropped, town names in a standard
///   spelling (之/ノ → の, numerals), 零/○ read as 〇.
pub const NORMALIZATION_VERSION: u32 = 3;
pub mod name;
pub(crate) mod towns;
pub mod width;

/// How two values of one field compare (results.csv: 一致 / ゆれ / 不一致 / -).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FieldMatch {
    /// Identical as written (after trimming surrounding spaces).
    Equal,
    /// Equal only after normalization (variant kanji, kana forms, address notation).
    Variant,
    /// Different.
    Differ,
    /// Not compared: a side is empty or holds characters that cannot be compared (外字).
    NotCompared,
}

impl FieldMatch {
    /// The results.csv label: `一致`, `ゆれ`, `不一致` or `-`.
    pub fn label(self) -> &'static str {
        match self {
            FieldMatch::Equal => "一致",
            FieldMatch::Variant => "ゆれ",
            FieldMatch::Differ => "不一致",
            FieldMatch::NotCompared => "-",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::FieldMatch;

    #[test]
    fn field_match_labels() {
        assert_eq!(FieldMatch::Equal.label(), "一致");
        assert_eq!(FieldMatch::Variant.label(), "ゆれ");
        assert_eq!(FieldMatch::Differ.label(), "不一致");
        assert_eq!(FieldMatch::NotCompared.label(), "-");
    }
}
