//! The nightly baseline: the roster records verified against the registry by the last
//! successful run, so the next run can say what is new (N01) and what changed (N02). Records
//! seen but not verified are kept too, flagged, so that only a record that was not on the last
//! roster at all counts as new.
//!
//! File `baseline.v1` in the state folder, little-endian:
//!
//! ```text
//! "TOTSUGO-BASELINE" (16 bytes) · version u32 = 1 · normalization u32 · as_of "YYYYMMDD" (8 bytes)
//! · count u64 · count × entry (key u128 · 6 × u64 field hashes · flags u64, bit 0 = verified)
//! · xxh3-128 of all before (16)
//! ```
//!
//! An entry is keyed by 保険者番号 + 受給者番号 (a record's identity between nights) and holds
//! 64-bit hashes of 個人番号, 氏名, 氏名カナ, 生年月日, 性別 and 住所 after normalization, so a
//! change of notation (旧字, 丁目の書き方) is not a change. No value is stored in clear. The
//! hashes are not a protection against someone who holds the file (12-digit numbers can be
//! tried one by one): the state folder is 特定個人情報 like the outputs (mode 0700/0600).
//!
//! The normalization field is [`crate::normalize::NORMALIZATION_VERSION`] of the run that
//! wrote the file (0 in files written before the field existed, which is version 1). When it
//! differs from tonight's, the 氏名, カナ and 住所 hashes are not comparable: the night
//! re-keys (see [`Baseline::renormalized`]) and never reports a notation-only difference as N02.
//!
//! Entries are sorted by key; lookups are binary searches (72 bytes per record: 144 MB for two
//! million records). A file that is too short, has the wrong magic or version, a count that
//! does not fit its length, unsorted keys or a checksum mismatch is reported as damaged: never
//! treated as empty. `state.json` (written once, beside it) records that a baseline exists,
//! so a baseline that disappears is reported too.

use std::io::Write;
use std::path::{Path, PathBuf};

use xxhash_rust::xxh3::{xxh3_64, xxh3_128};

use crate::error::Error;
use crate::normalize::NORMALIZATION_VERSION;
use crate::normalize::address::address_key;
use crate::normalize::name::{kana_key, name_key};
use crate::report::atomic::AtomicFile;

pub const BASELINE_FILE: &str = "baseline.v1";
pub const MARKER_FILE: &str = "state.json";
const MAGIC: &[u8; 16] = b"TOTSUGO-BASELINE";
const VERSION: u32 = 1;
const HEADER: usize = 16 + 4 + 4 + 8 + 8;
const ENTRY: usize = 16 + 6 * 8 + 8;
const TRAILER: usize = 16;

/// The compared fields, in entry order, with their names in messages.
pub const FIELDS: [&str; 6] = ["個人番号", "氏名", "氏名カナ", "生年月日", "性別", "住所"];

/// One record as the baseline keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Entry {
    pub key: u128,
    pub fields: [u64; 6],
    /// Verified against the registry (M00/M01 without エラー) in the run that wrote it.
    pub verified: bool,
}

impl Entry {
    /// The entry of a record from its values (after the entry rules' safe fixes).
    pub fn of(insurer_no: &str, recipient_no: &str, values: [&str; 6], verified: bool) -> Entry {
        Entry {
            key: record_key(insurer_no, recipient_no),
            fields: field_hashes(values),
            verified,
        }
    }

    /// Names of the fields that differ from `other`.
    pub fn changed(&self, other: &Entry) -> Vec<&'static str> {
        FIELDS
            .iter()
            .zip(self.fields.iter().zip(other.fields.iter()))
            .filter(|(_, (a, b))| a != b)
            .map(|(name, _)| *name)
            .collect()
    }
}

/// A record's identity between nights: 保険者番号 + 受給者番号.
pub fn record_key(insurer_no: &str, recipient_no: &str) -> u128 {
    let mut b = Vec::with_capacity(insurer_no.len() + recipient_no.len() + 1);
    b.extend_from_slice(insurer_no.trim().as_bytes());
    b.push(0x1f);
    b.extend_from_slice(recipient_no.trim().as_bytes());
    xxh3_128(&b)
}

