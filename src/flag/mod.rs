//! `check`: number mis-linkage (L01–L05) and duplicate coverage (D01–D05) across every roster
//! record of every roster file, and against the other-insurance files ([`insurance`]).
//!
//! # Who is the same person
//! Records are joined into persons (union–find, so the result does not depend on row order):
//! * records with the same normalized basic 4 fields (name key, birth date, sex, street part of
//!   the address: the normalizer of matching) are one person;
//! * with `--registry`, records whose 個人番号 the registry verified (verdict M00, M01, M10:
//!   birth date, sex and name agree, the person may have moved) are the person of that number;
//! * without it, records with the same usable 個人番号, birth date and sex and the same name or
//!   カナ are one person (a number alone proves nothing: that is what L01/L02 are about).
//!
//! # Order independence
//! A cross-record finding is written on every record of the conflict, and names as the related
//! record the first of the others by content (file name, then the row's bytes), never by
//! position: shuffling rows or files gives the same set of findings.
//!
//! # Why no polars here
//! Every check is a group-by on a key the roster already has (number, person, case, office +
//! 受給者番号) followed by pairwise comparisons inside small groups, and the insurance side is
//! streamed and probed exactly like the registry. Hash maps do this in one pass over a roster
//! of 2 million; linking polars would add tens of minutes of cold build on 2 cores, twice per
//! CI run, for no measured gain (README, "Performance").

pub mod insurance;

use std::collections::{HashMap, HashSet};
use std::hash::BuildHasherDefault;

use rayon::prelude::*;

use crate::error::Error;
use crate::findings::mask::show_my_number;
use crate::findings::{Action, Code, Finding, Source};
use crate::ingest::FileInfo;
use crate::matching::registry::{self, Indexes, RegRow, parse_birth, parse_sex};
use crate::matching::verdict::{self, FieldMode, Verdict};
use crate::normalize::FieldMatch;
use crate::normalize::address::address_key;
use crate::normalize::name::{kana_key, name_key};
use crate::record::{Rec, usable_number};
use crate::rules::date::Ymd;
use crate::schema::{Layout, RosterKey};
use insurance::{Coverage, InsuranceScan};

/// Hash maps keyed by roster values: xxh3 instead of SipHash (the keys come from local files,
/// and hashing a million person keys showed in the profile).
type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<xxhash_rust::xxh3::Xxh3Default>>;

/// A coverage period, half-open `[from, to)` as the contract says; `to` is `u32::MAX` while
/// coverage continues (empty 資格喪失日).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: u32,
    pub to: u32,
}

impl Period {
    pub const OPEN: u32 = u32::MAX;

    /// From 取得日 and 喪失日 as written (`YYYYMMDD`, 喪失日 possibly empty); None when either
    /// is not a date or 喪失日 comes before 取得日 (V12 on a roster row): such a period says
    /// nothing about coverage, so it is left out of the comparisons rather than read as empty.
    pub fn parse(from: &str, to: &str) -> Option<Period> {
        let date = |s: &str| Ymd::parse_yyyymmdd(s).and(parse_birth(s));
        let from = date(from)?;
        let to = if to.is_empty() { Self::OPEN } else { date(to)? };
        (to >= from).then_some(Period { from, to })
    }

    /// Periods that merely touch (one's 喪失日 is the other's 取得日) do not overlap.
    /// An empty period (喪失日 on 取得日) overlaps nothing.
    pub fn overlaps(self, other: Period) -> bool {
        self.from < other.to && other.from < self.to && self.from < self.to && other.from < other.to
    }

    /// `取得 20240401・喪失 20250401` or `取得 20240401・継続中`.
    pub fn show(self) -> String {
        if self.to == Self::OPEN {
            format!("取得 {}・継続中", self.from)
        } else {
            format!("取得 {}・喪失 {}", self.from, self.to)
        }
    }
}

/// A roster record's facts for the checks, normalized once.
pub(crate) struct Person {
    pub number: Option<u64>,
    /// The registry verified the number as this person's: verdict M00, M01 or M10 (birth date,
    /// sex and name agree). M11/M12 are not enough: a twin carrying the other twin's number
    /// differs only by the name.
    pub verified: bool,
    pub name: Option<String>,
    pub kana: Option<String>,
    pub birth: Option<u32>,
    pub sex: Option<u8>,
    street: Option<String>,
    pub period: Option<Period>,
}

impl Person {
    fn of(rec: &Rec, verdict: Option<&Verdict<'_>>) -> Person {
        let v = |k| rec.value(k);
        let number = usable_number(rec);
        Person {
            number,
            verified: number.is_some()
                && verdict
                    .and_then(|v| v.code)
                    .is_some_and(|c| matches!(c, Code::M00 | Code::M01 | Code::M10)),
            name: name_key(v(RosterKey::Name)),
            kana: kana_key(v(RosterKey::NameKana)),
            birth: Ymd::parse_yyyymmdd(v(RosterKey::BirthDate))
                .and(parse_birth(v(RosterKey::BirthDate))),
            sex: parse_sex(v(RosterKey::Sex)),
            street: address_key(v(RosterKey::Address)).map(|k| k.street),
            period: Period::parse(v(RosterKey::AcquiredOn), v(RosterKey::LostOn)),
        }
    }

    /// The union–find keys of this record, hashed: the basic 4 fields; with a registry the
    /// verified number; without one the number with birth date, sex and name, or カナ.
    fn edge_keys(&self, registry: bool) -> [Option<(Edge, u64)>; 3] {
        let mut keys = [None; 3];
        let (Some(birth), Some(sex)) = (self.birth, self.sex) else {
            return keys;
        };
        let hash = |parts: &[&[u8]]| {
            let mut h = xxhash_rust::xxh3::Xxh3Default::new();
            for part in parts {
                h.update(part);
                h.update(&[0xff]);
            }
            h.digest()
        };
        let (b, x) = (birth.to_le_bytes(), [sex]);
        if let (Some(name), Some(street)) = (&self.name, &self.street) {
            keys[0] = Some((
                Edge::Basic4,
                hash(&[name.as_bytes(), &b, &x, street.as_bytes()]),
            ));
        }
        let Some(n) = self.number else { return keys };
        let n = n.to_le_bytes();
        if registry {
            if self.verified {
                keys[1] = Some((Edge::Verified, hash(&[&n])));
            }
        } else {
            if let Some(name) = &self.name {
                keys[1] = Some((Edge::NumberName, hash(&[&n, &b, &x, name.as_bytes()])));
            }
            if let Some(kana) = &self.kana {
                keys[2] = Some((Edge::NumberKana, hash(&[&n, &b, &x, kana.as_bytes()])));
            }
        }
        keys
    }

