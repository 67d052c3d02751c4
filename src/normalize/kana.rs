//! 氏名カナ checks (V09): is a value full-width katakana, and if not, can it be fixed unambiguously?
//!
//! Half-width katakana and hiragana are converted, separated voicing marks are composed
//! (ｶﾞ, カ゛, カ + U+3099 → ガ), and a dash written right after a kana is read as the long-vowel
//! mark ー. Anything else (kanji, latin, digits, ヷ, ゝ, a mark that cannot compose) is unfixable.

use std::borrow::Cow;

use super::width::{compose_voicing, halfwidth_kana_to_full, is_voicing_mark};

/// ァ (U+30A1) ..= ヶ (U+30F6), or ー (U+30FC).
pub fn is_katakana_char(c: char) -> bool {
    matches!(c, '\u{30A1}'..='\u{30F6}' | '\u{30FC}')
}

/// Hiragana ぁ..=ゖ (U+3041..=U+3096) → katakana ァ..=ヶ; `None` for anything else (ゝゞゟ included).
fn hiragana_to_katakana(c: char) -> Option<char> {
    match c {
        '\u{3041}'..='\u{3096}' => char::from_u32(c as u32 + 0x60),
        _ => None,
    }
}

/// Dashes read as ー when they directly follow a kana (ト-キョ- → トーキョー).
fn is_kana_dash(c: char) -> bool {
    matches!(c, '-' | '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FF0D}')
}

/// What is wrong with a カナ value and whether it is fixable. The caller handles empty values and
/// the space between family and given name separately (spaces U+0020, U+3000 are passed through
/// untouched and never make a value unfixable).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KanaCheck {
    /// Every non-space char is full-width katakana.
    Ok,
    /// Fixable: `fixed` is the full-width katakana form. `halfwidth`/`hiragana` say which faults
    /// were seen; both `false` means only separated voicing marks (カ゛, カ + U+3099) were composed.
    Fixed {
        fixed: String,
        halfwidth: bool,
        hiragana: bool,
    },
    /// Not fixable: first offending character as it appears in the input. `partially_fixed` is the
    /// value with the fixable parts fixed (may equal the input).
    Unfixable { bad: char, partially_fixed: String },
}

/// Checks a カナ value; see [`KanaCheck`]. Never panics.
pub fn check_katakana(s: &str) -> KanaCheck {
    // Fast path (the clean row): katakana and spaces only, nothing to fix or report.
    if s.chars()
        .all(|c| c == ' ' || c == '\u{3000}' || is_katakana_char(c))
    {
        return KanaCheck::Ok;
    }
    let mut out = String::with_capacity(s.len() + s.len() / 2);
    let (mut halfwidth, mut hiragana, mut changed) = (false, false, false);
    let mut bad: Option<char> = None;
    for c in s.chars() {
        let last = out.chars().next_back();
        if c == ' ' || c == '\u{3000}' || is_katakana_char(c) {
            out.push(c);
        } else if is_voicing_mark(c) {
            if let Some(composed) = last.and_then(|b| compose_voicing(b, c)) {
                out.pop();
                out.push(composed);
                halfwidth |= matches!(c, '\u{FF9E}' | '\u{FF9F}');
                changed = true;
            } else {
                // Cannot compose (after a vowel, a space, or at the start): left as is.
                bad.get_or_insert(c);
                out.push(c);
            }
        } else if let Some(k) = hiragana_to_katakana(c) {
            out.push(k);
            hiragana = true;
            changed = true;
        } else if let Some(f) = halfwidth_kana_to_full(c) {
            // U+FF61..=U+FF9D; the marks were handled above. Punctuation (｡｢｣､･) is width-fixed
            // in `partially_fixed` but is not katakana.
            out.push(f);
            halfwidth = true;
            changed = true;
            if !is_katakana_char(f) {
                bad.get_or_insert(c);
            }
        } else if is_kana_dash(c) && last.is_some_and(is_katakana_char) {
            out.push('ー');
            halfwidth = true;
            changed = true;
        } else {
            bad.get_or_insert(c);
            out.push(c);
        }
    }
    match bad {
        Some(bad) => KanaCheck::Unfixable {
            bad,
            partially_fixed: out,
        },
        None if changed => KanaCheck::Fixed {
            fixed: out,
            halfwidth,
            hiragana,
        },
        None => KanaCheck::Ok,
    }
}

