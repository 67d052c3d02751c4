//! Number linkage and duplicate coverage problems on the roster side (L01–L05, D01, D04, D05),
//! injected household by household with the code every record of the conflict must carry.
//!
//! Everything an injection needs lives in one chunk, so parallel generation stays
//! deterministic: the household itself (numbers swapped, twins, a shared 受給者番号, a second
//! record of one member in the same or another office), or a resident generated earlier in the
//! same chunk (the clean recipient whose number an outsider carries, L01; the resident off
//! welfare whose number a recipient carries, L04). The household's records carry no other
//! problem or variation and no other-insurance rows, and its registry rows keep their カナ, so
//! the registry verdict of each record is known here ([`verdict`], the contract's rule).
//!
//! Which records carry which code follows `check` (src/flag/mod.rs): a pair conflict (L01, L02,
//! L05, D01, D04, D05) is reported on both records; L03 and L04 on the record whose number is
//! someone else's; a record carrying someone else's number also has its registry verdict (M11,
//! M12 or M20). Look-alikes that must stay silent are generated too: twins with their own
//! numbers, a second record that starts the day the first ended (same office: a re-opened case;
//! another office: a move handled in time).

use super::rng::Rng;
use super::{Household, RosterRow, Tables, address, my_number, name_of};
use crate::normalize::FieldMatch;
use crate::normalize::address::compare_address;
use crate::normalize::name::{compare_kana, compare_name, kana_key, name_key};
use crate::rules::date::Ymd;

/// The registry-side facts of one resident, as `check` compares them.
#[derive(Clone)]
pub(super) struct Facts {
    pub index: u64,
    pub name: String,
    pub kana: String,
    pub birth: Ymd,
    pub male: bool,
    pub address: String,
}

impl Facts {
    pub(super) fn of(t: &Tables, h: &Household, m: usize) -> Facts {
        let p = &h.members[m];
        let (sur, sur_kana, given, given_kana) = name_of(p);
        Facts {
            index: p.index,
            name: format!("{sur}　{given}"),
            kana: format!("{sur_kana}　{given_kana}"),
            birth: p.birth,
            male: p.male,
            address: address(t, h, Default::default()),
        }
    }
}

/// The registry verdict of a record showing `roster` compared with the registry row `reg`
/// (the contract's "Verdict from field results"; the registry has its カナ).
fn verdict(roster: &Facts, reg: &Facts) -> &'static str {
    let differ = |m: FieldMatch| m == FieldMatch::Differ;
    let name = differ(compare_name(&roster.name, &reg.name));
    let kana = differ(compare_kana(&roster.kana, &reg.kana));
    let addr = differ(compare_address(&roster.address, &reg.address));
    if roster.birth != reg.birth || roster.male != reg.male || ((name || kana) && addr) {
        "M20"
    } else if addr {
        "M10"
    } else if name {
        "M11"
    } else if kana {
        "M12"
    } else {
        "M00"
    }
}

/// A verdict by which `check` takes the registry row for the record's own person.
fn is_person_of(code: &str) -> bool {
    matches!(code, "M00" | "M01" | "M10" | "M11" | "M12")
}

/// A verdict by which `check` looks for the number's real owner (L03/L04).
fn points_elsewhere(code: &str) -> bool {
    matches!(code, "M11" | "M12" | "M20")
}

/// What earlier households of the chunk lend to later ones.
#[derive(Default)]
pub(super) struct Lenders {
    /// A clean roster record (verdict M00) whose number an outsider may carry (L01): its
    /// index in the chunk's roster and its person.
    pub clean: Option<(usize, Facts)>,
    /// A resident off welfare, not removed, whose number a recipient may carry (L04).
    pub plain: Option<Facts>,
}

