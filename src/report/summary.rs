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
    pub schema: String,
    /// `corrections/<name>` when this roster has rows to correct.
    pub corrections_file: Option<String>,
    pub corrections: u64,
    pub note: Option<String>,
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
            extra_columns: columns.extra.iter().map(|(_, h)| h.clone()).collect(),
            schema: schema.to_string(),
            corrections_file: None,
            corrections: 0,
            note: info.note.clone(),
        }
    }
}

impl Summary {
    pub fn write(&self, path: &Path) -> Result<(), Error> {
        let mut f = AtomicFile::create(path)?;
        let json =
            serde_json::to_string_pretty(self).map_err(|e| Error::Internal(e.to_string()))?;
        f.write_all(json.as_bytes())
            .and_then(|_| f.write_all(b"\n"))
            .map_err(|source| Error::Write {
                path: path.display().to_string(),
                source,
            })?;
        f.commit()
    }
}
