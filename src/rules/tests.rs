//! Table tests per entry rule: a clean base row, one field changed, the codes, actions and
//! fixed values that must come out.

use super::*;
use crate::findings::{Action, Code};
use crate::schema::{LayoutKind, RosterKey as K};

const BASE: [&str; 14] = [
    "12130019",
    "1000017",
    "A0001",
    "01",
    "123456789018",
    "山田　太郎",
    "ヤマダ　タロウ",
    "19450312",
    "1",
    "1000001",
    "東京都千代田区千代田１丁目１番",
    "20200401",
    "",
    "0",
];

fn ctx() -> RuleContext {
    RuleContext {
        as_of: Ymd::new(2026, 11, 21).unwrap(),
        unmask: false,
    }
}

fn check_with(changes: &[(K, &str)]) -> RowCheck {
    let mut v = BASE;
    for (k, val) in changes {
        v[k.index()] = val;
    }
    check_roster_row(&v, &Layout::builtin(LayoutKind::Roster), ctx())
}

fn codes(r: &RowCheck) -> Vec<(Code, K, Action)> {
    r.issues
        .iter()
        .map(|i| (i.code, i.field, i.action))
        .collect()
}

#[test]
fn base_row_is_clean() {
    let r = check_with(&[]);
    assert!(r.issues.is_empty(), "{:?}", r.issues);
    assert!(!r.needs_change());
    assert!(K::ALL.iter().all(|k| r.fixed(*k).is_none()));
}