/// [個人番号, 氏名, カナ, 生年月日, 性別, 住所] → normalized hashes.
fn field_hashes(v: [&str; 6]) -> [u64; 6] {
    let h = |tag: u8, s: &str| {
        let mut b = Vec::with_capacity(s.len() + 1);
        b.push(tag);
        b.extend_from_slice(s.as_bytes());
        xxh3_64(&b)
    };
    let name = name_key(v[1]).unwrap_or_else(|| v[1].trim().to_string());
    let kana = kana_key(v[2]).unwrap_or_else(|| v[2].trim().to_string());
    let address = address_key(v[5])
        .map(|k| format!("{}\u{1f}{}", k.street, k.building))
        .unwrap_or_else(|| v[5].trim().to_string());
    [
        h(0, v[0].trim()),
        h(1, &name),
        h(2, &kana),
        h(3, v[3].trim()),
        h(4, v[4].trim()),
        h(5, &address),
    ]
}

/// A loaded baseline.
#[derive(Debug, Default)]
pub struct Baseline {
    /// Sorted by key (then fields).
    entries: Vec<Entry>,
    /// The run date it was made on (YYYYMMDD).
    pub as_of: String,
    /// [`NORMALIZATION_VERSION`] of the run that wrote it.
    pub normalization: u32,
}

/// Entry fields whose hashes depend on the normalizer: 氏名, 氏名カナ, 住所.
pub const NORMALIZED_FIELDS: [usize; 3] = [1, 2, 5];

/// A normalized field's hash when it is not known: the record was verified under another
/// normalizer version and has not verified since (see `pipeline::NightState`). A real hash is 0
/// with a chance of 2⁻⁶⁴.
pub const UNKNOWN_FIELD: u64 = 0;

/// What the state folder held.
#[derive(Debug)]
pub enum Loaded {
    /// No baseline and no sign of one ever written: the first run.
    First,
    Baseline(Baseline),
}

impl Baseline {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries recorded under `key` (several when a 受給者番号 is shared, D04).
    pub fn get(&self, key: u128) -> &[Entry] {
        let from = self.entries.partition_point(|e| e.key < key);
        let to = from + self.entries[from..].partition_point(|e| e.key == key);
        &self.entries[from..to]
    }

    pub fn from_entries(mut entries: Vec<Entry>, as_of: String) -> Baseline {
        entries.sort_unstable();
        entries.dedup();
        Baseline {
            entries,
            as_of,
            normalization: NORMALIZATION_VERSION,
        }
    }

