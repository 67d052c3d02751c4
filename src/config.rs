//! The configuration file of `totsugo run --config FILE` (TOML), so a cron line stays short.
//!
//! Every flag of `run` has a key of the same name (`output-encoding = "cp932"`); a flag given on
//! the command line wins over the file. Relative paths in the file are relative to the file's
//! own folder, so `/etc/totsugo/office.toml` can say `state = "state"`. A roster entry that is a
//! folder stands for the `*.csv` files in it, in name order (vendor exports named by date).
//! Unknown keys are errors: a misspelt key must not silently fall back to a default.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::Error;

/// One path or a list of them.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Paths {
    One(PathBuf),
    Many(Vec<PathBuf>),
}

impl Paths {
    fn into_vec(self) -> Vec<PathBuf> {
        match self {
            Paths::One(p) => vec![p],
            Paths::Many(v) => v,
        }
    }
}

/// The keys of the file (all optional; `run` checks what it needs after merging the flags).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RunFile {
    pub roster: Option<Paths>,
    pub registry: Option<PathBuf>,
    pub insurance: Option<Paths>,
    pub out: Option<PathBuf>,
    pub state: Option<PathBuf>,
    pub schema: Option<Paths>,
    pub encoding: Option<String>,
    pub output_encoding: Option<String>,
    pub fields: Option<u8>,
    pub as_of: Option<String>,
    pub unmask: Option<bool>,
    /// Acknowledged findings (`--ack`): a CSV or a filled-in review.xlsx.
    pub ack: Option<PathBuf>,
    /// `--parquet`: findings.parquet and results.parquet too.
    pub parquet: Option<bool>,
    pub threads: Option<usize>,
    pub quiet: Option<bool>,
    pub verbose: Option<bool>,
}

impl RunFile {
    /// Reads `path`; relative paths inside become relative to its folder.
    pub fn read(path: &Path) -> Result<RunFile, Error> {
        crate::ingest::encoding::open_input(path, &path.display().to_string())?;
        let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
            path: path.display().to_string(),
            source,
        })?;
        let mut f: RunFile = toml::from_str(&text)
            .map_err(|e| Error::Usage(format!("{}: 設定ファイルの誤り: {e}", path.display())))?;
        let base = path.parent().unwrap_or(Path::new("."));
        let fix = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        for list in [&mut f.roster, &mut f.insurance, &mut f.schema]
            .into_iter()
            .flatten()
        {
            match list {
                Paths::One(p) => fix(p),
                Paths::Many(v) => v.iter_mut().for_each(fix),
            }
        }
        for p in [&mut f.registry, &mut f.out, &mut f.state, &mut f.ack]
            .into_iter()
            .flatten()
        {
            fix(p);
        }
        Ok(f)
    }

    pub fn rosters(&mut self) -> Vec<PathBuf> {
        self.roster.take().map(Paths::into_vec).unwrap_or_default()
    }

    pub fn insurance_files(&mut self) -> Vec<PathBuf> {
        self.insurance
            .take()
            .map(Paths::into_vec)
            .unwrap_or_default()
    }

    pub fn schemas(&mut self) -> Vec<PathBuf> {
        self.schema.take().map(Paths::into_vec).unwrap_or_default()
    }
}

/// Folders in `paths` replaced by the `*.csv` files in them, in name order. A folder without
/// one is an error (a cron job must not succeed on nothing).
pub fn expand_folders(paths: Vec<PathBuf>) -> Result<Vec<PathBuf>, Error> {
    let mut out = Vec::with_capacity(paths.len());
    for p in paths {
        if !p.is_dir() {
            out.push(p);
            continue;
        }
        let entries = std::fs::read_dir(&p).map_err(|source| Error::Read {
            path: p.display().to_string(),
            source,
        })?;
        let mut found: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|f| {
                f.is_file()
                    && f.extension()
                        .and_then(|x| x.to_str())
                        .is_some_and(|x| x.eq_ignore_ascii_case("csv"))
            })
            .collect();
        if found.is_empty() {
            return Err(Error::Usage(format!(
                "{}: 名簿のフォルダに .csv ファイルがありません",
                p.display()
            )));
        }
        found.sort();
        out.extend(found);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_follow_the_file_and_unknown_keys_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("office.toml");
        std::fs::write(
            &path,
            "roster = [\"in/a.csv\", \"/abs/b.csv\"]\nregistry = \"juki.csv\"\nout = \"out\"\n\
             state = \"state\"\noutput-encoding = \"cp932\"\nfields = 4\n",
        )
        .unwrap();
        let mut f = RunFile::read(&path).unwrap();
        assert_eq!(
            f.rosters(),
            vec![dir.path().join("in/a.csv"), PathBuf::from("/abs/b.csv")]
        );
        assert_eq!(f.registry, Some(dir.path().join("juki.csv")));
        assert_eq!(f.state, Some(dir.path().join("state")));
        assert_eq!(f.output_encoding.as_deref(), Some("cp932"));
        assert_eq!(f.fields, Some(4));

        std::fs::write(&path, "rosters = \"a.csv\"\n").unwrap();
        let err = RunFile::read(&path).unwrap_err().to_string();
        assert!(
            err.contains("rosters") && err.contains("office.toml"),
            "{err}"
        );
    }

    #[test]
    fn a_folder_stands_for_its_csv_files_in_name_order() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["b.csv", "a.CSV", "notes.txt"] {
            std::fs::write(dir.path().join(name), "x").unwrap();
        }
        let got = expand_folders(vec![dir.path().to_path_buf()]).unwrap();
        assert_eq!(
            got,
            vec![dir.path().join("a.CSV"), dir.path().join("b.csv")]
        );
        let empty = tempfile::tempdir().unwrap();
        assert!(expand_folders(vec![empty.path().to_path_buf()]).is_err());
    }
}
