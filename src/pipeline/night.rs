//! The nightly comparison (`run --state`), record by record while the outputs are written.

use super::Nightly;
use crate::findings::{Action, Code, Finding, Severity};
use crate::matching::Verdict;
use crate::record::Rec;
use crate::report::summary::BaselineSummary;
use crate::schema::RosterKey;
use crate::state::baseline::{Baseline, Entry, NORMALIZED_FIELDS, UNKNOWN_FIELD};

/// The nightly comparison while the outputs are written: N01 for a record that was not on the
/// last run's rosters and that the registry did not verify tonight; N02 for a record verified
/// before whose number or basic fields changed; and the next baseline (records verified
/// tonight; records verified before but not tonight keep their old entry, so N02 repeats until
/// resolved; other records seen tonight are kept as seen, unverified).
pub(super) struct NightState<'b> {
    previous: Option<&'b Baseline>,
    active: bool,
    next: Vec<Entry>,
    counts: BaselineSummary,
}

impl<'b> NightState<'b> {
    pub(super) fn new(nightly: Option<&Nightly<'b>>) -> NightState<'b> {
        let (active, previous, reset) = match nightly {
            None => (false, None, false),
            Some(Nightly::First { reset }) => (true, None, *reset),
            Some(Nightly::Compare(b)) => (true, Some(*b), false),
        };
        NightState {
            previous,
            active,
            next: Vec::new(),
            counts: BaselineSummary {
                status: match (previous, reset) {
                    (Some(_), _) => "compared",
                    (None, true) => "reset",
                    (None, false) => "first",
                },
                previous_as_of: previous.map(|b| b.as_of.clone()),
                previous_records: previous.map_or(0, |b| b.len() as u64),
                renormalized_from: previous
                    .filter(|b| b.renormalized())
                    .map(|b| b.normalization),
                ..BaselineSummary::default()
            },
        }
    }

    /// The N01/N02 finding of one record (given its other findings), if any.
    pub(super) fn record(
        &mut self,
        rec: &Rec,
        v: Option<&Verdict>,
        findings: &[&Finding],
    ) -> Option<Finding> {
        if !self.active {
            return None;
        }
        let key = crate::state::baseline::record_key(rec.insurer_no(), rec.recipient_no());
        let olds = self.previous.map_or(&[][..], |b| b.get(key));
        // A line that could not be read has no values: it keeps what the baseline had.
        if rec.kept.is_none() || rec.duplicate {
            self.next.extend_from_slice(olds);
            return None;
        }
        let code = v.and_then(|v| v.code);
        let verified = matches!(code, Some(Code::M00 | Code::M01))
            && findings.iter().all(|f| f.severity() < Severity::Error);
        let entry = Entry::of(
            rec.insurer_no(),
            rec.recipient_no(),
            [
                rec.value(RosterKey::MyNumber),
                rec.value(RosterKey::Name),
                rec.value(RosterKey::NameKana),
                rec.value(RosterKey::BirthDate),
                rec.value(RosterKey::Sex),
                rec.value(RosterKey::Address),
            ],
            verified,
        );
        let known = self.known(olds, &entry, verified);
        if verified {
            self.counts.verified += 1;
            self.next.push(entry);
        } else if known.is_empty() {
            // Seen, not verified: kept so that it is not "new" next time.
            self.next.push(entry);
        } else {
            // Verified before, not tonight: the old entry stays, so N02 repeats until resolved.
            self.next.extend_from_slice(&known);
        }
        let prev = self.previous?;
        if olds.is_empty() {
            if verified {
                self.counts.new_verified += 1;
                return None;
            }
            self.counts.new_unverified += 1;
            let why = code.map_or("-", |c| c.as_str());
            return Some(night_finding(
                rec,
                Code::N01,
                String::new(),
                format!(
                    "前回（{}）の名簿になかった新しい記録で、今回の照合でも本人と確認できませんでした（判定 {why}）。\
                     確認できるまで登録しないでください",
                    prev.as_of
                ),
                Action::Hold,
            ));
        }
        // Compared only with what was verified: a record never verified has its M finding.
        if known.is_empty() {
            return None;
        }
        let (field, what) = what_changed(&entry, &known, verified)?;
        self.counts.changed += 1;
        Some(night_finding(
            rec,
            Code::N02,
            field,
            format!(
                "前回の基準（{}、照合済み）から{what}が変わりました。{}住基で本人確認をやり直してから登録してください",
                prev.as_of,
                if verified {
                    "今回の照合では一致しましたが、"
                } else {
                    ""
                }
            ),
            Action::ConfirmIdentity,
        ))
    }

    /// The last run's verified entries under this record's key. A baseline from another
    /// normalizer version is re-keyed: a record verified tonight takes tonight's 氏名, カナ and
    /// 住所 hashes (a notation the new normalizer reads differently is no change; the number,
    /// birth date and sex are still compared). A record verified before but not tonight cannot
    /// be compared on those fields: they become "unknown" (UNKNOWN_FIELD), kept so, and N02 says
    /// so every night until the record verifies again, as it would have said "changed".
    fn known(&self, olds: &[Entry], entry: &Entry, verified: bool) -> Vec<Entry> {
        let renormalized = self.previous.is_some_and(Baseline::renormalized);
        olds.iter()
            .filter(|o| o.verified)
            .map(|o| {
                let mut o = *o;
                if renormalized {
                    for i in NORMALIZED_FIELDS {
                        o.fields[i] = if verified {
                            entry.fields[i]
                        } else {
                            UNKNOWN_FIELD
                        };
                    }
                }
                o
            })
            .collect()
    }

    /// The next baseline and the counts for summary.json.
    pub(super) fn finish(
        self,
        as_of: crate::rules::date::Ymd,
    ) -> (Option<Baseline>, Option<BaselineSummary>) {
        if !self.active {
            return (None, None);
        }
        let next = Baseline::from_entries(self.next, as_of.to_yyyymmdd());
        let counts = BaselineSummary {
            records_written: next.len() as u64,
            ..self.counts
        };
        (Some(next), Some(counts))
    }
}

/// N02's field and wording: what changed from the closest verified entry under this key, and
/// (for a record not verified tonight) what a re-keyed baseline can no longer compare. None when
/// nothing changed. Unknown fields are no change for a record verified tonight.
fn what_changed(entry: &Entry, known: &[Entry], verified: bool) -> Option<(String, String)> {
    let unknown_of = |o: &Entry| -> Vec<&'static str> {
        NORMALIZED_FIELDS
            .iter()
            .filter(|&&i| o.fields[i] == UNKNOWN_FIELD)
            .map(|&i| crate::state::baseline::FIELDS[i])
            .collect()
    };
    let changed_of = |o: &Entry| -> Vec<&'static str> {
        let unknown = unknown_of(o);
        entry
            .changed(o)
            .into_iter()
            .filter(|f| !unknown.contains(f))
            .collect()
    };
    // The closest verified entry under this key names what changed.
    let closest = known
        .iter()
        .min_by_key(|o| (changed_of(o).len(), unknown_of(o).len()))
        .copied()
        .unwrap_or(*entry);
    let changed = changed_of(&closest);
    let unknown = if verified {
        Vec::new()
    } else {
        unknown_of(&closest)
    };
    if changed.is_empty() && unknown.is_empty() {
        return None;
    }
    let mut what = changed.join("・");
    let mut field = what.clone();
    if !unknown.is_empty() {
        if !what.is_empty() {
            what.push('と');
            field.push('・');
        }
        what.push_str(&format!(
            "（照合後に正規化の版が変わったため比べられない）{}",
            unknown.join("・")
        ));
        field.push_str(&unknown.join("・"));
    }
    Some((field, what))
}

/// A nightly finding (N01, N02) on one record.
fn night_finding(rec: &Rec, code: Code, field: String, message: String, action: Action) -> Finding {
    Finding {
        code,
        source: rec.source,
        insurer_no: rec.insurer_no().to_string(),
        recipient_no: rec.recipient_no().to_string(),
        field,
        message,
        action,
        related: None,
    }
}
