//! `totsugo validate`: ingest each roster, check every row against the entry rules (V01–V16),
//! write findings, corrections and the summary.
//!
//! Per file: a reader thread splits records into batches (ingest); batches are checked in
//! parallel with rayon and collected in input order; one sequential sink numbers duplicates
//! (V15), counts, and streams rows to the output files. Output order is file, line, code,
//! whatever the thread count.

use crate::ingest::RawRecord;
use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::Instant;

use rayon::prelude::*;

use crate::error::Error;
use crate::exit::Outcome;
use crate::findings::{Action, Code, Finding, Source};
use crate::ingest::{
    self, Block, Encoding, FieldScratch, Fields, FileInfo, ReadStats, RecordReader, Span,
};
use crate::log::Log;
use crate::record::Kept;
use crate::report::OutputEncoding;
use crate::report::outputs::{Correction, Outputs, OutputsConfig, ParquetHook, RosterShape};
use crate::report::summary::{InputSummary, Summary, stage_timings};
use crate::rules::{self, Issue, RowCheck, RuleContext};
use crate::schema::{ColumnMap, Layout, RosterKey};

mod collect;

pub(crate) use collect::{RosterInput, Rosters, read_rosters};

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
    /// `--ack`: acknowledged findings (所見ID, 理由, 期限), CSV or review.xlsx.
    pub ack: Option<PathBuf>,
    /// `--parquet`: findings.parquet (and results.parquet) beside the CSVs.
    pub parquet: bool,
}

/// What checking one record gave.
pub(crate) enum Checked {
    /// V14/V16: the line could not be read as a row; nothing else is checked. The record's
    /// 保険者番号/受給者番号 are shown where their columns could be read, so the clerk can find it.
    Unreadable {
        issues: Vec<LineIssue>,
        insurer_no: String,
        recipient_no: String,
    },
    Row {
        dup_key: u128,
        office: InlineStr,
        recipient: InlineStr,
        /// Only for a row with findings (a clean row allocates nothing).
        detail: Option<Box<RowDetail>>,
        /// Only when the caller asked (matching needs every row's values).
        kept: Option<Box<Kept>>,
    },
}

pub(crate) struct RowDetail {
    pub(crate) check: RowCheck,
    pub(crate) insurer_no: String,
    pub(crate) recipient_no: String,
    /// The record's fields, kept for the correction files when the row must change.
    pub(crate) record: Option<RawRecord>,
}

pub(crate) struct LineIssue {
    code: Code,
    field: String,
    message: String,
}

/// A short value held without a heap allocation: every row carries its 保険者番号 (8 digits,
/// the per-office key) and 受給者番号 (7 digits) to the sink.
#[derive(Clone)]
pub(crate) enum InlineStr {
    Inline { len: u8, bytes: [u8; 22] },
    Heap(Box<str>),
}

impl InlineStr {
    fn new(s: &str) -> InlineStr {
        let mut bytes = [0u8; 22];
        match bytes.get_mut(..s.len()) {
            Some(dst) => {
                dst.copy_from_slice(s.as_bytes());
                InlineStr::Inline {
                    len: s.len() as u8,
                    bytes,
                }
            }
            None => InlineStr::Heap(s.into()),
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        match self {
            // Copied from a whole &str, so always valid.
            InlineStr::Inline { len, bytes } => {
                std::str::from_utf8(&bytes[..*len as usize]).unwrap_or_default()
            }
            InlineStr::Heap(s) => s,
        }
    }
}

impl Checked {
    fn dup_key(&self) -> Option<u128> {
        match self {
            Checked::Row { dup_key, .. } => Some(*dup_key),
            Checked::Unreadable { .. } => None,
        }
    }

