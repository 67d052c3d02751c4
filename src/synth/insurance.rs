//! The other-insurance file (他制度資格ファイル, `insurance.csv`) of `totsugo gen`.
//!
//! Every resident who is not on welfare and not removed holds one current row: 後期高齢者医療
//! from the 75th birthday, otherwise the household head's scheme (被用者保険 ≈ 60 %, 国保 ≈
//! 35 %, 国保組合 ≈ 5 %), which spouse and children follow as dependants or household members.
//! A removed resident's row ends on the day of removal.
//!
//! Welfare recipients hold no current 国保, 国保組合 or 後期高齢 row (国保法 6条9号, 高確法 51条1号,
//! domain.md §3.2). What they do hold are near misses that must not be reported:
//!
//! - the 国保 (or 後期) they had before welfare, lost on the day welfare started (its 喪失日 is
//!   the roster's 資格取得日: half-open periods that touch, the common real case), and the one
//!   they rejoin on the day welfare ended;
//! - an employee insurance (被用者保険) that overlaps welfare, legally (併用): 社会保険状況 `1`;
//! - an old employee insurance that ended before welfare (or on its first day): flag `0`.
//!
//! Half of the recipients' 国保/後期 rows carry the 個人番号; the others are linked by name,
//! reading, birth date and sex, written exactly as the registry's standard form.
//!
//! The injected problems are [`super::Problem::D02`] (one 国保/国保組合/後期 row overlapping the
//! welfare period by at least one day) and [`super::Problem::D03`] (社会保険状況 contradicting
//! the employee-insurance rows). A recipient whose roster row carries another problem gets flag
//! `0`, no overlapping employee row and no overlapping 国保/後期 row, so it never causes a
//! D-finding.

use super::rng::{Rng, Weighted};
use super::{Person, Problem, Tables, Town, name_of, ymd_from_days};
use crate::rules::check_digit::mhlw_check_digit;
use crate::rules::date::Ymd;

pub(super) const INSURANCE_HEADER: &str =
    "保険者番号,制度区分,個人番号,氏名,氏名カナ,生年月日,性別,資格取得日,資格喪失日";

/// 制度区分.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Scheme {
    /// 01 市町村国保 (6-digit 保険者番号).
    Kokuho,
    /// 02 国保組合 (6 digits, the third is 3).
    Kumiai,
    /// 03 後期高齢者医療 (法別 39), from the 75th birthday.
    Kouki,
    /// 04 被用者保険: 協会けんぽ, 組合健保, 共済, 船員.
    Employee,
}

impl Scheme {
    pub(super) fn code(self) -> &'static str {
        match self {
            Scheme::Kokuho => "01",
            Scheme::Kumiai => "02",
            Scheme::Kouki => "03",
            Scheme::Employee => "04",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Scheme::Kokuho => "国保",
            Scheme::Kumiai => "国保組合",
            Scheme::Kouki => "後期高齢者医療",
            Scheme::Employee => "被用者保険",
        }
    }
}

/// A half-open coverage period `[from, to)` in days since 1970-01-01; `None`: still covered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Period {
    pub from: i64,
    pub to: Option<i64>,
}

impl Period {
    /// At least one day in common (periods that merely touch do not overlap).
    pub(super) fn overlaps(self, other: Period) -> bool {
        self.from < other.to.unwrap_or(i64::MAX) && other.from < self.to.unwrap_or(i64::MAX)
    }
}

/// `body` followed by its MHLW check digit.
fn with_check(body: String) -> String {
    let check = mhlw_check_digit(&body).unwrap_or(0);
    format!("{body}{check}")
}

/// The insurers of one prefecture.
struct PrefInsurers {
    kumiai: Vec<String>,
    kouki: String,
    employee: Vec<String>,
    employee_weight: Weighted,
}

/// Plausible 保険者番号 (realism over precision): one 国保 per municipality, a few 国保組合, the
/// prefecture's 後期高齢者医療広域連合, and a handful of employee insurers per prefecture.
pub(super) struct Insurers {
    /// 国保 of each town's municipality, by town index.
    kokuho: Vec<String>,
    /// By 都道府県番号 − 1.
    prefs: Vec<PrefInsurers>,
}

/// 組合健保 保険者別番号 used in every prefecture.
const KENPO_KUMIAI: [u16; 5] = [101, 214, 327, 452, 583];

