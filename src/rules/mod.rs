//! Entry rules V01–V13 for one roster row (V14/V16 are decided at ingest, V15 across rows in
//! [`crate::validate`]). Pure functions of the row's decoded values: they run in parallel and
//! their result does not depend on the order rows arrive in.
//!
//! Every check reports what it found and, where the fix is safe and unambiguous, the corrected
//! value (`対応` 修正); otherwise the row goes to the correction file as 修正要確認 and a person
//! decides. Checks run on the value after earlier safe fixes (trimmed, width-folded), so one
//! fault gives one finding, not a cascade.
//!
//! | file | codes |
//! |---|---|
//! | `numbers.rs` | V02 (number fields), V03, V04, V05, V08, V13 |
//! | `text.rs` | V02 (full-width fields), V09, V10, V11 |
//! | `dates.rs` | V06, V07, V12 (and the 和暦 parser in `date.rs`) |
//! | `check_digit.rs` | the check-digit algorithms |

pub mod check_digit;
pub mod date;
mod dates;
mod numbers;
mod text;

use std::borrow::Cow;

use crate::findings::mask::{MAX_FIELD_BYTES, cut_value};
use crate::findings::{Action, Code};
use crate::schema::{Layout, RosterKey};
use date::Ymd;

pub use text::first_unencodable;

/// Settings the rules depend on.
#[derive(Debug, Clone, Copy)]
pub struct RuleContext {
    /// "Today" for V12 (the run date in JST, or `--as-of`).
    pub as_of: Ymd,
    /// Show My Numbers in full in messages (`--unmask`).
    pub unmask: bool,
}

/// One problem in one field, before it gets its source line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub code: Code,
    pub field: RosterKey,
    pub message: String,
    pub action: Action,
}

/// The result of checking one row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowCheck {
    pub issues: Vec<Issue>,
    /// Corrected value per field ([`RosterKey`] order), only where it changed; empty when
    /// nothing changed (the clean row allocates nothing). Read it through [`RowCheck::fixed`].
    fixed: Vec<Option<String>>,
}

impl RowCheck {
    /// The corrected value of `k`, when a fix changed it.
    pub fn fixed(&self, k: RosterKey) -> Option<&str> {
        self.fixed.get(k.index()).and_then(|v| v.as_deref())
    }

    /// The row must change (it goes to the correction files).
    pub fn needs_change(&self) -> bool {
        self.issues
            .iter()
            .any(|i| matches!(i.action, Action::Fix | Action::Review))
    }

    /// 処理区分 of the row in the correction files: 修正 when every fault was fixed, else
    /// 修正要確認.
    pub fn correction_action(&self) -> Action {
        if self.issues.iter().all(|i| i.action == Action::Fix) {
            Action::Fix
        } else {
            Action::Review
        }
    }
}

/// Accumulates the issues and the running corrected value of each field.
struct Checker<'a> {
    values: [Cow<'a, str>; RosterKey::ALL.len()],
    original: &'a [&'a str],
    issues: Vec<Issue>,
    ctx: RuleContext,
}

impl<'a> Checker<'a> {
    fn value(&self, k: RosterKey) -> &str {
        &self.values[k.index()]
    }

    fn issue(&mut self, code: Code, field: RosterKey, action: Action, message: String) {
        self.issues.push(Issue {
            code,
            field,
            message,
            action,
        });
    }

    fn set(&mut self, k: RosterKey, v: String) {
        self.values[k.index()] = Cow::Owned(v);
    }

    /// The value as shown in a message: quoted, My Numbers masked, long values cut.
    fn shown(&self, k: RosterKey) -> String {
        show_value(k, self.original[k.index()], self.ctx.unmask)
    }
}

/// A value quoted for a message (「…」), masked when it is a My Number, cut after 40 characters.
pub fn show_value(k: RosterKey, v: &str, unmask: bool) -> String {
    let v: Cow<str> = if k == RosterKey::MyNumber {
        Cow::Owned(crate::findings::mask::show_my_number(v, unmask))
    } else {
        Cow::Borrowed(v)
    };
    let cut: String = v.chars().take(40).collect();
    if cut.len() < v.len() {
        format!("「{cut}…」")
    } else {
        format!("「{cut}」")
    }
}