    /// Whether two records have the same `edge` key (the fields, not the hash).
    fn same_key(&self, o: &Person, edge: Edge) -> bool {
        let common = self.birth == o.birth && self.sex == o.sex;
        match edge {
            Edge::Basic4 => common && self.name == o.name && self.street == o.street,
            Edge::Verified => self.number == o.number,
            Edge::NumberName => common && self.number == o.number && self.name == o.name,
            Edge::NumberKana => common && self.number == o.number && self.kana == o.kana,
        }
    }

    /// Clearly the same human by what the roster says: same birth date and sex, and the same
    /// name or カナ.
    fn loosely_same(&self, o: &Person) -> bool {
        let eq = |a: &Option<String>, b: &Option<String>| a.is_some() && a == b;
        self.birth.is_some()
            && self.birth == o.birth
            && self.sex == o.sex
            && (eq(&self.name, &o.name) || eq(&self.kana, &o.kana))
    }

    /// Both the name and the カナ differ (one that cannot be compared counts as differing only
    /// when the other can and does).
    fn names_differ(&self, o: &Person) -> bool {
        let differ = |a: &Option<String>, b: &Option<String>| match (a, b) {
            (Some(a), Some(b)) => Some(a != b),
            _ => None,
        };
        match (differ(&self.name, &o.name), differ(&self.kana, &o.kana)) {
            (Some(n), Some(k)) => n && k,
            (Some(d), None) | (None, Some(d)) => d,
            (None, None) => false,
        }
    }
}

/// The kinds of key that make two records one person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Edge {
    Basic4,
    Verified,
    NumberName,
    NumberKana,
}

/// Everything the checks read.
pub(crate) struct CheckInput<'a> {
    pub recs: &'a [Rec],
    /// Registry verdicts, one per record, when `--registry` was given.
    pub verdicts: Option<&'a [Verdict<'a>]>,
    /// The registry again, for the persons of records whose number is someone else's (L04).
    pub registry: Option<(&'a FileInfo, &'a Layout, u32)>,
    pub files: &'a [String],
    pub unmask: bool,
    pub fields: FieldMode,
}

/// What a check asks to change in one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Correction {
    pub action: Action,
    pub proposals: Vec<(RosterKey, String)>,
}

/// What the checks found.
#[derive(Default)]
pub struct Flags {
    /// (record index, finding), sorted by record, then code, then related record.
    pub findings: Vec<(u32, Finding)>,
    /// Per record: 処理区分 and values proposed.
    pub corrections: HashMap<u32, Correction>,
    /// Roster records joined into persons seen more than once (for the summary).
    pub persons_with_several_records: u64,
}

/// Union–find over record indexes.
struct Dsu(Vec<u32>);

impl Dsu {
    fn find(&mut self, mut i: u32) -> u32 {
        while self.0[i as usize] != i {
            let up = self.0[self.0[i as usize] as usize];
            self.0[i as usize] = up;
            i = up;
        }
        i
    }

    fn union(&mut self, a: u32, b: u32) {
        let (a, b) = (self.find(a), self.find(b));
        // The smaller index becomes the root: any order of unions gives the same partition.
        if a < b {
            self.0[b as usize] = a;
        } else if b < a {
            self.0[a as usize] = b;
        }
    }
}

/// A pairwise conflict before it is written: the record it is written on, the other record.
struct Pair {
    rec: u32,
    code: Code,
    other: Other,
}

/// What a cross-record finding's message is made from.
struct Said<'a> {
    i: u32,
    /// The record, and the other record named (when the finding names one).
    r: &'a Rec,
    o: Option<&'a Rec>,
    /// The record's number as shown (masked unless `--unmask`).
    number: String,
    /// Where the other record or line is, "file N行目".
    where_: String,
    /// "（ほかに N 件）" when the finding stands for more than one.
    more: String,
    /// The checks' note on this record and code, after "。".
    note: String,
    /// The record's and the other record's periods of coverage.
    period: String,
    op: String,
    cov: Option<&'a Coverage>,
}

impl Said<'_> {
    fn v(&self, k: RosterKey) -> &str {
        self.r.value(k)
    }

    fn ov(&self, k: RosterKey) -> &str {
        self.o.map_or("", |o| o.value(k))
    }
}

#[derive(Clone, Copy)]
enum Other {
    Rec(u32),
    /// A line of the registry or of an insurance file (index into the run's files).
    Line(Source),
    /// An overlapping insurance row: index into [`InsuranceScan::coverages`].
    Coverage(u32),
    None,
}

pub(crate) struct Checker<'a> {
    input: &'a CheckInput<'a>,
    persons: Vec<Option<Person>>,
    /// Person (class root) of each record; u32::MAX for a record left out (unreadable or a V15
    /// repeat).
    class: Vec<u32>,
    members: FastMap<u32, Vec<u32>>,
    /// 0, 1, 2 … (a record seen once is its own person: [`Checker::members_of`] lends a slice).
    ids: Vec<u32>,
    pairs: Vec<Pair>,
    corrections: HashMap<u32, Correction>,
    /// Extra text per (record, code): the proposal or the reason.
    notes: HashMap<(u32, Code), String>,
    /// Records found carrying someone else's number (L03, L04): an insurance row with that
    /// number is not theirs.
    wrong_number: HashSet<u32>,
}

const SKIP: u32 = u32::MAX;