/// Hiragana → katakana and half-width → full-width katakana, composing any voicing mark that
/// follows a kana; every other char is left as it is (no judgment). Borrowed when unchanged.
pub fn to_katakana(s: &str) -> Cow<'_, str> {
    let mut prev: Option<char> = None;
    let needs_change = s.chars().any(|c| {
        let hit = hiragana_to_katakana(c).is_some()
            || halfwidth_kana_to_full(c).is_some()
            || (is_voicing_mark(c) && prev.and_then(|b| compose_voicing(b, c)).is_some());
        prev = Some(c);
        hit
    });
    if !needs_change {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + s.len() / 2);
    for c in s.chars() {
        let composed = if is_voicing_mark(c) {
            out.chars().next_back().and_then(|b| compose_voicing(b, c))
        } else {
            None
        };
        if let Some(v) = composed {
            out.pop();
            out.push(v);
        } else {
            let f = hiragana_to_katakana(c).or_else(|| halfwidth_kana_to_full(c));
            out.push(f.unwrap_or(c));
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixed(s: &str, halfwidth: bool, hiragana: bool) -> KanaCheck {
        KanaCheck::Fixed {
            fixed: s.to_string(),
            halfwidth,
            hiragana,
        }
    }

    fn unfixable(bad: char, s: &str) -> KanaCheck {
        KanaCheck::Unfixable {
            bad,
            partially_fixed: s.to_string(),
        }
    }

    #[test]
    fn v09_check_katakana_table() {
        let cases = [
            ("キョウコ", KanaCheck::Ok),
            ("トーキョー", KanaCheck::Ok),
            ("ヤマダ\u{3000}タロウ", KanaCheck::Ok),
            ("ヴァ ヶ", KanaCheck::Ok),
            ("", KanaCheck::Ok),
            ("ﾔﾏﾀﾞ ﾀﾛｳ", fixed("ヤマダ タロウ", true, false)),
            (
                "ﾔﾏﾀﾞ\u{3000}タロウ",
                fixed("ヤマダ\u{3000}タロウ", true, false),
            ),
            ("やまだ たろう", fixed("ヤマダ タロウ", false, true)),
            ("やまだ ﾀﾛｳ", fixed("ヤマダ タロウ", true, true)),
            ("ゔぃ", fixed("ヴィ", false, true)),
            ("カ゛", fixed("ガ", false, false)),
            ("カ\u{3099}", fixed("ガ", false, false)),
            ("ハ\u{309A}ン", fixed("パン", false, false)),
            ("か゛", fixed("ガ", false, true)),
            ("ｶ゛", fixed("ガ", true, false)),
            ("カﾞ", fixed("ガ", true, false)),
            ("ト-キョ-", fixed("トーキョー", true, false)),
            ("ト\u{2010}キョ\u{2212}", fixed("トーキョー", true, false)),
            ("ト－キョ―", fixed("トーキョー", true, false)),
            ("ﾄｰｷｮｰ", fixed("トーキョー", true, false)),
            ("ｰ", fixed("ー", true, false)),
            ("山田", unfixable('山', "山田")),
            ("ﾔﾏ田", unfixable('田', "ヤマ田")),
            ("ﾜﾞ", unfixable('ﾞ', "ワﾞ")),
            ("ヷ", unfixable('ヷ', "ヷ")),
            ("-タロウ", unfixable('-', "-タロウ")),
            ("ヤマダ -タロウ", unfixable('-', "ヤマダ -タロウ")),
            ("ヽ", unfixable('ヽ', "ヽ")),
            ("ゝ", unfixable('ゝ', "ゝ")),
            ("ア゛", unfixable('゛', "ア゛")),
            ("゛カ", unfixable('゛', "゛カ")),
            ("ｼﾞｮﾝ･ｽﾐｽ", unfixable('･', "ジョン・スミス")),
            ("ﾀﾛｳ1", unfixable('1', "タロウ1")),
            ("Taro", unfixable('T', "Taro")),
        ];
        for (input, want) in cases {
            assert_eq!(check_katakana(input), want, "input {input:?}");
        }
    }

    #[test]
    fn v09_is_katakana_char_bounds() {
        for (c, want) in [
            ('ァ', true),
            ('ヶ', true),
            ('ー', true),
            ('ヴ', true),
            ('\u{30A0}', false),
            ('ヷ', false),
            ('・', false),
            ('ヽ', false),
            ('あ', false),
            ('ｱ', false),
        ] {
            assert_eq!(is_katakana_char(c), want, "{c:?}");
        }
    }

    #[test]
    fn v09_to_katakana_table() {
        let cases = [
            ("やまだ たろう", "ヤマダ タロウ"),
            ("ﾔﾏﾀﾞ\u{3000}ﾀﾛｳ", "ヤマダ\u{3000}タロウ"),
            ("ゔぃ", "ヴィ"),
            ("か゛ﾊﾟ", "ガパ"),
            ("山田-ゝ1", "山田-ゝ1"),
            ("ﾜﾞ", "ワ゛"),
        ];
        for (input, want) in cases {
            assert_eq!(to_katakana(input), want, "input {input:?}");
        }
        for s in ["ヤマダ", "", "山田 abc", "ア゛"] {
            assert!(matches!(to_katakana(s), Cow::Borrowed(_)), "{s:?}");
        }
    }

    #[test]
    fn v09_nasty_inputs_never_panic_and_fixed_is_katakana() {
        let nasty = [
            "",
            "ﾞ",
            "ﾟ",
            "゛゜",
            "\u{3099}\u{309A}",
            "ﾞﾞﾞ",
            "ｶﾞﾞﾟ",
            "😀",
            "ア😀ﾞ",
            "e\u{301}",
            "\u{0}",
            "\u{FEFF}ｱ",
            "---",
            "ｰｰ",
            " \u{3000} ",
            "\u{10FFFF}",
            "ヴ\u{3099}",
            "ゖゕ",
            "\u{FF60}\u{FFA0}",
            "ｱ\u{200D}ﾞ",
            "\r\n",
        ];
        for s in nasty {
            let r = check_katakana(s);
            if let KanaCheck::Fixed { fixed, .. } = &r {
                assert!(
                    fixed
                        .chars()
                        .all(|c| is_katakana_char(c) || c == ' ' || c == '\u{3000}')
                );
            }
            let _ = to_katakana(s);
        }
    }
}