    /// V14 under UTF-8: the record is not UTF-8.
    fn is_not_utf8(&self) -> bool {
        matches!(self, Checked::Unreadable { issues, .. } if issues.iter().any(|i| i.code == Code::V14))
    }
}

const KEYS: usize = RosterKey::ALL.len();

/// V16 for a record that is not a row of the header's shape: longer than the reader takes, or
/// with another number of columns (a quote left open joins lines). None for a well-formed row.
fn shape_issue(raw: &Fields<'_>, columns: &ColumnMap) -> Option<LineIssue> {
    if raw.cut > 0 {
        return Some(LineIssue {
            code: Code::V16,
            field: String::new(),
            message: format!(
                "行が長すぎます（{} バイト、上限 {} バイト）。この行は読み飛ばしました。名簿の出力をやり直してください",
                raw.cut,
                ingest::reader::MAX_RECORD_BYTES
            ),
        });
    }
    if raw.len() != columns.width {
        let span = if raw.end_line > raw.line {
            format!(
                "（{}行目から{}行目までが1件として読まれました。引用符「\"」の閉じ忘れの可能性があります）",
                raw.line, raw.end_line
            )
        } else {
            String::new()
        };
        return Some(LineIssue {
            code: Code::V16,
            field: String::new(),
            message: format!(
                "列の数が{}です。見出しは{}列です{span}",
                raw.len(),
                columns.width
            ),
        });
    }
    None
}

#[allow(clippy::too_many_arguments)]
fn check_record(
    raw: Fields<'_>,
    enc: Encoding,
    header: &[String],
    columns: &ColumnMap,
    layout: &Layout,
    ctx: RuleContext,
    keep: bool,
    trailing: &AtomicU64,
    jisx0213: &Mutex<Vec<u64>>,
) -> Checked {
    let (raw, empty_cells) = raw.without_trailing_empty(columns.width);
    if empty_cells > 0 {
        trailing.fetch_add(empty_cells, Ordering::Relaxed);
    }
    if enc == Encoding::Cp932
        && ingest::has_nec_ibm_rows(raw.bytes())
        && let Ok(mut lines) = jisx0213.lock()
    {
        lines.push(raw.line);
    }
    let mut line_issues: Vec<LineIssue> = shape_issue(&raw, columns).into_iter().collect();
    // UTF-8: one check for the whole record; its fields split at ASCII commas, so every field
    // boundary is a character boundary and slicing cannot fail. Otherwise (CP932, or a UTF-8
    // record with a bad byte) field by field, so the V14 message names the column.
    let whole = match enc {
        Encoding::Utf8 => simdutf8::basic::from_utf8(raw.bytes()).ok(),
        Encoding::Cp932 | Encoding::Sjis2004 => None,
    };
    let mut decoded: Vec<Cow<str>> = Vec::new();
    if whole.is_none() {
        decoded.reserve(raw.len());
        for (i, bytes) in raw.iter().enumerate() {
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
                    decoded.push(Cow::Borrowed(""));
                }
            }
        }
    }
    let field = |c: usize| -> &str {
        match whole {
            Some(w) => raw.range(c).and_then(|r| w.get(r)).unwrap_or(""),
            None => decoded.get(c).map_or("", |v| v.as_ref()),
        }
    };
    let values: [&str; KEYS] = std::array::from_fn(|k| columns.columns[k].map_or("", field));
    if !line_issues.is_empty() {
        line_issues.sort_by_key(|i| i.code);
        let cut =
            |k: RosterKey| crate::findings::mask::cut_long(values[k.index()].trim()).into_owned();
        return Checked::Unreadable {
            insurer_no: cut(RosterKey::InsurerNo),
            recipient_no: cut(RosterKey::RecipientNo),
            issues: line_issues,
        };
    }
    let check = rules::check_roster_row(&values, layout, ctx);
    let pick = |k: RosterKey| check.fixed(k).unwrap_or_else(|| values[k.index()].trim());
    let office = InlineStr::new(pick(RosterKey::InsurerNo));
    let recipient = InlineStr::new(pick(RosterKey::RecipientNo));
    let dup_key = row_hash(&values);
    let kept = keep.then(|| Box::new(Kept::new(RosterKey::ALL.map(pick), raw.to_raw())));
    if check.issues.is_empty() {
        return Checked::Row {
            dup_key,
            office,
            recipient,
            detail: None,
            kept,
        };
    }
    let insurer_no = pick(RosterKey::InsurerNo).to_string();
    let recipient_no = pick(RosterKey::RecipientNo).to_string();
    let record = check.needs_change().then(|| raw.to_raw());
    Checked::Row {
        dup_key,
        office,
        recipient,
        kept,
        detail: Some(Box::new(RowDetail {
            check,
            insurer_no,
            recipient_no,
            record,
        })),
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

/// The first occurrence of each row hash (V15).
///
/// It is probed once per row by the serial sink, so it is built for the memory system: an
/// open-addressing table of 8-byte slots (32 bits of the hash as a tag, 32 bits of position in
/// an append-only list that holds the whole 128-bit hash, so a match is exact), kept at most
/// half full. A block's rows are looked up in two passes: the first only reads each row's
/// home slot, so the cache misses of thousands of independent loads overlap; the second
/// inserts, finding those slots in cache. (With std's HashMap and 32-byte slots, two misses
/// per row were 85 % of the sink's time.)
#[derive(Default)]
pub(crate) struct DupMap {
    slots: Vec<u64>,
    entries: Vec<(u128, Source)>,
}

impl DupMap {
    fn home(&self, key: u128) -> usize {
        (key as usize) & (self.slots.len() - 1)
    }

    /// For each `(hash, row)` in order: the first row with the same hash, or None when this
    /// row is the first (and is recorded).
    fn resolve(&mut self, rows: &[(u128, Source)], out: &mut Vec<Option<Source>>) {
        out.clear();
        if (self.entries.len() + rows.len()) * 2 > self.slots.len() {
            self.grow((self.entries.len() + rows.len()) * 2);
        }
        // Pass 1: touch the home slots (independent loads; their misses overlap).
        let mut touched = 0u64;
        for (key, _) in rows {
            touched ^= self.slots[self.home(*key)];
        }
        std::hint::black_box(touched);
        // Pass 2: look up and insert.
        for (key, source) in rows {
            out.push(self.first_or_insert(*key, *source));
        }
    }

    fn first_or_insert(&mut self, key: u128, source: Source) -> Option<Source> {
        let tag = (key >> 96) as u64;
        let mask = self.slots.len() - 1;
        let mut pos = self.home(key);
        loop {
            let slot = self.slots[pos];
            if slot == 0 {
                self.entries.push((key, source));
                self.slots[pos] = (tag << 32) | self.entries.len() as u64;
                return None;
            }
            if slot >> 32 == tag
                && let Some((k, first)) = self.entries.get((slot & 0xFFFF_FFFF) as usize - 1)
                && *k == key
            {
                return Some(*first);
            }
            pos = (pos + 1) & mask;
        }
    }

    /// Rebuilds the table with at least `min` slots (a power of two).
    fn grow(&mut self, min: usize) {
        let size = min.next_power_of_two().max(1024);
        self.slots = vec![0; size];
        let mask = size - 1;
        for (i, (key, _)) in self.entries.iter().enumerate() {
            let mut pos = (*key as usize) & mask;
            while self.slots[pos] != 0 {
                pos = (pos + 1) & mask;
            }
            self.slots[pos] = (((key >> 96) as u64) << 32) | (i as u64 + 1);
        }
    }
}

/// Checks every roster and writes the outputs into `cfg.out`, which the caller has claimed
/// ([`crate::cmd::validate`]). A file taken for UTF-8 on its first bytes that turns out not to
/// be is read again as a whole (nothing of the first attempt was committed).
pub fn check_and_write(
    cfg: &ValidateConfig,
    acks: &Option<crate::report::ack::Acks>,
    log: &mut Log,
) -> Result<Outcome, Error> {
    let started = Instant::now();
    // Files whose encoding must be decided on the whole file (see `FileInfo::provisional`).
    let mut full_sniff = vec![false; cfg.rosters.len()];
    loop {
        let stage = crate::progress::Stage::start(
            "名簿",
            crate::progress::total_size(cfg.rosters.iter().map(|p| p.as_path())),
        );
        let attempt = run_once(cfg, log, started, &full_sniff, acks);
        drop(stage);
        match attempt? {
            Attempt::Done(outcome) => return Ok(outcome),
            Attempt::NotUtf8(fi) => {
                // Nothing of this attempt was committed: its outputs were temporary files.
                log.info(format!(
                    "{}: 先頭は UTF-8 でしたが UTF-8 でない行があるため、ファイル全体を調べて読み直します",
                    cfg.rosters[fi].display()
                ));
                full_sniff[fi] = true;
            }
        }
    }
}

/// How one pass over the inputs ended.
enum Attempt {
    Done(Outcome),
    /// File `n` was read as UTF-8 on the evidence of its first bytes, and a later line is not
    /// UTF-8: the contract's rule then makes it CP932 (or the note explains), so read again.
    NotUtf8(usize),
}

/// The run's acknowledgements (`--ack`), read once.
pub(crate) fn read_acks(
    cfg: &ValidateConfig,
    log: &mut Log,
) -> Result<Option<crate::report::ack::Acks>, Error> {
    cfg.ack
        .as_deref()
        .map(|p| crate::report::ack::Acks::read(p, cfg.rules.as_of, log))
        .transpose()
}

fn run_once(
    cfg: &ValidateConfig,
    log: &mut Log,
    started: Instant,
    full_sniff: &[bool],
    acks: &Option<crate::report::ack::Acks>,
) -> Result<Attempt, Error> {
    let out = &cfg.out;
    let files: Vec<String> = cfg
        .rosters
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let mut outputs = Outputs::create(OutputsConfig {
        out,
        encoding: cfg.output_encoding,
        unmask: cfg.rules.unmask,
        acks: acks.clone(),
        as_of: cfg.rules.as_of,
        results: false,
        rosters: &cfg.rosters,
        parquet: cfg
            .parquet
            .then_some(crate::columnar::review_parquet as ParquetHook),
    })?;
    let mut inputs = Vec::new();
    let mut seen = DupMap::default();
    for (fi, &full) in full_sniff.iter().enumerate() {
        match validate_file(cfg, fi, full, &files, &mut seen, &mut outputs, log)? {
            Some(summary) => inputs.push(summary),
            None => return Ok(Attempt::NotUtf8(fi)),
        }
    }
    let checked = started.elapsed();
    let written = outputs.finish()?;
    let replaced = written.replaced;
    let outcome = Outcome {
        worst: written.counts.worst,
    };
    let timings = stage_timings(&[("ingest_validate", checked), ("write", started.elapsed())]);
    let (summary, samples) = written.summary(Summary {
        inputs,
        ..Summary::for_run(
            "validate",
            &cfg.rules,
            cfg.output_encoding,
            outcome.exit_code(),
            timings,
        )
    });
    crate::report::html::write_summary_and_page(out, &summary, &samples, cfg.output_encoding)?;
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
    Ok(Attempt::Done(outcome))
}

/// Checks roster `fi` into `outputs` and logs what it found. None when the file was taken for
/// UTF-8 on its first bytes and a later line is not (see [`check_and_write`]).
fn validate_file(
    cfg: &ValidateConfig,
    fi: usize,
    full_sniff: bool,
    files: &[String],
    seen: &mut DupMap,
    outputs: &mut Outputs,
    log: &mut Log,
) -> Result<Option<InputSummary>, Error> {
    let path = &cfg.rosters[fi];
    let info = if full_sniff {
        ingest::sniff_full(path, &files[fi])?
    } else {
        ingest::sniff(path, &files[fi], cfg.encoding)?
    };
    if let Some(note) = &info.note {
        log.warn(format!("{}: {note}", info.display));
    }
    let mut sink = ValidateSink {
        outputs,
        unreadable: 0,
    };
    let Some(scanned) = scan_file(cfg, fi as u32, &info, files, seen, false, &mut sink)? else {
        return Ok(None);
    };
    let unreadable = sink.unreadable;
    let mut summary = InputSummary::new(
        "roster",
        &info,
        &scanned.stats,
        scanned.header_line,
        unreadable,
        &scanned.columns,
        &cfg.layout.origin,
    );
    if let Some(w) = summary.jisx0213.take() {
        log.warn(format!("{}: {w}", info.display));
    }
    log.info(format!(
        "{}: {} 行（{}・{}）、読めない行 {}、修正対象 {}",
        info.display,
        summary.rows,
        info.encoding.label(),
        if info.crlf { "CRLF" } else { "LF" },
        summary.unreadable_lines,
        outputs.roster_corrections(fi)
    ));
    Ok(Some(summary))
}

/// One input file as the sinks see it.
pub(crate) struct FileCtx<'a> {
    pub fi: u32,
    pub info: &'a FileInfo,
    /// The run's input names as given, indexed by [`Source::file`].
    pub files: &'a [String],
    pub header: &'a [String],
    pub columns: &'a ColumnMap,
}