impl Insurers {
    pub(super) fn new(towns: &[Town]) -> Insurers {
        // 国保: 都道府県番号 + 3 digits (never 3xx, which 国保組合 use) + check digit, numbered
        // by municipality in the order the towns list them.
        let mut cities: Vec<(u8, &str)> = Vec::new();
        let mut per_pref = [0u16; 48];
        let mut numbers: Vec<String> = Vec::new();
        let kokuho = towns
            .iter()
            .map(|t| {
                let i = match cities.iter().position(|c| *c == (t.pref_code, t.city)) {
                    Some(i) => i,
                    None => {
                        let n = &mut per_pref[usize::from(t.pref_code).min(47)];
                        *n += 1;
                        let mut local = 100 + *n;
                        if local >= 300 {
                            local += 100;
                        }
                        cities.push((t.pref_code, t.city));
                        numbers.push(with_check(format!(
                            "{:02}{:03}",
                            t.pref_code,
                            local.min(999)
                        )));
                        cities.len() - 1
                    }
                };
                numbers[i].clone()
            })
            .collect();
        let prefs = (1..=47u8)
            .map(|pp| {
                let mut employee = vec![(with_check(format!("01{pp:02}001")), 45)];
                for n in KENPO_KUMIAI {
                    employee.push((with_check(format!("06{pp:02}{n:03}")), 6));
                }
                for (law, w) in [(31, 4), (32, 9), (33, 2), (34, 3), (2, 1)] {
                    employee.push((with_check(format!("{law:02}{pp:02}001")), w));
                }
                PrefInsurers {
                    kumiai: (1..=4)
                        .map(|n| with_check(format!("{pp:02}3{n:02}")))
                        .collect(),
                    kouki: with_check(format!("39{pp:02}001")),
                    employee_weight: Weighted::new(employee.iter().map(|e| e.1)),
                    employee: employee.into_iter().map(|e| e.0).collect(),
                }
            })
            .collect();
        Insurers { kokuho, prefs }
    }

    /// An insurer of `scheme` for someone living in town `town`.
    fn pick(&self, t: &Tables, town: usize, scheme: Scheme, rng: &mut Rng) -> &str {
        let pref = usize::from(t.towns[town].pref_code.clamp(1, 47)) - 1;
        let p = &self.prefs[pref];
        match scheme {
            Scheme::Kokuho => &self.kokuho[town],
            Scheme::Kumiai => &p.kumiai[rng.below(p.kumiai.len() as u64) as usize],
            Scheme::Kouki => &p.kouki,
            Scheme::Employee => &p.employee[p.employee_weight.pick(rng)],
        }
    }

    #[cfg(test)]
    pub(super) fn all(&self) -> impl Iterator<Item = (Scheme, &str)> {
        let prefs = self.prefs.iter().flat_map(|p| {
            p.kumiai
                .iter()
                .map(|n| (Scheme::Kumiai, n.as_str()))
                .chain(std::iter::once((Scheme::Kouki, p.kouki.as_str())))
                .chain(p.employee.iter().map(|n| (Scheme::Employee, n.as_str())))
        });
        self.kokuho
            .iter()
            .map(|n| (Scheme::Kokuho, n.as_str()))
            .chain(prefs)
    }
}

/// The day `p` turns `years` (29 February → 1 March in common years), in days.
fn birthday(p: &Person, years: u16) -> i64 {
    let b = p.birth;
    let year = b.year.saturating_add(years);
    Ymd::new(year, b.month, b.day)
        .or_else(|| Ymd::new(year, 3, 1))
        .map_or(p.birth.to_days() + i64::from(years) * 365, |d| d.to_days())
}

/// `YYYYMMDD` as 8 ASCII bytes.
pub(super) fn ymd8(d: Ymd) -> [u8; 8] {
    let y = d.year;
    [
        b'0' + (y / 1000 % 10) as u8,
        b'0' + (y / 100 % 10) as u8,
        b'0' + (y / 10 % 10) as u8,
        b'0' + (y % 10) as u8,
        b'0' + d.month / 10,
        b'0' + d.month % 10,
        b'0' + d.day / 10,
        b'0' + d.day % 10,
    ]
}

/// A 国保/後期 row without 個人番号, held until the writer knows whether another roster person
/// shares its name key (then the row gets its number after all, so it links to its owner only).
pub(super) struct Deferred {
    /// The rendered line without the number; the number goes at byte `at`.
    pub line: Vec<u8>,
    pub at: usize,
    pub number: String,
    /// [`link_key`] of the owner's standard form, and the owner's resident index.
    pub key: u64,
    pub person: u64,
}