    /// Written by a normalizer of another version: its 氏名, カナ and 住所 hashes cannot be
    /// compared with tonight's ([`NORMALIZED_FIELDS`]).
    pub fn renormalized(&self) -> bool {
        self.normalization != NORMALIZATION_VERSION
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Reads the baseline of `dir`. Missing with the marker present, or damaged: Err.
    pub fn load(dir: &Path) -> Result<Loaded, Error> {
        let path = dir.join(BASELINE_FILE);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return if dir.join(MARKER_FILE).exists() {
                    Err(damaged(
                        &path,
                        "基準ファイルがありません（この状態フォルダには以前の基準の記録があります）",
                    ))
                } else {
                    Ok(Loaded::First)
                };
            }
            Err(source) => {
                return Err(Error::Read {
                    path: path.display().to_string(),
                    source,
                });
            }
        };
        Self::parse(&bytes)
            .map(Loaded::Baseline)
            .map_err(|m| damaged(&path, &m))
    }

    fn parse(bytes: &[u8]) -> Result<Baseline, String> {
        if bytes.len() < HEADER + TRAILER || &bytes[..16] != MAGIC {
            return Err("基準ファイルではないか、先頭が壊れています".into());
        }
        let u32_at = |at: usize| {
            let mut b = [0u8; 4];
            b.copy_from_slice(&bytes[at..at + 4]);
            u32::from_le_bytes(b)
        };
        let u64_at = |at: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&bytes[at..at + 8]);
            u64::from_le_bytes(b)
        };
        let version = u32_at(16);
        if version != VERSION {
            return Err(format!(
                "形式の版 {version} は読めません（この版は {VERSION}）"
            ));
        }
        let normalization = u32_at(20).max(1);
        let as_of = String::from_utf8_lossy(&bytes[24..32]).into_owned();
        let count = u64_at(32);
        let body = bytes.len() - HEADER - TRAILER;
        if !body.is_multiple_of(ENTRY) || (body / ENTRY) as u64 != count {
            return Err(format!(
                "件数 {count} とファイルの長さ {} バイトが合いません（途中で切れています）",
                bytes.len()
            ));
        }
        let end = bytes.len() - TRAILER;
        let mut sum = [0u8; 16];
        sum.copy_from_slice(&bytes[end..]);
        if xxh3_128(&bytes[..end]) != u128::from_le_bytes(sum) {
            return Err("検査値が合いません（内容が壊れています）".into());
        }
        let mut entries = Vec::with_capacity(count as usize);
        for chunk in bytes[HEADER..end].chunks_exact(ENTRY) {
            let mut k = [0u8; 16];
            k.copy_from_slice(&chunk[..16]);
            let mut fields = [0u64; 6];
            for (i, f) in fields.iter_mut().enumerate() {
                let mut b = [0u8; 8];
                b.copy_from_slice(&chunk[16 + i * 8..24 + i * 8]);
                *f = u64::from_le_bytes(b);
            }
            let mut flags = [0u8; 8];
            flags.copy_from_slice(&chunk[16 + 48..]);
            let flags = u64::from_le_bytes(flags);
            if flags > 1 {
                return Err(format!("記録の印 {flags} が読めません"));
            }
            entries.push(Entry {
                key: u128::from_le_bytes(k),
                fields,
                verified: flags == 1,
            });
        }
        if !entries.is_sorted() {
            return Err("並び順が壊れています".into());
        }
        Ok(Baseline {
            entries,
            as_of,
            normalization,
        })
    }

    fn to_bytes(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(HEADER + self.entries.len() * ENTRY + TRAILER);
        b.extend_from_slice(MAGIC);
        b.extend_from_slice(&VERSION.to_le_bytes());
        b.extend_from_slice(&self.normalization.to_le_bytes());
        let mut date = [b'0'; 8];
        for (d, s) in date.iter_mut().zip(self.as_of.bytes()) {
            *d = s;
        }
        b.extend_from_slice(&date);
        b.extend_from_slice(&(self.entries.len() as u64).to_le_bytes());
        for e in &self.entries {
            b.extend_from_slice(&e.key.to_le_bytes());
            for f in e.fields {
                b.extend_from_slice(&f.to_le_bytes());
            }
            b.extend_from_slice(&u64::from(e.verified).to_le_bytes());
        }
        let sum = xxh3_128(&b);
        b.extend_from_slice(&sum.to_le_bytes());
        b
    }

    /// Replaces the baseline of `dir` atomically (temp file in `dir`, fsync, rename), then
    /// writes the marker once.
    pub fn write(&self, dir: &Path) -> Result<(), Error> {
        let path = dir.join(BASELINE_FILE);
        let mut f = AtomicFile::create(&path)?;
        f.write_all(&self.to_bytes())
            .map_err(|source| Error::Write {
                path: path.display().to_string(),
                source,
            })?;
        f.commit()?;
        let marker = dir.join(MARKER_FILE);
        if !marker.exists() {
            let mut m = AtomicFile::create(&marker)?;
            let text = format!(
                "{{\n  \"tool\": \"totsugo\",\n  \"baseline\": \"{BASELINE_FILE}\",\n  \"first_baseline_as_of\": \"{}\"\n}}\n",
                self.as_of
            );
            m.write_all(text.as_bytes())
                .map_err(|source| Error::Write {
                    path: marker.display().to_string(),
                    source,
                })?;
            m.commit()?;
        }
        Ok(())
    }
}

