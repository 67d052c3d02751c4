//! The 4-field search of records without a usable 個人番号 (contract, "M40 needs the address"):
//! only residents equal on 氏名・生年月日・性別・住所 are candidates; namesakes born the same day
//! elsewhere are leads for 本人確認, never proposed, never used by L04 or the insurance linkage.

use std::path::Path;

use super::support;

/// My Numbers computed by python-stdnum 1.20 (`stdnum.jp.in_.calc_check_digit`), an
/// implementation independent of ours.
const OWN: &str = "621498320257";
const NAMESAKE: &str = "400000000017";
const SECOND: &str = "123456789018";

const ADDRESS: &str = "東京都千代田区千代田１丁目２番３号";
const ELSEWHERE: &str = "北海道札幌市中央区北一条西２丁目１番地";
const REG_HEADER: &str = "個人番号,氏名,氏名カナ,生年月日,性別,住所,状態,異動年月日";

fn reg_row(number: &str, address: &str) -> String {
    format!("{number},山田　太郎,ヤマダ　タロウ,19450312,1,{address},0,20200101")
}

/// A roster row of 山田 太郎 (born 19450312, male) with `number` and `address`.
fn roster_row(recipient: &str, case: &str, number: &str, address: &str) -> String {
    format!(
        "12130019,{recipient},{case},01,{number},山田　太郎,ヤマダ　タロウ,19450312,1,1000001,{address},20200401,,0"
    )
}

/// Valid 受給者番号 (MHLW check digit) for bodies 000101.. .
fn recipient(n: u32) -> String {
    use crate::rules::check_digit::mhlw_check_digit;
    let body = format!("{n:06}");
    format!("{body}{}", mhlw_check_digit(&body).unwrap())
}

struct Run {
    findings: Vec<Vec<String>>,
    results: Vec<Vec<String>>,
    corrections: Vec<Vec<String>>,
}

