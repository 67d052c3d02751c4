//! `totsugo validate`: ingest each roster, check every row against the entry rules (V01–V16),
//! write findings, corrections and the summary.
//!
//! Per file: a reader thread splits records into batches (ingest); batches are checked in
//! parallel with rayon and collected in input order; one sequential sink numbers duplicates
//! (V15), counts, and streams rows to the output files. Output order is file, line, code,
//! whatever the thread count.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Instant;

use rayon::prelude::*;

use crate::error::Error;
use crate::exit::Outcome;
use crate::findings::{Action, Code, Finding, Severity, Source};
use crate::ingest::{self, Encoding, FileInfo, RawRecord, RecordReader};
use crate::log::Log;
use crate::report::corrections::{ReviewCorrections, RosterCorrections, file_names};
use crate::report::findings::FindingsWriter;
use crate::report::summary::{InputSummary, OfficeCounts, Summary, Totals};
use crate::report::{OutputEncoding, atomic};
use crate::rules::{self, Issue, RowCheck, RuleContext};
use crate::schema::{ColumnMap, Layout, RosterKey};

/// Everything `validate` needs, already checked.
#[derive(Debug, Clone)]
pub struct ValidateConfig {
    /// Roster files as given on the command line.
    pub rosters: Vec<PathBuf>,
    pub out: PathBuf,
    pub layout: Layout,
    /// `--encoding` (None: detect).
    pub encoding: Option<Encoding>,
    pub output_encoding: OutputEncoding,
    pub rules: RuleContext,
    /// Records per parallel batch.
    pub batch_size: usize,
}

/// What checking one record gave.
enum Checked {
    /// V14/V16: the line could not be read as a row; nothing else is checked. The record's
    /// 保険者番号/受給者番号 are shown where their columns could be read, so the clerk can find it.
    Unreadable {
        issues: Vec<LineIssue>,
        insurer_no: String,
        recipient_no: String,
    },
    Row {
        check: RowCheck,
        dup_key: u128,
        insurer_no: String,
        recipient_no: String,
    },
}

struct LineIssue {
    code: Code,
    field: String,
    message: String,
}

fn check_record(
    raw: &RawRecord,
    enc: Encoding,
    header: &[String],
    columns: &ColumnMap,
    layout: &Layout,
    ctx: RuleContext,
) -> Checked {
    let mut line_issues = Vec::new();
    if raw.record.len() != columns.width {
        let span = if raw.end_line > raw.line {
            format!(
                "（{}行目から{}行目までが1件として読まれました。引用符「\"」の閉じ忘れの可能性があります）",
                raw.line, raw.end_line
            )
        } else {
            String::new()
        };
        line_issues.push(LineIssue {
            code: Code::V16,
            field: String::new(),
            message: format!(
                "列の数が{}です。見出しは{}列です{span}",
                raw.record.len(),
                columns.width
            ),
        });
    }
    let mut decoded = Vec::with_capacity(raw.record.len());
    // UTF-8: one check for the whole record; its fields split at ASCII commas, so every field
    // boundary is a character boundary and slicing cannot fail.
    let whole = match enc {
        Encoding::Utf8 => std::str::from_utf8(raw.record.as_slice()).ok(),
        Encoding::Cp932 => None,
    };
    if let Some(whole) = whole {
        for i in 0..raw.record.len() {
            let s = raw.record.range(i).and_then(|r| whole.get(r)).unwrap_or("");
            decoded.push(std::borrow::Cow::Borrowed(s));
        }
    }
    for (i, bytes) in raw.record.iter().enumerate().skip(decoded.len()) {
        match ingest::decode_field(bytes, enc) {
            Ok(s) => decoded.push(s),
            Err(e) => {
                let name = header.get(i).cloned().unwrap_or_default();
                line_issues.push(LineIssue {
                    code: Code::V14,
                    field: name.clone(),
                    message: format!(
                        "{}列目（{name}）の {} を {} として読めません（{}バイト目）",
                        i + 1,
                        e.hex(),
                        enc.label(),
                        e.offset + 1
                    ),
                });
                decoded.push(std::borrow::Cow::Borrowed(""));
            }
        }
    }
    if !line_issues.is_empty() {
        line_issues.sort_by_key(|i| i.code);
        let key = |k: RosterKey| {
            columns.columns[k.index()]
                .and_then(|c| decoded.get(c))
                .map(|v| v.trim().to_string())
                .unwrap_or_default()
        };
        return Checked::Unreadable {
            insurer_no: key(RosterKey::InsurerNo),
            recipient_no: key(RosterKey::RecipientNo),
            issues: line_issues,
        };
    }
    let values: Vec<&str> = columns
        .columns
        .iter()
        .map(|c| c.map(|c| decoded[c].as_ref()).unwrap_or(""))
        .collect();
    let check = rules::check_roster_row(&values, layout, ctx);
    let pick = |k: RosterKey| {
        check.fixed[k.index()]
            .clone()
            .unwrap_or_else(|| values[k.index()].trim().to_string())
    };
    Checked::Row {
        dup_key: row_hash(&values),
        insurer_no: pick(RosterKey::InsurerNo),
        recipient_no: pick(RosterKey::RecipientNo),
        check,
    }
}

