//! Number and code fields: 保険者番号 (V02, V04), 受給者番号 (V02, V05), ケース番号,
//! 世帯員番号, 個人番号 (V02, V03), 性別 (V08), 郵便番号 (V13), 社会保険状況 (V02).

use super::Checker;
use super::check_digit::{mhlw_check_digit, my_number_check_digit, my_number_is_valid};
use crate::findings::{Action, Code};
use crate::normalize::width::to_ascii;
use crate::schema::RosterKey;

/// Folds full-width digits/letters to ASCII. Returns the folded value and whether it changed.
fn folded(c: &Checker, k: RosterKey) -> (String, bool) {
    match to_ascii(c.value(k)) {
        std::borrow::Cow::Borrowed(v) => (v.to_string(), false),
        std::borrow::Cow::Owned(v) => (v, true),
    }
}

fn first_non_digit(s: &str) -> Option<char> {
    s.chars().find(|c| !c.is_ascii_digit())
}

/// Up to 16 ASCII digits held on the stack (a clean row's numbers allocate nothing).
struct Digits {
    buf: [u8; 16],
    len: usize,
}

impl Digits {
    fn new(s: &str) -> Option<Digits> {
        let mut buf = [0u8; 16];
        buf.get_mut(..s.len())?.copy_from_slice(s.as_bytes());
        Some(Digits { buf, len: s.len() })
    }
}

impl std::ops::Deref for Digits {
    type Target = str;
    fn deref(&self) -> &str {
        // Only ever built from ASCII digits.
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or_default()
    }
}

/// V02 for a fixed-length digit field (at most 16). Returns the digits when the value is (or
/// was fixed to) exactly `len` ASCII digits. `padded_ok`: a value with fewer digits whose
/// zero-padded form passes it lost its leading zeros to a spreadsheet (Excel stores the column
/// as a number); the padded value is proposed (修正要確認) and returned.
fn digits(
    c: &mut Checker,
    k: RosterKey,
    len: usize,
    what: &str,
    padded_ok: Option<&dyn Fn(&str) -> bool>,
) -> Option<Digits> {
    // Fast path: already `len` ASCII digits (the clean row).
    let v = c.value(k);
    if v.len() == len && v.bytes().all(|b| b.is_ascii_digit()) {
        return Digits::new(v);
    }
    let (s, changed) = folded(c, k);
    if let Some(bad) = first_non_digit(&s) {
        c.issue(
            Code::V02,
            k,
            Action::Review,
            format!(
                "{shown}に数字以外の文字「{bad}」があります。{what}",
                shown = c.shown(k)
            ),
        );
        return None;
    }
    let n = s.chars().count();
    if let Some(ok) = padded_ok
        && (1..len).contains(&n)
    {
        let padded = format!("{s:0>len$}");
        if ok(&padded) {
            c.issue(
                Code::V02,
                k,
                Action::Review,
                format!(
                    "{shown}は{n}桁です。Excel などで数値として保存され、先頭の 0 が落ちた可能性があります。{len}桁の {padded} を提案します（検証番号は合っています）。元の書類で確認してください",
                    shown = c.shown(k)
                ),
            );
            c.set(k, padded.clone());
            return Digits::new(&padded);
        }
    }
    if n != len {
        c.issue(
            Code::V02,
            k,
            Action::Review,
            format!("{shown}は{n}桁です。{what}", shown = c.shown(k)),
        );
        return None;
    }
    if changed {
        c.issue(
            Code::V02,
            k,
            Action::Fix,
            format!(
                "{shown}は全角数字です。半角の {} にします",
                shown_fixed(k, &s, c.ctx.unmask),
                shown = c.shown(k)
            ),
        );
        c.set(k, s.clone());
    }
    Digits::new(&s)
}

fn shown_fixed(k: RosterKey, v: &str, unmask: bool) -> String {
    if k == RosterKey::MyNumber {
        crate::findings::mask::show_my_number(v, unmask)
    } else {
        v.to_string()
    }
}

pub(super) fn insurer_no(c: &mut Checker) {
    let k = RosterKey::InsurerNo;
    // No zero-padding proposal: a welfare 保険者番号 begins with its 法別番号 12, so it has no
    // leading zero to lose, and a padded value would fail V04 at once.
    let Some(s) = digits(c, k, 8, "8桁の数字（公費負担者番号）が必要です", None)
    else {
        return;
    };
    let mut problems = Vec::new();
    if &s[..2] != "12" {
        problems.push(format!(
            "法別番号が「{}」です。生活保護（医療扶助）は 12 です",
            &s[..2]
        ));
    }
    let pref: u32 = s[2..4].parse().unwrap_or(0);
    if !(1..=47).contains(&pref) {
        problems.push(format!("都道府県番号「{}」は 01–47 の範囲外です", &s[2..4]));
    }
    if let Some(cd) = mhlw_check_digit(&s[..7])
        && s.as_bytes()[7] - b'0' != cd
    {
        problems.push(format!(
            "検証番号が「{}」です。正しくは「{cd}」です",
            &s[7..]
        ));
    }
    if !problems.is_empty() {
        c.issue(
            Code::V04,
            k,
            Action::Review,
            format!("{shown}: {}", problems.join("。"), shown = c.shown(k)),
        );
    }
}

