//! Full-width text fields: 氏名 (V02, V10, V11), 氏名カナ (V09, V10, V11), 住所 (V02, V11).

use encoding_rs::{EncoderResult, SHIFT_JIS};

use super::Checker;
use crate::findings::{Action, Code};
use crate::normalize::kana::{KanaCheck, check_katakana, is_katakana_char};
use crate::normalize::width::{has_halfwidth, to_fullwidth};
use crate::schema::RosterKey;

const FW_SPACE: char = '\u{3000}';

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\u{3000}' | '\t' | '\u{a0}')
}

/// V10: family and given name separated by exactly one full-width space. A name of three or
/// more parts, each separated by one full-width space, is valid too (contract: foreign
/// residents with middle names, as the 住民票 records them: ＳＭＩＴＨ　ＪＯＨＮ　ＭＩＣＨＡＥＬ).
/// Half-width or repeated spaces are replaced by one full-width space between every two parts.
fn separator(c: &mut Checker, k: RosterKey) {
    let v = c.value(k);
    // Fast path: exactly one full-width space, inside (values are trimmed already).
    let mut spaces = v.char_indices().filter(|(_, ch)| is_space(*ch));
    if let (Some((i, FW_SPACE)), None) = (spaces.next(), spaces.next())
        && i > 0
        && i + FW_SPACE.len_utf8() < v.len()
    {
        return;
    }
    let tokens: Vec<&str> = v.split(is_space).filter(|t| !t.is_empty()).collect();
    if tokens.len() < 2 {
        c.issue(
            Code::V10,
            k,
            Action::Review,
            format!("{shown}: 姓と名の間に全角空白がありません。姓と名を全角空白1文字で区切ってください", shown = c.shown(k)),
        );
        return;
    }
    let fixed = tokens.join("\u{3000}");
    if fixed == v {
        return;
    }
    let what = if v.chars().filter(|ch| is_space(*ch)).count() >= tokens.len() {
        "空白が2文字以上あります"
    } else {
        "半角空白です"
    };
    let message = if tokens.len() == 2 {
        format!(
            "{shown}: 姓と名の間が{what}。全角空白1文字にします",
            shown = c.shown(k)
        )
    } else {
        format!(
            "{shown}: {n}つの部分の間が{what}。部分の間をそれぞれ全角空白1文字にします",
            shown = c.shown(k),
            n = tokens.len()
        )
    };
    c.issue(Code::V10, k, Action::Fix, message);
    c.set(k, fixed);
}

/// V02: half-width letters, digits, symbols or katakana in a full-width field.
fn width(c: &mut Checker, k: RosterKey) {
    if has_halfwidth(c.value(k)) {
        let fixed = to_fullwidth(c.value(k)).into_owned();
        c.issue(
            Code::V02,
            k,
            Action::Fix,
            format!(
                "{shown}に半角文字があります。全角の「{fixed}」にします",
                shown = c.shown(k)
            ),
        );
        c.set(k, fixed);
    }
}

/// Bitmap of the BMP characters some CP932 byte pair decodes to (user-defined area excluded):
/// all of them encode back. Built once by decoding every pair (~12,000 lookups), because
/// encoding_rs's Shift_JIS encoder searches its index for each kanji, which dominated the
/// profile of a clean roster.
fn cp932_bitmap() -> &'static [u64; 1024] {
    static MAP: std::sync::OnceLock<Box<[u64; 1024]>> = std::sync::OnceLock::new();
    MAP.get_or_init(|| {
        let mut map = Box::new([0u64; 1024]);
        let leads = (0x81u8..=0x9F).chain(0xE0..=0xFC);
        for lead in leads {
            for trail in (0x40u8..=0x7E).chain(0x80..=0xFC) {
                let pair = [lead, trail];
                if let Some(s) =
                    SHIFT_JIS.decode_without_bom_handling_and_without_replacement(&pair)
                {
                    for c in s.chars() {
                        let cp = c as u32;
                        if cp < 0x10000 && !is_private_use(c) {
                            map[(cp / 64) as usize] |= 1 << (cp % 64);
                        }
                    }
                }
            }
        }
        // Half-width katakana (single bytes A1–DF).
        for cp in 0xFF61u32..=0xFF9F {
            map[(cp / 64) as usize] |= 1 << (cp % 64);
        }
        map
    })
}

#[cfg(test)]
fn in_bitmap(c: char) -> bool {
    let cp = c as u32;
    cp < 0x10000 && cp932_bitmap()[(cp / 64) as usize] & (1 << (cp % 64)) != 0
}

/// The first character that CP932 cannot hold, or that is private use (外字).
pub fn first_unencodable(s: &str) -> Option<char> {
    if s.is_ascii() {
        return None;
    }
    let map = cp932_bitmap();
    let mut all_in_map = true;
    for c in s.chars() {
        let cp = c as u32;
        if cp < 0x80 {
            continue;
        }
        if is_private_use(c) {
            return Some(c);
        }
        if cp >= 0x10000 || map[(cp / 64) as usize] & (1 << (cp % 64)) == 0 {
            all_in_map = false;
        }
    }
    if all_in_map {
        return None;
    }
    // Rare characters (U+2212, U+00A5 …): ask the encoder itself.
    let mut encoder = SHIFT_JIS.new_encoder();
    let mut buf = [0u8; 256];
    let mut rest = s;
    loop {
        let (result, read, _) = encoder.encode_from_utf8_without_replacement(rest, &mut buf, true);
        match result {
            EncoderResult::InputEmpty => return None,
            EncoderResult::OutputFull => rest = &rest[read..],
            EncoderResult::Unmappable(c) => return Some(c),
        }
    }
}

