//! `review.xlsx`: the findings and the corrections as a workbook a clerk can open in Excel
//! without Excel damaging them. Written by `rust_xlsxwriter` (a well-kept writer: the format is
//! a ZIP of XML parts with shared strings and styles, not something to hand-write).
//!
//! - Every cell is a text cell with the text number format (`@`): 受給者番号 `0000018` keeps its
//!   zeros, a My Number is never shown as `1.23457E+11`, and what the clerk types into the
//!   blank columns stays text too.
//! - 所見: findings.csv's rows (masked as there, formulas defused as there) and a blank
//!   確認 / 理由 / 期限 column group. Marking 確認 and giving a 理由 is all `--ack review.xlsx`
//!   needs the next night. With `--ack`, the findings acknowledged tonight follow, marked 済
//!   with their 理由 and 期限, so tonight's workbook carries every acknowledgement forward.
//! - 修正: corrections.csv's rows (full numbers, as corrections.csv: for re-registration).
//! - The header row is frozen and filtered, and column widths fit Japanese text (a wide
//!   character counts twice). Printed, a sheet is A4 landscape, one page wide, with the header
//!   on every page.
//!
//! It is made from findings.csv and corrections.csv once they are in place, so it shows exactly
//! what they hold; it is written like every output (temporary file in the folder, mode 0600,
//! renamed). A sheet holds at most 1,048,575 rows: beyond that the last row says how many more
//! are in the CSV.

use std::path::Path;

use rust_xlsxwriter::{
    Color, DocProperties, ExcelDateTime, Format, FormatBorder, Workbook, Worksheet, XlsxError,
};

use csv::StringRecord;

use super::atomic::AtomicFile;
use super::csvout::OutputEncoding;
use crate::error::Error;

pub const FILE: &str = "review.xlsx";
pub const FINDINGS_SHEET: &str = "所見";
pub const CORRECTIONS_SHEET: &str = "修正";
/// The clerk's columns after the findings' own.
pub const CLERK_COLUMNS: [&str; 3] = ["確認", "理由", "期限"];
/// Excel's rows per sheet, less the header.
const MAX_ROWS: usize = 1_048_575;
/// zip deflate level of review.xlsx (see [`write`]).
const ZIP_LEVEL: u8 = 3;

/// What was written (for the log and summary).
#[derive(Debug, Clone, Copy, Default)]
pub struct WorkbookStats {
    pub findings: u64,
    pub corrections: u64,
    pub bytes: u64,
}

/// Reads a review CSV back (as written: UTF-8 with or without BOM, or CP932).
/// A CSV's rows, each one allocation (csv's StringRecord: one buffer and its field bounds), not
/// a String per cell: findings.csv has hundreds of thousands of rows.
fn read_csv(path: &Path, enc: OutputEncoding) -> Result<Vec<StringRecord>, Error> {
    let bytes = std::fs::read(path).map_err(|source| Error::Read {
        path: path.display().to_string(),
        source,
    })?;
    let text = match enc {
        OutputEncoding::Cp932 => encoding_rs::SHIFT_JIS.decode(&bytes).0.into_owned(),
        _ => String::from_utf8_lossy(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes))
            .into_owned(),
    };
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for rec in r.records() {
        rows.push(rec.map_err(|e| Error::Internal(format!("{}: {e}", path.display())))?);
    }
    Ok(rows)
}

/// Display width: a wide (CJK, full-width) character counts as two.
fn width(s: &str) -> usize {
    s.chars()
        .map(|c| if (c as u32) < 0x1100 { 1 } else { 2 })
        .sum()
}

fn xlsx_err(e: XlsxError) -> Error {
    Error::Internal(format!("{FILE}: {e}"))
}