pub(super) fn recipient_no(c: &mut Checker) {
    let k = RosterKey::RecipientNo;
    let ok = |p: &str| mhlw_check_digit(&p[..6]) == Some(p.as_bytes()[6] - b'0');
    let Some(s) = digits(c, k, 7, "7桁の数字が必要です", Some(&ok)) else {
        return;
    };
    if let Some(cd) = mhlw_check_digit(&s[..6])
        && s.as_bytes()[6] - b'0' != cd
    {
        c.issue(
            Code::V05,
            k,
            Action::Review,
            format!(
                "{shown}の検証番号が「{}」です。正しくは「{cd}」です（受給者番号を確認してください）",
                &s[6..], shown = c.shown(k)),
        );
    }
}

pub(super) fn case_no(c: &mut Checker) {
    let k = RosterKey::CaseNo;
    let v = c.value(k);
    if v.len() <= 10 && v.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return;
    }
    let (s, changed) = folded(c, k);
    let want = "半角英数字1–10桁が必要です";
    if let Some(bad) = s.chars().find(|ch| !ch.is_ascii_alphanumeric()) {
        c.issue(
            Code::V02,
            k,
            Action::Review,
            format!(
                "{shown}に英数字以外の文字「{bad}」があります。{want}",
                shown = c.shown(k)
            ),
        );
    } else if s.len() > 10 {
        c.issue(
            Code::V02,
            k,
            Action::Review,
            format!("{shown}は{}桁です。{want}", s.len(), shown = c.shown(k)),
        );
    } else if changed {
        c.issue(
            Code::V02,
            k,
            Action::Fix,
            format!("{shown}は全角です。半角の {s} にします", shown = c.shown(k)),
        );
        c.set(k, s);
    }
}

pub(super) fn member_no(c: &mut Checker) {
    let k = RosterKey::MemberNo;
    let v = c.value(k);
    if v.len() == 2 && v != "00" && v.bytes().all(|b| b.is_ascii_digit()) {
        return;
    }
    let (s, changed) = folded(c, k);
    let want = "2桁の数字（01 が世帯主）が必要です";
    if let Some(bad) = first_non_digit(&s) {
        c.issue(
            Code::V02,
            k,
            Action::Review,
            format!(
                "{shown}に数字以外の文字「{bad}」があります。{want}",
                shown = c.shown(k)
            ),
        );
    } else if s.len() == 1 && s != "0" {
        let fixed = format!("0{s}");
        c.issue(
            Code::V02,
            k,
            Action::Fix,
            format!(
                "{shown}は1桁です。2桁の {fixed} にします",
                shown = c.shown(k)
            ),
        );
        c.set(k, fixed);
    } else if s.len() != 2 || s == "00" {
        c.issue(
            Code::V02,
            k,
            Action::Review,
            format!("{shown}は使えません。{want}", shown = c.shown(k)),
        );
    } else if changed {
        c.issue(
            Code::V02,
            k,
            Action::Fix,
            format!(
                "{shown}は全角数字です。半角の {s} にします",
                shown = c.shown(k)
            ),
        );
        c.set(k, s);
    }
}

/// A 12-digit value of one repeated digit (`000000000000`, `999999999999`): a placeholder typed
/// where the number was not known. Some pass the check digit, none is a My Number.
fn is_placeholder(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 12 && b[0].is_ascii_digit() && b.iter().all(|&x| x == b[0])
}

/// A number in Excel's scientific format (`6.21498E+11`, `6.21498320257E+11`): its mantissa's
/// digits and the power of ten. None for anything else.
fn scientific(s: &str) -> Option<(String, usize)> {
    let (mantissa, exp) = s.split_once(['E', 'e'])?;
    let exp: usize = exp.strip_prefix('+').unwrap_or(exp).parse().ok()?;
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    (int.len() == 1 && all(int) && all(frac)).then(|| (format!("{int}{frac}"), exp))
}