fn run(dir: &Path, command: &str, roster: &[String], registry: &[String]) -> Run {
    let roster_path = dir.join("roster.csv");
    let mut text = support::HEADER.to_string() + "\n";
    for r in roster {
        text += &format!("{r}\n");
    }
    std::fs::write(&roster_path, text).unwrap();
    let reg_path = dir.join("registry.csv");
    let mut text = REG_HEADER.to_string() + "\n";
    for r in registry {
        text += &format!("{r}\n");
    }
    std::fs::write(&reg_path, text).unwrap();
    let out = dir.join(format!("out-{command}"));
    let (code, _, err) = support::run(&[
        command,
        roster_path.to_str().unwrap(),
        "--registry",
        reg_path.to_str().unwrap(),
        "--as-of",
        "20261121",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(code <= 1, "{err}");
    let read = |name: &str| {
        let p = out.join(name);
        if p.exists() {
            support::read_csv(&p).into_iter().skip(1).collect()
        } else {
            Vec::new()
        }
    };
    Run {
        findings: read("findings.csv"),
        results: read("results.csv"),
        corrections: read("corrections.csv"),
    }
}

/// (判定, 候補個人番号) of each results.csv row.
fn verdicts(r: &Run) -> Vec<(String, String)> {
    r.results
        .iter()
        .map(|row| (row[5].clone(), row[11].clone()))
        .collect()
}

#[test]
fn m42_when_the_only_namesake_lives_elsewhere_and_it_is_named_as_a_lead() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(
        dir.path(),
        "match",
        &[roster_row(&recipient(101), "A1", "", ADDRESS)],
        &[reg_row(NAMESAKE, ELSEWHERE)],
    );
    assert_eq!(verdicts(&r), [("M42".to_string(), String::new())]);
    let m42 = &r.findings[0];
    assert_eq!(m42[0], "M42");
    assert!(
        m42[7].contains("********0017（住基 2行目）"),
        "the lead is named, masked: {}",
        m42[7]
    );
    assert!(!m42[7].contains(NAMESAKE), "never in full: {}", m42[7]);
    assert_eq!(m42[8], "本人確認");
    // Nothing proposes the namesake's number.
    assert!(
        r.corrections.iter().all(|c| !c.contains(&NAMESAKE.into())),
        "{:?}",
        r.corrections
    );
}

#[test]
fn m40_and_m41_count_only_residents_at_the_address() {
    let dir = tempfile::tempdir().unwrap();
    // One at the address (written in another notation) and one elsewhere: M40, the one here.
    let r = run(
        dir.path(),
        "match",
        &[roster_row(&recipient(101), "A1", "", ADDRESS)],
        &[
            reg_row(NAMESAKE, ELSEWHERE),
            reg_row(OWN, "東京都千代田区千代田1-2-3"),
        ],
    );
    assert_eq!(verdicts(&r), [("M40".to_string(), "********0257".into())]);
    assert_eq!(r.corrections[0][7], OWN, "{:?}", r.corrections);
    // Two at the address and one elsewhere: M41 with the two, not the one elsewhere.
    let r = run(
        dir.path(),
        "match",
        &[roster_row(&recipient(101), "A1", "", ADDRESS)],
        &[
            reg_row(NAMESAKE, ELSEWHERE),
            reg_row(OWN, ADDRESS),
            reg_row(SECOND, ADDRESS),
        ],
    );
    assert_eq!(
        verdicts(&r),
        [("M41".to_string(), "********0257/********9018".into())]
    );
    assert!(r.findings[0][7].contains("2人"), "{:?}", r.findings[0]);
    // A record whose address cannot be compared (empty: V01) gets no candidate at all.
    let r = run(
        dir.path(),
        "match",
        &[roster_row(&recipient(101), "A1", "", "")],
        &[reg_row(OWN, ADDRESS)],
    );
    assert_eq!(verdicts(&r)[0].0, "M42");
}

/// Contract: a record whose number is unusable keeps its candidates even when another roster
/// record carries the same number. `6.21498E+11` is what Excel shows for 621498320257.
/// (`621498320257.0` is no longer unusable: its 12 digits are proposed, V02.)
#[test]
fn a_candidate_stays_a_candidate_when_another_line_carries_its_number() {
    let dir = tempfile::tempdir().unwrap();
    for unusable in ["6.21498E+11", "6.2E+11", "", "62149832025X"] {
        let r = run(
            dir.path(),
            "match",
            &[
                roster_row(&recipient(101), "A1", OWN, ADDRESS),
                roster_row(&recipient(102), "A2", unusable, ADDRESS),
            ],
            &[reg_row(OWN, ADDRESS)],
        );
        assert_eq!(
            verdicts(&r),
            [
                ("M00".to_string(), String::new()),
                ("M40".to_string(), "********0257".into())
            ],
            "{unusable}"
        );
    }
}

/// L04 proposes the person's own number only when one resident lives at the record's address:
/// a record without a comparable address (empty) never gets a namesake's number.
#[test]
fn l04_never_proposes_a_namesake_for_a_record_without_an_address() {
    let dir = tempfile::tempdir().unwrap();
    // The record carries SECOND, the registry's row of another person (M20); a namesake of the
    // record lives elsewhere.
    let other = format!("{SECOND},佐藤　花子,サトウ　ハナコ,19800101,2,{ADDRESS},0,20200101");
    let roster = |address: &str| vec![roster_row(&recipient(101), "A1", SECOND, address)];
    let r = run(
        dir.path(),
        "check",
        &roster(""),
        &[other.clone(), reg_row(NAMESAKE, ELSEWHERE)],
    );
    let codes: Vec<&str> = r.findings.iter().map(|f| f[0].as_str()).collect();
    assert!(codes.contains(&"M20"), "{codes:?}");
    assert!(!codes.contains(&"L04"), "{:?}", r.findings);
    assert!(
        r.corrections.iter().all(|c| !c.contains(&NAMESAKE.into())),
        "{:?}",
        r.corrections
    );
    // The person at the record's address is found and proposed (L04).
    let r = run(
        dir.path(),
        "check",
        &roster(ADDRESS),
        &[other, reg_row(OWN, ADDRESS)],
    );
    let l04 = r.findings.iter().find(|f| f[0] == "L04");
    assert!(l04.is_some(), "{:?}", r.findings);
    assert!(
        r.corrections.iter().any(|c| c[7] == OWN),
        "{:?}",
        r.corrections
    );
}

/// A foreign resident as the 住民票 records them: three parts separated by full-width spaces
/// (no V10), and the registry writing the Latin letters in another case: ゆれ (M01), not M11.
#[test]
fn a_foreign_residents_three_part_name_in_another_case_is_a_variant() {
    let dir = tempfile::tempdir().unwrap();
    let row = |name: &str| {
        format!(
            "12130019,{},A1,01,{OWN},{name},スミス　ジョン　マイケル,19800101,1,1000001,{ADDRESS},20200401,,0",
            recipient(101)
        )
    };
    let reg = format!(
        "{OWN},Ｓｍｉｔｈ　Ｊｏｈｎ　Ｍｉｃｈａｅｌ,スミス　ジョン　マイケル,19800101,1,{ADDRESS},0,20200101"
    );
    let r = run(
        dir.path(),
        "match",
        &[row("ＳＭＩＴＨ　ＪＯＨＮ　ＭＩＣＨＡＥＬ")],
        std::slice::from_ref(&reg),
    );
    assert_eq!(verdicts(&r), [("M01".to_string(), String::new())]);
    assert!(r.findings.is_empty(), "{:?}", r.findings);
    assert_eq!(r.results[0][6], "ゆれ");
    // The order swapped is a different name, and the message says so (not marriage).
    let r = run(
        dir.path(),
        "match",
        &[row("ＭＩＣＨＡＥＬ　ＪＯＨＮ　ＳＭＩＴＨ")],
        &[reg],
    );
    assert_eq!(r.findings[0][0], "M11");
    assert!(r.findings[0][7].contains("順序"), "{:?}", r.findings[0]);
    assert!(!r.findings[0][7].contains("婚姻"), "{:?}", r.findings[0]);
}