impl<'a> Checker<'a> {
    pub fn new(input: &'a CheckInput<'a>) -> Checker<'a> {
        let persons: Vec<Option<Person>> = input
            .recs
            .par_iter()
            .enumerate()
            .map(|(i, r)| {
                (r.kept.is_some() && !r.duplicate)
                    .then(|| Person::of(r, input.verdicts.map(|v| &v[i])))
            })
            .collect();
        // Union–find edges: every record's keys, hashed in parallel, sorted, and joined along
        // runs of equal keys (a hash collision is caught by comparing the fields).
        let registry = input.verdicts.is_some();
        let mut keyed: Vec<(Edge, u64, u32)> = persons
            .par_iter()
            .enumerate()
            .flat_map_iter(|(i, p)| {
                p.as_ref()
                    .map_or([None; 3], |p| p.edge_keys(registry))
                    .into_iter()
                    .flatten()
                    .map(move |(e, h)| (e, h, i as u32))
            })
            .collect();
        keyed.par_sort_unstable();
        let mut dsu = Dsu((0..persons.len() as u32).collect());
        let mut run_start = 0;
        let mut reps: Vec<u32> = Vec::new();
        while run_start < keyed.len() {
            let (edge, hash, _) = keyed[run_start];
            let run_end = keyed[run_start..]
                .iter()
                .position(|k| (k.0, k.1) != (edge, hash))
                .map_or(keyed.len(), |n| run_start + n);
            reps.clear();
            for &(_, _, i) in &keyed[run_start..run_end] {
                let p = persons[i as usize].as_ref();
                let same =
                    reps.iter()
                        .copied()
                        .find(|&r| match (persons[r as usize].as_ref(), p) {
                            (Some(a), Some(b)) => a.same_key(b, edge),
                            _ => false,
                        });
                match same {
                    Some(r) => dsu.union(r, i),
                    None => reps.push(i),
                }
            }
            run_start = run_end;
        }
        drop(keyed);
        let mut class = vec![SKIP; persons.len()];
        let mut sizes = vec![0u32; persons.len()];
        for (i, p) in persons.iter().enumerate() {
            if p.is_some() {
                let root = dsu.find(i as u32);
                class[i] = root;
                sizes[root as usize] += 1;
            }
        }
        let mut members: FastMap<u32, Vec<u32>> = FastMap::default();
        for (i, &root) in class.iter().enumerate() {
            if root != SKIP && sizes[root as usize] > 1 {
                members.entry(root).or_default().push(i as u32);
            }
        }
        Checker {
            input,
            persons,
            ids: (0..class.len() as u32).collect(),
            class,
            members,
            pairs: Vec::new(),
            corrections: HashMap::new(),
            notes: HashMap::new(),
            wrong_number: HashSet::new(),
        }
    }

    fn person(&self, i: u32) -> Option<&Person> {
        self.persons.get(i as usize).and_then(Option::as_ref)
    }

    fn rec(&self, i: u32) -> &'a Rec {
        let input: &'a CheckInput<'a> = self.input;
        &input.recs[i as usize]
    }

    fn verdict(&self, i: u32) -> Option<&'a Verdict<'a>> {
        let input: &'a CheckInput<'a> = self.input;
        input.verdicts.map(|v| &v[i as usize])
    }

    fn same_class(&self, a: u32, b: u32) -> bool {
        self.class[a as usize] != SKIP && self.class[a as usize] == self.class[b as usize]
    }

    /// Records of the person `i` belongs to (itself alone when seen once).
    pub(crate) fn members_of(&self, i: u32) -> &[u32] {
        match self.members.get(&self.class[i as usize]) {
            Some(m) => m,
            None => std::slice::from_ref(&self.ids[i as usize]),
        }
    }

    fn pair(&mut self, a: u32, b: u32, code: Code) {
        self.pairs.push(Pair {
            rec: a,
            code,
            other: Other::Rec(b),
        });
        self.pairs.push(Pair {
            rec: b,
            code,
            other: Other::Rec(a),
        });
    }

    fn propose(&mut self, i: u32, action: Action, proposals: Vec<(RosterKey, String)>) {
        let c = self.corrections.entry(i).or_insert(Correction {
            action,
            proposals: Vec::new(),
        });
        c.action = c.action.max(action);
        for (k, v) in proposals {
            match c.proposals.iter_mut().find(|(pk, _)| *pk == k) {
                // Two checks propose different values for one field: a person decides.
                Some((_, old)) if *old != v => {
                    c.action = Action::Review;
                }
                Some(_) => {}
                None => c.proposals.push((k, v)),
            }
        }
    }

    /// L01, L02: records sharing a 個人番号.
    fn same_number(&mut self) {
        let keyed: Vec<(u64, u32)> = self
            .persons
            .par_iter()
            .enumerate()
            .filter_map(|(i, p)| Some((p.as_ref()?.number?, i as u32)))
            .collect();
        let mut found = Vec::new();
        for g in shared(keyed) {
            for (x, &a) in g.iter().enumerate() {
                for &b in &g[x + 1..] {
                    if self.same_class(a, b) {
                        continue;
                    }
                    let (Some(pa), Some(pb)) = (self.person(a), self.person(b)) else {
                        continue;
                    };
                    match (pa.birth, pb.birth) {
                        (Some(x), Some(y)) if x != y => found.push((a, b, Code::L01)),
                        (Some(_), Some(_)) if pa.names_differ(pb) => {
                            found.push((a, b, Code::L02));
                        }
                        _ => {}
                    }
                }
            }
        }
        for (a, b, code) in found {
            self.pair(a, b, code);
            for i in [a, b] {
                let action = self.number_action(i);
                if action != Action::Fix {
                    self.propose(i, action, Vec::new());
                }
            }
        }
    }

    /// 対応 for a record whose number another record also carries: with the registry, a
    /// verified record keeps its number (the other is wrong: nothing to change here, `Fix`
    /// stands for "no row"), one the registry contradicts is removed until the number is
    /// confirmed; without it, a person must check both.
    fn number_action(&self, i: u32) -> Action {
        match self.verdict(i).and_then(|v| v.code) {
            _ if self.person(i).is_some_and(|p| p.verified) => Action::Fix,
            Some(Code::M20 | Code::M31) => Action::Delete,
            _ => Action::Review,
        }
    }

    /// L03, L04: records whose number the registry gives to someone else (M20, or M11/M12 when
    /// that someone is found).
    fn wrong_numbers(&mut self, persons: &HashMap<registry::SearchKey, Vec<RegRow>>) {
        let Some(verdicts) = self.input.verdicts else {
            return;
        };
        let mode = self.input.fields;
        let wrong: Vec<u32> = (0..verdicts.len() as u32)
            .filter(|&i| self.person(i).is_some() && points_elsewhere(&verdicts[i as usize]))
            .collect();
        if wrong.is_empty() {
            return;
        }
        // Members of the cases those records are in.
        let case_of = |r: &Rec| {
            (
                r.value(RosterKey::InsurerNo).to_string(),
                r.value(RosterKey::CaseNo).to_string(),
            )
        };
        let wanted: HashSet<(String, String)> =
            wrong.iter().map(|&i| case_of(self.rec(i))).collect();
        let mut cases: HashMap<(String, String), Vec<u32>> = HashMap::new();
        for (i, r) in self.input.recs.iter().enumerate() {
            if self.persons[i].is_some() {
                let key = case_of(r);
                if wanted.contains(&key) {
                    cases.entry(key).or_default().push(i as u32);
                }
            }
        }
        // `by_name`: the name must agree too (M11/M12 are not enough).
        let is_person_of = |rec: &Rec, reg: &RegRow, by_name: bool| {
            let code = verdict::code_of(&verdict::compare(rec, reg, mode));
            matches!(code, Code::M00 | Code::M01 | Code::M10)
                || (!by_name && matches!(code, Code::M11 | Code::M12))
        };
        for a in wrong {
            let ra = self.rec(a);
            let Some(reg_a) = verdicts[a as usize].registry else {
                continue;
            };
            let case = cases.get(&case_of(ra)).cloned().unwrap_or_default();
            // Whose number does A carry? When A's own name agrees with the number's registry
            // row, the row is A's (the birth date or sex is mistyped): only a member who also
            // has that name could own it, not a twin who differs from it by name alone.
            let fa = &verdicts[a as usize].fields;
            let named = matches!(fa[0], FieldMatch::Equal | FieldMatch::Variant)
                && fa[1] != FieldMatch::Differ;
            let owner = case
                .iter()
                .copied()
                .filter(|&b| b != a && is_person_of(self.rec(b), reg_a, named))
                .min_by(|&x, &y| self.content_cmp(x, y));
            // And who carries A's?
            let from_case = case
                .iter()
                .copied()
                .filter(|&c| c != a && usable_number(self.rec(c)) != usable_number(ra))
                .filter_map(|c| verdicts[c as usize].registry.map(|r| (c, r)))
                .filter(|(_, r)| !r.removed && is_person_of(ra, r, false))
                .min_by(|x, y| self.content_cmp(x.0, y.0));
            let own = own_registry_row(ra, persons, reg_a.number());
            if owner.is_some() || own.is_some() {
                self.wrong_number.insert(a);
            }
            match (owner, own) {
                (Some(b), _) => self.swapped(a, b, from_case, own),
                (None, Some(r)) => self.someone_elses(a, reg_a, r),
                (None, None) => {}
            }
        }
    }

    /// L03: record `a` carries the number of `b`, a member of its own case. The number to
    /// propose is the one a case member carries for `a` (`from_case`), or `a`'s own registry
    /// row (`own`); with neither, `a` is not to be registered until its number is known.
    fn swapped(&mut self, a: u32, b: u32, from_case: Option<(u32, &RegRow)>, own: Option<&RegRow>) {
        self.pairs.push(Pair {
            rec: a,
            code: Code::L03,
            other: Other::Rec(b),
        });
        let proposal = match (from_case, own) {
            (Some((c, r)), _) => Some((
                r.number().to_string(),
                format!(
                    "この人の個人番号は住基では {}（{} {}行目の記載番号）です",
                    show_my_number(r.number(), self.input.unmask),
                    self.input.files[self.rec(c).source.file as usize],
                    self.rec(c).source.line
                ),
            )),
            (None, Some(r)) => Some((
                r.number().to_string(),
                format!(
                    "この人は住基に個人番号 {} で登録されています（住基 {}行目）",
                    show_my_number(r.number(), self.input.unmask),
                    r.line
                ),
            )),
            (None, None) => None,
        };
        match proposal {
            Some((n, note)) => {
                self.notes.insert(
                    (a, Code::L03),
                    format!("{note}。番号を入れ替えて確認してください"),
                );
                self.propose(a, Action::Review, vec![(RosterKey::MyNumber, n)]);
            }
            None => {
                self.notes.insert(
                    (a, Code::L03),
                    "この人の番号は世帯にも住基にも見つかりません。番号を確認するまで登録しないでください".into(),
                );
                self.propose(a, Action::Delete, Vec::new());
            }
        }
    }

    /// L04: record `a`'s number is someone else's in the registry (`reg_a`), and `a` is
    /// registered under another number (`own`): propose it.
    fn someone_elses(&mut self, a: u32, reg_a: &RegRow, own: &RegRow) {
        let ra = self.rec(a);
        let reg_file = self.input.registry.map_or(0, |(_, _, fi)| fi);
        let note = format!(
            "この行の個人番号 {} は住基では別人（「{}」、生年月日 {}、住基 {}行目）の番号です。この人は住基に個人番号 {} で登録されています（住基 {}行目）。番号を確認して修正してください",
            show_my_number(ra.value(RosterKey::MyNumber), self.input.unmask),
            reg_a.name(),
            reg_a.birth(),
            reg_a.line,
            show_my_number(own.number(), self.input.unmask),
            own.line
        );
        self.pairs.push(Pair {
            rec: a,
            code: Code::L04,
            other: Other::Line(Source {
                file: reg_file,
                line: own.line,
            }),
        });
        self.notes.insert((a, Code::L04), note);
        self.propose(
            a,
            Action::Review,
            vec![(RosterKey::MyNumber, own.number().to_string())],
        );
    }

    /// L05, D01, D05: inside each person seen more than once.
    fn within_persons(&mut self) {
        let mut classes: Vec<Vec<u32>> = self.members.values().cloned().collect();
        classes.sort_unstable();
        for m in classes {
            self.different_numbers(&m);
            self.overlapping_coverage(&m);
        }
    }

    /// L05: one person's records carry different numbers. The number the registry verified,
    /// when exactly one was, is proposed for the others.
    fn different_numbers(&mut self, m: &[u32]) {
        let numbers: HashSet<u64> = m
            .iter()
            .filter_map(|&i| self.person(i).and_then(|p| p.number))
            .collect();
        if numbers.len() > 1 {
            let verified: HashSet<u64> = m
                .iter()
                .filter_map(|&i| self.person(i).filter(|p| p.verified).and_then(|p| p.number))
                .collect();
            let right = (verified.len() == 1)
                .then(|| verified.iter().next().copied())
                .flatten();
            for (x, &a) in m.iter().enumerate() {
                for &b in &m[x + 1..] {
                    let (na, nb) = (
                        self.person(a).and_then(|p| p.number),
                        self.person(b).and_then(|p| p.number),
                    );
                    if let (Some(na), Some(nb)) = (na, nb)
                        && na != nb
                    {
                        self.pair(a, b, Code::L05);
                    }
                }
            }
            for &a in m {
                let Some(n) = self.person(a).and_then(|p| p.number) else {
                    continue;
                };
                match right {
                    Some(r) if r != n => {
                        let r = format!("{r:012}");
                        self.notes.insert(
                        (a, Code::L05),
                        format!(
                            "住基で本人と確認できた番号は {} です。この番号で修正するか確認してください",
                            show_my_number(&r, self.input.unmask)
                        ),
                    );
                        self.propose(a, Action::Review, vec![(RosterKey::MyNumber, r)]);
                    }
                    Some(_) => {
                        self.notes.insert(
                        (a, Code::L05),
                        "この行の番号は住基で本人と確認できています。相手の行を確認してください".into(),
                    );
                    }
                    None => {
                        self.notes.insert(
                            (a, Code::L05),
                            "どちらの番号が本人のものか確認してください".into(),
                        );
                        self.propose(a, Action::Review, Vec::new());
                    }
                }
            }
        }
    }

    /// D01 (two offices) and D05 (two 受給者番号 in one office): one person's records whose
    /// periods of coverage overlap.
    fn overlapping_coverage(&mut self, m: &[u32]) {
        for (x, &a) in m.iter().enumerate() {
            for &b in &m[x + 1..] {
                let (Some(pa), Some(pb)) = (
                    self.person(a).and_then(|p| p.period),
                    self.person(b).and_then(|p| p.period),
                ) else {
                    continue;
                };
                if !pa.overlaps(pb) {
                    continue;
                }
                let (ra, rb) = (self.rec(a), self.rec(b));
                let office = |r: &Rec| r.value(RosterKey::InsurerNo).to_string();
                let recipient = |r: &Rec| r.value(RosterKey::RecipientNo).to_string();
                if office(ra) != office(rb) {
                    self.pair(a, b, Code::D01);
                    // The office the person left first should have ended the coverage
                    // when the next one started it.
                    let (earlier, later_rec, later) = match pa.from.cmp(&pb.from) {
                        std::cmp::Ordering::Less => (a, b, pb.from),
                        std::cmp::Ordering::Greater => (b, a, pa.from),
                        std::cmp::Ordering::Equal => {
                            self.propose(a, Action::Review, Vec::new());
                            self.propose(b, Action::Review, Vec::new());
                            continue;
                        }
                    };
                    self.notes.insert(
                    (earlier, Code::D01),
                    format!(
                        "転出前の事務所の資格が終わっていないと考えられます。資格喪失日を {later}（転入先の資格取得日）にするか確認してください"
                    ),
                );
                    self.notes.insert(
                    (later_rec, Code::D01),
                    "この行は後から始まった資格です。転出前の事務所に資格喪失日の確認を依頼してください".into(),
                );
                    self.propose(
                        earlier,
                        Action::Review,
                        vec![(RosterKey::LostOn, later.to_string())],
                    );
                } else if recipient(ra) != recipient(rb) {
                    self.pair(a, b, Code::D05);
                    let keep = match pa.from.cmp(&pb.from) {
                        std::cmp::Ordering::Less => a,
                        std::cmp::Ordering::Greater => b,
                        std::cmp::Ordering::Equal if recipient(ra) < recipient(rb) => a,
                        std::cmp::Ordering::Equal => b,
                    };
                    let change = if keep == a { b } else { a };
                    let fixed = recipient(self.rec(keep));
                    self.notes.insert(
                        (keep, Code::D05),
                        "この行の受給者番号が先に付けられたものです".into(),
                    );
                    self.notes.insert(
                        (change, Code::D05),
                        format!("受給者番号を先に付けた {fixed} に揃えるか確認してください"),
                    );
                    self.propose(
                        change,
                        Action::Review,
                        vec![(RosterKey::RecipientNo, fixed)],
                    );
                }
            }
        }
    }

    /// D04: one 保険者番号 + 受給者番号 on different persons.
    fn shared_recipient_numbers(&mut self) {
        let keyed: Vec<((&str, &str), u32)> = self
            .input
            .recs
            .par_iter()
            .enumerate()
            .filter(|(i, _)| self.persons[*i].is_some())
            .map(|(i, r)| {
                let key = (
                    r.value(RosterKey::InsurerNo),
                    r.value(RosterKey::RecipientNo),
                );
                (key, i as u32)
            })
            .filter(|((o, n), _)| !o.is_empty() && !n.is_empty())
            .collect();
        let mut found = Vec::new();
        for g in shared(keyed) {
            for (x, &a) in g.iter().enumerate() {
                for &b in &g[x + 1..] {
                    let (Some(pa), Some(pb)) = (self.person(a), self.person(b)) else {
                        continue;
                    };
                    let both_verified = pa.verified && pb.verified;
                    let same = if both_verified {
                        pa.number == pb.number
                    } else {
                        self.same_class(a, b) || pa.loosely_same(pb)
                    };
                    if !same {
                        let later = match (pa.period, pb.period) {
                            (Some(x), Some(y)) if x.from < y.from => vec![b],
                            (Some(x), Some(y)) if y.from < x.from => vec![a],
                            _ => vec![a, b],
                        };
                        found.push((a, b, later));
                    }
                }
            }
        }
        for (a, b, later) in found {
            self.pair(a, b, Code::D04);
            for i in later {
                self.notes.insert(
                    (i, Code::D04),
                    "後から登録されたこの行の受給者番号を振り直すか確認してください".into(),
                );
                self.propose(i, Action::Review, Vec::new());
            }
        }
    }

    /// D02, D03: the roster's coverage against the other-insurance files.
    fn other_insurance(&mut self, scan: &InsuranceScan) {
        let mut employee: HashMap<u32, Source> = HashMap::new();
        for (k, c) in scan.coverages.iter().enumerate() {
            match c.system {
                1..=3 => self.pairs.push(Pair {
                    rec: c.rec,
                    code: Code::D02,
                    other: Other::Coverage(k as u32),
                }),
                _ => {
                    let e = employee.entry(c.rec).or_insert(c.source);
                    *e = (*e).min(c.source);
                }
            }
        }
        let mut d03 = Vec::new();
        for (i, p) in self.persons.iter().enumerate() {
            let Some(p) = p else { continue };
            if p.period.is_none() {
                continue;
            }
            let i = i as u32;
            let flag = self.rec(i).value(RosterKey::SocialInsurance);
            let reliable = p.verified || (self.input.verdicts.is_none() && p.number.is_some());
            // A row without a number links by name, カナ, birth date and sex: a record missing
            // one of them (a 外字 in the name, no カナ) could not have found its job's row.
            let findable =
                p.name.is_some() && p.kana.is_some() && p.birth.is_some() && p.sex.is_some();
            match (flag, employee.get(&i)) {
                ("0", Some(&src)) => d03.push((i, Other::Line(src), "1")),
                ("1", None) if scan.has_employee_rows && reliable && findable => {
                    d03.push((i, Other::None, "0"));
                }
                _ => {}
            }
        }
        for (i, other, proposed) in d03 {
            self.pairs.push(Pair {
                rec: i,
                code: Code::D03,
                other,
            });
            self.propose(
                i,
                Action::Review,
                vec![(RosterKey::SocialInsurance, proposed.to_string())],
            );
        }
    }

    /// Orders records by content: file name, then the row's bytes.
    fn content_cmp(&self, a: u32, b: u32) -> std::cmp::Ordering {
        let key = |i: u32| {
            let r = self.rec(i);
            (
                self.input.files[r.source.file as usize].as_str(),
                r.kept.as_ref().map(|k| k.record.as_bytes()),
            )
        };
        key(a).cmp(&key(b)).then(a.cmp(&b))
    }

    fn source_cmp(&self, a: Source, b: Source) -> std::cmp::Ordering {
        (self.input.files[a.file as usize].as_str(), a.line)
            .cmp(&(self.input.files[b.file as usize].as_str(), b.line))
    }

    /// One finding per record and code (and per insurance row for D02), naming the first other
    /// record by content.
    fn findings(mut self, insurance: Option<&InsuranceScan>) -> Flags {
        let mut pairs = std::mem::take(&mut self.pairs);
        let coverage = |k: u32| insurance.and_then(|s| s.coverages.get(k as usize));
        pairs.par_sort_by(|x, y| {
            (x.rec, x.code)
                .cmp(&(y.rec, y.code))
                .then_with(|| match (x.other, y.other) {
                    (Other::Rec(a), Other::Rec(b)) => self.content_cmp(a, b),
                    (Other::Line(a), Other::Line(b)) => self.source_cmp(a, b),
                    (Other::Coverage(a), Other::Coverage(b)) => match (coverage(a), coverage(b)) {
                        (Some(a), Some(b)) => self.source_cmp(a.source, b.source),
                        _ => a.cmp(&b),
                    },
                    (a, b) => rank(a).cmp(&rank(b)),
                })
        });
        pairs.dedup_by(|y, x| x.rec == y.rec && x.code == y.code && same_other(x.other, y.other));
        let mut out = Vec::new();
        let mut k = 0;
        while k < pairs.len() {
            let (rec, code) = (pairs[k].rec, pairs[k].code);
            let n = pairs[k..]
                .iter()
                .take_while(|p| p.rec == rec && p.code == code)
                .count();
            let group = &pairs[k..k + n];
            k += n;
            if code == Code::D02 {
                // One finding per overlapping insurance row.
                for p in group {
                    out.push((rec, self.finding(rec, code, p.other, 0, insurance)));
                }
                continue;
            }
            out.push((
                rec,
                self.finding(rec, code, group[0].other, n - 1, insurance),
            ));
        }
        // L05 says less than L03/L04 on the same record.
        let specific: HashSet<u32> = out
            .iter()
            .filter(|(_, f)| matches!(f.code, Code::L03 | Code::L04))
            .map(|(r, _)| *r)
            .collect();
        out.retain(|(r, f)| f.code != Code::L05 || !specific.contains(r));
        let persons_with_several_records = self.members.len() as u64;
        Flags {
            findings: out,
            corrections: self.corrections,
            persons_with_several_records,
        }
    }

    fn finding(
        &self,
        i: u32,
        code: Code,
        other: Other,
        more: usize,
        insurance: Option<&InsuranceScan>,
    ) -> Finding {
        let cov: Option<&Coverage> = match other {
            Other::Coverage(k) => insurance.and_then(|s| s.coverages.get(k as usize)),
            _ => None,
        };
        let other = match (other, cov) {
            (Other::Coverage(_), Some(c)) => Other::Line(c.source),
            (Other::Coverage(_), None) => Other::None,
            (o, _) => o,
        };
        let files = self.input.files;
        let unmask = self.input.unmask;
        let r = self.rec(i);
        let p = self.person(i);
        let period = p.and_then(|p| p.period).map_or(String::new(), Period::show);
        let (related, where_) = match other {
            Other::Rec(b) => {
                let s = self.rec(b).source;
                (
                    Some(s),
                    format!("{} {}行目", files[s.file as usize], s.line),
                )
            }
            Other::Line(s) => (
                Some(s),
                format!("{} {}行目", files[s.file as usize], s.line),
            ),
            Other::None | Other::Coverage(_) => (None, String::new()),
        };
        let o = match other {
            Other::Rec(b) => Some(self.rec(b)),
            _ => None,
        };
        let op = match other {
            Other::Rec(b) => self.person(b).and_then(|p| p.period),
            _ => None,
        }
        .map_or(String::new(), Period::show);
        let more = if more > 0 {
            format!("（ほかに {more} 件）")
        } else {
            String::new()
        };
        let note = self
            .notes
            .get(&(i, code))
            .map_or(String::new(), |n| format!("。{n}"));
        let said = Said {
            i,
            r,
            o,
            number: show_my_number(r.value(RosterKey::MyNumber), unmask),
            where_,
            more,
            note,
            period,
            op,
            cov,
        };
        let (field, message) = self.said(code, &said);
        let action = match code {
            Code::L01 | Code::L02 => match self.number_action(i) {
                Action::Fix => Action::Review,
                a => a,
            },
            _ => self
                .corrections
                .get(&i)
                .filter(|c| c.action == Action::Delete && code == Code::L03)
                .map_or(Action::Review, |c| c.action),
        };
        Finding {
            code,
            source: r.source,
            insurer_no: r.insurer_no().to_string(),
            recipient_no: r.recipient_no().to_string(),
            field: field.to_string(),
            message,
            action,
            related,
        }
    }

    /// A finding's 項目 and message: one template per code, filled from what [`Self::finding`]
    /// gathered.
    fn said(&self, code: Code, s: &Said<'_>) -> (&'static str, String) {
        let Said {
            i,
            number,
            where_,
            more,
            note,
            period,
            op,
            cov,
            ..
        } = s;
        let (i, cov) = (*i, *cov);
        match code {
            Code::L01 => (
                "生年月日",
                format!(
                    "個人番号 {number} が {where_}{more}の生年月日 {} の人にも使われています（この行の生年月日は {}）。どちらかが別人の個人番号です{}",
                    s.ov(RosterKey::BirthDate),
                    s.v(RosterKey::BirthDate),
                    self.number_note(i)
                ),
            ),
            Code::L02 => (
                "氏名",
                format!(
                    "個人番号 {number} と生年月日 {} が {where_}{more}の「{}」（{}）と同じで、氏名が違います（この行は「{}」（{}））。双子など別の人に同じ番号を付けていないか確認してください{}",
                    s.v(RosterKey::BirthDate),
                    s.ov(RosterKey::Name),
                    s.ov(RosterKey::NameKana),
                    s.v(RosterKey::Name),
                    s.v(RosterKey::NameKana),
                    self.number_note(i)
                ),
            ),
            Code::L03 => (
                "個人番号",
                format!(
                    "この行の個人番号 {number} は、住基では同じ世帯（ケース番号 {}）の {where_}「{}」の番号です。世帯内で番号が入れ替わっています{note}",
                    s.v(RosterKey::CaseNo),
                    s.ov(RosterKey::Name)
                ),
            ),
            Code::L04 => ("個人番号", note.trim_start_matches('。').to_string()),
            Code::L05 => (
                "個人番号",
                format!(
                    "同じ人（氏名・生年月日・性別・住所が一致）が {where_}{more}では別の個人番号 {} で登録されています（この行は {number}）{note}",
                    show_my_number(s.ov(RosterKey::MyNumber), self.input.unmask)
                ),
            ),
            Code::D01 => (
                "資格取得日",
                format!(
                    "同じ人が {where_}{more}で別の福祉事務所（保険者番号 {}、{op}）にも登録され、この行の資格（{period}）と期間が重なっています{note}",
                    s.ov(RosterKey::InsurerNo)
                ),
            ),
            Code::D02 => (
                "資格取得日",
                match cov {
                    Some(c) => format!(
                        "{}（保険者番号 {}、{where_}、{}）と医療扶助の資格（{period}）が重なっています。{}",
                        system_name(c.system),
                        c.insurer_no,
                        c.period.show(),
                        describe_coverage(c)
                    ),
                    None => format!("{where_} の資格と医療扶助の資格（{period}）が重なっています"),
                },
            ),
            Code::D03 => (
                "社会保険状況",
                if s.v(RosterKey::SocialInsurance) == "0" {
                    format!(
                        "社会保険状況が 0（他の保険なし）ですが、{where_}{more}の被用者保険の資格が医療扶助の資格（{period}）と重なっています。1（併用）ではないか確認してください"
                    )
                } else {
                    format!(
                        "社会保険状況が 1（被用者保険と併用）ですが、医療扶助の資格（{period}）と重なる被用者保険の資格が他制度資格ファイルにありません。0 ではないか確認してください"
                    )
                },
            ),
            Code::D04 => (
                "受給者番号",
                format!(
                    "保険者番号 {}・受給者番号 {} が {where_}{more}の別の人（「{}」、生年月日 {}）にも使われています。受給者番号は一人に一つです{note}",
                    s.v(RosterKey::InsurerNo),
                    s.v(RosterKey::RecipientNo),
                    s.ov(RosterKey::Name),
                    s.ov(RosterKey::BirthDate)
                ),
            ),
            _ => (
                "受給者番号",
                format!(
                    "同じ人が同じ事務所で {where_}{more}の別の受給者番号 {}（{op}）も持ち、この行の資格（{period}）と期間が重なっています。受給者番号は一人に一つに固定してください{note}",
                    s.ov(RosterKey::RecipientNo)
                ),
            ),
        }
    }

    /// What the registry says about a record's number, for L01/L02.
    fn number_note(&self, i: u32) -> &'static str {
        match (self.verdict(i).and_then(|v| v.code), self.person(i)) {
            (_, Some(p)) if p.verified => {
                "。この行の番号は住基で本人と確認できています。相手の行を確認してください"
            }
            (Some(Code::M20), _) => {
                "。この行は住基の本人とも一致しません。番号を確認するまで登録しないでください"
            }
            (Some(_), _) => "。住基でこの行の本人とは確認できていません",
            (None, _) => "",
        }
    }
}

