//! Property tests over the normalizers, the date parser and the whole row check.

use proptest::prelude::*;

use crate::findings::Action;
use crate::normalize::kana::{KanaCheck, check_katakana, is_katakana_char, to_katakana};
use crate::normalize::width::{has_halfwidth, to_ascii, to_fullwidth};
use crate::rules::date::{DateCheck, Ymd, check_date};
use crate::rules::{RuleContext, check_roster_row};
use crate::schema::{Layout, LayoutKind, RosterKey};

/// Characters that exercise the fix paths: half-width kana and marks, hiragana, katakana,
/// full-width and ASCII digits/letters, spaces of both widths, hyphens, kanji, a 外字.
const ALPHABET: &str = "ｱｲｳｶｷｸﾊﾋﾌﾞﾟｰ ｬｮｯあいうがぱゔアイウガパヴーァッ山田太郎髙０１２３ＡＢ0123AB-－‐　/年月日平成令和元.\u{E000}𠮷";

fn text() -> impl Strategy<Value = String> {
    let chars: Vec<char> = ALPHABET.chars().collect();
    proptest::collection::vec(proptest::sample::select(chars), 0..12)
        .prop_map(|v| v.into_iter().collect())
}

proptest! {
    #[test]
    fn width_folding_is_idempotent_and_complete(s in text()) {
        let once = to_fullwidth(&s).into_owned();
        prop_assert_eq!(to_fullwidth(&once).into_owned(), once.clone());
        prop_assert!(!has_halfwidth(&once));
        prop_assert_eq!(has_halfwidth(&s), once != s);
        let a = to_ascii(&s).into_owned();
        prop_assert_eq!(to_ascii(&a).into_owned(), a.clone());
    }

    #[test]
    fn katakana_folding_is_idempotent(s in text()) {
        let k = to_katakana(&s).into_owned();
        prop_assert_eq!(to_katakana(&k).into_owned(), k.clone());
    }

    /// A V09 fix yields a value that passes V09.
    #[test]
    fn v09_fixed_kana_passes(s in text()) {
        if let KanaCheck::Fixed { fixed, .. } = check_katakana(&s) {
            prop_assert_eq!(check_katakana(&fixed), KanaCheck::Ok);
            prop_assert!(fixed.chars().all(|c| is_katakana_char(c) || c == ' ' || c == '　'));
        }
    }

    /// Width variants of one katakana name normalize to the same value.
    #[test]
    fn halfwidth_and_hiragana_variants_normalize_equal(s in "[ｱ-ﾝ]{1,8}") {
        let full = to_fullwidth(&s).into_owned();
        let hira: String = full.chars().map(|c| char::from_u32(c as u32 - 0x60).unwrap_or(c)).collect();
        prop_assert_eq!(to_katakana(&hira).into_owned(), full.clone());
        prop_assert_eq!(to_katakana(&s).into_owned(), full.clone());
    }

    #[test]
    fn v06_v07_yyyymmdd_round_trips(days in -40_000i64..60_000) {
        let d = Ymd::from_days(days).unwrap();
        prop_assert_eq!(check_date(&d.to_yyyymmdd()), DateCheck::Valid(d));
        prop_assert_eq!(Ymd::parse_yyyymmdd(&d.to_yyyymmdd()), Some(d));
    }

    #[test]
    fn date_parser_never_panics(s in "\\PC{0,20}") {
        let _ = check_date(&s);
    }

    /// Any values: the row check does not panic, and a row with its fixes applied needs no
    /// further fix (fixes are stable: a correction file re-validates without new fixes).
    #[test]
    fn row_fixes_are_stable(fields in proptest::collection::vec(text(), 14)) {
        let layout = Layout::builtin(LayoutKind::Roster);
        let ctx = RuleContext { as_of: Ymd::new(2026, 11, 21).unwrap(), unmask: false };
        let values: Vec<&str> = fields.iter().map(String::as_str).collect();
        let first = check_roster_row(&values, &layout, ctx);
        let fixed: Vec<String> = fields
            .iter()
            .zip(RosterKey::ALL)
            .map(|(v, k)| first.fixed(k).unwrap_or(v).to_string())
            .collect();
        let values: Vec<&str> = fixed.iter().map(String::as_str).collect();
        let second = check_roster_row(&values, &layout, ctx);
        let refixes: Vec<_> = second.issues.iter().filter(|i| i.action == Action::Fix).collect();
        prop_assert!(refixes.is_empty(), "{:?} → {:?}: {:?}", fields, fixed, refixes);
    }
}
