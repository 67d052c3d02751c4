//! The output stage: every file a run writes, open while the run goes, and the counters behind
//! summary.json. `validate` (row by row, as the rosters stream) and the pipeline (record by
//! record, after matching and the checks) write through this one piece, so a fix to an output
//! or a count is made once.
//!
//! What the stage writes: findings.csv (and acknowledged.csv with `--ack`), results.csv (with a
//! registry), corrections.csv, and `corrections/<roster>` in each roster's own layout, built in a
//! temporary folder and swapped in whole. [`Outputs::finish`] renames them all into place; the
//! caller then writes summary.json and report.html from [`Written`] and its own figures.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use super::ack::{AckSummary, Acks};
use super::corrections::{ReviewCorrections, RosterCorrections, file_names};
use super::csvout::OutputEncoding;
use super::findings::FindingsWriter;
use super::html::Samples;
use super::results::ResultsWriter;
use super::summary::{OfficeCounts, Summary, Totals};
use crate::error::Error;
use crate::findings::{Action, Code, Finding, Severity};
use crate::ingest::{FileInfo, RawRecord};
use crate::rules::date::Ymd;
use crate::schema::ColumnMap;

/// Review CSVs also written as Parquet (`--parquet`): the columnar boundary, which sits above
/// `report`, hands its converter in (`columnar::review_parquet`).
pub type ParquetHook = fn(&Path, &[&str], OutputEncoding) -> Result<(), Error>;

/// What the output stage is asked to write.
pub struct OutputsConfig<'a> {
    pub out: &'a Path,
    pub encoding: OutputEncoding,
    /// `--unmask`: My Numbers shown in full in the review files.
    pub unmask: bool,
    pub acks: Option<Acks>,
    /// The run date (left out of the 所見ID).
    pub as_of: Ymd,
    /// results.csv too (a run with a registry).
    pub results: bool,
    /// The rosters as given: their `corrections/` file names.
    pub rosters: &'a [PathBuf],
    pub parquet: Option<ParquetHook>,
}

/// Run-wide counters for summary.json. Only findings listed in findings.csv count (an
/// acknowledged one does not).
#[derive(Default)]
pub struct Counts {
    pub totals: Totals,
    by_code: HashMap<Code, u64>,
    by_office: HashMap<String, OfficeCounts, std::hash::BuildHasherDefault<Fnv>>,
    pub worst: Option<Severity>,
}

impl Counts {
    fn finding(&mut self, f: &Finding, office: Option<&str>) {
        self.totals.findings += 1;
        match f.severity() {
            Severity::Error => self.totals.errors += 1,
            Severity::Warning => self.totals.warnings += 1,
            Severity::Info => self.totals.info += 1,
        }
        self.worst = self.worst.max(Some(f.severity()));
        *self.by_code.entry(f.code).or_default() += 1;
        if let Some(o) = office {
            *self
                .office(o)
                .by_code
                .entry(f.code.as_str().to_string())
                .or_default() += 1;
        }
    }

    /// An office's counts; a record without 保険者番号 counts under "(空欄)".
    fn office(&mut self, insurer_no: &str) -> &mut OfficeCounts {
        let key = if insurer_no.is_empty() {
            "(空欄)"
        } else {
            insurer_no
        };
        // Look up before allocating a key: this runs once per row.
        if !self.by_office.contains_key(key) {
            self.by_office
                .insert(key.to_string(), OfficeCounts::default());
        }
        self.by_office
            .get_mut(key)
            .expect("office entry inserted above")
    }

    /// Findings per code, as summary.json lists them.
    pub fn by_code(&self) -> BTreeMap<String, u64> {
        self.by_code
            .iter()
            .map(|(c, n)| (c.as_str().to_string(), *n))
            .collect()
    }

    /// Rows and findings per office, as summary.json lists them.
    pub fn take_by_office(&mut self) -> BTreeMap<String, OfficeCounts> {
        std::mem::take(&mut self.by_office).into_iter().collect()
    }
}

/// FNV-1a for the per-office map: its keys are short (8 digits) and it is probed once per row,
/// where SipHash's setup cost showed in the profile.
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// A roster file as its correction file needs it: its encoding and line ending, its header,
/// and where the layout's fields are.
pub struct RosterShape<'a> {
    pub info: &'a FileInfo,
    pub header: &'a [String],
    pub columns: &'a ColumnMap,
}

/// One roster row to correct.
pub struct Correction<'a> {
    /// The roster's index among the rosters, and its name as given.
    pub roster: usize,
    pub file: &'a str,
    pub line: u64,
    pub action: Action,
    /// Every field's value after the fixes and proposals, by [`crate::schema::RosterKey`] index.
    pub values: &'a [&'a str],
    /// The row as read, and which fields change (by `RosterKey` index): the roster's own file
    /// keeps every other byte.
    pub record: &'a RawRecord,
    pub changed: &'a [Option<&'a str>],
}

/// The output files of a run, open while it goes.
pub struct Outputs {
    out: PathBuf,
    encoding: OutputEncoding,
    parquet: Option<ParquetHook>,
    findings: FindingsWriter,
    results: Option<ResultsWriter>,
    corrections: ReviewCorrections,
    /// `corrections/` being built under a temporary name in the output folder.
    corrections_dir: tempfile::TempDir,
    names: Vec<String>,
    per_roster: Vec<Option<RosterCorrections>>,
    counts: Counts,
}

/// What the output stage did, once every file is in place.
pub struct Written {
    pub counts: Counts,
    /// The first findings of each code and office, for report.html.
    pub samples: Samples,
    pub acknowledged: Option<AckSummary>,
    /// Per roster: its file under `corrections/` (None without corrections) and its rows.
    pub per_roster: Vec<(Option<String>, u64)>,
    /// Characters the output encoding could not hold, written as 〓.
    pub replaced: u64,
}