fn rank(o: Other) -> u8 {
    match o {
        Other::Rec(_) => 0,
        Other::Line(_) => 1,
        Other::Coverage(_) => 2,
        Other::None => 3,
    }
}

fn same_other(a: Other, b: Other) -> bool {
    match (a, b) {
        (Other::Rec(x), Other::Rec(y)) => x == y,
        (Other::Line(x), Other::Line(y)) => x == y,
        (Other::Coverage(x), Other::Coverage(y)) => x == y,
        (Other::None, Other::None) => true,
        _ => false,
    }
}

/// The groups of records sharing a key, two or more records each (sorted in parallel: a hash
/// map with a vector per key cost seconds on two million records).
fn shared<K: Ord + Send>(mut keyed: Vec<(K, u32)>) -> Vec<Vec<u32>> {
    keyed.par_sort_unstable();
    let mut groups = Vec::new();
    let mut start = 0;
    while start < keyed.len() {
        let len = keyed[start..]
            .iter()
            .take_while(|k| k.0 == keyed[start].0)
            .count();
        if len > 1 {
            groups.push(keyed[start..start + len].iter().map(|k| k.1).collect());
        }
        start += len;
    }
    groups
}

/// 制度区分 as words.
pub fn system_name(system: u8) -> &'static str {
    match system {
        1 => "国保",
        2 => "国保組合",
        3 => "後期高齢者医療",
        _ => "被用者保険",
    }
}

