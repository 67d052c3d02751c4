//! Correction files.
//!
//! - `corrections.csv`: every roster row that must change, from all rosters, for review:
//!   `処理区分, 入力ファイル, 行番号` + the roster columns in contract order, corrected.
//! - `corrections/<roster file name>`: per roster, its rows that must change, in that roster's
//!   own columns, order, encoding, BOM and line endings, so the vendor system can re-import it.
//!   Unchanged fields are written back byte for byte (a CP932 外字 survives untouched); changed
//!   fields are encoded in the roster's encoding.
//!
//! Both carry full My Numbers: they are meant for re-registration.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::csvout::{CsvOut, OutputEncoding, encode};
use crate::error::Error;
use crate::findings::Action;
use crate::findings::mask::{MAX_FIELD_BYTES, cut_value};
use crate::ingest::FileInfo;
use crate::schema::{ColumnMap, RosterKey};

pub const LEAD: [&str; 3] = ["処理区分", "入力ファイル", "行番号"];

/// `corrections.csv`.
pub struct ReviewCorrections {
    out: CsvOut,
}

impl ReviewCorrections {
    pub fn create(path: &Path, enc: OutputEncoding) -> Result<ReviewCorrections, Error> {
        // Full My Numbers: the file is for re-registration. Formulas are still defused.
        let mut out = CsvOut::for_review(path, enc, false)?;
        let header: Vec<&str> = LEAD
            .iter()
            .copied()
            .chain(RosterKey::ALL.iter().map(|k| k.name()))
            .collect();
        out.text_row(&header)?;
        Ok(ReviewCorrections { out })
    }

    /// `values`: the corrected roster values in [`RosterKey`] order.
    pub fn write(
        &mut self,
        action: Action,
        file: &str,
        line: u64,
        values: &[&str],
    ) -> Result<(), Error> {
        let line = line.to_string();
        let mut row: Vec<&str> = vec![action.label(), file, &line];
        row.extend_from_slice(values);
        self.out.text_row(&row)
    }

    pub fn rows(&self) -> u64 {
        self.out.rows.saturating_sub(1)
    }

    pub fn commit(self) -> Result<(), Error> {
        self.out.commit()
    }
}

/// One roster's re-import file, created when its first row needing change arrives.
pub struct RosterCorrections {
    out: CsvOut,
    /// Column index in the file → roster field, for the columns the layout claims.
    field_of_column: HashMap<usize, usize>,
    pub file_name: String,
}

impl RosterCorrections {
    pub fn create(
        dir: &Path,
        file_name: &str,
        info: &FileInfo,
        header: &[String],
        columns: &ColumnMap,
    ) -> Result<RosterCorrections, Error> {
        let path: PathBuf = dir.join(file_name);
        let mut out = CsvOut::create(&path, info.encoding, info.bom, info.crlf)?;
        let mut head = vec!["処理区分".to_string()];
        head.extend(header.iter().cloned());
        out.text_row(&head)?;
        let field_of_column = columns
            .columns
            .iter()
            .enumerate()
            .filter_map(|(field, col)| col.map(|c| (c, field)))
            .collect();
        Ok(RosterCorrections {
            out,
            field_of_column,
            file_name: file_name.to_string(),
        })
    }

    /// One row as read (`record`), with `changed[k]` (by [`RosterKey`] index) written instead
    /// of the fields that change.
    pub fn write(
        &mut self,
        action: Action,
        record: &crate::ingest::RawRecord,
        changed: &[Option<&str>],
    ) -> Result<(), Error> {
        let enc = self.out.encoding();
        let mut replaced = 0;
        let mut row: Vec<Vec<u8>> = Vec::with_capacity(record.len() + 1);
        row.push(encode(action.label(), enc, &mut replaced).into_owned());
        for (col, bytes) in record.iter().enumerate() {
            let new = self
                .field_of_column
                .get(&col)
                .and_then(|f| changed.get(*f).copied().flatten());
            row.push(match new {
                Some(v) => encode(v, enc, &mut replaced).into_owned(),
                // An over-long column the layout does not claim is cut here too (contract).
                None if bytes.len() > MAX_FIELD_BYTES => {
                    let text = crate::ingest::decode_field(bytes, enc)
                        .map(|s| s.into_owned())
                        .unwrap_or_else(|_| String::from_utf8_lossy(bytes).into_owned());
                    encode(&cut_value(&text, bytes.len()), enc, &mut replaced).into_owned()
                }
                None => bytes.to_vec(),
            });
        }
        self.out.replaced += replaced;
        self.out.bytes_row(&row)
    }

    pub fn rows(&self) -> u64 {
        self.out.rows.saturating_sub(1)
    }

    pub fn replaced(&self) -> u64 {
        self.out.replaced
    }

    pub fn commit(self) -> Result<(), Error> {
        self.out.commit()
    }
}

/// File names under `corrections/`: the roster's own name; when two rosters share a name
/// (`a/roster.csv`, `b/roster.csv`) the later ones get `-2`, `-3` before the extension.
pub fn file_names(paths: &[PathBuf]) -> Vec<String> {
    let mut used: Vec<String> = Vec::new();
    paths
        .iter()
        .map(|p| {
            let base = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "roster.csv".into());
            let mut name = base.clone();
            let mut n = 2;
            while used.contains(&name) {
                name = match base.rsplit_once('.') {
                    Some((stem, ext)) => format!("{stem}-{n}.{ext}"),
                    None => format!("{base}-{n}"),
                };
                n += 1;
            }
            used.push(name.clone());
            name
        })
        .collect()
}

/// Replaces `out/corrections` with the folder built in this run, so it holds exactly this
/// run's correction files (a stale file from an earlier run could be re-imported by mistake).
pub(crate) fn swap_dir(out: &Path, built: tempfile::TempDir) -> Result<(), Error> {
    let final_dir = out.join("corrections");
    let werr = |source| Error::Write {
        path: final_dir.display().to_string(),
        source,
    };
    let built = built.keep();
    if final_dir.exists() && exchange(&built, &final_dir).is_ok() {
        // One atomic step: the old folder is now where the new one was built.
        std::fs::remove_dir_all(&built).map_err(werr)?;
    } else if final_dir.exists() {
        // No RENAME_EXCHANGE here (not Linux, or a filesystem without it): two renames. A
        // kill between them leaves the old folder as .totsugo-old-corrections-*, which the
        // next run puts back (report::lock::claim).
        let old = crate::report::lock::private_tempdir(".totsugo-old-corrections-", out)
            .map_err(werr)?
            .keep();
        // rename() replaces an empty folder; move the old one aside first.
        std::fs::remove_dir(&old).map_err(werr)?;
        std::fs::rename(&final_dir, &old).map_err(werr)?;
        std::fs::rename(&built, &final_dir).map_err(werr)?;
        std::fs::remove_dir_all(&old).map_err(werr)?;
    } else {
        std::fs::rename(&built, &final_dir).map_err(werr)?;
    }
    super::atomic::sync_dir(&final_dir);
    Ok(())
}

/// Swaps two paths atomically (Linux renameat2 with RENAME_EXCHANGE).
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE).map_err(std::io::Error::from)
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> std::io::Result<()> {
    Err(std::io::ErrorKind::Unsupported.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_file_names_are_told_apart() {
        let names = file_names(&[
            PathBuf::from("a/roster.csv"),
            PathBuf::from("b/roster.csv"),
            PathBuf::from("c/other.csv"),
            PathBuf::from("d/roster.csv"),
        ]);
        assert_eq!(
            names,
            ["roster.csv", "roster-2.csv", "other.csv", "roster-3.csv"]
        );
    }
}