/// Insurance rows of one chunk.
pub(super) struct InsuranceOut {
    enabled: bool,
    pub bytes: Vec<u8>,
    pub rows: u64,
    pub deferred: Vec<Deferred>,
    /// ([`link_key`], resident index) of the chunk's roster records.
    pub owners: Vec<(u64, u64)>,
}

impl InsuranceOut {
    pub(super) fn new(enabled: bool, capacity: usize) -> InsuranceOut {
        InsuranceOut {
            enabled,
            bytes: Vec::with_capacity(if enabled { capacity } else { 0 }),
            rows: 0,
            deferred: Vec::new(),
            owners: Vec::new(),
        }
    }

    /// One row; `number: None` writes it without 個人番号 (deferred, see [`Deferred`]).
    #[allow(clippy::too_many_arguments)]
    fn row(
        &mut self,
        insurer: &str,
        scheme: Scheme,
        number: &str,
        with_number: bool,
        p: &Person,
        period: Period,
        key: u64,
    ) {
        if !self.enabled {
            return;
        }
        if with_number {
            push_row(&mut self.bytes, insurer, scheme, number, p, period);
            self.rows += 1;
        } else {
            let mut line = Vec::with_capacity(128);
            let at = insurer.len() + 4;
            push_row(&mut line, insurer, scheme, "", p, period);
            self.deferred.push(Deferred {
                line,
                at,
                number: number.to_string(),
                key,
                person: p.index,
            });
        }
    }
}

/// `保険者番号,制度区分,個人番号,氏名,氏名カナ,生年月日,性別,資格取得日,資格喪失日` + LF, with
/// the person's standard name and reading.
pub(super) fn push_row(
    buf: &mut Vec<u8>,
    insurer: &str,
    scheme: Scheme,
    number: &str,
    p: &Person,
    period: Period,
) {
    let (sur, sur_kana, given, given_kana) = name_of(p);
    buf.extend_from_slice(insurer.as_bytes());
    buf.push(b',');
    buf.extend_from_slice(scheme.code().as_bytes());
    buf.push(b',');
    buf.extend_from_slice(number.as_bytes());
    buf.push(b',');
    buf.extend_from_slice(sur.as_bytes());
    buf.extend_from_slice("　".as_bytes());
    buf.extend_from_slice(given.as_bytes());
    buf.push(b',');
    buf.extend_from_slice(sur_kana.as_bytes());
    buf.extend_from_slice("　".as_bytes());
    buf.extend_from_slice(given_kana.as_bytes());
    buf.push(b',');
    buf.extend_from_slice(&ymd8(p.birth));
    buf.extend_from_slice(if p.male { b",1," } else { b",2," });
    buf.extend_from_slice(&ymd8(ymd_from_days(period.from)));
    buf.push(b',');
    if let Some(to) = period.to {
        buf.extend_from_slice(&ymd8(ymd_from_days(to)));
    }
    buf.push(b'\n');
}

/// The key `check` could link a number-less insurance row by, widened so that it never misses
/// a pair `check` would link: the reading with small kana made large and spaces dropped (the
/// name is ignored, which only widens it), birth date and sex.
pub(super) fn link_key(kana: &[&str], birth: Ymd, male: bool) -> u64 {
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    let mut buf = [0u8; 64];
    let mut n = 0;
    for c in kana.iter().flat_map(|k| k.chars()) {
        if c == '　' || c == ' ' {
            continue;
        }
        let c = super::SMALL_TO_LARGE
            .iter()
            .find(|(s, _)| *s == c)
            .map_or(c, |(_, l)| *l);
        if n + 4 > buf.len() {
            hasher.update(&buf[..n]);
            n = 0;
        }
        n += c.encode_utf8(&mut buf[n..]).len();
    }
    hasher.update(&buf[..n]);
    hasher.update(&ymd8(birth));
    hasher.update(if male { b"1" } else { b"2" });
    hasher.digest()
}

/// [`link_key`] of a person's standard form (what their insurance rows carry).
pub(super) fn standard_key(p: &Person) -> u64 {
    let (_, sur_kana, _, given_kana) = name_of(p);
    link_key(&[sur_kana, given_kana], p.birth, p.male)
}

/// The current (or, for a removed resident, last) coverage of a household not on welfare: the
/// head's scheme, insurer and start, which younger members follow.
pub(super) struct HouseCover<'a> {
    scheme: Scheme,
    insurer: &'a str,
    from: i64,
}

