//! Character-width normalisation (V02 auto-fix, and the width half of V09).
//!
//! * [`to_fullwidth`] turns half-width ASCII and half-width katakana into their full-width
//!   forms for text fields (住所, 氏名, 氏名カナ), composing voicing marks (ｶﾞ → ガ).
//! * [`to_ascii`] goes the other way for code fields (digits, letters, hyphen-likes).
//!
//! Both return `Cow::Borrowed` when the input needs no change, so clean rows cost no allocation.

use std::borrow::Cow;

/// Full-width forms of U+FF61..=U+FF9F, indexed by `c - U+FF61`.
/// The last two entries are the standalone voicing marks ゛ (U+309B) and ゜ (U+309C).
const HALFWIDTH_KANA: [char; 63] = [
    '。', '「', '」', '、', '・', 'ヲ', 'ァ', 'ィ', 'ゥ', 'ェ', 'ォ', 'ャ', 'ュ', 'ョ',
    'ッ', //
    'ー', 'ア', 'イ', 'ウ', 'エ', 'オ', 'カ', 'キ', 'ク', 'ケ', 'コ', 'サ', 'シ', 'ス',
    'セ', //
    'ソ', 'タ', 'チ', 'ツ', 'テ', 'ト', 'ナ', 'ニ', 'ヌ', 'ネ', 'ノ', 'ハ', 'ヒ', 'フ',
    'ヘ', //
    'ホ', 'マ', 'ミ', 'ム', 'メ', 'モ', 'ヤ', 'ユ', 'ヨ', 'ラ', 'リ', 'ル', 'レ', 'ロ',
    'ワ', //
    'ン', '゛', '゜',
];

/// Full-width form of a half-width katakana block char (U+FF61..=U+FF9F), unvoiced.
///
/// The half-width marks ﾞ/ﾟ map to the standalone full-width marks ゛/゜; composing them with
/// the preceding kana is [`compose_voicing`]'s job. Returns `None` outside the block.
pub fn halfwidth_kana_to_full(c: char) -> Option<char> {
    let i = (c as u32).checked_sub(0xFF61)?;
    HALFWIDTH_KANA.get(usize::try_from(i).ok()?).copied()
}

/// True for the voicing (dakuten) marks: half-width ﾞ, full-width ゛, combining U+3099.
pub fn is_dakuten(c: char) -> bool {
    matches!(c, '\u{FF9E}' | '\u{309B}' | '\u{3099}')
}

/// True for the semi-voicing (handakuten) marks: half-width ﾟ, full-width ゜, combining U+309A.
pub fn is_handakuten(c: char) -> bool {
    matches!(c, '\u{FF9F}' | '\u{309C}' | '\u{309A}')
}

/// True for any of the six voicing marks handled by [`compose_voicing`].
pub fn is_voicing_mark(c: char) -> bool {
    is_dakuten(c) || is_handakuten(c)
}

/// Composes a full-width katakana or hiragana `base` with a voicing `mark`
/// (ﾞ ﾟ ゛ ゜ U+3099 U+309A): カ→ガ … ト→ド, ハ→バ/パ … ホ→ボ/ポ, ウ→ヴ, and the hiragana
/// equivalents (か→が, は→ぱ, う→ゔ). ワヰヱヲ and the iteration marks deliberately do not compose
/// (ヷ etc. lie outside ァ–ヶ). `None` when the pair does not compose.
pub fn compose_voicing(base: char, mark: char) -> Option<char> {
    let b = base as u32;
    // Work on katakana code points; hiragana sits exactly 0x60 below.
    let (kata, hira) = match b {
        0x3041..=0x3096 => (b + 0x60, true),
        0x30A1..=0x30F6 => (b, false),
        _ => return None,
    };
    let composed = if is_dakuten(mark) {
        match kata {
            // カ…チ (odd code points); ツ テ ト and ハ ヒ フ ヘ ホ.
            0x30AB..=0x30C1 if kata % 2 == 1 => kata + 1,
            0x30C4 | 0x30C6 | 0x30C8 | 0x30CF | 0x30D2 | 0x30D5 | 0x30D8 | 0x30DB => kata + 1,
            0x30A6 => 0x30F4, // ウ → ヴ
            _ => return None,
        }
    } else if is_handakuten(mark) {
        match kata {
            0x30CF | 0x30D2 | 0x30D5 | 0x30D8 | 0x30DB => kata + 2,
            _ => return None,
        }
    } else {
        return None;
    };
    char::from_u32(if hira { composed - 0x60 } else { composed })
}

