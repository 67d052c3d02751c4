//! What a review file may show of a value: My Numbers masked, control characters escaped,
//! over-long values cut, spreadsheet formulas defused. Every writer of a review file (findings,
//! results, corrections.csv, summary.json, report.html) and every log line goes through here;
//! only `--unmask` (findings and results) and the re-import files under `corrections/` show a
//! My Number in full.

use std::borrow::Cow;

/// A field longer than this many bytes is a finding (V02 for roster fields) and is cut in
/// every output (contract, "Inputs are regular files").
pub const MAX_FIELD_BYTES: usize = 4096;

/// Characters of an over-long value kept in the outputs.
pub const CUT_CHARS: usize = 64;

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

fn is_digit(c: char) -> bool {
    c.is_ascii_digit() || ('０'..='９').contains(&c)
}

fn is_separator(c: char) -> bool {
    matches!(c, '-' | '－' | 'ー' | '‐' | '−' | ' ' | '　')
}

/// At least 11 digits (ASCII or full-width): the only values [`mask_number_runs`] can change.
fn has_eleven_digits(s: &str) -> bool {
    let mut n = 0;
    for c in s.chars() {
        if is_digit(c) {
            n += 1;
            if n >= 11 {
                return true;
            }
        }
    }
    false
}

/// Masks (`********1234`) every digit but the last 4 of
/// - a run of 11 or more digits (ASCII or full-width): a My Number, or one with a digit too
///   many or too few (Excel's dropped leading zero, an 11-digit 住民票コード), wherever it
///   stands: in a wrong column (保険者番号, 郵便番号 …), inside a message, in a file name;
/// - three groups of 4 digits joined by single hyphens or spaces (`1234-5678-9018`).
///
/// This covers the contract's rule (every 12-digit run with a valid check digit) and the near
/// misses. Dates (8 digits), 保険者番号 (6 or 8) and 受給者番号 (7) stay as they are.
pub fn mask_number_runs(s: &str) -> Cow<'_, str> {
    if !has_eleven_digits(s) {
        return Cow::Borrowed(s);
    }
    let chars: Vec<char> = s.chars().collect();
    let mut out = chars.clone();
    let mut i = 0;
    while i < chars.len() {
        if !is_digit(chars[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && is_digit(chars[i]) {
            i += 1;
        }
        let mut end = i;
        let mut digits = end - start;
        // 4-4-4 groups with one separator between them.
        if digits == 4 {
            let mut groups = 1;
            let mut j = end;
            while groups < 3
                && j + 4 < chars.len()
                && is_separator(chars[j])
                && chars[j + 1..j + 5].iter().all(|c| is_digit(*c))
                && chars.get(j + 5).is_none_or(|c| !is_digit(*c))
            {
                groups += 1;
                j += 5;
            }
            if groups == 3 {
                end = j;
                digits = 12;
                i = j;
            }
        }
        if digits >= 11 {
            let mut left = digits - 4;
            for c in &mut out[start..end] {
                if left == 0 {
                    break;
                }
                if is_digit(*c) {
                    *c = '*';
                    left -= 1;
                }
            }
        }
    }
    Cow::Owned(out.into_iter().collect())
}

/// A control character (C0, DEL, C1) is never written raw to a review file: NUL, a stray
/// escape or a bell would corrupt what a clerk sees, and CR/LF/TAB inside a value would split
/// a cell in a viewer that does not honour quotes.
fn is_control(c: char) -> bool {
    c.is_control()
}

/// Control characters shown escaped: `\x00`, `\x1b`, `\x85` (a backslash in the data is left as
/// it is; the escapes are for reading, not for parsing back).
pub fn escape_controls(s: &str) -> Cow<'_, str> {
    escape_where(s, is_control)
}