/// The injection planned for one household on welfare (member indexes).
pub(super) enum Plan {
    /// L01: member `b`, not in the registry, carries the number of the clean record `owner`.
    Outside {
        b: usize,
        owner: usize,
        facts: Facts,
        code: &'static str,
    },
    /// L02 (`carry`: twin `b` carries twin `a`'s number) or twins with their own numbers.
    Twins {
        a: usize,
        b: usize,
        carry: bool,
        code: &'static str,
    },
    /// L03: members `a` and `b` carry each other's number.
    Swap {
        a: usize,
        b: usize,
        codes: [&'static str; 2],
    },
    /// L04: member `b` carries the number of a resident off welfare.
    Plain {
        b: usize,
        number: String,
        code: &'static str,
    },
    /// L05: a second record of member `p` from the day the first ended, with a number that is
    /// nobody's (M30).
    Renumbered { p: usize },
    /// D01 (`ended` false) or a move handled in time: a second record of `p` in `office`.
    TwoOffices { p: usize, office: u32, ended: bool },
    /// D04: members `a` and `a + 1` share one 受給者番号.
    SharedRecipient { a: usize },
    /// D05 (`ended` false) or a re-opened case: a second 受給者番号 for `p` in the same office.
    TwoRecipients { p: usize, ended: bool },
}

#[derive(Clone, Copy)]
enum Kind {
    L01,
    L02,
    L03,
    L04,
    L05,
    D01,
    D04,
    D05,
}

/// Chooses an injection for the household on welfare `h` (it may make two members twins), or
/// None when the chosen one does not apply to it.
pub(super) fn plan(
    t: &Tables,
    rng: &mut Rng,
    h: &mut Household,
    lenders: &mut Lenders,
) -> Option<Plan> {
    let n = h.members.len();
    // Households of several members are fewer: they get their own kinds more often, twins
    // twice as often (40 % of them keep their own numbers and inject nothing).
    let kind = if n >= 2 && rng.chance(0.6) {
        [Kind::L02, Kind::L02, Kind::L03, Kind::D04][rng.below(4) as usize]
    } else {
        let mut kinds = Vec::with_capacity(5);
        if lenders.clean.is_some() {
            kinds.push(Kind::L01);
        }
        if lenders.plain.is_some() {
            kinds.push(Kind::L04);
        }
        kinds.extend([Kind::L05, Kind::D05]);
        if t.offices.len() > 1 {
            kinds.push(Kind::D01);
        }
        kinds[rng.below(kinds.len() as u64) as usize]
    };
    let others_not = |h: &Household, except: usize, reg: &Facts| {
        (0..h.members.len())
            .filter(|&c| c != except)
            .all(|c| !is_person_of(verdict(&Facts::of(t, h, c), reg)))
    };
    let plan = match kind {
        Kind::L01 => {
            let (owner, facts) = lenders.clean.clone()?;
            let b = rng.below(n as u64) as usize;
            let fb = Facts::of(t, h, b);
            let code = verdict(&fb, &facts);
            // Another birth date (else it is L02), and nobody of the case is the owner (L03).
            if fb.birth == facts.birth || !points_elsewhere(code) || !others_not(h, b, &facts) {
                return None;
            }
            lenders.clean = None;
            Plan::Outside {
                b,
                owner,
                facts,
                code,
            }
        }
        Kind::L02 => {
            let (a, b) = (n - 2, n - 1);
            let (fa, mut fb) = (Facts::of(t, h, a), Facts::of(t, h, b));
            fb.birth = fa.birth;
            // Twins with different names and readings (else one person by the basic fields).
            if name_key(&fa.name) == name_key(&fb.name) || kana_key(&fa.kana) == kana_key(&fb.kana)
            {
                return None;
            }
            let code = verdict(&fb, &fa);
            if !points_elsewhere(code) {
                return None;
            }
            h.members[b].birth = fa.birth;
            Plan::Twins {
                a,
                b,
                carry: rng.chance(0.6),
                code,
            }
        }
        Kind::L03 => {
            let a = rng.below(n as u64) as usize;
            let b = (a + 1 + rng.below(n as u64 - 1) as usize) % n;
            let (fa, fb) = (Facts::of(t, h, a), Facts::of(t, h, b));
            let codes = [verdict(&fa, &fb), verdict(&fb, &fa)];
            if !codes.iter().all(|c| points_elsewhere(c)) {
                return None;
            }
            Plan::Swap { a, b, codes }
        }
        Kind::L04 => {
            let x = lenders.plain.take()?;
            let b = rng.below(n as u64) as usize;
            let code = verdict(&Facts::of(t, h, b), &x);
            if !points_elsewhere(code) || !others_not(h, b, &x) {
                lenders.plain = Some(x);
                return None;
            }
            Plan::Plain {
                b,
                number: my_number(x.index),
                code,
            }
        }
        Kind::L05 => Plan::Renumbered {
            p: rng.below(n as u64) as usize,
        },
        Kind::D01 => {
            let k = t.offices.len() as u64;
            let home = (h.town * t.offices.len() / t.towns.len()) as u64;
            Plan::TwoOffices {
                p: rng.below(n as u64) as usize,
                office: ((home + 1 + rng.below(k - 1)) % k) as u32,
                ended: rng.chance(0.3),
            }
        }
        Kind::D04 => Plan::SharedRecipient {
            a: rng.below(n as u64 - 1) as usize,
        },
        Kind::D05 => Plan::TwoRecipients {
            p: rng.below(n as u64) as usize,
            ended: rng.chance(0.3),
        },
    };
    Some(plan)
}

impl Plan {
    /// The member left out of the registry (L01's outsider).
    pub(super) fn outside(&self) -> Option<usize> {
        match self {
            Plan::Outside { b, .. } => Some(*b),
            _ => None,
        }
    }