/// A schema rule text without its code references: `全角（V02, V11）` → `全角`.
fn expected_form(rule: &str) -> &str {
    match rule.rfind('（') {
        Some(i) if rule[i..].contains('V') => &rule[..i],
        _ => rule,
    }
}

const SPACES: [char; 4] = [' ', '\u{3000}', '\t', '\u{a0}'];

/// `s` without leading/trailing [`SPACES`]; most values have none, and then only the first
/// and last characters are looked at.
fn trim_spaces(s: &str) -> &str {
    if s.starts_with(SPACES) || s.ends_with(SPACES) {
        s.trim_matches(SPACES)
    } else {
        s
    }
}

/// Checks one roster row. `values` are the decoded fields in [`RosterKey`] order (empty for
/// an optional column the file does not have).
pub fn check_roster_row<'a>(values: &'a [&'a str], layout: &Layout, ctx: RuleContext) -> RowCheck {
    let mut c = Checker {
        values: std::array::from_fn(|i| Cow::Borrowed(values.get(i).copied().unwrap_or(""))),
        original: values,
        issues: Vec::new(),
        ctx,
    };
    let mut dates: [Option<Ymd>; 3] = [None; 3];
    for key in RosterKey::ALL {
        let raw = values[key.index()];
        // Over 4,096 bytes: V02, and the value is cut in every output (contract); no other rule
        // looks at it.
        if raw.len() > MAX_FIELD_BYTES {
            let cut = cut_value(raw, raw.len());
            c.issue(
                Code::V02,
                key,
                Action::Review,
                format!(
                    "{}が {} バイトあります。1項目は {MAX_FIELD_BYTES} バイトまでです（出力では「{}」と切り詰めます）。正しい値を入れてください",
                    key.name(),
                    raw.len(),
                    cut
                ),
            );
            c.set(key, cut);
            continue;
        }
        // Leading/trailing spaces: V02, trimmed.
        let trimmed = trim_spaces(raw);
        if trimmed.len() != raw.len() && !trimmed.is_empty() {
            c.issue(
                Code::V02,
                key,
                Action::Fix,
                format!("{}の前後に空白があります。空白を除きます", c.shown(key)),
            );
        }
        c.values[key.index()] = Cow::Borrowed(trimmed);
        if trimmed.is_empty() {
            if layout.fields[key.index()].required {
                c.issue(
                    Code::V01,
                    key,
                    Action::Review,
                    format!(
                        "{}が空です。必須項目です（{}）",
                        key.name(),
                        expected_form(&layout.fields[key.index()].rule)
                    ),
                );
            }
            continue;
        }
        match key {
            RosterKey::InsurerNo => numbers::insurer_no(&mut c),
            RosterKey::RecipientNo => numbers::recipient_no(&mut c),
            RosterKey::CaseNo => numbers::case_no(&mut c),
            RosterKey::MemberNo => numbers::member_no(&mut c),
            RosterKey::MyNumber => numbers::my_number(&mut c),
            RosterKey::Name => text::kanji_name(&mut c),
            RosterKey::NameKana => text::kana_name(&mut c),
            RosterKey::Sex => numbers::sex(&mut c),
            RosterKey::Postcode => numbers::postcode(&mut c),
            RosterKey::Address => text::address(&mut c),
            RosterKey::SocialInsurance => numbers::social_insurance(&mut c),
            RosterKey::BirthDate => dates[0] = dates::date_field(&mut c, key),
            RosterKey::AcquiredOn => dates[1] = dates::date_field(&mut c, key),
            RosterKey::LostOn => dates[2] = dates::date_field(&mut c, key),
        }
    }
    dates::order(&mut c, dates[0], dates[1], dates[2]);
    c.issues.sort_by_key(|i| (i.code, i.field));
    // A borrowed value is the original or a trimmed slice of it: the same length means the
    // same value, without comparing bytes.
    let same = |now: &Cow<str>, was: &str| match now {
        Cow::Borrowed(v) => v.len() == was.len(),
        Cow::Owned(v) => v == was,
    };
    let changed = c
        .values
        .iter()
        .zip(values)
        .any(|(now, was)| !same(now, was));
    let fixed = if changed {
        c.values
            .iter()
            .zip(values)
            .map(|(now, was)| (!same(now, was)).then(|| now.to_string()))
            .collect()
    } else {
        Vec::new()
    };
    RowCheck {
        issues: c.issues,
        fixed,
    }
}

#[cfg(test)]
mod tests;