/// Working-age scheme: 被用者保険 ≈ 60 %, 国保 ≈ 35 %, 国保組合 ≈ 5 %.
fn working_scheme(rng: &mut Rng) -> Scheme {
    match rng.below(100) {
        0..60 => Scheme::Employee,
        60..95 => Scheme::Kokuho,
        _ => Scheme::Kumiai,
    }
}

/// Start of someone's own (non-dependant) coverage of `scheme` as of `day`: 後期 on the 75th
/// birthday (or later, moving in), employee insurance after 18, 国保 any time after birth.
fn own_start(p: &Person, scheme: Scheme, day: i64, rng: &mut Rng) -> i64 {
    let birth = p.birth.to_days();
    let from = match scheme {
        Scheme::Kouki => {
            let b75 = birthday(p, 75);
            if rng.chance(0.8) {
                b75
            } else {
                b75 + rng.below((day - b75).max(0) as u64 + 1) as i64
            }
        }
        Scheme::Employee | Scheme::Kumiai => {
            (day - rng.below(25 * 365) as i64).max(birthday(p, 18).min(day))
        }
        Scheme::Kokuho => day - rng.below(30 * 365) as i64,
    };
    from.clamp(birth, day.max(birth))
}

pub(super) fn house_cover<'a>(
    t: &'a Tables,
    rng: &mut Rng,
    town: usize,
    head: &Person,
    day: i64,
) -> HouseCover<'a> {
    let scheme = if day >= birthday(head, 75) {
        Scheme::Kouki
    } else {
        working_scheme(rng)
    };
    HouseCover {
        scheme,
        insurer: t.insurers.pick(t, town, scheme, rng),
        from: own_start(head, scheme, day, rng),
    }
}

/// The row of a resident not on welfare: current, or ending on `removed_on`.
#[allow(clippy::too_many_arguments)]
pub(super) fn resident(
    t: &Tables,
    rng: &mut Rng,
    out: &mut InsuranceOut,
    town: usize,
    house: &HouseCover,
    p: &Person,
    number: &str,
    removed_on: Option<i64>,
) {
    let day = removed_on.map_or(t.as_of_days, |d| d - 1);
    let birth = p.birth.to_days();
    if day < birth {
        return;
    }
    let (scheme, insurer, from) = if day >= birthday(p, 75) {
        let from = own_start(p, Scheme::Kouki, day, rng);
        let insurer = t.insurers.pick(t, town, Scheme::Kouki, rng);
        (Scheme::Kouki, insurer, from)
    } else if house.scheme != Scheme::Kouki {
        (house.scheme, house.insurer, house.from.max(birth))
    } else {
        // The head is in 後期 (or was removed before reaching 75) and this member is
        // younger: their own scheme.
        let scheme = working_scheme(rng);
        let from = own_start(p, scheme, day, rng);
        (scheme, t.insurers.pick(t, town, scheme, rng), from)
    };
    let period = Period {
        from: from.min(day),
        to: removed_on,
    };
    out.row(insurer, scheme, number, true, p, period, 0);
}

/// The scheme of a 国保-type row of `p` in force on `day`.
fn public_scheme(p: &Person, day: i64, kumiai_share: f64, rng: &mut Rng) -> Scheme {
    if day >= birthday(p, 75) {
        Scheme::Kouki
    } else if rng.chance(kumiai_share) {
        Scheme::Kumiai
    } else {
        Scheme::Kokuho
    }
}

/// What the roster row of a recipient must say and the truth must note.
pub(super) struct RecipientCover {
    pub social: u8,
    pub note: Option<String>,
}

/// Shares for the recipients' near misses and employment.
const PREVIOUS_KOKUHO: f64 = 0.30;
const REJOINED_KOKUHO: f64 = 0.5;
const EMPLOYED: f64 = 0.05;
const OLD_EMPLOYEE: f64 = 0.10;