/// What to do about a welfare record overlapping 国保 / 国保組合 / 後期高齢者医療.
fn describe_coverage(c: &Coverage) -> String {
    let name = system_name(c.system);
    format!(
        "生活保護を受けている人は{name}の被保険者になりません（保護開始の日に資格を喪失）。{name}の資格喪失日を医療扶助の資格取得日 {} にするよう保険者に確認するか、医療扶助の資格期間を確認してください",
        c.rec_from
    )
}

/// The registry row of a record's number looks like someone else: M20, or M11/M12 (only the
/// name differs: a name change, or a twin's number). L03/L04 look for that someone.
fn points_elsewhere(v: &Verdict<'_>) -> bool {
    matches!(v.code, Some(Code::M11 | Code::M12 | Code::M20))
        && v.registry.is_some_and(|r| !r.removed)
}

/// The registry row of a record's own person: the one resident (not removed) with its name,
/// birth date and sex who lives at its address (equal after normalization, as for M40), other
/// than the row of the number it carries. The address is required: a number is proposed only
/// for the person the office knows, never for a namesake born the same day elsewhere.
fn own_registry_row<'h>(
    rec: &Rec,
    persons: &'h HashMap<registry::SearchKey, Vec<RegRow>>,
    not: &str,
) -> Option<&'h RegRow> {
    let key = (
        name_key(rec.value(RosterKey::Name))?,
        parse_birth(rec.value(RosterKey::BirthDate))?,
        parse_sex(rec.value(RosterKey::Sex))?,
    );
    let mut found = persons
        .get(&key)?
        .iter()
        .filter(|r| r.number() != not && !r.removed && verdict::lives_at(rec, r));
    let first = found.next()?;
    found.next().is_none().then_some(first)
}