/// Receives each checked roster row in input order, on the sink thread.
pub(crate) trait RowSink: Send {
    fn row(
        &mut self,
        ctx: &FileCtx,
        span: &Span,
        checked: Checked,
        duplicate_of: Option<Source>,
    ) -> Result<(), Error>;
}

/// What [`scan_file`] learnt about the file besides its rows.
pub(crate) struct Scanned {
    pub stats: ReadStats,
    pub header_line: u64,
    /// The header row as read (a roster's correction file repeats it).
    pub header: Vec<String>,
    pub columns: ColumnMap,
}

/// Writes validate's outputs as rows arrive.
struct ValidateSink<'a> {
    outputs: &'a mut Outputs,
    /// Physical lines of this file reported as V14/V16.
    unreadable: u64,
}

impl RowSink for ValidateSink<'_> {
    /// One checked row: its counts, its findings, and its corrections (once for a row that
    /// repeats an earlier one).
    fn row(
        &mut self,
        ctx: &FileCtx,
        span: &Span,
        checked: Checked,
        duplicate_of: Option<Source>,
    ) -> Result<(), Error> {
        let outputs = &mut *self.outputs;
        let source = Source {
            file: ctx.fi,
            line: span.line,
        };
        let (office, recipient, detail) = match checked {
            Checked::Unreadable {
                issues,
                insurer_no,
                recipient_no,
            } => {
                self.unreadable += span.end_line - span.line + 1;
                outputs.row(&insurer_no);
                outputs.row_has_findings();
                for f in unreadable_findings(source, issues, &insurer_no, &recipient_no) {
                    outputs.finding(&f, Some(&insurer_no), ctx.files)?;
                }
                return Ok(());
            }
            Checked::Row {
                office,
                recipient,
                detail,
                ..
            } => (office, recipient, detail),
        };
        outputs.row(office.as_str());
        if detail.is_none() && duplicate_of.is_none() {
            return Ok(());
        }
        outputs.row_has_findings();
        let empty = RowDetail {
            check: RowCheck::default(),
            insurer_no: office.as_str().to_string(),
            recipient_no: recipient.as_str().to_string(),
            record: None,
        };
        let d = detail.map_or(empty, |d| *d);
        let mut listed = false;
        for f in row_findings(source, &d, duplicate_of, ctx.files) {
            listed |= outputs.finding(&f, Some(office.as_str()), ctx.files)?;
        }
        // A duplicate's corrections are its first occurrence's: write them once. A row whose
        // every finding was acknowledged stays as it is (no correction row).
        let Some(record) = &d.record else {
            return Ok(());
        };
        if duplicate_of.is_some() || !listed {
            return Ok(());
        }
        let check = &d.check;
        let values: Vec<String> = RosterKey::ALL
            .iter()
            .map(|k| match check.fixed(*k) {
                Some(v) => v.to_string(),
                None => ctx.columns.columns[k.index()]
                    .and_then(|c| record.get(c))
                    .map(|b| {
                        ingest::decode_field(b, ctx.info.encoding)
                            .map(|s| s.into_owned())
                            .unwrap_or_default()
                    })
                    .unwrap_or_default(),
            })
            .collect();
        let values: Vec<&str> = values.iter().map(String::as_str).collect();
        let changed: Vec<Option<&str>> = RosterKey::ALL.iter().map(|k| check.fixed(*k)).collect();
        outputs.correction(
            &Correction {
                roster: ctx.fi as usize,
                file: &ctx.files[ctx.fi as usize],
                line: span.line,
                action: check.correction_action(),
                values: &values,
                record,
                changed: &changed,
            },
            &RosterShape {
                info: ctx.info,
                header: ctx.header,
                columns: ctx.columns,
            },
        )
    }
}