/// One sheet: the header row, then `rows` (all text), `extra` blank text columns for the
/// clerk after the data's own.
fn sheet(
    ws: &mut Worksheet,
    name: &str,
    rows: &[StringRecord],
    extra: &[&str],
) -> Result<u64, XlsxError> {
    ws.set_name(name)?;
    let text = Format::new().set_num_format("@");
    let head = Format::new()
        .set_num_format("@")
        .set_bold()
        .set_background_color(Color::RGB(0xDDEBF7))
        .set_border_bottom(FormatBorder::Thin);
    let clerk_head = head.clone().set_background_color(Color::RGB(0xFFF2CC));
    let Some((header, data)) = rows.split_first() else {
        return Ok(0);
    };
    let columns = header.len() + extra.len();
    // Widths first: in constant-memory mode rows go to disk as they are written, so the
    // column settings must come before them.
    let shown = data.len().min(MAX_ROWS - 1);
    let mut widths: Vec<usize> = header.iter().map(width).collect();
    widths.extend(extra.iter().map(|h| width(h).max(12)));
    for row in &data[..shown] {
        for (c, v) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(c) {
                *w = (*w).max(width(v));
            }
        }
    }
    for (c, w) in widths.iter().enumerate() {
        // Text format on the whole column: what the clerk types stays text.
        ws.set_column_format(c as u16, &text)?;
        ws.set_column_width(c as u16, ((*w).clamp(6, 60) + 2) as f64)?;
    }
    for (c, h) in header.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, h, &head)?;
    }
    for (k, h) in extra.iter().enumerate() {
        ws.write_string_with_format(0, (header.len() + k) as u16, *h, &clerk_head)?;
    }
    for (r, row) in data[..shown].iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            if !v.is_empty() {
                ws.write_string_with_format(r as u32 + 1, c as u16, v, &text)?;
            }
        }
    }
    let mut last = shown as u32;
    if shown < data.len() {
        last += 1;
        ws.write_string_with_format(
            last,
            0,
            format!(
                "…ほか {} 行は CSV にあります（Excel の1シートの上限）",
                data.len() - shown
            ),
            &text,
        )?;
    }
    ws.set_freeze_panes(1, 0)?;
    ws.autofilter(0, 0, last.max(1), (columns - 1) as u16)?;
    // Printed on A4 landscape, one page wide, the header on every page.
    ws.set_landscape();
    ws.set_paper_size(9);
    ws.set_print_fit_to_pages(1, 0);
    ws.set_repeat_rows(0, 0)?;
    Ok(shown as u64)
}

/// Writes `review.xlsx` in `out` from the findings.csv and corrections.csv there. `as_of`
/// (YYYYMMDD, the run date) is the workbook's creation date, so the same run gives the same
/// bytes.
pub fn write(out: &Path, enc: OutputEncoding, as_of: &str) -> Result<WorkbookStats, Error> {
    let mut findings = read_csv(&out.join("findings.csv"), enc)?;
    // Tonight's acknowledged findings come back into 所見 already marked (確認 済, with their
    // 理由 and 期限), so the workbook the clerk saves tonight still acknowledges them tomorrow.
    let acknowledged = out.join(super::findings::ACK_FILE);
    if acknowledged.exists() {
        let columns = super::findings::HEADER.len();
        for row in read_csv(&acknowledged, enc)?.into_iter().skip(1) {
            let mut r: Vec<&str> = row.iter().take(columns).collect();
            r.resize(columns, "");
            r.push("済");
            r.extend(row.iter().skip(columns).take(2));
            findings.push(StringRecord::from(r));
        }
    }
    let corrections = match out.join("corrections.csv") {
        p if p.exists() => read_csv(&p, enc)?,
        _ => Vec::new(),
    };
    let mut wb = Workbook::new();
    let date = crate::rules::date::Ymd::parse_yyyymmdd(as_of)
        .and_then(|d| ExcelDateTime::from_ymd(d.year, d.month, d.day).ok());
    if let Some(date) = date {
        wb.set_properties(
            &DocProperties::new()
                .set_title("突合チェック 確認用ブック")
                .set_creation_datetime(&date),
        );
    }
    // Rows go straight to temporary files (anonymous, in the output folder: nothing outside
    // it), so memory does not grow with the findings.
    wb.set_tempdir(out).map_err(xlsx_err)?;
    // Deflate level 3 instead of the default 6. At 265k findings (`run`, 10M residents) level 6
    // took 2.6 s of CPU for a 42 MB file; level 3 saves 1.4 s of wall time for 49 MB (level 1:
    // 2.0 s for 67 MB, too large to mail). Excel and LibreOffice open any level.
    wb.set_zip_compression_level(ZIP_LEVEL);
    let mut stats = WorkbookStats {
        findings: sheet(
            wb.add_worksheet_with_constant_memory().map_err(xlsx_err)?,
            FINDINGS_SHEET,
            &findings,
            &CLERK_COLUMNS,
        )
        .map_err(xlsx_err)?,
        ..WorkbookStats::default()
    };
    if !corrections.is_empty() {
        let ws = wb.add_worksheet_with_constant_memory().map_err(xlsx_err)?;
        stats.corrections = sheet(ws, CORRECTIONS_SHEET, &corrections, &[]).map_err(xlsx_err)?;
    }
    let bytes = wb.save_to_buffer().map_err(xlsx_err)?;
    stats.bytes = bytes.len() as u64;
    let path = out.join(FILE);
    let mut f = AtomicFile::create(&path)?;
    std::io::Write::write_all(&mut f, &bytes).map_err(|source| Error::Write {
        path: path.display().to_string(),
        source,
    })?;
    f.commit()?;
    Ok(stats)
}
