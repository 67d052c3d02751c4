//! One roster record's verdict (M00–M42) from its field comparisons, exactly as the contract's
//! "Verdict from field results" says.

use super::registry::{Hits, RegRow, parse_birth, parse_sex};
use crate::findings::mask::show_my_number;
use crate::findings::{Action, Code, Finding};
use crate::normalize::FieldMatch;
use crate::normalize::address::compare_address;
use crate::normalize::name::{compare_kana, compare_name, name_key};
use crate::record::Rec;
use crate::rules::date::Ymd;
use crate::schema::RosterKey;

/// `--fields 4|5`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldMode {
    Four,
    Five,
}

impl FieldMode {
    pub fn count(self) -> u8 {
        match self {
            FieldMode::Four => 4,
            FieldMode::Five => 5,
        }
    }
}

/// The verdict of one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict<'h> {
    /// None for a line that could not be read (判定 `-`).
    pub code: Option<Code>,
    /// 氏名, 氏名カナ, 生年月日, 性別, 住所.
    pub fields: [FieldMatch; 5],
    /// The registry row compared (number match) or proposed (M40).
    pub registry: Option<&'h RegRow>,
    /// Candidates' numbers (M40/M41): residents equal on all four fields.
    pub candidates: Vec<String>,
    /// Residents equal on 氏名・生年月日・性別 who live elsewhere (M42): named, masked, in 内容
    /// as leads for 本人確認; never candidates, never proposed.
    pub leads: Vec<&'h RegRow>,
    /// 処理区分 the verdict asks for in the correction files.
    pub action: Option<Action>,
    /// Values the correction files should carry instead (修正要確認).
    pub proposals: Vec<(RosterKey, String)>,
}

const NONE: [FieldMatch; 5] = [FieldMatch::NotCompared; 5];

fn exact_or(a: &str, b: &str, valid: bool) -> FieldMatch {
    if !valid || a.is_empty() || b.is_empty() {
        FieldMatch::NotCompared
    } else if a == b {
        FieldMatch::Equal
    } else {
        FieldMatch::Differ
    }
}

/// Compares a record with a registry row: 氏名, カナ, 生年月日, 性別, 住所.
pub fn compare(rec: &Rec, reg: &RegRow, mode: FieldMode) -> [FieldMatch; 5] {
    let v = |k| rec.value(k);
    let kana = if mode == FieldMode::Five && !reg.kana().is_empty() {
        compare_kana(v(RosterKey::NameKana), reg.kana())
    } else {
        FieldMatch::NotCompared
    };
    let birth_ok = Ymd::parse_yyyymmdd(v(RosterKey::BirthDate)).is_some();
    let sex_ok = parse_sex(v(RosterKey::Sex)).is_some();
    [
        compare_name(v(RosterKey::Name), reg.name()),
        kana,
        exact_or(v(RosterKey::BirthDate), reg.birth(), birth_ok),
        exact_or(v(RosterKey::Sex), reg.sex(), sex_ok),
        compare_address(v(RosterKey::Address), reg.address()),
    ]
}

/// The contract's rule: ゆれ counts as equal; 氏名 and カナ together are "the name".
pub fn code_of(f: &[FieldMatch; 5]) -> Code {
    let differs = |m: FieldMatch| m == FieldMatch::Differ;
    let [name, kana, birth, sex, address] = *f;
    let name_differs = differs(name) || differs(kana);
    if differs(birth) || differs(sex) || (name_differs && differs(address)) {
        Code::M20
    } else if differs(address) {
        Code::M10
    } else if differs(name) {
        Code::M11
    } else if differs(kana) {
        Code::M12
    } else if f.contains(&FieldMatch::Variant) {
        Code::M01
    } else {
        Code::M00
    }
}

