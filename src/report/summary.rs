//! `summary.json`: counts per code and per office, the inputs (row counts, SHA-256, encoding),
//! timings per stage, the tool version.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use serde::Serialize;

use super::atomic::AtomicFile;
use crate::error::Error;

#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub tool: &'static str,
    pub version: &'static str,
    pub command: &'static str,
    /// The date V12 compares with (YYYYMMDD).
    pub as_of: String,
    pub output_encoding: &'static str,
    /// My Numbers masked in findings.csv (false with `--unmask`).
    pub masked: bool,
    pub exit_code: u8,
    pub totals: Totals,
    /// Findings per code (codes with none are left out).
    pub by_code: BTreeMap<String, u64>,
    /// Per 保険者番号 (the office): rows and findings per code.
    pub by_office: BTreeMap<String, OfficeCounts>,
    pub inputs: Vec<InputSummary>,
    /// Characters written as 〓 because the output encoding cannot hold them.
    pub output_replacements: u64,
    pub timings_ms: BTreeMap<String, u64>,
    /// `match`: fields compared (4 or 5).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<u8>,
    /// `match`: records per 判定 (M00–M42, `-` for unreadable lines).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdicts: Option<BTreeMap<String, u64>>,
    /// `match`: registry rows kept in memory (only those some roster record asked for; the
    /// rest of the registry streams past).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registry_rows_kept: Option<u64>,
    /// `check`: persons found on more than one roster record (moved, re-opened, duplicated).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub persons_with_several_records: Option<u64>,
    /// `--ack`: findings acknowledged (left out of findings.csv and the exit code), expired,
    /// and acknowledgements that matched nothing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acknowledged: Option<super::ack::AckSummary>,
    /// `run --state`: the comparison with the last verified baseline (N01, N02).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineSummary>,
}