/// Reads one roster and checks every row (in parallel), handing the results in order to
/// `sink`. `keep`: rows carry their corrected values and fields for matching. None when the
/// file was read as UTF-8 provisionally and is not (see [`run`]).
pub(crate) fn scan_file(
    cfg: &ValidateConfig,
    fi: u32,
    info: &FileInfo,
    files: &[String],
    seen: &mut DupMap,
    keep: bool,
    row_sink: &mut dyn RowSink,
) -> Result<Option<Scanned>, Error> {
    let reader = match RecordReader::open(info) {
        Ok(r) => r,
        Err(Error::HeaderDecode { .. }) if info.provisional => return Ok(None),
        Err(e) => return Err(e),
    };
    let columns = cfg.layout.resolve(&info.display, &reader.header)?;
    let header = reader.header.clone();
    let header_line = reader.header_line;

    // Three stages, so that the serial parts overlap the parallel one: a reader thread finds
    // record boundaries and hashes the bytes; this thread checks each block's records in
    // parallel (rayon); a sink thread writes them in order (V15, counts, output files). Blocks
    // go back to the reader to be refilled, so memory is a few blocks whatever the file size.
    let (tx, rx) = mpsc::sync_channel::<Result<Block, Error>>(2);
    let (back_tx, back_rx) = mpsc::channel::<Block>();
    let (sink_tx, sink_rx) = mpsc::sync_channel::<(Block, Vec<Checked>)>(2);
    let (results_tx, results_rx) = mpsc::channel::<Vec<Checked>>();
    let provisional = info.provisional;
    let ctx = FileCtx {
        fi,
        info,
        files,
        header: &header,
        columns: &columns,
    };
    let ctx = &ctx;
    let trailing = AtomicU64::new(0);
    let trailing = &trailing;
    let jisx0213 = Mutex::new(Vec::new());
    let jisx0213 = &jisx0213;
    let (mut stats, not_utf8) = std::thread::scope(|s| -> Result<(ReadStats, bool), Error> {
        let producer = s.spawn(move || reader.produce(tx, back_rx));
        let sink_thread = s.spawn(move || {
            let passback = Passback {
                blocks: back_tx,
                results: results_tx,
            };
            sink_in_order(sink_rx, passback, seen, row_sink, ctx, provisional)
        });
        let mut failed: Option<Error> = None;
        for block in rx.iter() {
            let block = match block {
                Ok(b) => b,
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            };
            // SIGINT/SIGTERM: stop between blocks (src/cancel.rs).
            if let Err(e) = crate::cancel::check() {
                failed = Some(e);
                break;
            }
            let mut results = results_rx.try_recv().unwrap_or_default();
            block
                .spans
                .par_iter()
                .with_min_len(512)
                .map_init(FieldScratch::default, |scratch, span| {
                    check_record(
                        block.fields(span, scratch),
                        info.encoding,
                        ctx.header,
                        ctx.columns,
                        &cfg.layout,
                        cfg.rules,
                        keep,
                        trailing,
                        jisx0213,
                    )
                })
                .collect_into_vec(&mut results);
            if sink_tx.send((block, results)).is_err() {
                // The sink stopped (an error, or a line that is not UTF-8): see its result.
                break;
            }
        }
        drop(rx);
        drop(sink_tx);
        let sunk = sink_thread
            .join()
            .map_err(|_| Error::Internal("書き出しスレッドが異常終了しました".into()))?;
        let stats = producer
            .join()
            .map_err(|_| Error::Internal("読み込みスレッドが異常終了しました".into()))?;
        if let Some(e) = failed {
            return Err(e);
        }
        let not_utf8 = sunk?;
        Ok((stats?, not_utf8))
    })?;
    if not_utf8 {
        return Ok(None);
    }
    stats.trailing_empty_cells = trailing.load(Ordering::Relaxed);
    if let Ok(mut lines) = jisx0213.lock() {
        lines.sort_unstable();
        stats.jisx0213_lines = std::mem::take(&mut *lines);
    }
    Ok(Some(Scanned {
        stats,
        header_line,
        header,
        columns,
    }))
}