/// The other-insurance rows of one welfare recipient (welfare period `welfare`, roster
/// problem `problem`), and the 社会保険状況 the roster row must carry.
#[allow(clippy::too_many_arguments)]
pub(super) fn recipient(
    t: &Tables,
    rng: &mut Rng,
    out: &mut InsuranceOut,
    town: usize,
    p: &Person,
    number: &str,
    key: u64,
    welfare: Period,
    problem: Option<Problem>,
) -> RecipientCover {
    let as_of = t.as_of_days;
    let birth = p.birth.to_days();
    let acq = welfare.from;
    let age = (as_of - birth) / 365;
    let working = (20..65).contains(&age);
    let adult_at = |day: i64| day >= birthday(p, 18);
    let mut social = 0;
    let mut note = None;
    // An employee-insurance row overlapping welfare (併用): legal with flag 1, D03 with flag 0.
    let mut overlapping_employee = false;
    // D03 either way round: flag 0 with an overlapping job, or flag 1 without one.
    let employed = match problem {
        None => working && rng.chance(EMPLOYED),
        Some(Problem::D03) => {
            let job = rng.chance(0.5);
            social = u8::from(!job);
            job
        }
        Some(_) => false,
    };
    let previous = problem != Some(Problem::D02) && acq > birth && rng.chance(PREVIOUS_KOKUHO);
    if employed {
        overlapping_employee = true;
        // The job started before welfare, or during it when a 国保 ended on the welfare start.
        let latest = welfare.to.map_or(as_of, |to| (to - 1).min(as_of));
        let from = if previous || rng.chance(0.3) {
            acq + rng.below((latest - acq).max(0) as u64 + 1) as i64
        } else {
            (acq - rng.below(3000) as i64)
                .max(birthday(p, 18).min(acq))
                .max(birth)
        };
        let start = from.max(acq);
        let to = (rng.chance(0.2) && start < as_of)
            .then(|| start + 1 + rng.below((as_of - start) as u64) as i64);
        let period = Period { from, to };
        debug_assert!(period.overlaps(welfare));
        let insurer = t.insurers.pick(t, town, Scheme::Employee, rng);
        out.row(insurer, Scheme::Employee, number, true, p, period, key);
        if problem.is_none() {
            social = 1;
        } else {
            note =
                Some("社会保険状況が0だが、保護の期間に重なる被用者保険の資格がある".to_string());
        }
    }
    // Before welfare: maybe an old job, then maybe 国保/後期 up to the welfare start.
    let mut kokuho_from = acq;
    if previous {
        kokuho_from = (acq - 1 - rng.below(5000) as i64).max(birth);
    }
    let old_job = !overlapping_employee
        && adult_at(kokuho_from)
        && (rng.chance(OLD_EMPLOYEE) || (social == 1 && rng.chance(0.5)));
    if old_job {
        let job_start = birthday(p, 18).max(kokuho_from - 1 - rng.below(8000) as i64);
        let job_end = if previous {
            kokuho_from
        } else if rng.chance(0.5) {
            acq
        } else {
            acq - rng.below(2000) as i64
        };
        if job_start < job_end && job_end <= acq {
            let insurer = t.insurers.pick(t, town, Scheme::Employee, rng);
            let period = Period {
                from: job_start,
                to: Some(job_end),
            };
            out.row(insurer, Scheme::Employee, number, true, p, period, key);
        }
    }
    if social == 1 && !overlapping_employee && problem == Some(Problem::D03) {
        note = Some("社会保険状況が1だが、保護の期間に重なる被用者保険の資格がない".to_string());
    }
    if previous && kokuho_from < acq {
        let scheme = public_scheme(p, acq - 1, 0.0, rng);
        let insurer = t.insurers.pick(t, town, scheme, rng);
        let from = if scheme == Scheme::Kouki {
            kokuho_from.max(birthday(p, 75))
        } else {
            kokuho_from
        };
        let period = Period {
            from,
            to: Some(acq),
        };
        out.row(insurer, scheme, number, rng.chance(0.5), p, period, key);
    }
    // After welfare ended: 国保/後期 again from that very day (unless still employed).
    if let Some(end) = welfare.to
        && !overlapping_employee
        && problem != Some(Problem::M31)
        && problem != Some(Problem::D02)
        && rng.chance(REJOINED_KOKUHO)
    {
        let scheme = public_scheme(p, end, 0.0, rng);
        let insurer = t.insurers.pick(t, town, scheme, rng);
        let period = Period {
            from: end,
            to: None,
        };
        out.row(insurer, scheme, number, rng.chance(0.5), p, period, key);
    }
    if problem == Some(Problem::D02) {
        note = Some(double_cover(t, rng, out, town, p, number, key, welfare));
    }
    RecipientCover { social, note }
}