/// What the check stage gives the output stage: the findings and proposals, the insurance
/// files as read (for summary.json) and what their scan counted.
pub(crate) struct Checked {
    pub flags: Flags,
    pub insurance_inputs: Vec<insurance::InsuranceInput>,
    pub insurance_scan: Option<InsuranceScan>,
}

/// The whole check stage: persons, the registry pass for L04, the insurance files, then every
/// code.
/// `marks` gets the elapsed time (from `started`) at the end of each part.
pub(crate) fn run(
    input: &CheckInput<'_>,
    insurance: &[(FileInfo, u32)],
    insurance_layout: &Layout,
    started: std::time::Instant,
    marks: &mut Vec<(&'static str, std::time::Duration)>,
) -> Result<Checked, Error> {
    let mut checker = Checker::new(input);
    marks.push(("check_persons", started.elapsed()));
    checker.same_number();
    // The persons of records whose number the registry gives to someone else.
    let mut own: HashMap<registry::SearchKey, Vec<RegRow>> = HashMap::new();
    if let (Some(verdicts), Some((info, layout, _))) = (input.verdicts, input.registry) {
        let mut idx = Indexes::default();
        for (i, v) in verdicts.iter().enumerate() {
            if !points_elsewhere(v) || checker.persons[i].is_none() {
                continue;
            }
            let r = &input.recs[i];
            idx.add_person(
                i as u32,
                r.value(RosterKey::Name),
                r.value(RosterKey::BirthDate),
                r.value(RosterKey::Sex),
            );
        }
        if !idx.by_person.is_empty() {
            own = registry::find_persons(info, layout, &idx)?;
            marks.push(("check_registry", started.elapsed()));
        }
    }
    checker.wrong_numbers(&own);
    checker.within_persons();
    checker.shared_recipient_numbers();
    marks.push(("check_records", started.elapsed()));
    let mut inputs = Vec::new();
    let scan = if insurance.is_empty() {
        None
    } else {
        let (scan, ins) = insurance::scan(&checker, insurance, insurance_layout)?;
        inputs = ins;
        marks.push(("check_insurance", started.elapsed()));
        checker.other_insurance(&scan);
        Some(scan)
    };
    let flags = checker.findings(scan.as_ref());
    marks.push(("check", started.elapsed()));
    Ok(Checked {
        flags,
        insurance_inputs: inputs,
        insurance_scan: scan,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_half_open() {
        let p = |a: &str, b: &str| Period::parse(a, b).unwrap();
        // 国保 lost the day welfare began: touching, not overlapping.
        assert!(!p("20100401", "20220101").overlaps(p("20220101", "")));
        assert!(!p("20220101", "").overlaps(p("20100401", "20220101")));
        // One day of overlap is an overlap.
        assert!(p("20100401", "20220102").overlaps(p("20220101", "")));
        // Empty 喪失日: covered to this day.
        assert!(p("20100401", "").overlaps(p("20300101", "")));
        // Empty periods (喪失日 on 取得日) overlap nothing.
        assert!(!p("20220101", "20220101").overlaps(p("20100101", "")));
        assert!(Period::parse("20220230", "").is_none());
        assert!(Period::parse("20220101", "2023").is_none());
        // 喪失日 before 取得日 (V12) is no period at all, not an empty one.
        assert!(Period::parse("20220101", "20211231").is_none());
        assert_eq!(p("20220101", "").show(), "取得 20220101・継続中");
    }

    #[test]
    fn union_find_gives_one_partition_whatever_the_order() {
        let edges = [(5u32, 2u32), (2, 7), (9, 8), (1, 0)];
        let classes = |order: &[usize]| {
            let mut d = Dsu((0..10).collect());
            for &k in order {
                d.union(edges[k].0, edges[k].1);
            }
            (0..10).map(|i| d.find(i)).collect::<Vec<_>>()
        };
        let a = classes(&[0, 1, 2, 3]);
        assert_eq!(a, classes(&[3, 2, 1, 0]));
        assert_eq!(a, classes(&[1, 3, 0, 2]));
        assert_eq!(a[5], a[7]);
        assert_eq!(a[2], 2, "the smallest index is the root");
        assert_ne!(a[5], a[8]);
    }
}