/// (change, expected (code, field, action) list, expected fixed value of that field)
#[test]
fn every_rule_table() {
    use Action::{Fix, Review};
    type Case<'a> = (K, &'a str, Vec<(Code, K, Action)>, Option<&'a str>);
    let cases: Vec<Case> = vec![
        (K::Name, "", vec![(Code::V01, K::Name, Review)], None),
        (K::LostOn, "", vec![], None),
        (K::MyNumber, "", vec![], None),
        (K::Postcode, "", vec![], None),
        (K::Sex, " ", vec![(Code::V01, K::Sex, Review)], Some("")),
        (
            K::InsurerNo,
            "1213001",
            vec![(Code::V02, K::InsurerNo, Review)],
            None,
        ),
        (
            K::InsurerNo,
            "１２１３００１９",
            vec![(Code::V02, K::InsurerNo, Fix)],
            Some("12130019"),
        ),
        (
            K::InsurerNo,
            "13130018",
            vec![(Code::V04, K::InsurerNo, Review)],
            None,
        ),
        (
            K::InsurerNo,
            "12480017",
            vec![(Code::V04, K::InsurerNo, Review)],
            None,
        ),
        (
            K::InsurerNo,
            "12130018",
            vec![(Code::V04, K::InsurerNo, Review)],
            None,
        ),
        (
            K::RecipientNo,
            "1000018",
            vec![(Code::V05, K::RecipientNo, Review)],
            None,
        ),
        (
            K::RecipientNo,
            "10000１7",
            vec![(Code::V02, K::RecipientNo, Fix)],
            Some("1000017"),
        ),
        (
            K::CaseNo,
            "Ａ０００１",
            vec![(Code::V02, K::CaseNo, Fix)],
            Some("A0001"),
        ),
        (
            K::CaseNo,
            "A-0001",
            vec![(Code::V02, K::CaseNo, Review)],
            None,
        ),
        (
            K::CaseNo,
            "A0001234567",
            vec![(Code::V02, K::CaseNo, Review)],
            None,
        ),
        (
            K::MemberNo,
            "2",
            vec![(Code::V02, K::MemberNo, Fix)],
            Some("02"),
        ),
        (
            K::MemberNo,
            "00",
            vec![(Code::V02, K::MemberNo, Review)],
            None,
        ),
        (
            K::MyNumber,
            "123456789010",
            vec![(Code::V03, K::MyNumber, Review)],
            None,
        ),
        (
            K::MyNumber,
            "1234-5678-9018",
            vec![(Code::V02, K::MyNumber, Fix)],
            Some("123456789018"),
        ),
        (
            K::MyNumber,
            "１２３４５６７８９０１８",
            vec![(Code::V02, K::MyNumber, Fix)],
            Some("123456789018"),
        ),
        (
            K::MyNumber,
            "12345678901",
            vec![(Code::V02, K::MyNumber, Review)],
            None,
        ),
        // What Excel does to numbers. My Numbers and Luhn check digits computed by python-stdnum
        // 1.20 (`stdnum.jp.in_`, `stdnum.luhn`): 056789012348 and 621498320257 are valid,
        // 0123455 passes the MHLW (Luhn) rule.
        (
            K::MyNumber,
            "56789012348",
            vec![(Code::V02, K::MyNumber, Review)],
            Some("056789012348"),
        ),
        (
            K::MyNumber,
            "6.21498E+11",
            vec![(Code::V02, K::MyNumber, Review)],
            None,
        ),
        (
            K::MyNumber,
            "6.21498320257E+11",
            vec![(Code::V02, K::MyNumber, Review)],
            Some("621498320257"),
        ),
        (
            K::MyNumber,
            "621498320257.0",
            vec![(Code::V02, K::MyNumber, Review)],
            Some("621498320257"),
        ),
        (
            K::MyNumber,
            "000000000000",
            vec![(Code::V02, K::MyNumber, Review)],
            Some(""),
        ),
        (
            K::MyNumber,
            "9999-9999-9999",
            vec![(Code::V02, K::MyNumber, Review)],
            Some(""),
        ),
        (
            K::RecipientNo,
            "123455",
            vec![(Code::V02, K::RecipientNo, Review)],
            Some("0123455"),
        ),
        (
            K::RecipientNo,
            "123456",
            vec![(Code::V02, K::RecipientNo, Review)],
            None,
        ),
        // A 保険者番号 starts with 法別番号 12: no leading zero to lose, so 7 digits are only
        // too short, even when 0 + the digits would pass the MHLW check digit (01213008).
        (
            K::InsurerNo,
            "1213008",
            vec![(Code::V02, K::InsurerNo, Review)],
            None,
        ),
        (
            K::BirthDate,
            "20230230",
            vec![(Code::V06, K::BirthDate, Review)],
            None,
        ),
        (
            K::BirthDate,
            "平成32年1月1日",
            vec![(Code::V06, K::BirthDate, Review)],
            None,
        ),
        (
            K::BirthDate,
            "S20.3.12",
            vec![(Code::V07, K::BirthDate, Fix)],
            Some("19450312"),
        ),
        (
            K::BirthDate,
            "昭和20年3月12日",
            vec![(Code::V07, K::BirthDate, Fix)],
            Some("19450312"),
        ),
        (
            K::BirthDate,
            "1945/3/12",
            vec![(Code::V07, K::BirthDate, Fix)],
            Some("19450312"),
        ),
        (
            K::BirthDate,
            "１９４５０３１２",
            vec![(Code::V07, K::BirthDate, Fix)],
            Some("19450312"),
        ),
        (K::Sex, "3", vec![(Code::V08, K::Sex, Review)], None),
        (K::Sex, "0", vec![(Code::V08, K::Sex, Review)], None),
        (K::Sex, "男", vec![(Code::V08, K::Sex, Fix)], Some("1")),
        (K::Sex, "１", vec![(Code::V02, K::Sex, Fix)], Some("1")),
        (
            K::NameKana,
            "ﾔﾏﾀﾞ　ﾀﾛｳ",
            vec![(Code::V09, K::NameKana, Fix)],
            Some("ヤマダ　タロウ"),
        ),
        (
            K::NameKana,
            "やまだ　たろう",
            vec![(Code::V09, K::NameKana, Fix)],
            Some("ヤマダ　タロウ"),
        ),
        (
            K::NameKana,
            "山田　タロウ",
            vec![(Code::V09, K::NameKana, Review)],
            None,
        ),
        (
            K::NameKana,
            "ﾔﾏﾀﾞ ﾀﾛｳ",
            vec![(Code::V09, K::NameKana, Fix), (Code::V10, K::NameKana, Fix)],
            Some("ヤマダ　タロウ"),
        ),
        (
            K::Name,
            "山田 太郎",
            vec![(Code::V10, K::Name, Fix)],
            Some("山田　太郎"),
        ),
        (
            K::Name,
            "山田　　太郎",
            vec![(Code::V10, K::Name, Fix)],
            Some("山田　太郎"),
        ),
        (
            K::Name,
            "山田太郎",
            vec![(Code::V10, K::Name, Review)],
            None,
        ),
        // Foreign residents' names of three or more parts, as the 住民票 records them: valid
        // with single full-width spaces (contract), fixed like two parts otherwise.
        (
            K::Name,
            "ＳＭＩＴＨ　ＪＯＨＮ　ＭＩＣＨＡＥＬ",
            vec![],
            None,
        ),
        (K::NameKana, "グエン　ヴァン　アン", vec![], None),
        (
            K::Name,
            "グエン ヴァン アン",
            vec![(Code::V10, K::Name, Fix)],
            Some("グエン　ヴァン　アン"),
        ),
        (
            K::Name,
            "ＳＭＩＴＨ　ＪＯＨＮ　　ＭＩＣＨＡＥＬ",
            vec![(Code::V10, K::Name, Fix)],
            Some("ＳＭＩＴＨ　ＪＯＨＮ　ＭＩＣＨＡＥＬ"),
        ),
        (
            K::Name,
            "ｼﾞｮﾝ　SMITH",
            vec![(Code::V02, K::Name, Fix)],
            Some("ジョン　ＳＭＩＴＨ"),
        ),
        (
            K::Name,
            "𠮷田　太郎",
            vec![(Code::V11, K::Name, Review)],
            None,
        ),
        (
            K::Name,
            "\u{E000}田　太郎",
            vec![(Code::V11, K::Name, Review)],
            None,
        ),
        (
            K::Address,
            "東京都千代田区千代田〜１",
            vec![(Code::V11, K::Address, Review)],
            None,
        ),
        (
            K::Address,
            "東京都千代田区千代田1-1",
            vec![(Code::V02, K::Address, Fix)],
            Some("東京都千代田区千代田１－１"),
        ),
        (
            K::Address,
            "　東京都",
            vec![(Code::V02, K::Address, Fix)],
            Some("東京都"),
        ),
        (
            K::BirthDate,
            "20270101",
            vec![
                (Code::V12, K::BirthDate, Review),
                (Code::V12, K::AcquiredOn, Review),
            ],
            None,
        ),
        (
            K::AcquiredOn,
            "19440101",
            vec![(Code::V12, K::AcquiredOn, Review)],
            None,
        ),
        (
            K::AcquiredOn,
            "20261122",
            vec![(Code::V12, K::AcquiredOn, Review)],
            None,
        ),
        (
            K::LostOn,
            "20200331",
            vec![(Code::V12, K::LostOn, Review)],
            None,
        ),
        // Half-open periods: 喪失日 == 取得日 is empty, not inverted; a future 喪失日 is a plan.
        (K::LostOn, "20200401", vec![], None),
        (K::LostOn, "20300101", vec![], None),
        (
            K::Postcode,
            "100-0001",
            vec![(Code::V13, K::Postcode, Fix)],
            Some("1000001"),
        ),
        (
            K::Postcode,
            "〒１００－０００１",
            vec![(Code::V13, K::Postcode, Fix)],
            Some("1000001"),
        ),
        (
            K::Postcode,
            "10000-01",
            vec![(Code::V13, K::Postcode, Review)],
            None,
        ),
        (
            K::Postcode,
            "100001",
            vec![(Code::V13, K::Postcode, Review)],
            None,
        ),
        (
            K::SocialInsurance,
            "2",
            vec![(Code::V02, K::SocialInsurance, Review)],
            None,
        ),
        (
            K::SocialInsurance,
            "１",
            vec![(Code::V02, K::SocialInsurance, Fix)],
            Some("1"),
        ),
    ];
    for (k, v, want, fixed) in cases {
        let r = check_with(&[(k, v)]);
        assert_eq!(codes(&r), want, "{k:?} = {v:?}: {:?}", r.issues);
        assert_eq!(r.fixed(k), fixed, "{k:?} = {v:?} fixed");
        if want.is_empty() {
            assert!(!r.needs_change());
        } else {
            let all_fixed = want.iter().all(|(_, _, a)| *a == Action::Fix);
            let expect = if all_fixed {
                Action::Fix
            } else {
                Action::Review
            };
            assert_eq!(r.correction_action(), expect, "{k:?} = {v:?}");
        }
    }
}