/// D02: one 国保/国保組合/後期 row overlapping the welfare period by at least one day.
#[allow(clippy::too_many_arguments)]
fn double_cover(
    t: &Tables,
    rng: &mut Rng,
    out: &mut InsuranceOut,
    town: usize,
    p: &Person,
    number: &str,
    key: u64,
    welfare: Period,
) -> String {
    let as_of = t.as_of_days;
    let birth = p.birth.to_days();
    let acq = welfare.from;
    let before = (acq - 1 - rng.below(3000) as i64).max(birth);
    // Last possible first day of a row starting during welfare.
    let latest = welfare.to.map_or(as_of, |to| (to - 1).min(as_of));
    let (period, how) = match rng.below(3) {
        1 if acq < as_of => (
            Period {
                from: before,
                to: Some((acq + 1 + rng.below(30) as i64).min(as_of)),
            },
            "資格喪失日が保護の資格取得日より後",
        ),
        2 if acq < latest => (
            Period {
                from: acq + 1 + rng.below((latest - acq) as u64) as i64,
                to: None,
            },
            "保護の期間中に資格を取得",
        ),
        _ => (
            Period {
                from: before,
                to: None,
            },
            "保護の開始後も資格を喪失していない",
        ),
    };
    let scheme = public_scheme(p, period.from.max(acq), 0.15, rng);
    let period = if scheme == Scheme::Kouki {
        Period {
            from: period.from.max(birthday(p, 75)),
            ..period
        }
    } else {
        period
    };
    debug_assert!(period.overlaps(welfare));
    let insurer = t.insurers.pick(t, town, scheme, rng);
    out.row(insurer, scheme, number, rng.chance(0.5), p, period, key);
    format!("医療扶助と{}の資格が重複: {how}", scheme.label())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_open_periods() {
        let p = |from, to| Period { from, to };
        assert!(!p(0, Some(10)).overlaps(p(10, None)), "touching");
        assert!(p(0, Some(11)).overlaps(p(10, None)));
        assert!(p(0, None).overlaps(p(10, Some(11))));
        assert!(!p(12, None).overlaps(p(10, Some(12))));
        assert!(p(5, Some(6)).overlaps(p(0, None)));
    }

    #[test]
    fn insurer_numbers_have_their_structure_and_check_digit() {
        use crate::rules::check_digit::mhlw_is_valid;
        let towns = super::super::load_towns().unwrap_or_default();
        let insurers = Insurers::new(&towns);
        let mut n = 0;
        for (scheme, number) in insurers.all() {
            n += 1;
            assert!(mhlw_is_valid(number), "{number}");
            match scheme {
                Scheme::Kokuho => {
                    assert_eq!(number.len(), 6, "{number}");
                    assert_ne!(&number[2..3], "3", "{number}");
                }
                Scheme::Kumiai => {
                    assert_eq!(number.len(), 6, "{number}");
                    assert_eq!(&number[2..3], "3", "{number}");
                }
                Scheme::Kouki => assert!(number.len() == 8 && number.starts_with("39")),
                Scheme::Employee => assert_eq!(number.len(), 8, "{number}"),
            }
        }
        assert!(n > 4704, "{n}");
        // Published examples (domain.md §1.2).
        assert_eq!(with_check("3913001".into()), "39130018");
        assert_eq!(with_check("13100".into()), "131003");
        assert_eq!(with_check("13300".into()), "133009");
    }

    #[test]
    fn ymd8_writes_digits() {
        let d = Ymd::new(1989, 1, 8).unwrap_or(Ymd::today_jst());
        assert_eq!(&ymd8(d), b"19890108");
    }

    #[test]
    fn link_key_folds_small_kana_and_spaces() {
        let d = Ymd::new(1950, 2, 3).unwrap_or(Ymd::today_jst());
        let key = |k: &str, male| link_key(&[k], d, male);
        assert_eq!(key("サトウ　キョウコ", false), key("サトウキヨウコ", false));
        assert_eq!(
            key("サトウ　キョウコ", false),
            link_key(&["サトウ", "キョウコ"], d, false)
        );
        assert_ne!(
            key("サトウ　キョウコ", false),
            key("サトウ　キョウコ", true)
        );
        assert_ne!(
            key("サトウ　キョウコ", false),
            key("サドウ　キョウコ", false)
        );
        // Long readings go through the hasher in pieces: the same key as in one piece.
        let long = "アイウエオカキクケコ".repeat(5);
        assert_eq!(
            key(&long, true),
            link_key(&[&long[..30], &long[30..]], d, true)
        );
        assert_ne!(key(&long, true), key(&long[3..], true));
    }
}