/// `s` with every character `escape` says is a control shown as `\xNN`.
fn escape_where(s: &str, escape: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !s.chars().any(&escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if escape(c) {
            out.push_str(&format!("\\x{:02x}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A value of more than [`MAX_FIELD_BYTES`] bytes as it appears in the outputs: its first
/// [`CUT_CHARS`] characters and its size (`bytes`: the size in the input file).
pub fn cut_value(value: &str, bytes: usize) -> String {
    let head: String = value.chars().take(CUT_CHARS).collect();
    format!("{head}…（{bytes} バイト）")
}

/// [`cut_value`] for a value that is over the limit; others unchanged.
pub fn cut_long(value: &str) -> Cow<'_, str> {
    if value.len() > MAX_FIELD_BYTES {
        Cow::Owned(cut_value(value, value.len()))
    } else {
        Cow::Borrowed(value)
    }
}

/// A value Excel or LibreOffice would run as a formula (`=`, `+`, `-`, `@`, TAB or CR first)
/// and that is not a plain number (`-5`, `+81`, `-1.5` stay): the contract's "no live formulas"
/// rule (OWASP's CSV-injection defence). A lone `-` is results.csv's "not compared" and is text
/// to every spreadsheet.
fn is_formula(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if !matches!(first, '=' | '+' | '-' | '@' | '\t' | '\r') || s == "-" {
        return false;
    }
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (int, frac) = body.split_once('.').unwrap_or((body, "0"));
    let plain = !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && !frac.is_empty()
        && frac.bytes().all(|b| b.is_ascii_digit());
    !plain
}

/// One cell of a review file (findings.csv, results.csv, corrections.csv, the review
/// workbook): control characters escaped, over-long values cut, My Numbers masked when `mask`,
/// and a formula given a leading `'` so a spreadsheet shows it as text.
pub fn review_cell(s: &str, mask: bool) -> Cow<'_, str> {
    let mut v = escape_controls(s);
    if v.len() > MAX_FIELD_BYTES {
        v = Cow::Owned(cut_value(&v, s.len()));
    }
    if mask && let Cow::Owned(m) = mask_number_runs(&v) {
        v = Cow::Owned(m);
    }
    if is_formula(&v) {
        v = Cow::Owned(format!("'{v}"));
    }
    v
}

/// A log line: no My Number, no control character, whatever the flags (logs are never
/// unmasked).
pub fn log_line(s: &str) -> Cow<'_, str> {
    match mask_number_runs(s) {
        Cow::Borrowed(b) => escape_controls_keep_newlines(b),
        Cow::Owned(o) => Cow::Owned(escape_controls_keep_newlines(&o).into_owned()),
    }
}

/// [`escape_controls`] except line breaks and tabs: a log message may span lines on purpose.
fn escape_controls_keep_newlines(s: &str) -> Cow<'_, str> {
    escape_where(s, |c| is_control(c) && !matches!(c, '\n' | '\t'))
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

    #[test]
    fn masks_number_runs_as_findings_csv_does() {
        assert_eq!(
            mask_number_runs("番号 123456789018 です"),
            "番号 ********9018 です"
        );
        assert_eq!(
            mask_number_runs("１２３４５６７８９０１８"),
            "********９０１８"
        );
        assert_eq!(mask_number_runs("1234-5678-9018"), "****-****-9018");
        assert_eq!(mask_number_runs("1234 5678 9018"), "**** **** 9018");
        // 11 digits (a 住民票コード) and 13 digits are masked like the number field.
        assert_eq!(mask_number_runs("12345678901"), "*******8901");
        assert_eq!(mask_number_runs("1234567890123"), "*********0123");
        // Dates, 保険者番号, 受給者番号, two dates in a row, an already masked number.
        for keep in [
            "取得 20200401・継続中",
            "保険者番号 12130019・受給者番号 0001016",
            "20200401 20210401",
            "1234-5678",
            "********9018",
            "12345-67890-12345",
        ] {
            assert_eq!(mask_number_runs(keep), keep);
        }
    }

    #[test]
    fn review_cells_defuse_formulas_but_keep_numbers_and_dashes() {
        for (value, want) in [
            (
                "=HYPERLINK(\"http://x\",\"y\")",
                "'=HYPERLINK(\"http://x\",\"y\")",
            ),
            ("+81 3 1234", "'+81 3 1234"),
            ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "\\x09=1"),
            ("-5", "-5"),
            ("+81", "+81"),
            ("-1.5", "-1.5"),
            ("-", "-"),
            ("山田　太郎", "山田　太郎"),
            ("1-2-3", "1-2-3"),
            ("", ""),
        ] {
            assert_eq!(review_cell(value, true), want, "{value:?}");
        }
    }

    #[test]
    fn review_cells_mask_escape_and_cut() {
        // python-stdnum `stdnum.jp.in_.is_valid('123456789018')` is True: a real-looking number
        // in a wrong column.
        assert_eq!(review_cell("123456789018", true), "********9018");
        assert_eq!(review_cell("123456789018", false), "123456789018");
        assert_eq!(review_cell("a\u{0}b\u{1b}[2J", true), "a\\x00b\\x1b[2J");
        let long = "あ".repeat(5000);
        let cut = review_cell(&long, true);
        assert_eq!(cut, format!("{}…（15000 バイト）", "あ".repeat(64)));
        // Nothing to do: borrowed, no allocation.
        assert!(matches!(
            review_cell("東京都千代田区", true),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn log_lines_are_always_masked_and_keep_line_breaks() {
        assert_eq!(
            log_line("番号 123456789018 が\n2行目\u{7}"),
            "番号 ********9018 が\n2行目\\x07"
        );
    }
}