impl Outputs {
    pub fn create(cfg: OutputsConfig<'_>) -> Result<Outputs, Error> {
        let out = cfg.out;
        std::fs::create_dir_all(out).map_err(|source| Error::Write {
            path: out.display().to_string(),
            source,
        })?;
        let mask = !cfg.unmask;
        let enc = cfg.encoding;
        let findings =
            FindingsWriter::create(&out.join("findings.csv"), enc, mask, cfg.acks, cfg.as_of)?;
        let results = match cfg.results {
            true => Some(ResultsWriter::create(&out.join("results.csv"), enc, mask)?),
            false => None,
        };
        let corrections = ReviewCorrections::create(&out.join("corrections.csv"), enc)?;
        let corrections_dir =
            super::lock::private_tempdir(".totsugo-corrections-", out).map_err(|source| {
                Error::Write {
                    path: out.display().to_string(),
                    source,
                }
            })?;
        Ok(Outputs {
            out: out.to_path_buf(),
            encoding: enc,
            parquet: cfg.parquet,
            findings,
            results,
            corrections,
            corrections_dir,
            names: file_names(cfg.rosters),
            per_roster: (0..cfg.rosters.len()).map(|_| None).collect(),
            counts: Counts::default(),
        })
    }

    /// A data row read, counted under its office.
    pub fn row(&mut self, office: &str) {
        self.counts.totals.rows += 1;
        self.counts.office(office).rows += 1;
    }

    /// A row with at least one finding (listed or acknowledged).
    pub fn row_has_findings(&mut self) {
        self.counts.totals.rows_with_findings += 1;
    }

    /// Writes `f` to findings.csv (or acknowledged.csv) and counts it under `office` (None: a
    /// reference file's line, which belongs to no office). True when it was listed.
    /// `files`: the run's input names, indexed by [`crate::findings::Source::file`].
    pub fn finding(
        &mut self,
        f: &Finding,
        office: Option<&str>,
        files: &[String],
    ) -> Result<bool, Error> {
        let listed = self.findings.write(f, files)?;
        if listed {
            self.counts.finding(f, office);
        }
        Ok(listed)
    }

    /// One results.csv row, already formatted (see [`ResultsWriter::format`]).
    pub fn result(&mut self, row: &[u8], replaced: u64) -> Result<(), Error> {
        match self.results.as_mut() {
            Some(r) => r.write_formatted(row, 1, replaced),
            None => Ok(()),
        }
    }

    /// One row to corrections.csv and to its roster's file under `corrections/` (created with
    /// the roster's first correction).
    pub fn correction(&mut self, c: &Correction<'_>, shape: &RosterShape<'_>) -> Result<(), Error> {
        self.corrections.write(c.action, c.file, c.line, c.values)?;
        let Some(slot) = self.per_roster.get_mut(c.roster) else {
            return Err(Error::Internal(format!(
                "名簿の番号 {} がありません",
                c.roster
            )));
        };
        if slot.is_none() {
            *slot = Some(RosterCorrections::create(
                self.corrections_dir.path(),
                &self.names[c.roster],
                shape.info,
                shape.header,
                shape.columns,
            )?);
        }
        if let Some(w) = slot.as_mut() {
            w.write(c.action, c.record, c.changed)?;
        }
        Ok(())
    }

    /// Rows written so far to roster `i`'s correction file.
    pub fn roster_corrections(&self, i: usize) -> u64 {
        self.per_roster
            .get(i)
            .and_then(Option::as_ref)
            .map_or(0, RosterCorrections::rows)
    }

    /// Renames every file into place (findings, results, their Parquet copies, corrections.csv,
    /// then `corrections/` swapped in whole) and gives back what was written.
    pub fn finish(self) -> Result<Written, Error> {
        let mut counts = self.counts;
        counts.totals.corrections = self.corrections.rows();
        let mut replaced =
            self.findings.replaced() + self.results.as_ref().map_or(0, ResultsWriter::replaced);
        let (samples, acknowledged) = self.findings.commit()?;
        let wrote_results = self.results.is_some();
        if let Some(r) = self.results {
            r.commit()?;
        }
        if let Some(parquet) = self.parquet {
            let names: &[&str] = if wrote_results {
                &["findings", "results"]
            } else {
                &["findings"]
            };
            parquet(&self.out, names, self.encoding)?;
        }
        self.corrections.commit()?;
        let mut per_roster = Vec::with_capacity(self.per_roster.len());
        for (w, name) in self.per_roster.into_iter().zip(&self.names) {
            per_roster.push(match w {
                Some(w) => {
                    replaced += w.replaced();
                    let n = w.rows();
                    w.commit()?;
                    (Some(format!("corrections/{name}")), n)
                }
                None => (None, 0),
            });
        }
        super::corrections::swap_dir(&self.out, self.corrections_dir)?;
        Ok(Written {
            counts,
            samples,
            acknowledged,
            per_roster,
            replaced,
        })
    }
}

impl Written {
    /// summary.json: `base` (the command's own fields, its inputs with the rosters first, in
    /// order) with what the output stage counted and wrote; and report.html's samples.
    pub fn summary(self, base: Summary) -> (Summary, Samples) {
        let Written {
            mut counts,
            samples,
            acknowledged,
            per_roster,
            replaced,
        } = self;
        let mut inputs = base.inputs;
        for (input, (file, n)) in inputs.iter_mut().zip(per_roster) {
            input.corrections_file = file;
            input.corrections = n;
        }
        let summary = Summary {
            by_code: counts.by_code(),
            by_office: counts.take_by_office(),
            totals: counts.totals,
            inputs,
            output_replacements: replaced,
            acknowledged,
            ..base
        };
        (summary, samples)
    }
}