pub fn is_private_use(c: char) -> bool {
    matches!(c as u32, 0xE000..=0xF8FF | 0xF0000..=0x10FFFF)
}

/// V11, with a message that says what kind of character it is.
fn encodable(c: &mut Checker, k: RosterKey) {
    let Some(bad) = first_unencodable(c.value(k)) else {
        return;
    };
    let cp = bad as u32;
    let what = if is_private_use(bad) {
        format!("外字（私用領域の文字 U+{cp:04X}）")
    } else if matches!(cp, 0xFE00..=0xFE0F | 0xE0100..=0xE01EF) {
        format!("異体字セレクタ（U+{cp:04X}）")
    } else {
        format!("CP932 で表せない文字「{bad}」（U+{cp:04X}）")
    };
    c.issue(
        Code::V11,
        k,
        Action::Review,
        format!(
            "{shown}に{what}があります。中間サーバーに登録できない文字です。常用の字体に置き換えてください", shown = c.shown(k)),
    );
}

/// One pass over a full-width field for the common clean value: true when it has no
/// half-width character (V02), nothing outside the CP932 table (V11), for a name exactly one
/// full-width space inside (V10), for カナ only katakana (V09). False means "look closer": the
/// separate checks then run and decide.
fn clean_fullwidth(v: &str, name: bool, kana: bool) -> bool {
    let map = cp932_bitmap();
    let mut spaces = 0;
    for ch in v.chars() {
        let cp = ch as u32;
        if ch == FW_SPACE {
            spaces += 1;
            continue;
        }
        if !(0x80..0x10000).contains(&cp)
            || (0xFF61..=0xFF9F).contains(&cp)
            || map[(cp / 64) as usize] & (1 << (cp % 64)) == 0
            || (kana && !is_katakana_char(ch))
            || is_space(ch)
        {
            return false;
        }
    }
    // Values are trimmed, so a single space is between two non-empty parts.
    !name || spaces == 1
}

pub(super) fn kanji_name(c: &mut Checker) {
    let k = RosterKey::Name;
    if clean_fullwidth(c.value(k), true, false) {
        return;
    }
    separator(c, k);
    width(c, k);
    encodable(c, k);
}

pub(super) fn kana_name(c: &mut Checker) {
    let k = RosterKey::NameKana;
    if clean_fullwidth(c.value(k), true, true) {
        return;
    }
    separator(c, k);
    match check_katakana(c.value(k)) {
        KanaCheck::Ok => {}
        KanaCheck::Fixed {
            fixed,
            halfwidth,
            hiragana,
        } => {
            let what = match (halfwidth, hiragana) {
                (true, true) => "半角カナとひらがな",
                (true, false) => "半角カナ",
                (false, true) => "ひらがな",
                (false, false) => "分かれた濁点・半濁点",
            };
            c.issue(
                Code::V09,
                k,
                Action::Fix,
                format!("{shown}に{what}があります。全角カタカナの「{fixed}」にします", shown = c.shown(k)),
            );
            c.set(k, fixed);
        }
        KanaCheck::Unfixable { bad, .. } => c.issue(
            Code::V09,
            k,
            Action::Review,
            format!(
                "{shown}にカタカナ以外の文字「{bad}」があります。全角カタカナ（ァ–ヶ、ー）で入力してください", shown = c.shown(k)),
        ),
    }
    encodable(c, k);
}

pub(super) fn address(c: &mut Checker) {
    let k = RosterKey::Address;
    if clean_fullwidth(c.value(k), false, false) {
        return;
    }
    width(c, k);
    encodable(c, k);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast path never accepts what the encoder would refuse.
    #[test]
    fn v11_bitmap_is_a_subset_of_encodable() {
        let mut n = 0;
        for cp in 0x80u32..0x10000 {
            let Some(c) = char::from_u32(cp) else {
                continue;
            };
            if in_bitmap(c) {
                n += 1;
                let (_, _, bad) = SHIFT_JIS.encode(c.encode_utf8(&mut [0; 4]));
                assert!(!bad, "U+{cp:04X}");
            }
        }
        assert!(n > 7000, "{n} characters");
    }

    #[test]
    fn v11_cp932_encodability() {
        assert_eq!(first_unencodable("山田　太郎"), None);
        assert_eq!(first_unencodable("髙橋"), None, "IBM extension is CP932");
        assert_eq!(first_unencodable("𠮷田"), Some('𠮷'));
        assert_eq!(first_unencodable("葛\u{E0100}"), Some('\u{E0100}'));
        assert_eq!(first_unencodable("a\u{E001}"), Some('\u{E001}'));
        assert_eq!(first_unencodable("〜"), Some('〜'));
        assert_eq!(first_unencodable("～"), None);
        assert_eq!(
            first_unencodable("−¥"),
            None,
            "encodable though no pair decodes to them"
        );
        // Long values cross the encoder's buffer.
        let long = "東京都千代田区".repeat(100) + "𠮷";
        assert_eq!(first_unencodable(&long), Some('𠮷'));
    }
}
