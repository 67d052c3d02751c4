//! Generated tests of the address comparison over the real town dictionary ([`super::towns`]):
//! for every town of each notation class, the same place written the way clerks write it must
//! compare equal (ゆれ), and the same notation with a changed number or town must not.
//!
//! Classes that depend on the town (郡, 之/ノ/の, 大字, 京都, numbers in the name) run over every
//! town of the class. The classes that apply to any town (〇/零/○, 丁目 ≥ 10, room number, 番地
//! suffix, strictness) run over every 7th town (16,754 of 117,276) so that the suite stays
//! quick in a debug build; `TOTSUGO_WORLD_ALL=1` runs them over every town (the closing figures
//! of issue 16 were made that way).

use std::collections::HashSet;

use super::FieldMatch;
use super::address::compare_address;
use super::towns::entries;

fn fw(n: u64) -> String {
    n.to_string()
        .chars()
        .map(|c| char::from_u32(c as u32 - '0' as u32 + 0xFF10).unwrap_or(c))
        .collect()
}

#[derive(Default)]
struct Tally {
    benign: usize,
    false_alarms: Vec<String>,
    moved: usize,
    misses: Vec<String>,
}

impl Tally {
    fn benign(&mut self, registry: &str, roster: &str) {
        self.benign += 1;
        let m = compare_address(roster, registry);
        if !matches!(m, FieldMatch::Variant | FieldMatch::Equal) {
            self.false_alarms.push(format!("{roster} / {registry}"));
        }
    }
    fn moved(&mut self, registry: &str, roster: &str) {
        self.moved += 1;
        if compare_address(roster, registry) != FieldMatch::Differ {
            self.misses.push(format!("{roster} / {registry}"));
        }
    }
}

fn is_kanji(c: char) -> bool {
    matches!(c as u32, 0x4E00..=0x9FFF)
}

