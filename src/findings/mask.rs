//! Masking of My Numbers (個人番号 are 特定個人情報). Every writer except the correction files,
//! and every log line, goes through here.

/// `123456789018` → `********9018`. Any value is masked to its last 4 characters, so a
/// malformed number (11 digits, spaces) does not leak either; values of 4 or fewer characters
/// are fully starred.
pub fn mask_my_number(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    let n = chars.len();
    if n <= 4 {
        return "*".repeat(n);
    }
    let mut out = "*".repeat(n - 4);
    out.extend(&chars[n - 4..]);
    out
}

/// Masks a My Number unless the run was asked for full numbers (`--unmask`).
pub fn show_my_number(value: &str, unmask: bool) -> String {
    if unmask {
        value.to_string()
    } else {
        mask_my_number(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_all_but_last_four() {
        assert_eq!(mask_my_number("123456789018"), "********9018");
        assert_eq!(
            mask_my_number("１２３４５６７８９０１８"),
            "********９０１８"
        );
        assert_eq!(mask_my_number("1234"), "****");
        assert_eq!(mask_my_number(""), "");
        assert_eq!(show_my_number("123456789018", true), "123456789018");
    }
}
