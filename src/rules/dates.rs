//! Date fields: V06 (does not exist), V07 (和暦 or separators: fixed), V12 (order, future).

use super::Checker;
use super::date::{DateCheck, Ymd, check_date};
use crate::findings::{Action, Code};
use crate::schema::RosterKey;

/// Checks one date field; returns the date (after a V07 fix) when it exists.
pub(super) fn date_field(c: &mut Checker, k: RosterKey) -> Option<Ymd> {
    match check_date(c.value(k)) {
        DateCheck::Valid(d) => Some(d),
        DateCheck::Alternative { date, form } => {
            let fixed = date.to_yyyymmdd();
            c.issue(
                Code::V07,
                k,
                Action::Fix,
                format!(
                    "{shown}は{}の日付です。西暦 YYYYMMDD の {fixed}（{date}）にします",
                    form.label(),
                    shown = c.shown(k)
                ),
            );
            c.set(k, fixed);
            Some(date)
        }
        DateCheck::Invalid { reason, suggestion } => {
            let hint = match suggestion {
                Some(d) => format!(
                    "{}（{d}）の誤りではありませんか（自動では直しません）",
                    d.to_yyyymmdd()
                ),
                None => "西暦 YYYYMMDD で入力してください".to_string(),
            };
            c.issue(
                Code::V06,
                k,
                Action::Review,
                format!("{shown}: {reason}。{hint}", shown = c.shown(k)),
            );
            None
        }
    }
}

/// V12: born after 取得日, 喪失日 before 取得日, 生年月日 or 取得日 after the run date.
/// 喪失日 may lie in the future (a planned end of coverage). Periods are half-open
/// `[取得日, 喪失日)`, so 喪失日 equal to 取得日 is an empty period, not an inversion.
pub(super) fn order(c: &mut Checker, birth: Option<Ymd>, acquired: Option<Ymd>, lost: Option<Ymd>) {
    let as_of = c.ctx.as_of;
    if let Some(b) = birth
        && b > as_of
    {
        c.issue(
            Code::V12,
            RosterKey::BirthDate,
            Action::Review,
            format!("生年月日 {b} が基準日 {as_of} より後（未来）です"),
        );
    }
    if let Some(a) = acquired
        && a > as_of
    {
        c.issue(
            Code::V12,
            RosterKey::AcquiredOn,
            Action::Review,
            format!("資格取得日 {a} が基準日 {as_of} より後（未来）です"),
        );
    }
    if let (Some(b), Some(a)) = (birth, acquired)
        && b > a
    {
        c.issue(
            Code::V12,
            RosterKey::AcquiredOn,
            Action::Review,
            format!("資格取得日 {a} が生年月日 {b} より前です"),
        );
    }
    if let (Some(a), Some(l)) = (acquired, lost)
        && l < a
    {
        c.issue(
            Code::V12,
            RosterKey::LostOn,
            Action::Review,
            format!("資格喪失日 {l} が資格取得日 {a} より前です"),
        );
    }
}