/// A numeral in a town name that is a number of the name (４番町, 八区, 東５号北, 北１０条).
fn name_number(town: &str) -> Option<(usize, usize, u64)> {
    let chars: Vec<(usize, char)> = town.char_indices().collect();
    let digit = |c: char| -> Option<u64> {
        match c {
            '０'..='９' => Some(u64::from(c as u32 - '０' as u32)),
            _ => "〇一二三四五六七八九"
                .chars()
                .position(|d| d == c)
                .and_then(|p| u64::try_from(p).ok()),
        }
    };
    let mut i = 0;
    while i < chars.len() {
        if digit(chars[i].1).is_none() && chars[i].1 != '十' {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && (digit(chars[i].1).is_some() || chars[i].1 == '十') {
            i += 1;
        }
        let end_byte = chars.get(i).map_or(town.len(), |c| c.0);
        let after = &town[end_byte..];
        if ["番町", "番丁", "区", "号", "条", "線", "地割"]
            .iter()
            .any(|s| after.starts_with(s))
        {
            let run = &town[chars[start].0..end_byte];
            let ascii: String = run
                .chars()
                .map(|c| digit(c).map_or(c, |d| char::from(b'0' + d as u8)))
                .collect();
            let value = super::address::kanji_number(
                &ascii
                    .chars()
                    .map(|c| {
                        c.to_digit(10).map_or(c, |d| {
                            "〇一二三四五六七八九".chars().nth(d as usize).unwrap_or(c)
                        })
                    })
                    .collect::<String>(),
            )?
            .parse()
            .ok()?;
            return Some((chars[start].0, end_byte, value));
        }
    }
    None
}

fn kanji_positional(n: u64) -> String {
    if n == 0 {
        return "〇".into();
    }
    super::towns::positional(n).unwrap_or_else(|| n.to_string())
}

fn run_world() -> Vec<(&'static str, Tally)> {
    let all = std::env::var_os("TOTSUGO_WORLD_ALL").is_some();
    let towns: Vec<_> = entries().collect();
    let official: HashSet<(&str, &str)> = towns.iter().map(|t| (t.2, t.3)).collect();
    let mut classes: Vec<(&'static str, Tally)> = [
        "郡の省略",
        "之/ノ/の",
        "〇/零/○",
        "丁目≥10",
        "大字省略・字あり",
        "京都通り名",
        "部屋番号(番地+3番目)",
        "町名の数字",
        "番地/番/なし",
        "桁ずれ・番号違い",
    ]
    .into_iter()
    .map(|c| (c, Tally::default()))
    .collect();
    for (i, &(pref, gun, city, town)) in towns.iter().enumerate() {
        let base = format!("{pref}{gun}{city}{town}");
        let nogun = format!("{pref}{city}{town}");
        // 郡: written or left out.
        if !gun.is_empty() {
            let t = &mut classes[0].1;
            t.benign(&format!("{base}１２番地"), &format!("{nogun}１２番地"));
            t.benign(&format!("{nogun}１２番地"), &format!("{base}１２番地"));
            t.moved(&format!("{base}１２番地"), &format!("{nogun}１３番地"));
        }
        // 之/ノ/の between kanji.
        let chars: Vec<char> = town.chars().collect();
        let no_at: Vec<usize> = (1..chars.len().saturating_sub(1))
            .filter(|&k| {
                matches!(chars[k], '之' | 'ノ' | 'の')
                    && is_kanji(chars[k - 1])
                    && is_kanji(chars[k + 1])
            })
            .collect();
        if !no_at.is_empty() {
            for v in ['之', 'ノ', 'の'] {
                let variant: String = chars
                    .iter()
                    .enumerate()
                    .map(|(k, &c)| if no_at.contains(&k) { v } else { c })
                    .collect();
                if variant == town || official.contains(&(city, variant.as_str())) {
                    continue;
                }
                let t = &mut classes[1].1;
                let written = format!("{pref}{gun}{city}{variant}");
                t.benign(
                    &format!("{base}１２３番地"),
                    &format!("{written}１２３番地"),
                );
                t.moved(
                    &format!("{base}１２３番地"),
                    &format!("{written}１２４番地"),
                );
            }
        }
        // Rural: 大字 left out while 字 is kept.
        // 大字大字中島 (the town 大 and its 字中島) reads as 大字 中島: the 3 towns named 大 are
        // left out of this class.
        if (!gun.is_empty() || city.ends_with('町') || city.ends_with('村')) && town != "大" {
            let t = &mut classes[4].1;
            let reg = format!("{pref}{gun}{city}大字{town}字中島１２３番地");
            t.benign(&reg, &format!("{pref}{gun}{city}{town}字中島１２３番地"));
            t.moved(&reg, &format!("{pref}{gun}{city}{town}字中島１２４番地"));
        }
        // Kyoto: 通り名 and 上る/西入 in any spelling, or none.
        if city.starts_with("京都市") {
            let t = &mut classes[5].1;
            let reg = format!("{pref}{city}{town}１２３番地");
            for deco in [
                "烏丸通御池上る",
                "烏丸通御池上ル",
                "烏丸御池上がる",
                "寺町通四条西入ル",
                "寺町通四条西入",
                "河原町通三条下ル",
            ] {
                t.benign(&reg, &format!("{pref}{city}{deco}{town}１２３番地"));
                t.moved(&reg, &format!("{pref}{city}{deco}{town}１２４番地"));
            }
            if let Some(&(_, _, c2, other)) = towns.get(i + 1)
                && c2 == city
                && other != town
            {
                t.moved(
                    &reg,
                    &format!("{pref}{city}烏丸通御池上る{other}１２３番地"),
                );
            }
        }
        // Numbers in the town name, in the other notation.
        if let Some((s, e, n)) = name_number(town) {
            let run = &town[s..e];
            let arabic = run.chars().all(|c| matches!(c, '０'..='９'));
            let other = if arabic { kanji_positional(n) } else { fw(n) };
            let written = format!("{}{other}{}", &town[..s], &town[e..]);
            let bumped = format!("{}{}{}", &town[..s], fw(n + 1), &town[e..]);
            let t = &mut classes[7].1;
            let reg = format!("{base}３２番地１１");
            t.benign(&reg, &format!("{pref}{gun}{city}{written}３２－１１"));
            t.benign(&reg, &format!("{pref}{gun}{city}{written}３２番地１１"));
            t.moved(&reg, &format!("{pref}{gun}{city}{written}３３－１１"));
            if !official.contains(&(city, written.as_str())) {
                t.moved(&reg, &format!("{pref}{gun}{city}{bumped}３２番地１１"));
            }
        }
        if !all && i % 7 != 0 {
            continue;
        }
        // 〇 written 零 or ○ (U+25CB).
        let t = &mut classes[2].1;
        let reg = format!("{base}二〇番地");
        t.benign(&reg, &format!("{base}二零番地"));
        t.benign(&reg, &format!("{base}二○番地"));
        t.moved(&reg, &format!("{base}三○番地"));
        // 丁目 ≥ 10 in positional and digit-by-digit kanji.
        let t = &mut classes[3].1;
        let reg = format!("{base}十丁目３番５号");
        t.benign(&reg, &format!("{base}一〇丁目３番５号"));
        t.benign(&reg, &format!("{base}１０丁目３番５号"));
        t.benign(&reg, &format!("{base}一〇－３－５"));
        t.moved(&reg, &format!("{base}一一丁目３番５号"));
        t.moved(&reg, &format!("{base}十丁目３番６号"));
        // A room number as the third group after a 番地 address.
        let t = &mut classes[6].1;
        let reg = format!("{base}３番地１７");
        t.benign(&reg, &format!("{base}３－１７－１０５"));
        t.moved(&reg, &format!("{base}３－１８－１０５"));
        // 番地, 番 or no suffix.
        let t = &mut classes[8].1;
        let reg = format!("{base}１２３番地");
        t.benign(&reg, &format!("{base}１２３番"));
        t.benign(&reg, &format!("{base}１２３"));
        t.benign(&reg, &format!("{base}百二十三番地"));
        t.moved(&reg, &format!("{base}１２４番"));
        t.moved(&reg, &format!("{base}１２３番地１"));
        // Strict: a digit shift or another 丁目 is another place.
        let t = &mut classes[9].1;
        let reg = format!("{base}一丁目１２番３号");
        t.moved(&reg, &format!("{base}１１－２－３"));
        t.moved(&reg, &format!("{base}２丁目１２番３号"));
        t.moved(&reg, &format!("{base}１－１２－４"));
        t.benign(&reg, &format!("{base}１－１２－３"));
    }
    classes
}

/// Every class: no false alarm and no miss. Prints the counts (shown with `--nocapture`).
#[test]
fn every_town_in_every_notation_class() {
    let classes = run_world();
    let mut failed = Vec::new();
    for (name, t) in &classes {
        println!(
            "{name}: ゆれ {} 誤警報 {} / 移動 {} 見逃し {}",
            t.benign,
            t.false_alarms.len(),
            t.moved,
            t.misses.len()
        );
        assert!(t.benign > 0 && t.moved > 0, "{name}: no case generated");
        if !t.false_alarms.is_empty() || !t.misses.is_empty() {
            failed.push(format!(
                "{name}: false alarms {:?}, misses {:?}",
                &t.false_alarms[..t.false_alarms.len().min(5)],
                &t.misses[..t.misses.len().min(5)]
            ));
        }
    }
    assert!(failed.is_empty(), "{failed:#?}");
}
