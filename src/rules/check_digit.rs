//! Check digits of the numbers on a roster (`../shared/domain.md` §1).
//!
//! - 個人番号: mod 11 with weights 6 5 4 3 2 7 6 5 4 3 2 over the 11-digit base
//!   (総務省令第85号 第5条); remainder 0 or 1 gives check digit 0.
//! - 保険者番号 / 公費負担者番号 / 受給者番号: the MHLW "2-1" mod-10 rule, which is Luhn.
//!
//! All functions take ASCII digit strings; callers check length and character class first
//! (V02) and call these only on well-formed values.

/// The expected check digit of an 11-digit My Number base, or `None` if `base` is not 11 ASCII digits.
pub fn my_number_check_digit(base: &str) -> Option<u8> {
    const WEIGHTS: [u32; 11] = [6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2];
    let b = base.as_bytes();
    if b.len() != 11 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = b
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    let r = sum % 11;
    Some(if r <= 1 { 0 } else { (11 - r) as u8 })
}

/// True for 12 ASCII digits whose last digit is the My Number check digit of the first 11.
pub fn my_number_is_valid(n: &str) -> bool {
    n.len() == 12
        && n.is_char_boundary(11)
        && my_number_check_digit(&n[..11]) == Some(n.as_bytes()[11].wrapping_sub(b'0'))
}

/// The MHLW (Luhn) check digit of a digit body, or `None` if `body` is empty or not ASCII digits.
/// Digits are weighted 2,1,2,1,… from the right; a two-digit product adds its digits.
pub fn mhlw_check_digit(body: &str) -> Option<u8> {
    let b = body.as_bytes();
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = b
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            let p = u32::from(d - b'0') * if i % 2 == 0 { 2 } else { 1 };
            p / 10 + p % 10
        })
        .sum();
    Some(((10 - sum % 10) % 10) as u8)
}

/// True for an all-digit value of length ≥ 2 whose last digit is the MHLW check digit of the rest.
pub fn mhlw_is_valid(n: &str) -> bool {
    let len = n.len();
    len >= 2
        && n.is_char_boundary(len - 1)
        && mhlw_check_digit(&n[..len - 1]) == Some(n.as_bytes()[len - 1].wrapping_sub(b'0'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn v03_known_valid_my_numbers() {
        for n in [
            "123456789018",
            "100000000005",
            "987654321093",
            "314159265352",
            "200000000000",
        ] {
            assert!(my_number_is_valid(n), "{n}");
        }
        for n in [
            "123456789010",
            "12345678901",
            "1234567890188",
            "12345678901a",
            "",
        ] {
            assert!(!my_number_is_valid(n), "{n}");
        }
    }

    #[test]
    fn v04_v05_known_valid_mhlw_numbers() {
        for n in [
            "33120015", "54016027", "12130019", "12271052", "12010013", "1234566", "0000018",
            "7654320", "39130018", "39270012", "01130012", "131003", "133009",
        ] {
            assert!(mhlw_is_valid(n), "{n}");
        }
        // Tokyo's published correction: 88134458 was wrong, 88134457 right.
        assert!(!mhlw_is_valid("88134458"));
        assert!(mhlw_is_valid("88134457"));
        assert!(!mhlw_is_valid("1"));
        assert!(!mhlw_is_valid("12a4566"));
    }

    fn my_number_residue(base: &[u8]) -> u32 {
        const WEIGHTS: [u32; 11] = [6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2];
        base.iter()
            .zip(WEIGHTS)
            .map(|(d, w)| u32::from(d - b'0') * w)
            .sum::<u32>()
            % 11
    }

    fn with_cd_my_number(base: &str) -> String {
        format!("{base}{}", my_number_check_digit(base).unwrap())
    }

    fn with_cd_mhlw(body: &str) -> String {
        format!("{body}{}", mhlw_check_digit(body).unwrap())
    }

    proptest! {
        #[test]
        fn v03_generated_valid_my_number_passes(base in "[0-9]{11}") {
            prop_assert!(my_number_is_valid(&with_cd_my_number(&base)));
        }

        /// A single-digit substitution is caught unless it moves the remainder between 0 and 1
        /// (both give check digit 0) — the algorithm's one blind spot; a substituted check digit
        /// is always caught.
        #[test]
        fn v03_single_substitution_caught_except_residue_collapse(
            base in "[0-9]{11}", pos in 0usize..12, delta in 1u8..10,
        ) {
            let good = with_cd_my_number(&base);
            let mut bad = good.clone().into_bytes();
            bad[pos] = b'0' + (bad[pos] - b'0' + delta) % 10;
            let bad_str = String::from_utf8(bad.clone()).unwrap();
            let r_old = my_number_residue(&good.as_bytes()[..11]);
            let r_new = my_number_residue(&bad[..11]);
            let blind = pos < 11 && r_old <= 1 && r_new <= 1;
            prop_assert_eq!(my_number_is_valid(&bad_str), blind);
        }

        /// Adjacent transpositions of different base digits: same blind spot, nothing else.
        #[test]
        fn v03_adjacent_transposition_caught_except_residue_collapse(
            base in "[0-9]{11}", pos in 0usize..10,
        ) {
            let good = with_cd_my_number(&base);
            let mut bad = good.clone().into_bytes();
            prop_assume!(bad[pos] != bad[pos + 1]);
            bad.swap(pos, pos + 1);
            let r_old = my_number_residue(&good.as_bytes()[..11]);
            let blind = r_old <= 1 && my_number_residue(&bad[..11]) <= 1;
            prop_assert_eq!(my_number_is_valid(&String::from_utf8(bad).unwrap()), blind);
        }

        #[test]
        fn v05_generated_valid_recipient_number_passes(body in "[0-9]{6}") {
            prop_assert!(mhlw_is_valid(&with_cd_mhlw(&body)));
        }

        /// Luhn catches every single-digit substitution.
        #[test]
        fn v04_v05_single_substitution_always_caught(
            body in "[0-9]{6,7}", pos in 0usize..8, delta in 1u8..10,
        ) {
            let good = with_cd_mhlw(&body);
            let pos = pos % good.len();
            let mut bad = good.into_bytes();
            bad[pos] = b'0' + (bad[pos] - b'0' + delta) % 10;
            prop_assert!(!mhlw_is_valid(&String::from_utf8(bad).unwrap()));
        }

        /// Luhn catches every adjacent transposition except 09 ↔ 90.
        #[test]
        fn v04_v05_adjacent_transposition_caught_except_09_90(
            body in "[0-9]{6,7}", pos in 0usize..7,
        ) {
            let good = with_cd_mhlw(&body);
            let pos = pos % (good.len() - 1);
            let mut bad = good.into_bytes();
            let (a, b) = (bad[pos], bad[pos + 1]);
            prop_assume!(a != b);
            bad.swap(pos, pos + 1);
            let blind = matches!((a, b), (b'0', b'9') | (b'9', b'0'));
            prop_assert_eq!(mhlw_is_valid(&String::from_utf8(bad).unwrap()), blind);
        }
    }
}