/// 128-bit hash (XXH3) of the contract columns as written, each followed by a separator byte
/// that cannot occur in text, so a false duplicate among 2 million rows has a chance of about
/// 10⁻²⁶.
fn row_hash(values: &[&str]) -> u128 {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    for v in values {
        h.update(v.as_bytes());
        h.update(&[0xFF]);
    }
    h.digest128()
}

/// Run-wide counters for the summary.
#[derive(Default)]
struct Counts {
    totals: Totals,
    by_code: HashMap<Code, u64>,
    by_office: HashMap<String, OfficeCounts>,
    worst: Option<Severity>,
}

impl Counts {
    fn finding(&mut self, f: &Finding) {
        self.totals.findings += 1;
        match f.severity() {
            Severity::Error => self.totals.errors += 1,
            Severity::Warning => self.totals.warnings += 1,
            Severity::Info => self.totals.info += 1,
        }
        self.worst = self.worst.max(Some(f.severity()));
        *self.by_code.entry(f.code).or_default() += 1;
        *self
            .office(&f.insurer_no)
            .by_code
            .entry(f.code.as_str().to_string())
            .or_default() += 1;
    }

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
}

/// Output files of a run, open while it goes.
struct Outputs {
    findings: FindingsWriter,
    corrections: ReviewCorrections,
    /// `corrections/` being built under a temporary name in the output folder.
    corrections_dir: tempfile::TempDir,
}

pub fn run(cfg: &ValidateConfig, log: &mut Log) -> Result<Outcome, Error> {
    let started = Instant::now();
    let out = &cfg.out;
    std::fs::create_dir_all(out).map_err(|source| Error::Write {
        path: out.display().to_string(),
        source,
    })?;
    let files: Vec<String> = cfg
        .rosters
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let names = file_names(&cfg.rosters);
    let mut outputs = Outputs {
        findings: FindingsWriter::create(&out.join("findings.csv"), cfg.output_encoding)?,
        corrections: ReviewCorrections::create(&out.join("corrections.csv"), cfg.output_encoding)?,
        corrections_dir: tempfile::Builder::new()
            .prefix(".totsugo-corrections-")
            .tempdir_in(out)
            .map_err(|source| Error::Write {
                path: out.display().to_string(),
                source,
            })?,
    };
    let mut counts = Counts::default();
    let mut inputs = Vec::new();
    let mut seen: HashMap<u128, Source> = HashMap::new();
    let mut replaced = 0;
    for (fi, path) in cfg.rosters.iter().enumerate() {
        let info = ingest::sniff(path, &files[fi], cfg.encoding)?;
        if let Some(note) = &info.note {
            log.warn(format!("{}: {note}", info.display));
        }
        let summary = validate_file(
            cfg,
            fi as u32,
            &info,
            &names[fi],
            &files,
            &mut outputs,
            &mut counts,
            &mut seen,
            &mut replaced,
        )?;
        log.info(format!(
            "{}: {} 行（{}・{}）、読めない行 {}、修正対象 {}",
            info.display,
            summary.rows,
            info.encoding.label(),
            if info.crlf { "CRLF" } else { "LF" },
            summary.unreadable_lines,
            summary.corrections
        ));
        inputs.push(summary);
    }
    let checked = started.elapsed();
    counts.totals.corrections = outputs.corrections.rows();
    replaced += outputs.findings.replaced();
    outputs.findings.commit()?;
    outputs.corrections.commit()?;
    swap_corrections_dir(out, outputs.corrections_dir)?;
    let outcome = Outcome {
        worst: counts.worst,
    };
    let mut timings = std::collections::BTreeMap::new();
    timings.insert("ingest_validate".to_string(), checked.as_millis() as u64);
    timings.insert(
        "write".to_string(),
        (started.elapsed() - checked).as_millis() as u64,
    );
    timings.insert("total".to_string(), started.elapsed().as_millis() as u64);
    let summary = Summary {
        tool: "totsugo",
        version: env!("CARGO_PKG_VERSION"),
        command: "validate",
        as_of: cfg.rules.as_of.to_yyyymmdd(),
        output_encoding: cfg.output_encoding.label(),
        masked: !cfg.rules.unmask,
        exit_code: outcome.exit_code(),
        totals: counts.totals.clone(),
        by_code: counts
            .by_code
            .iter()
            .map(|(c, n)| (c.as_str().to_string(), *n))
            .collect(),
        by_office: counts.by_office.into_iter().collect(),
        inputs,
        output_replacements: replaced,
        timings_ms: timings,
    };
    summary.write(&out.join("summary.json"))?;
    let t = &summary.totals;
    log.info(format!(
        "{} 行を検査: エラー {} 件、警告 {} 件、修正対象 {} 行 → {}",
        t.rows,
        t.errors,
        t.warnings,
        t.corrections,
        out.display()
    ));
    if replaced > 0 {
        log.warn(format!(
            "出力の文字コードで表せない文字 {replaced} 個を〓にしました（--output-encoding utf8-bom なら失われません）"
        ));
    }
    Ok(outcome)
}