/// The nightly comparison, in summary.json.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BaselineSummary {
    /// `compared`, `first` (no baseline yet) or `reset` (`--reset-baseline`).
    pub status: &'static str,
    /// The run date of the baseline compared with (YYYYMMDD).
    pub previous_as_of: Option<String>,
    pub previous_records: u64,
    /// The baseline was written by another normalization version (this one's number): it was
    /// re-keyed tonight, 氏名・カナ・住所 not compared for N02.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renormalized_from: Option<u32>,
    /// Records verified tonight (M00/M01 without エラー).
    pub verified: u64,
    /// New records verified tonight.
    pub new_verified: u64,
    /// N01: new records not verified.
    pub new_unverified: u64,
    /// N02: known records whose number or basic fields changed.
    pub changed: u64,
    /// Entries in the baseline written by this run (verified, and seen but not verified).
    pub records_written: u64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Totals {
    /// Data rows read (header and blank lines not counted).
    pub rows: u64,
    pub findings: u64,
    pub errors: u64,
    pub warnings: u64,
    pub info: u64,
    /// Rows with at least one finding.
    pub rows_with_findings: u64,
    /// Rows written to corrections.csv.
    pub corrections: u64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct OfficeCounts {
    pub rows: u64,
    pub by_code: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct InputSummary {
    pub role: &'static str,
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
    pub encoding: &'static str,
    pub encoding_forced: bool,
    pub bom: bool,
    pub line_ending: &'static str,
    pub header_line: u64,
    pub rows: u64,
    pub blank_lines: u64,
    /// Lines reported as V14/V16.
    pub unreadable_lines: u64,
    /// Columns no field of the layout claims: ignored.
    pub extra_columns: Vec<String>,
    /// Empty cells beyond the header on data rows (Excel's used range), ignored.
    pub trailing_empty_cells: u64,
    pub schema: String,
    /// `corrections/<name>` when this roster has rows to correct.
    pub corrections_file: Option<String>,
    pub corrections: u64,
    pub note: Option<String>,
    /// The JIS X 0213 warning of this roster, for the log (it is also in `note`).
    #[serde(skip)]
    pub jisx0213: Option<String>,
}

/// `timings_ms` from the elapsed time at the end of each stage, in order: each stage's own
/// milliseconds, and `total` (the last mark).
pub fn stage_timings(marks: &[(&str, std::time::Duration)]) -> BTreeMap<String, u64> {
    let mut timings = BTreeMap::new();
    let mut before = std::time::Duration::ZERO;
    for (stage, at) in marks {
        timings.insert(
            stage.to_string(),
            at.saturating_sub(before).as_millis() as u64,
        );
        before = *at;
    }
    timings.insert("total".to_string(), before.as_millis() as u64);
    timings
}

impl InputSummary {
    /// One input as read: what the sniff decided and what the reader counted. Corrections are
    /// filled in by the caller.
    pub fn new(
        role: &'static str,
        info: &crate::ingest::FileInfo,
        stats: &crate::ingest::ReadStats,
        header_line: u64,
        unreadable_lines: u64,
        columns: &crate::schema::ColumnMap,
        schema: &str,
    ) -> InputSummary {
        let jisx0213 = crate::ingest::jisx0213_warning(&stats.jisx0213_lines);
        InputSummary {
            role,
            path: info.display.clone(),
            bytes: stats.bytes,
            sha256: stats.sha256.clone(),
            encoding: info.encoding.label(),
            encoding_forced: info.encoding_forced,
            bom: info.bom,
            line_ending: if info.crlf { "CRLF" } else { "LF" },
            header_line,
            rows: stats.records,
            blank_lines: stats.blank_lines,
            unreadable_lines,
            // A header cell is data too: over 4,096 bytes it is cut like any value.
            extra_columns: columns
                .extra
                .iter()
                .map(|(_, h)| crate::findings::mask::cut_long(h).into_owned())
                .collect(),
            trailing_empty_cells: stats.trailing_empty_cells,
            schema: schema.to_string(),
            corrections_file: None,
            corrections: 0,
            note: match (&info.note, &jisx0213) {
                (Some(n), Some(w)) => Some(format!("{n}。{w}")),
                (n, w) => n.clone().or_else(|| w.clone()),
            },
            jisx0213,
        }
    }
}

impl Summary {
    /// The fields every command fills the same way; the caller adds counts and inputs.
    pub fn for_run(
        command: &'static str,
        rules: &crate::rules::RuleContext,
        output_encoding: super::OutputEncoding,
        exit_code: u8,
        timings_ms: BTreeMap<String, u64>,
    ) -> Summary {
        Summary {
            tool: "totsugo",
            version: env!("CARGO_PKG_VERSION"),
            command,
            as_of: rules.as_of.to_yyyymmdd(),
            output_encoding: output_encoding.label(),
            masked: !rules.unmask,
            exit_code,
            timings_ms,
            ..Default::default()
        }
    }

    /// The summary as written: unless `--unmask`, every text that comes from the data (office
    /// keys, file names, notes, extra column names) has its My Numbers masked; two offices
    /// whose keys mask alike are counted together. Control characters are escaped by JSON.
    fn masked_copy(&self) -> Summary {
        let mut s = self.clone();
        if !s.masked {
            return s;
        }
        let mask = |v: &str| crate::findings::mask::mask_number_runs(v).into_owned();
        let mut by_office: BTreeMap<String, OfficeCounts> = BTreeMap::new();
        for (office, counts) in std::mem::take(&mut s.by_office) {
            let into = by_office.entry(mask(&office)).or_default();
            into.rows += counts.rows;
            for (code, n) in counts.by_code {
                *into.by_code.entry(code).or_default() += n;
            }
        }
        s.by_office = by_office;
        for input in &mut s.inputs {
            input.path = mask(&input.path);
            input.note = input.note.as_deref().map(mask);
            input.corrections_file = input.corrections_file.as_deref().map(mask);
            for c in &mut input.extra_columns {
                *c = mask(c);
            }
        }
        s
    }

    pub fn write(&self, path: &Path) -> Result<(), Error> {
        let mut f = AtomicFile::create(path)?;
        let json = serde_json::to_string_pretty(&self.masked_copy())
            .map_err(|e| Error::Internal(e.to_string()))?;
        f.write_all(json.as_bytes())
            .and_then(|_| f.write_all(b"\n"))
            .map_err(|source| Error::Write {
                path: path.display().to_string(),
                source,
            })?;
        f.commit()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn stage_timings_are_differences_of_marks() {
        let t = stage_timings(&[
            ("rosters", Duration::from_millis(300)),
            ("registry", Duration::from_millis(1_000)),
            ("write", Duration::from_millis(1_250)),
        ]);
        let got: Vec<(&str, u64)> = t.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        assert_eq!(
            got,
            [
                ("registry", 700),
                ("rosters", 300),
                ("total", 1_250),
                ("write", 250)
            ]
        );
    }
}