/// Where the sink hands blocks and result vectors back, to be refilled.
struct Passback {
    blocks: mpsc::Sender<Block>,
    results: mpsc::Sender<Vec<Checked>>,
}

/// The sink thread of [`scan_file`]: V15 for each block, then every row to `row_sink` in input
/// order. True when a provisional UTF-8 file turned out not to be UTF-8 (the caller reads the
/// file again).
fn sink_in_order(
    blocks: mpsc::Receiver<(Block, Vec<Checked>)>,
    passback: Passback,
    seen: &mut DupMap,
    row_sink: &mut dyn RowSink,
    ctx: &FileCtx,
    provisional: bool,
) -> Result<bool, Error> {
    let fi = ctx.fi;
    let mut keys: Vec<(u128, Source)> = Vec::new();
    let mut firsts: Vec<Option<Source>> = Vec::new();
    for (block, mut results) in blocks.iter() {
        // V15 for the whole block first (see DupMap::resolve).
        keys.clear();
        keys.extend(block.spans.iter().zip(&results).filter_map(|(span, c)| {
            c.dup_key().map(|k| {
                (
                    k,
                    Source {
                        file: fi,
                        line: span.line,
                    },
                )
            })
        }));
        seen.resolve(&keys, &mut firsts);
        let mut firsts = firsts.iter();
        for (span, checked) in block.spans.iter().zip(results.drain(..)) {
            if provisional && checked.is_not_utf8() {
                return Ok(true);
            }
            let duplicate_of = match checked.dup_key() {
                Some(_) => firsts.next().copied().flatten(),
                None => None,
            };
            row_sink.row(ctx, span, checked, duplicate_of)?;
        }
        let _ = passback.blocks.send(block);
        let _ = passback.results.send(results);
    }
    Ok(false)
}