fn damaged(path: &Path, message: &str) -> Error {
    Error::Baseline {
        path: path.display().to_string(),
        message: format!(
            "{message}。前回までの出力と基準には手を付けていません。原因を確かめてから、\
             基準を作り直すなら --reset-baseline を付けて実行してください"
        ),
    }
}

/// The path of the baseline of `dir`.
pub fn path(dir: &Path) -> PathBuf {
    dir.join(BASELINE_FILE)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Baseline {
        let e = |r: &str, n: &str| {
            Entry::of(
                "12345678",
                r,
                [
                    n,
                    "山田 太郎",
                    "ヤマダ タロウ",
                    "19500101",
                    "1",
                    "東京都千代田区一丁目1番1号",
                ],
                r != "0000025",
            )
        };
        Baseline::from_entries(
            vec![e("0000017", "123456789018"), e("0000025", "987654321098")],
            "20261121".into(),
        )
    }

    #[test]
    fn round_trip_and_lookup() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(Baseline::load(dir.path()).unwrap(), Loaded::First));
        let b = sample();
        b.write(dir.path()).unwrap();
        let Loaded::Baseline(read) = Baseline::load(dir.path()).unwrap() else {
            panic!("baseline not read back")
        };
        assert_eq!(read.entries(), b.entries());
        assert_eq!(read.as_of, "20261121");
        assert_eq!(read.get(record_key("12345678", "0000017")).len(), 1);
        assert!(read.get(record_key("12345678", "0000033")).is_empty());
        assert!(!read.get(record_key("12345678", "0000025"))[0].verified);
    }

    #[test]
    fn notation_is_not_a_change_but_a_number_is() {
        let a = Entry::of(
            "1",
            "2",
            [
                "123456789018",
                "髙橋 一郎",
                "タカハシ イチロウ",
                "19500101",
                "1",
                "千代田区一丁目1番1号",
            ],
            true,
        );
        let same = Entry::of(
            "1",
            "2",
            [
                "123456789018",
                "高橋　一郎",
                "ﾀｶﾊｼ ｲﾁﾛｳ",
                "19500101",
                "1",
                "千代田区1-1-1",
            ],
            true,
        );
        assert_eq!(a.changed(&same), Vec::<&str>::new());
        let other = Entry::of(
            "1",
            "2",
            [
                "987654321098",
                "高橋 一郎",
                "タカハシ イチロウ",
                "19500101",
                "1",
                "千代田区二丁目1番1号",
            ],
            true,
        );
        assert_eq!(a.changed(&other), vec!["個人番号", "住所"]);
    }

    #[test]
    fn every_kind_of_damage_is_reported_never_empty() {
        let dir = tempfile::tempdir().unwrap();
        sample().write(dir.path()).unwrap();
        let path = dir.path().join(BASELINE_FILE);
        let good = std::fs::read(&path).unwrap();
        let mut flipped = good.clone();
        flipped[HEADER + 20] ^= 1;
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("empty", Vec::new()),
            ("truncated", good[..good.len() - 10].to_vec()),
            ("one byte flipped", flipped),
            (
                "garbage",
                b"not a baseline at all, but long enough to parse".to_vec(),
            ),
        ];
        for (what, bytes) in cases {
            std::fs::write(&path, &bytes).unwrap();
            let err = Baseline::load(dir.path()).unwrap_err();
            assert!(matches!(err, Error::Baseline { .. }), "{what}: {err}");
            assert!(
                err.to_string().contains("--reset-baseline"),
                "{what}: {err}"
            );
        }
        std::fs::remove_file(&path).unwrap();
        let err = Baseline::load(dir.path()).unwrap_err();
        assert!(
            err.to_string().contains("基準ファイルがありません"),
            "{err}"
        );
    }
}
