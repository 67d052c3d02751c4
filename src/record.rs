//! The roster record as the stages hand it on: [`Kept`], a row's values after the safe fixes
//! and its fields as read, and [`Rec`], one roster record from the roster pass to the output
//! (its entry-rule findings, what the rules ask the correction files for). Below every stage
//! that holds records (matching, flag, pipeline); above only ingest, findings, rules and schema.

use crate::findings::{Action, Finding, Source};
use crate::ingest::{PackedStr, RawRecord};
use crate::rules::check_digit::my_number_is_valid;
use crate::schema::RosterKey;

const KEYS: usize = RosterKey::ALL.len();

/// A row's values after the safe fixes (trimmed; contract order), packed in one allocation,
/// and its fields as read. Matching holds one per roster row (up to 2 million).
pub(crate) struct Kept {
    values: PackedStr<KEYS>,
    pub record: RawRecord,
}

impl Kept {
    pub fn new(values: [&str; KEYS], record: RawRecord) -> Kept {
        Kept {
            values: PackedStr::new(values),
            record,
        }
    }

    pub fn value(&self, k: RosterKey) -> &str {
        self.values.get(k.index())
    }
}

/// One roster record, held from the roster pass to the output.
pub(crate) struct Rec {
    pub source: Source,
    /// 保険者番号 and 受給者番号 of a line that could not be read (a read one has them in `kept`).
    pub(crate) unreadable_ids: Option<Box<[String; 2]>>,
    /// Entry-rule findings (V01–V16), in output order.
    pub findings: Vec<Finding>,
    /// 処理区分 the entry rules ask for (None: nothing to change).
    pub v_action: Option<Action>,
    /// None for a line that could not be read (V14/V16): 判定 `-`.
    pub kept: Option<Box<Kept>>,
    /// The row repeats an earlier one (V15): its corrections are the first one's.
    pub duplicate: bool,
}

impl Rec {
    pub fn insurer_no(&self) -> &str {
        match &self.kept {
            Some(k) => k.value(RosterKey::InsurerNo),
            None => self.unreadable_ids.as_ref().map_or("", |i| &i[0]),
        }
    }

    pub fn recipient_no(&self) -> &str {
        match &self.kept {
            Some(k) => k.value(RosterKey::RecipientNo),
            None => self.unreadable_ids.as_ref().map_or("", |i| &i[1]),
        }
    }

    pub(crate) fn value(&self, k: RosterKey) -> &str {
        self.kept.as_ref().map_or("", |kept| kept.value(k))
    }

    pub(crate) fn usable_number(&self) -> Option<u64> {
        usable_number(self)
    }
}

/// A record's 個人番号 when it can be used for matching (12 ASCII digits, check digit right).
pub(crate) fn usable_number(rec: &Rec) -> Option<u64> {
    let v = rec.value(RosterKey::MyNumber);
    (v.len() == 12 && v.bytes().all(|b| b.is_ascii_digit()) && my_number_is_valid(v))
        .then(|| v.parse().ok())
        .flatten()
}