/// V02 for what a spreadsheet does to a My Number: placeholder runs, a `.0` suffix (a number
/// column written as decimals), scientific notation (digits lost, or all 12 still there). True
/// when the value was dealt with.
fn my_number_excel(c: &mut Checker, k: RosterKey, s: &str) -> bool {
    if is_placeholder(s) {
        c.issue(
            Code::V02,
            k,
            Action::Review,
            format!(
                "「{}」は同じ数字の繰り返しで、個人番号ではありません（仮の値）。番号が分からないときは空欄にしてください（空欄にして氏名・生年月日・性別・住所で住基を探します）",
                // Not a number, so nothing to hide; the same text with or without --unmask
                // (findings.csv masks any 12-digit run anyway), so the 所見ID is the same too.
                s
            ),
        );
        c.set(k, String::new());
        return true;
    }
    if let Some(digits) = s.strip_suffix(".0").filter(|d| my_number_is_valid(d)) {
        let shown = crate::findings::mask::show_my_number(digits, c.ctx.unmask);
        c.issue(
            Code::V02,
            k,
            Action::Review,
            format!(
                "個人番号が Excel などで小数として保存され、末尾に「.0」が付いています。12桁の {shown} を提案します（検査用数字は合っています）。列を文字列にして保存してください"
            ),
        );
        c.set(k, digits.to_string());
        return true;
    }
    let Some((digits, exp)) = scientific(s) else {
        return false;
    };
    let significant = digits.len();
    let whole = exp + 1;
    if whole == 12 && significant == 12 && my_number_is_valid(&digits) {
        let shown = crate::findings::mask::show_my_number(&digits, c.ctx.unmask);
        c.issue(
            Code::V02,
            k,
            Action::Review,
            format!(
                "個人番号が Excel の指数表示（E+{exp}）で保存されています。12桁はそろっているので {shown} を提案します（検査用数字は合っています）。列を文字列にして保存してください"
            ),
        );
        c.set(k, digits);
    } else {
        c.issue(
            Code::V02,
            k,
            Action::Review,
            format!(
                "個人番号が Excel の指数表示（有効数字{significant}桁、E+{exp}）で保存され、{whole}桁の番号のうち{}桁が失われています。元に戻せないため、元の書類か住基から番号を入れ直し、列を文字列にして保存してください",
                whole.saturating_sub(significant)
            ),
        );
    }
    true
}

pub(super) fn my_number(c: &mut Checker) {
    let k = RosterKey::MyNumber;
    if my_number_is_valid(c.value(k)) && !is_placeholder(c.value(k)) {
        return;
    }
    let (s, _) = folded(c, k);
    if my_number_excel(c, k, &s) {
        return;
    }
    // Separators people type into a My Number: hyphens and spaces.
    let stripped: String = s.chars().filter(|ch| !matches!(ch, '-' | ' ')).collect();
    if is_placeholder(&stripped) && my_number_excel(c, k, &stripped) {
        return;
    }
    let want = "12桁の数字（または空欄）が必要です";
    if let Some(bad) = first_non_digit(&stripped) {
        c.issue(
            Code::V02,
            k,
            Action::Review,
            format!(
                "{shown}に数字以外の文字「{bad}」があります。{want}",
                shown = c.shown(k)
            ),
        );
        return;
    }
    let n = stripped.len();
    let zero = format!("0{stripped}");
    if n == 11 && my_number_is_valid(&zero) {
        let shown = crate::findings::mask::show_my_number(&zero, c.ctx.unmask);
        c.issue(
            Code::V02,
            k,
            Action::Review,
            format!(
                "{shown_v}は11桁です。Excel などで数値として保存され、先頭の 0 が落ちた可能性があります。先頭に 0 を付けた {shown} を提案します（検査用数字は合っています）。本人の番号か確認してください",
                shown_v = c.shown(k)
            ),
        );
        c.set(k, zero);
        return;
    }
    if n != 12 {
        let hint = if n == 11 {
            "（11桁は住民票コードの可能性があります）"
        } else {
            ""
        };
        c.issue(
            Code::V02,
            k,
            Action::Review,
            format!("{shown}は{n}桁です{hint}。{want}", shown = c.shown(k)),
        );
        return;
    }
    if stripped != c.value(k) {
        let fixed_shown = shown_fixed(k, &stripped, c.ctx.unmask);
        c.issue(
            Code::V02,
            k,
            Action::Fix,
            format!(
                "{shown}に全角数字または区切り文字があります。{fixed_shown} にします",
                shown = c.shown(k)
            ),
        );
        c.set(k, stripped.clone());
    }
    if let Some(cd) = my_number_check_digit(&stripped[..11])
        && stripped.as_bytes()[11] - b'0' != cd
    {
        c.issue(
            Code::V03,
            k,
            Action::Review,
            format!(
                "{shown}の検査用数字（12桁目）が正しくありません。番号の誤記か別人の番号の可能性があります。住基で確認してください", shown = c.shown(k)),
        );
    }
}