/// Findings of a line that could not be read as a row (V14/V16).
pub(crate) fn unreadable_findings(
    source: Source,
    issues: Vec<LineIssue>,
    insurer_no: &str,
    recipient_no: &str,
) -> Vec<Finding> {
    issues
        .into_iter()
        .map(|i| Finding {
            code: i.code,
            source,
            insurer_no: insurer_no.to_string(),
            recipient_no: recipient_no.to_string(),
            field: i.field,
            message: i.message,
            action: Action::Review,
            related: None,
        })
        .collect()
}

/// Findings of a checked row: its entry-rule issues and V15 when it repeats an earlier row,
/// in output order.
pub(crate) fn row_findings(
    source: Source,
    d: &RowDetail,
    duplicate_of: Option<Source>,
    files: &[String],
) -> Vec<Finding> {
    let to_finding = |i: &Issue| Finding {
        code: i.code,
        source,
        insurer_no: d.insurer_no.clone(),
        recipient_no: d.recipient_no.clone(),
        field: i.field.name().to_string(),
        message: i.message.clone(),
        action: i.action,
        related: None,
    };
    let mut findings: Vec<Finding> = d.check.issues.iter().map(to_finding).collect();
    if let Some(first) = duplicate_of {
        findings.push(Finding {
            code: Code::V15,
            source,
            insurer_no: d.insurer_no.clone(),
            recipient_no: d.recipient_no.clone(),
            field: String::new(),
            message: format!(
                "{} の{}行目と全項目が同じ行です。重複している行を名簿から削除してください",
                files.get(first.file as usize).map_or("", String::as_str),
                first.line
            ),
            action: Action::Delete,
            related: Some(first),
        });
        findings.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
    }
    findings
}