    /// Applies the plan to the household's roster rows (`rows`, one per member in order, at
    /// `first` in the chunk's roster `all`): numbers, 受給者番号, periods, second records, truth.
    pub(super) fn apply(self, t: &Tables, rng: &mut Rng, all: &mut Vec<RosterRow>, first: usize) {
        let as_of = t.as_of_days;
        // A second record of member `p`, starting after the first: None when the first started
        // on the reference date.
        let second = |all: &mut Vec<RosterRow>, rng: &mut Rng, p: usize, ended: bool| {
            let row = &mut all[first + p];
            let a1 = row.welfare.from;
            if a1 >= as_of {
                return None;
            }
            let a2 = a1 + 1 + rng.below((as_of - a1) as u64) as i64;
            let mut r2 = row.clone();
            r2.welfare.from = a2;
            r2.welfare.to = None;
            r2.acquired = super::ymd_from_days(a2).to_yyyymmdd();
            r2.lost.clear();
            row.welfare.to = ended.then_some(a2);
            row.lost = if ended {
                super::ymd_from_days(a2).to_yyyymmdd()
            } else {
                String::new()
            };
            Some(r2)
        };
        match self {
            Plan::Outside {
                b,
                owner,
                facts,
                code,
            } => {
                let row = &mut all[first + b];
                row.number = my_number(facts.index);
                row.extra
                    .push((code, "他人の個人番号（本人は住基の抽出範囲外）".into()));
                row.extra
                    .push(("L01", "他人の個人番号: 番号の持ち主と生年月日が違う".into()));
                all[owner]
                    .extra
                    .push(("L01", "この人の個人番号を生年月日の違う別人が記載".into()));
            }
            Plan::Twins { a, b, carry, code } => {
                if carry {
                    let number = all[first + a].number.clone();
                    let row = &mut all[first + b];
                    row.number = number;
                    row.extra
                        .push((code, "双子のもう一方の個人番号を記載".into()));
                    row.extra
                        .push(("L02", "双子のもう一方の個人番号を記載".into()));
                    row.extra
                        .push(("L03", "世帯の別の人（双子）の個人番号を記載".into()));
                    all[first + a]
                        .extra
                        .push(("L02", "この人の個人番号を双子のもう一方が記載".into()));
                }
            }
            Plan::Swap { a, b, codes } => {
                let na = std::mem::take(&mut all[first + a].number);
                let nb = std::mem::replace(&mut all[first + b].number, na);
                all[first + a].number = nb;
                for (m, code) in [(a, codes[0]), (b, codes[1])] {
                    let row = &mut all[first + m];
                    row.extra
                        .push((code, "世帯の別の人の個人番号を記載".into()));
                    row.extra
                        .push(("L03", "世帯内で個人番号が入れ替わっている".into()));
                }
            }
            Plan::Plain { b, number, code } => {
                let row = &mut all[first + b];
                row.number = number;
                row.extra
                    .push((code, "世帯外の住民の個人番号を記載".into()));
                row.extra.push((
                    "L04",
                    "世帯外の住民の個人番号を記載（本人は住基に自分の番号で登録）".into(),
                ));
            }
            Plan::Renumbered { p } => {
                if let Some(mut r2) = second(all, rng, p, true) {
                    r2.number = my_number(super::UNKNOWN_BASE + r2.person);
                    r2.extra
                        .push(("M30", "再登録の行に住基にない個人番号".into()));
                    r2.extra.push((
                        "L05",
                        "同じ人の前の行（資格喪失済み）と個人番号が違う".into(),
                    ));
                    all[first + p]
                        .extra
                        .push(("L05", "同じ人の再登録の行と個人番号が違う".into()));
                    all.insert(first + p + 1, r2);
                }
            }
            Plan::TwoOffices { p, office, ended } => {
                if let Some(mut r2) = second(all, rng, p, ended) {
                    r2.office = office;
                    if !ended {
                        let what = "同じ人が別の事務所の名簿にも載り、資格期間が重なる";
                        r2.extra.push(("D01", what.into()));
                        all[first + p].extra.push(("D01", what.into()));
                    }
                    all.push(r2);
                }
            }
            Plan::SharedRecipient { a } => {
                all[first + a + 1].same_recipient = true;
                let what = "世帯の2人に同じ受給者番号";
                all[first + a].extra.push(("D04", what.into()));
                all[first + a + 1].extra.push(("D04", what.into()));
            }
            Plan::TwoRecipients { p, ended } => {
                if let Some(mut r2) = second(all, rng, p, ended) {
                    if !ended {
                        let what = "同じ事務所で同じ人に2つの受給者番号（資格期間が重なる）";
                        r2.extra.push(("D05", what.into()));
                        all[first + p].extra.push(("D05", what.into()));
                    }
                    all.insert(first + p + 1, r2);
                }
            }
        }
    }
}