pub fn decide<'h>(rec: &Rec, hits: &'h Hits, mode: FieldMode) -> Verdict<'h> {
    let mut v = Verdict {
        code: None,
        fields: NONE,
        registry: None,
        candidates: Vec::new(),
        leads: Vec::new(),
        action: None,
        proposals: Vec::new(),
    };
    if rec.kept.is_none() {
        return v;
    }
    if let Some(n) = rec.usable_number() {
        let Some((reg, _)) = hits.by_number.get(&n) else {
            v.code = Some(Code::M30);
            v.action = Some(Action::Review);
            return v;
        };
        v.fields = compare(rec, reg, mode);
        v.registry = Some(reg);
        if reg.removed {
            v.code = Some(Code::M31);
            v.action = Some(Action::Delete);
            return v;
        }
        let code = code_of(&v.fields);
        v.code = Some(code);
        match code {
            Code::M10 => {
                v.action = Some(Action::Review);
                v.proposals
                    .push((RosterKey::Address, reg.address().to_string()));
            }
            Code::M11 => {
                v.action = Some(Action::Review);
                v.proposals.push((RosterKey::Name, reg.name().to_string()));
                if v.fields[1] == FieldMatch::Differ {
                    v.proposals
                        .push((RosterKey::NameKana, reg.kana().to_string()));
                }
            }
            Code::M12 => {
                v.action = Some(Action::Review);
                v.proposals
                    .push((RosterKey::NameKana, reg.kana().to_string()));
            }
            Code::M20 => v.action = Some(Action::Delete),
            _ => {}
        }
        return v;
    }
    // No usable number: search by name + birth + sex, then keep the residents who live at
    // the record's address. Only those are candidates (contract: M40 needs the address);
    // the others are leads for 本人確認, never proposed.
    let key = (
        name_key(rec.value(RosterKey::Name)),
        parse_birth(rec.value(RosterKey::BirthDate)),
        parse_sex(rec.value(RosterKey::Sex)),
    );
    let found: &[RegRow] = match key {
        (Some(name), Some(birth), Some(sex)) => hits
            .by_person
            .get(&(name, birth, sex))
            .map_or(&[], Vec::as_slice),
        _ => &[],
    };
    let (here, elsewhere): (Vec<&RegRow>, Vec<&RegRow>) =
        found.iter().partition(|r| lives_at(rec, r));
    v.candidates = here.iter().map(|r| r.number().to_string()).collect();
    v.leads = elsewhere;
    match here.as_slice() {
        [] => v.code = Some(Code::M42),
        [reg] => {
            v.code = Some(Code::M40);
            v.fields = compare(rec, reg, mode);
            v.registry = Some(reg);
            v.action = Some(Action::Review);
            v.proposals
                .push((RosterKey::MyNumber, reg.number().to_string()));
        }
        _ => v.code = Some(Code::M41),
    }
    v
}

/// What differs between two names that are not the same after normalization (M11), for the
/// message: a marriage is suggested only when the family name differs and the given name is
/// the same; otherwise the message says what differs.
pub(crate) fn name_difference(roster: &str, registry: &str) -> String {
    let parts = |s: &str| -> Vec<String> {
        s.split(|c: char| c.is_whitespace() || matches!(c, '，' | ',' | '・' | '、'))
            .filter_map(name_key)
            .collect()
    };
    let (a, b) = (parts(roster), parts(registry));
    let latin = |s: &str| {
        s.chars()
            .any(|c| c.is_ascii_alphabetic() || ('Ａ'..='ｚ').contains(&c))
    };
    let katakana = |s: &str| s.chars().any(|c| ('ァ'..='ヺ').contains(&c));
    let (al, bl) = (latin(roster), latin(registry));
    if al != bl && (katakana(roster) || katakana(registry)) {
        let (l, k) = if al {
            ("名簿", "住基")
        } else {
            ("住基", "名簿")
        };
        return format!(
            "{l}はローマ字、{k}はカタカナの表記です。同じ人か確かめ、住基の表記で登録してください"
        );
    }
    let (mut sa, mut sb) = (a.clone(), b.clone());
    sa.sort();
    sb.sort();
    if a.len() > 1 && sa == sb {
        return "姓と名（名前の部分）の順序が入れ替わっています。住基の順序で登録してください"
            .into();
    }
    if a.len() != b.len() {
        return format!(
            "名前の部分の数が異なります（名簿 {}、住基 {}: ミドルネームや通称の有無など）。住基の表記で登録するか確認してください",
            a.len(),
            b.len()
        );
    }
    if a.len() >= 2 {
        let family = a[0] != b[0];
        let given = a[1..] != b[1..];
        return match (family, given) {
            (true, false) => "姓だけが異なります。婚姻などによる氏の変更か確認してください".into(),
            (false, true) => {
                "名だけが異なります。誤記か、家族など別人の番号でないか確認してください".into()
            }
            _ => "姓も名も異なります。誤記か別人の記録か確認してください".into(),
        };
    }
    "氏名の文字が異なります。誤記か別人の記録か確認してください".into()
}