#[test]
fn v07_fix_feeds_v12_order_check() {
    // 和暦 取得日 fixed first, then found to be before the birth date.
    let r = check_with(&[(K::AcquiredOn, "昭和19年1月1日")]);
    assert_eq!(
        codes(&r),
        [
            (Code::V07, K::AcquiredOn, Action::Fix),
            (Code::V12, K::AcquiredOn, Action::Review)
        ]
    );
}

#[test]
fn messages_name_value_and_expectation_and_mask_my_numbers() {
    let r = check_with(&[(K::RecipientNo, "10004")]);
    assert_eq!(
        r.issues[0].message,
        "「10004」は5桁です。7桁の数字が必要です"
    );
    let r = check_with(&[(K::MyNumber, "123456789010")]);
    let m = &r.issues[0].message;
    assert!(m.contains("********9010"), "{m}");
    assert!(!m.contains("123456789010"), "{m}");
    let r = check_with(&[(K::Name, "")]);
    assert_eq!(
        r.issues[0].message,
        "氏名が空です。必須項目です（全角。姓と名の間は全角空白1文字）"
    );
    let r = check_with(&[(K::BirthDate, "平成31年5月1日")]);
    assert!(
        r.issues[0].message.contains("20190501"),
        "{}",
        r.issues[0].message
    );
}