/// True when [`to_fullwidth`] would change `s`: it contains ASCII 0x20..=0x7E or a half-width
/// katakana block char (U+FF61..=U+FF9F). No allocation.
pub fn has_halfwidth(s: &str) -> bool {
    s.chars().any(is_halfwidth_char)
}

fn is_halfwidth_char(c: char) -> bool {
    matches!(c, ' '..='~' | '\u{FF61}'..='\u{FF9F}')
}

/// Half-width → full-width for text fields.
///
/// ASCII 0x21..=0x7E → U+FF01..=U+FF5E, ASCII space → U+3000, half-width katakana → full-width
/// with ﾞ/ﾟ composed onto the preceding kana when possible (ｶﾞ → ガ, ﾊﾟ → パ, ｳﾞ → ヴ). A mark that
/// cannot compose (ﾜﾞ, a leading ﾞ) becomes the standalone full-width mark ゛/゜. Everything else,
/// including control chars and already full-width text, is unchanged.
pub fn to_fullwidth(s: &str) -> Cow<'_, str> {
    let Some(start) = s.find(is_halfwidth_char) else {
        return Cow::Borrowed(s);
    };
    let mut out = String::with_capacity(s.len() + s.len() / 2);
    out.push_str(&s[..start]);
    for c in s[start..].chars() {
        match c {
            ' ' => out.push('\u{3000}'),
            '!'..='~' => out.push(char::from_u32(c as u32 + 0xFEE0).unwrap_or(c)),
            '\u{FF9E}' | '\u{FF9F}' => push_mark(&mut out, c),
            _ => out.push(halfwidth_kana_to_full(c).unwrap_or(c)),
        }
    }
    Cow::Owned(out)
}

/// Composes `mark` onto the last char of `out`, or pushes its standalone full-width form.
fn push_mark(out: &mut String, mark: char) {
    if let Some(composed) = out
        .chars()
        .next_back()
        .and_then(|b| compose_voicing(b, mark))
    {
        out.pop();
        out.push(composed);
    } else {
        out.push(halfwidth_kana_to_full(mark).unwrap_or(mark));
    }
}

/// True for the dash-like chars that [`to_ascii`] folds to `-`.
pub fn is_dash_like(c: char) -> bool {
    matches!(
        c,
        '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{30FC}' | '\u{FF70}'
    )
}

fn needs_ascii(c: char) -> bool {
    matches!(c, '\u{FF01}'..='\u{FF5E}' | '\u{3000}') || is_dash_like(c)
}