pub(super) fn sex(c: &mut Checker) {
    let k = RosterKey::Sex;
    if matches!(c.value(k), "1" | "2") {
        return;
    }
    let (s, changed) = folded(c, k);
    match s.as_str() {
        "1" | "2" if changed => {
            c.issue(
                Code::V02,
                k,
                Action::Fix,
                format!("{shown}は全角数字です。半角の {s} にします", shown = c.shown(k)),
            );
            c.set(k, s);
        }
        "1" | "2" => {}
        "男" | "男性" | "女" | "女性" => {
            let code = if s.starts_with('男') { "1" } else { "2" };
            c.issue(
                Code::V08,
                k,
                Action::Fix,
                format!("{shown}は性別コードではありません。コード {code} にします", shown = c.shown(k)),
            );
            c.set(k, code.to_string());
        }
        "0" | "9" => c.issue(
            Code::V08,
            k,
            Action::Review,
            format!(
                "{shown}は使えません（0 不明・9 適用不能 は登録できません）。1（男）または 2（女）が必要です", shown = c.shown(k)),
        ),
        _ => c.issue(
            Code::V08,
            k,
            Action::Review,
            format!("{shown}は性別コードではありません。1（男）または 2（女）が必要です", shown = c.shown(k)),
        ),
    }
}

/// A postcode that Excel stored as a number (060-0001 → 600001): the zero-padded 7 digits, when
/// the address's prefecture is one whose postcodes start with 0 and with those digits
/// (北海道 00・04–09, 秋田県 01, 岩手県 02, 青森県 03). Elsewhere a short postcode is a typo.
fn lost_zeros_postcode(body: &str, address: &str) -> Option<String> {
    if !(5..7).contains(&body.len()) || !body.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let padded = format!("{body:0>7}");
    let second = padded.as_bytes()[1];
    let pref = match second {
        b'0' | b'4'..=b'9' => "北海道",
        b'1' => "秋田県",
        b'2' => "岩手県",
        _ => "青森県",
    };
    address.trim_start().starts_with(pref).then_some(padded)
}

pub(super) fn postcode(c: &mut Checker) {
    let k = RosterKey::Postcode;
    let v = c.value(k);
    if v.len() == 7 && v.bytes().all(|b| b.is_ascii_digit()) {
        return;
    }
    let (s, _) = folded(c, k);
    let body = s.trim_start_matches('〒').trim();
    let digits: String = body.chars().filter(|ch| *ch != '-').collect();
    let well_placed = body.len() == 8 && body.as_bytes()[3] == b'-';
    let ok_digits = digits.len() == 7 && digits.bytes().all(|b| b.is_ascii_digit());
    if ok_digits && (body == digits || well_placed) {
        if digits != c.value(k) {
            c.issue(
                Code::V13,
                k,
                Action::Fix,
                format!(
                    "{shown}を7桁の数字 {digits} にします（ハイフン・〒・全角数字を除く）",
                    shown = c.shown(k)
                ),
            );
            c.set(k, digits);
        }
    } else if let Some(padded) = lost_zeros_postcode(body, c.value(RosterKey::Address)) {
        c.issue(
            Code::V13,
            k,
            Action::Review,
            format!(
                "{shown}は{}桁です。Excel などで数値として保存され、先頭の 0 が落ちた可能性があります。7桁の {padded} を提案します（住所の都道府県と合います）。確認してください",
                body.len(),
                shown = c.shown(k)
            ),
        );
        c.set(k, padded);
    } else {
        c.issue(
            Code::V13,
            k,
            Action::Review,
            format!(
                "{shown}は郵便番号の形ではありません。7桁の数字が必要です",
                shown = c.shown(k)
            ),
        );
    }
}

pub(super) fn social_insurance(c: &mut Checker) {
    let k = RosterKey::SocialInsurance;
    if matches!(c.value(k), "0" | "1") {
        return;
    }
    let (s, changed) = folded(c, k);
    match s.as_str() {
        "0" | "1" if changed => {
            c.issue(
                Code::V02,
                k,
                Action::Fix,
                format!(
                    "{shown}は全角数字です。半角の {s} にします",
                    shown = c.shown(k)
                ),
            );
            c.set(k, s);
        }
        "0" | "1" => {}
        _ => c.issue(
            Code::V02,
            k,
            Action::Review,
            format!(
                "{shown}は使えません。0（他の医療保険なし）または 1（被用者保険と併用）が必要です",
                shown = c.shown(k)
            ),
        ),
    }
}