/// Leads named in an M42 message: masked number and registry line, at most five.
fn show_leads(leads: &[&RegRow], unmask: bool) -> String {
    const SHOWN: usize = 5;
    let mut s = leads
        .iter()
        .take(SHOWN)
        .map(|r| {
            format!(
                "{}（住基 {}行目）",
                show_my_number(r.number(), unmask),
                r.line
            )
        })
        .collect::<Vec<_>>()
        .join("、");
    if leads.len() > SHOWN {
        s.push_str(&format!("、ほか{}人", leads.len() - SHOWN));
    }
    s
}

/// A registry row found by a record's name + birth + sex lives at the record's address: 住所
/// equal as written or after normalization. An address that cannot be compared (empty, not
/// parsable) is not equal: the fourth field must agree for a number to be proposed.
pub(crate) fn lives_at(rec: &Rec, reg: &RegRow) -> bool {
    matches!(
        compare_address(rec.value(RosterKey::Address), reg.address()),
        FieldMatch::Equal | FieldMatch::Variant
    )
}

/// The finding for verdicts M10 and above (M00/M01 appear only in results.csv).
pub fn finding(rec: &Rec, v: &Verdict<'_>, unmask: bool) -> Option<Finding> {
    let code = v.code?;
    if code < Code::M10 {
        return None;
    }
    let number = show_my_number(rec.value(RosterKey::MyNumber), unmask);
    let absent = if rec.value(RosterKey::MyNumber).is_empty() {
        "個人番号がありません"
    } else {
        "個人番号が使えません（桁数か検査用数字の誤り）"
    };
    let reg = v.registry;
    let reg_line = reg.map_or(String::new(), |r| format!("（住基 {}行目）", r.line));
    let differing: Vec<&str> = ["氏名", "氏名カナ", "生年月日", "性別", "住所"]
        .iter()
        .zip(v.fields)
        .filter(|(_, m)| *m == FieldMatch::Differ)
        .map(|(n, _)| *n)
        .collect();
    let (field, message, action) = match code {
        Code::M10 => (
            "住所",
            format!(
                "住所が住基と異なります{reg_line}。名簿「{}」、住基「{}」。転居の可能性があります。住基の住所で修正するか確認してください",
                rec.value(RosterKey::Address),
                reg.map_or("", |r| r.address())
            ),
            Action::Review,
        ),
        Code::M11 => (
            "氏名",
            format!(
                "氏名が住基と異なります{reg_line}。名簿「{}」、住基「{}」。{}",
                rec.value(RosterKey::Name),
                reg.map_or("", |r| r.name()),
                name_difference(rec.value(RosterKey::Name), reg.map_or("", |r| r.name()))
            ),
            Action::Review,
        ),
        Code::M12 => (
            "氏名カナ",
            format!(
                "氏名カナが住基と異なります{reg_line}。名簿「{}」、住基「{}」。確認してください",
                rec.value(RosterKey::NameKana),
                reg.map_or("", |r| r.kana())
            ),
            Action::Review,
        ),
        Code::M20 => (
            "",
            format!(
                "個人番号 {number} の住基の本人と{}が異なります{reg_line}。別人の個人番号の可能性が高いため、番号を確認するまで登録しないでください",
                differing.join("・")
            ),
            Action::Delete,
        ),
        Code::M30 => (
            "個人番号",
            format!("個人番号 {number} は住基にありません。番号の誤記か確認してください"),
            Action::Review,
        ),
        Code::M31 => (
            "個人番号",
            format!(
                "個人番号 {number} の住基の記録は消除されています（死亡・転出など、異動日 {}）{reg_line}。登録をやめてください",
                reg.map_or("", |r| r.changed_on())
            ),
            Action::Delete,
        ),
        Code::M40 => (
            "個人番号",
            format!(
                "{absent}。氏名・生年月日・性別・住所で住基の候補が1件見つかりました（{}）{reg_line}。本人か確認して番号を記入してください",
                v.candidates
                    .first()
                    .map_or(String::new(), |n| show_my_number(n, unmask))
            ),
            Action::Review,
        ),
        Code::M41 => (
            "個人番号",
            format!(
                "{absent}。氏名・生年月日・性別・住所が一致する住民が住基に{}人おり、一人に決められません（{}）。本人確認をしてください",
                v.candidates.len(),
                v.candidates
                    .iter()
                    .map(|n| show_my_number(n, unmask))
                    .collect::<Vec<_>>()
                    .join("、")
            ),
            Action::ConfirmIdentity,
        ),
        _ if v.leads.is_empty() => (
            "個人番号",
            format!(
                "{absent}。氏名・生年月日・性別が一致する住民も住基にいません。本人確認をしてください"
            ),
            Action::ConfirmIdentity,
        ),
        _ => (
            "個人番号",
            format!(
                "{absent}。氏名・生年月日・性別・住所が一致する住民は住基にいません。氏名・生年月日・性別が同じで住所の違う住民が{}人います（{}）。転居した本人か同姓同名の別人か分からないため番号は提案しません。本人確認をしてください",
                v.leads.len(),
                show_leads(&v.leads, unmask)
            ),
            Action::ConfirmIdentity,
        ),
    };
    Some(Finding {
        code,
        source: rec.source,
        insurer_no: rec.insurer_no().to_string(),
        recipient_no: rec.recipient_no().to_string(),
        field: field.to_string(),
        message,
        action,
        related: None,
    })
}