/// Full-width → ASCII for code fields: U+FF01..=U+FF5E → ASCII, U+3000 → space, and the dash-likes
/// U+2010..=U+2015, U+2212, U+30FC (ー), U+FF70 (ｰ) → `-`. Everything else unchanged.
pub fn to_ascii(s: &str) -> Cow<'_, str> {
    let Some(start) = s.find(needs_ascii) else {
        return Cow::Borrowed(s);
    };
    let mut out = String::with_capacity(s.len());
    out.push_str(&s[..start]);
    for c in s[start..].chars() {
        out.push(match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ if is_dash_like(c) => '-',
            _ => c,
        });
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v09_every_halfwidth_kana_maps_to_fullwidth() {
        for cp in 0xFF61..=0xFF9D_u32 {
            let c = char::from_u32(cp).unwrap();
            let f = halfwidth_kana_to_full(c).unwrap_or_else(|| panic!("{c:?} unmapped"));
            let ok = ('\u{30A1}'..='\u{30F6}').contains(&f) || "ー。「」、・".contains(f);
            assert!(ok, "{c:?} -> {f:?}");
            assert_eq!(to_fullwidth(&c.to_string()), f.to_string());
        }
        assert_eq!(halfwidth_kana_to_full('\u{FF9E}'), Some('゛'));
        assert_eq!(halfwidth_kana_to_full('\u{FF9F}'), Some('゜'));
        assert_eq!(halfwidth_kana_to_full('\u{FF60}'), None);
        assert_eq!(halfwidth_kana_to_full('\u{FFA0}'), None);
        assert_eq!(halfwidth_kana_to_full('a'), None);
    }

    #[test]
    fn v02_v09_to_fullwidth_table() {
        let cases = [
            ("ｶﾞｯｺｳ", "ガッコウ"),
            ("ﾊﾟﾝ", "パン"),
            ("ｳﾞｧ", "ヴァ"),
            ("ﾔﾏﾀﾞ ﾀﾛｳ", "ヤマダ\u{3000}タロウ"),
            ("ﾜﾞ", "ワ゛"),
            ("ﾞｱ", "゛ア"),
            ("ｱﾞ", "ア゛"),
            ("ｶﾞﾞ", "ガ゛"),
            ("ﾎﾟ", "ポ"),
            ("ﾄﾞ", "ド"),
            ("ｶﾟ", "カ゜"),
            ("カﾞ", "ガ"),
            ("はﾟ", "ぱ"),
            ("ABC-1", "ＡＢＣ－１"),
            (" ", "\u{3000}"),
            ("!~", "！～"),
            ("東京都1-2-3", "東京都１－２－３"),
            ("a\tb\n", "ａ\tｂ\n"),
            ("｡｢｣､･", "。「」、・"),
        ];
        for (input, want) in cases {
            assert_eq!(to_fullwidth(input), want, "input {input:?}");
        }
    }

    #[test]
    fn v02_fullwidth_input_is_borrowed() {
        for s in [
            "",
            "東京都千代田区１－２",
            "ヤマダ\u{3000}タロウ",
            "カ゛",
            "😀",
        ] {
            assert!(matches!(to_fullwidth(s), Cow::Borrowed(_)), "{s:?}");
        }
        assert!(matches!(to_fullwidth("a"), Cow::Owned(_)));
    }

    #[test]
    fn v02_compose_voicing_table() {
        let cases = [
            ('カ', 'ﾞ', Some('ガ')),
            ('チ', '゛', Some('ヂ')),
            ('ツ', '\u{3099}', Some('ヅ')),
            ('ト', 'ﾞ', Some('ド')),
            ('ハ', 'ﾞ', Some('バ')),
            ('ホ', 'ﾟ', Some('ポ')),
            ('ヒ', '\u{309A}', Some('ピ')),
            ('ウ', 'ﾞ', Some('ヴ')),
            ('か', '゛', Some('が')),
            ('は', '゜', Some('ぱ')),
            ('う', 'ﾞ', Some('ゔ')),
            ('ッ', 'ﾞ', None),
            ('ワ', 'ﾞ', None),
            ('ア', 'ﾞ', None),
            ('カ', 'ﾟ', None),
            ('ガ', 'ﾞ', None),
            ('ヽ', 'ﾞ', None),
            ('ゝ', '゛', None),
            ('a', 'ﾞ', None),
            ('カ', 'x', None),
        ];
        for (b, m, want) in cases {
            assert_eq!(compose_voicing(b, m), want, "{b:?}+{m:?}");
        }
    }

    #[test]
    fn v02_to_ascii_table() {
        let cases = [
            ("１２３－４５６７", "123-4567"),
            ("ＡＢＣ\u{3000}ｘ", "ABC x"),
            (
                "1\u{2010}2\u{2011}3\u{2012}4\u{2013}5\u{2014}6\u{2015}7",
                "1-2-3-4-5-6-7",
            ),
            ("1\u{2212}2ー3ｰ4", "1-2-3-4"),
            ("abc-1", "abc-1"),
        ];
        for (input, want) in cases {
            assert_eq!(to_ascii(input), want, "input {input:?}");
        }
        assert!(matches!(to_ascii("abc-123"), Cow::Borrowed(_)));
        assert!(matches!(to_ascii(""), Cow::Borrowed(_)));
    }

    #[test]
    fn v02_has_halfwidth_agrees_with_to_fullwidth() {
        let samples = [
            "",
            "abc",
            "ＡＢＣ",
            "東京都",
            " ",
            "\u{3000}",
            "ｱ",
            "ﾞ",
            "ﾟ",
            "゛",
            "カ\u{3099}",
            "\t",
            "\n",
            "~",
            "\u{7F}",
            "😀",
            "ﾜﾞ",
            "ヤマダ タロウ",
            "ヤマダ\u{3000}タロウ",
            "¥",
            "\u{FF60}",
            "\u{FFA0}",
            "１－２",
        ];
        for s in samples {
            assert_eq!(has_halfwidth(s), to_fullwidth(s) != s, "{s:?}");
        }
    }
}