/// Replaces `out/corrections` with the folder built in this run, so it holds exactly this
/// run's correction files (a stale file from an earlier run could be re-imported by mistake).
fn swap_corrections_dir(out: &Path, built: tempfile::TempDir) -> Result<(), Error> {
    let final_dir = out.join("corrections");
    let werr = |source| Error::Write {
        path: final_dir.display().to_string(),
        source,
    };
    let built = built.keep();
    if final_dir.exists() {
        let old = tempfile::Builder::new()
            .prefix(".totsugo-old-corrections-")
            .tempdir_in(out)
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
    atomic::sync_dir(&final_dir);
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn validate_file(
    cfg: &ValidateConfig,
    fi: u32,
    info: &FileInfo,
    corrections_name: &str,
    files: &[String],
    outputs: &mut Outputs,
    counts: &mut Counts,
    seen: &mut HashMap<u128, Source>,
    replaced: &mut u64,
) -> Result<InputSummary, Error> {
    let mut reader = RecordReader::open(info)?;
    let columns = cfg.layout.resolve(&info.display, &reader.header)?;
    let header = reader.header.clone();
    let header_line = reader.header_line;
    let mut roster_out: Option<RosterCorrections> = None;
    let mut unreadable = 0u64;
    let batch_size = cfg.batch_size.max(1);

    let (tx, rx) = mpsc::sync_channel::<Result<Vec<RawRecord>, Error>>(2);
    let (back_tx, back_rx) = mpsc::channel::<Vec<RawRecord>>();
    let (blank_lines, rows) = std::thread::scope(|s| -> Result<(u64, u64), Error> {
        let producer = s.spawn(move || {
            loop {
                let mut batch = back_rx.try_recv().unwrap_or_default();
                match reader.next_batch(&mut batch, batch_size) {
                    Ok(()) if batch.is_empty() => break,
                    Ok(()) => {
                        if tx.send(Ok(batch)).is_err() {
                            break;
                        }
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        break;
                    }
                }
            }
            (reader.blank_lines, reader.records)
        });
        let mut results: Vec<Checked> = Vec::new();
        let mut failed: Option<Error> = None;
        for batch in rx.iter() {
            let batch = match batch {
                Ok(b) => b,
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            };
            batch
                .par_iter()
                .with_min_len(256)
                .map(|raw| {
                    check_record(
                        raw,
                        info.encoding,
                        &header,
                        &columns,
                        &cfg.layout,
                        cfg.rules,
                    )
                })
                .collect_into_vec(&mut results);
            for (raw, checked) in batch.iter().zip(results.drain(..)) {
                if let Err(e) = sink(
                    fi,
                    info,
                    corrections_name,
                    files,
                    &header,
                    &columns,
                    raw,
                    checked,
                    outputs,
                    &mut roster_out,
                    counts,
                    seen,
                    &mut unreadable,
                ) {
                    failed = Some(e);
                    break;
                }
            }
            if failed.is_some() {
                break;
            }
            let _ = back_tx.send(batch);
        }
        drop(rx);
        let counts = producer
            .join()
            .map_err(|_| Error::Internal("読み込みスレッドが異常終了しました".into()))?;
        match failed {
            Some(e) => Err(e),
            None => Ok(counts),
        }
    })?;

    let (corrections_file, corrections) = match roster_out {
        Some(w) => {
            let n = w.rows();
            *replaced += w.replaced();
            let name = w.file_name.clone();
            w.commit()?;
            (Some(format!("corrections/{name}")), n)
        }
        None => (None, 0),
    };
    Ok(InputSummary {
        role: "roster",
        path: info.display.clone(),
        bytes: info.bytes,
        sha256: info.sha256.clone(),
        encoding: info.encoding.label(),
        encoding_forced: info.encoding_forced,
        bom: info.bom,
        line_ending: if info.crlf { "CRLF" } else { "LF" },
        header_line,
        rows,
        blank_lines,
        unreadable_lines: unreadable,
        extra_columns: columns.extra.iter().map(|(_, h)| h.clone()).collect(),
        schema: cfg.layout.origin.clone(),
        corrections_file,
        corrections,
        note: info.note.clone(),
    })
}

#[allow(clippy::too_many_arguments)]
fn sink(
    fi: u32,
    info: &FileInfo,
    corrections_name: &str,
    files: &[String],
    header: &[String],
    columns: &ColumnMap,
    raw: &RawRecord,
    checked: Checked,
    outputs: &mut Outputs,
    roster_out: &mut Option<RosterCorrections>,
    counts: &mut Counts,
    seen: &mut HashMap<u128, Source>,
    unreadable: &mut u64,
) -> Result<(), Error> {
    let source = Source {
        file: fi,
        line: raw.line,
    };
    counts.totals.rows += 1;
    let mut emit = |f: Finding, counts: &mut Counts| -> Result<(), Error> {
        counts.finding(&f);
        outputs.findings.write(&f, files)
    };
    match checked {
        Checked::Unreadable {
            issues,
            insurer_no,
            recipient_no,
        } => {
            *unreadable += raw.end_line - raw.line + 1;
            counts.totals.rows_with_findings += 1;
            counts.office(&insurer_no).rows += 1;
            for i in issues {
                emit(
                    Finding {
                        code: i.code,
                        source,
                        insurer_no: insurer_no.clone(),
                        recipient_no: recipient_no.clone(),
                        field: i.field,
                        message: i.message,
                        action: Action::Review,
                        related: None,
                    },
                    counts,
                )?;
            }
        }
        Checked::Row {
            check,
            dup_key,
            insurer_no,
            recipient_no,
        } => {
            counts.office(&insurer_no).rows += 1;
            let duplicate_of = match seen.get(&dup_key) {
                Some(first) => Some(*first),
                None => {
                    seen.insert(dup_key, source);
                    None
                }
            };
            if !check.issues.is_empty() || duplicate_of.is_some() {
                counts.totals.rows_with_findings += 1;
            }
            let to_finding = |i: &Issue| Finding {
                code: i.code,
                source,
                insurer_no: insurer_no.clone(),
                recipient_no: recipient_no.clone(),
                field: i.field.name().to_string(),
                message: i.message.clone(),
                action: i.action,
                related: None,
            };
            let mut findings: Vec<Finding> = check.issues.iter().map(to_finding).collect();
            if let Some(first) = duplicate_of {
                findings.push(Finding {
                    code: Code::V15,
                    source,
                    insurer_no: insurer_no.clone(),
                    recipient_no: recipient_no.clone(),
                    field: String::new(),
                    message: format!(
                        "{} の{}行目と全項目が同じ行です。重複している行を名簿から削除してください",
                        files[first.file as usize], first.line
                    ),
                    action: Action::Delete,
                    related: Some(first),
                });
                findings.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
            }
            for f in findings {
                emit(f, counts)?;
            }
            // A duplicate's corrections are its first occurrence's: write them once.
            if check.needs_change() && duplicate_of.is_none() {
                let action = check.correction_action();
                let values: Vec<String> = (0..RosterKey::ALL.len())
                    .map(|i| match &check.fixed[i] {
                        Some(v) => v.clone(),
                        None => columns.columns[i]
                            .and_then(|c| raw.record.get(c))
                            .map(|b| {
                                ingest::decode_field(b, info.encoding)
                                    .map(|s| s.into_owned())
                                    .unwrap_or_default()
                            })
                            .unwrap_or_default(),
                    })
                    .collect();
                let refs: Vec<&str> = values.iter().map(String::as_str).collect();
                outputs
                    .corrections
                    .write(action, &files[fi as usize], raw.line, &refs)?;
                if roster_out.is_none() {
                    *roster_out = Some(RosterCorrections::create(
                        outputs.corrections_dir.path(),
                        corrections_name,
                        info,
                        header,
                        columns,
                    )?);
                }
                if let Some(w) = roster_out.as_mut() {
                    w.write(action, raw, &check.fixed)?;
                }
            }
        }
    }
    Ok(())
}