#[cfg(test)]
mod tests {
    use super::name_difference;

    /// M11 says marriage only when the family name differs and the given name is the same.
    #[test]
    fn m11_message_says_what_differs() {
        let cases = [
            ("佐藤　洋子", "鈴木　洋子", "婚姻"),
            ("佐藤　洋子", "佐藤　陽菜", "名だけが異なります"),
            ("佐藤　洋子", "鈴木　花子", "姓も名も異なります"),
            (
                "ＪＯＨＮ　ＳＭＩＴＨ",
                "ＳＭＩＴＨ　ＪＯＨＮ",
                "順序が入れ替わって",
            ),
            (
                "ＳＭＩＴＨ　ＪＯＨＮ",
                "スミス　ジョン",
                "名簿はローマ字、住基はカタカナ",
            ),
            (
                "グエン　ヴァン　アン",
                "ＮＧＵＹＥＮ　ＶＡＮ　ＡＮ",
                "住基はローマ字、名簿はカタカナ",
            ),
            (
                "ＳＭＩＴＨ　ＪＯＨＮ",
                "ＳＭＩＴＨ　ＪＯＨＮ　ＭＩＣＨＡＥＬ",
                "部分の数が異なります（名簿 2、住基 3",
            ),
        ];
        for (roster, registry, want) in cases {
            let got = name_difference(roster, registry);
            assert!(got.contains(want), "{roster} / {registry}: {got}");
            if want != "婚姻" {
                assert!(!got.contains("婚姻"), "{roster} / {registry}: {got}");
            }
        }
    }
}