/// What Excel does to a 個人番号, said in the message, readable when masked, never in full.
#[test]
fn v02_names_what_excel_did_to_a_my_number() {
    let msg = |v: &str| check_with(&[(K::MyNumber, v)]).issues[0].message.clone();
    // 056789012348: valid by python-stdnum's stdnum.jp.in_.
    let m = msg("56789012348");
    assert!(m.contains("先頭の 0 が落ちた"), "{m}");
    assert!(m.contains("********2348"), "{m}");
    assert!(
        !m.contains("住民票コード") && !m.contains("056789012348"),
        "{m}"
    );
    // An 11-digit value whose 0-prefixed form fails the check digit keeps the old hint.
    let m = msg("12345678901");
    assert!(m.contains("住民票コード") && !m.contains("Excel"), "{m}");
    let m = msg("6.21498E+11");
    assert!(m.contains("指数表示（有効数字6桁、E+11）"), "{m}");
    assert!(m.contains("12桁の番号のうち6桁が失われています"), "{m}");
    assert!(!m.contains('*'), "readable, nothing masked away: {m}");
    let m = msg("6.21498320257E+11");
    assert!(m.contains("********0257 を提案します"), "{m}");
    assert!(!m.contains("621498320257"), "{m}");
    let m = msg("000000000000");
    assert!(
        m.contains("個人番号ではありません") && m.contains("空欄にしてください"),
        "{m}"
    );
    // Not a number: the message names it as it is, with or without --unmask (so its 所見ID is
    // the same); findings.csv's cell masking still stars a 12-digit run.
    assert!(
        crate::findings::mask::review_cell(&m, true).contains("「********0000」"),
        "{m}"
    );
}

/// A postcode that lost its leading zero is proposed padded only where the address's
/// prefecture has postcodes starting with 0 (060-0001 is 札幌市中央区 in Japan Post's data).
#[test]
fn v13_proposes_the_zero_padded_postcode_only_where_it_fits_the_address() {
    let r = check_with(&[
        (K::Postcode, "600001"),
        (K::Address, "北海道札幌市中央区北一条西２丁目１番地"),
    ]);
    assert_eq!(codes(&r), [(Code::V13, K::Postcode, Action::Review)]);
    assert_eq!(r.fixed(K::Postcode), Some("0600001"));
    assert!(
        r.issues[0].message.contains("先頭の 0 が落ちた"),
        "{:?}",
        r.issues
    );
    // 東京都: no postcode starts with 0, so 600001 is a typo, not a lost zero.
    let r = check_with(&[(K::Postcode, "600001")]);
    assert_eq!(codes(&r), [(Code::V13, K::Postcode, Action::Review)]);
    assert_eq!(r.fixed(K::Postcode), None);
    // 030-0801 is 青森市; 01x would be 秋田県.
    let r = check_with(&[
        (K::Postcode, "300801"),
        (K::Address, "青森県青森市新町１丁目"),
    ]);
    assert_eq!(r.fixed(K::Postcode), Some("0300801"));
    let r = check_with(&[
        (K::Postcode, "300801"),
        (K::Address, "秋田県秋田市山王１丁目"),
    ]);
    assert_eq!(r.fixed(K::Postcode), None);
}
