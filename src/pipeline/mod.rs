//! One run of the pipeline, as `match` and `check` (and later `run`) use it:
//! ingest + validate the rosters → match against the registry (when given) → flag linkage and
//! coverage problems (when asked) → write every output.
//!
//! 1. Rosters (the small side) are read and checked as by `validate` (V01–V16); each row keeps
//!    its values after the safe fixes ([`crate::validate::read_rosters`]).
//! 2. With a registry: indexes from the rosters, one streamed pass over the registry, and a
//!    verdict M00–M42 per record, in parallel ([`crate::matching`]).
//! 3. With checks: persons, L01–L05 and D01–D05 ([`crate::flag`]), streaming the
//!    other-insurance files.
//! 4. Outputs in roster order through the output stage shared with `validate`
//!    ([`crate::report::outputs`]; the per-record part is `emit.rs`, N01/N02 `night.rs`):
//!    findings.csv, results.csv (with a registry), corrections.csv and corrections/,
//!    summary.json.

mod emit;
mod night;

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Instant;

use rayon::prelude::*;

use crate::error::Error;
use crate::exit::Outcome;
use crate::findings::Code;
use crate::flag::{self, CheckInput, Flags};
use crate::ingest::{self, FileInfo, stream::BadLine};
use crate::log::Log;
use crate::matching::registry::{self, Hits, Indexes};
use crate::matching::verdict::{self, FieldMode, Verdict};
use crate::record::Rec;
use crate::report::html::Samples;
use crate::report::outputs::{Outputs, OutputsConfig, ParquetHook, Written};
use crate::report::summary::{BaselineSummary, InputSummary, Summary, stage_timings};
use crate::schema::{Layout, RosterKey};
use crate::state::baseline::Baseline;
use crate::validate::{RosterInput, Rosters, ValidateConfig, read_rosters};
use night::NightState;

/// What one run reads and does.
#[derive(Debug, Clone)]
pub struct PipelineConfig {
    /// `match` or `check`: named in summary.json.
    pub command: &'static str,
    /// Rosters, output folder, roster layout, encodings and rule settings (as `validate`).
    pub roster: ValidateConfig,
    /// The registry extract and its layout.
    pub registry: Option<(PathBuf, Layout)>,
    pub fields: FieldMode,
    /// Other-insurance files (D02, D03).
    pub insurance: Vec<PathBuf>,
    pub insurance_layout: Layout,
    /// Run the cross-record checks (L01–L05, D01–D05).
    pub checks: bool,
}

/// The nightly comparison asked of a run (`run --state`).
#[derive(Debug)]
pub enum Nightly<'b> {
    /// No baseline yet (first run, or `--reset-baseline`): nothing to compare; the records
    /// verified tonight become the baseline.
    First { reset: bool },
    /// Compare with the last successful run's baseline (N01, N02).
    Compare(&'b Baseline),
}

/// What a run hands back to its caller.
#[derive(Debug)]
pub struct Ran {
    pub outcome: Outcome,
    /// The baseline to keep (with [`Nightly`]): written by the caller once outputs are in place.
    pub baseline: Option<Baseline>,
}

/// `--verbose`: for every record whose 住所 is ゆれ against its registry row, the rules of the
/// address normalizer that made the two equal (so a wrong rule can be found), then the count
/// per rule. Line numbers and rule names only: no address or number is printed.
fn explain_address_variants(recs: &[Rec], verdicts: &[Verdict], files: &[String], log: &mut Log) {
    use crate::normalize::FieldMatch;
    use crate::normalize::address::{Rule, address_rules};
    let mut counts: Vec<(Rule, u64)> = Vec::new();
    for (rec, v) in recs.iter().zip(verdicts) {
        let (FieldMatch::Variant, Some(reg)) = (v.fields[4], v.registry) else {
            continue;
        };
        let rules = address_rules(rec.value(RosterKey::Address), reg.address());
        for &r in &rules {
            match counts.iter_mut().find(|(c, _)| *c == r) {
                Some((_, n)) => *n += 1,
                None => counts.push((r, 1)),
            }
        }
        let labels: Vec<&str> = rules.iter().map(|r| r.label()).collect();
        let file = files
            .get(rec.source.file as usize)
            .map_or("", String::as_str);
        log.detail(format!(
            "{file}:{} 住所ゆれ（住基 {} 行）: {}",
            rec.source.line,
            reg.line,
            labels.join("・")
        ));
    }
    if !counts.is_empty() {
        counts.sort_by_key(|&(r, _)| r as u32);
        let parts: Vec<String> = counts
            .iter()
            .map(|(r, n)| format!("{} {n}", r.label()))
            .collect();
        log.detail(format!("住所ゆれの規則別件数: {}", parts.join("、")));
    }
}

/// The registry stage's result: the file as sniffed, its layout, the rows the rosters asked
/// for, what the reader counted, and where its columns are.
struct RegistryStage<'a> {
    info: FileInfo,
    layout: &'a crate::schema::Layout,
    hits: Hits,
    stats: ingest::ReadStats,
    header_line: u64,
    columns: crate::schema::ColumnMap,
}

/// Stage 2: the registry (when the run has one) streamed once against what the rosters need.
fn registry_stage<'a>(
    cfg: &'a PipelineConfig,
    names: &InputNames,
    recs: &[Rec],
    log: &mut Log,
) -> Result<Option<RegistryStage<'a>>, Error> {
    let (Some((path, layout)), Some(fi)) = (&cfg.registry, names.registry) else {
        return Ok(None);
    };
    let stage =
        crate::progress::Stage::start("住基", crate::progress::total_size([path.as_path()]));
    let (info, (hits, stats, header_line, columns)) =
        stream_registry(path, &names.files[fi as usize], layout, recs)?;
    drop(stage);
    log.info(format!(
        "{}: {} 行（{}）を照合、保持した住基行 {}",
        info.display,
        stats.records,
        info.encoding.label(),
        hits.rows_held
    ));
    Ok(Some(RegistryStage {
        info,
        layout,
        hits,
        stats,
        header_line,
        columns,
    }))
}

/// The run's input names as given, indexed by [`crate::findings::Source::file`]: the rosters,
/// then the registry, then the insurance files.
struct InputNames {
    files: Vec<String>,
    /// The registry's index, when there is one.
    registry: Option<u32>,
    /// The first insurance file's index.
    insurance: u32,
}

impl InputNames {
    fn of(cfg: &PipelineConfig) -> InputNames {
        let mut files: Vec<String> = cfg
            .roster
            .rosters
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        let registry = cfg.registry.as_ref().map(|(path, _)| {
            files.push(path.display().to_string());
            files.len() as u32 - 1
        });
        let insurance = files.len() as u32;
        files.extend(cfg.insurance.iter().map(|p| p.display().to_string()));
        InputNames {
            files,
            registry,
            insurance,
        }
    }
}

/// One run; with `nightly`, N01/N02 against the baseline and the next baseline built.
pub fn run_with(
    cfg: &PipelineConfig,
    nightly: Option<Nightly<'_>>,
    log: &mut Log,
) -> Result<Ran, Error> {
    let started = Instant::now();
    let rc = &cfg.roster;
    let out = &rc.out;
    std::fs::create_dir_all(out).map_err(|source| Error::Write {
        path: out.display().to_string(),
        source,
    })?;
    let names = InputNames::of(cfg);
    let files = &names.files;
    // The acknowledgements, read before any work (a bad line is named and skipped).
    let acks = crate::validate::read_acks(rc, log)?;
    // Inputs that cannot be opened stop the run before any work (exit 2).
    let insurance_infos = sniff_insurance(cfg, &names)?;
    let mut marks = Vec::new();

    // 1. Rosters.
    let stage = crate::progress::Stage::start(
        "名簿",
        crate::progress::total_size(rc.rosters.iter().map(|p| p.as_path())),
    );
    let Rosters { recs, inputs } = read_rosters(rc, files, log)?;
    drop(stage);
    marks.push(("rosters", started.elapsed()));
    crate::cancel::check()?;

    // 2. Registry, and a verdict per record.
    let registry = registry_stage(cfg, &names, &recs, log)?;
    let verdicts = registry
        .as_ref()
        .map(|r| decide_all(&recs, &r.hits, cfg.fields, files, log));
    if registry.is_some() {
        marks.push(("registry", started.elapsed()));
    }
    crate::cancel::check()?;

    // 3. Cross-record checks.
    let checked = check_stage(
        cfg,
        &recs,
        verdicts.as_deref(),
        registry.as_ref().zip(names.registry),
        files,
        &insurance_infos,
        (started, &mut marks),
        log,
    )?;
    crate::cancel::check()?;

    // 4. Outputs (and the nightly comparison, record by record).
    let mut night = NightState::new(nightly.as_ref());
    let records = emit::Records {
        recs: &recs,
        verdicts: verdicts.as_deref(),
        flags: &checked.flags,
        inputs: &inputs,
        files,
        encoding: rc.output_encoding,
        unmask: rc.rules.unmask,
    };
    let mut bad: Vec<(u32, &BadLine)> = Vec::new();
    if let (Some(r), Some(fi)) = (&registry, names.registry) {
        bad.extend(r.hits.bad_lines.iter().map(|b| (fi, b)));
    }
    if let Some(scan) = &checked.insurance_scan {
        bad.extend(scan.bad_lines.iter().map(|(fi, b)| (*fi, b)));
    }
    let (written, verdict_counts) =
        write_stage(rc, acks, &records, (&bad, names.registry), &mut night)?;
    let (baseline, baseline_summary) = night.finish(rc.rules.as_of);
    marks.push(("write", started.elapsed()));
    let (summary, samples, outcome) = summarize(Finished {
        cfg,
        written,
        inputs: &inputs,
        registry: registry.as_ref(),
        checked: &checked,
        verdict_counts,
        baseline: baseline_summary,
        marks: &marks,
    });
    crate::report::html::write_summary_and_page(out, &summary, &samples, rc.output_encoding)?;
    let t = &summary.totals;
    log.info(format!(
        "{} 行を{}: エラー {} 件、警告 {} 件、修正対象 {} 行 → {}",
        t.rows,
        if cfg.checks { "検査" } else { "照合" },
        t.errors,
        t.warnings,
        t.corrections,
        out.display()
    ));
    Ok(Ran { outcome, baseline })
}

/// The insurance files, sniffed before any work so that one that cannot be opened stops the
/// run at once (exit 2).
fn sniff_insurance(
    cfg: &PipelineConfig,
    names: &InputNames,
) -> Result<Vec<(FileInfo, u32)>, Error> {
    cfg.insurance
        .iter()
        .enumerate()
        .map(|(k, p)| {
            let fi = names.insurance + k as u32;
            ingest::sniff(p, &names.files[fi as usize], None).map(|i| (i, fi))
        })
        .collect()
}

/// A verdict per record, in parallel; with `--verbose`, the address rules behind each ゆれ.
fn decide_all<'h>(
    recs: &[Rec],
    hits: &'h Hits,
    fields: FieldMode,
    files: &[String],
    log: &mut Log,
) -> Vec<Verdict<'h>> {
    let verdicts: Vec<Verdict> = recs
        .par_iter()
        .with_min_len(1024)
        .map(|rec| verdict::decide(rec, hits, fields))
        .collect();
    if log.is_verbose() {
        explain_address_variants(recs, &verdicts, files, log);
    }
    verdicts
}

/// Stage 4 through the output stage: every record, then the reference files' unreadable lines
/// (`bad`, with the registry's file index), then every file renamed into place. Gives back what
/// was written and the verdict counts.
fn write_stage(
    rc: &ValidateConfig,
    acks: Option<crate::report::ack::Acks>,
    records: &emit::Records<'_>,
    (bad, registry_fi): (&[(u32, &BadLine)], Option<u32>),
    night: &mut NightState<'_>,
) -> Result<(Written, HashMap<Option<Code>, u64>), Error> {
    let mut outputs = Outputs::create(OutputsConfig {
        out: &rc.out,
        encoding: rc.output_encoding,
        unmask: rc.rules.unmask,
        acks,
        as_of: rc.rules.as_of,
        results: records.verdicts.is_some(),
        rosters: &rc.rosters,
        parquet: rc
            .parquet
            .then_some(crate::columnar::review_parquet as ParquetHook),
    })?;
    let verdict_counts = emit::write_records(records, &mut outputs, night)?;
    emit::write_reference_lines(bad, registry_fi, records.files, &mut outputs)?;
    // Last chance to stop: from here on the outputs are renamed into place, which takes
    // milliseconds, and the set is finished rather than left half old, half new.
    crate::cancel::check()?;
    Ok((outputs.finish()?, verdict_counts))
}

/// Stage 3: persons, L01–L05 and D01–D05 when the run asks for checks, streaming the
/// insurance files; nothing otherwise.
#[allow(clippy::too_many_arguments)]
fn check_stage(
    cfg: &PipelineConfig,
    recs: &[Rec],
    verdicts: Option<&[Verdict]>,
    registry: Option<(&RegistryStage, u32)>,
    files: &[String],
    insurance_infos: &[(FileInfo, u32)],
    (started, marks): (Instant, &mut Vec<(&'static str, std::time::Duration)>),
    log: &mut Log,
) -> Result<flag::Checked, Error> {
    if !cfg.checks {
        return Ok(flag::Checked {
            flags: Flags::default(),
            insurance_inputs: Vec::new(),
            insurance_scan: None,
        });
    }
    let input = CheckInput {
        recs,
        verdicts,
        registry: registry.map(|(r, fi)| (&r.info, r.layout, fi)),
        files,
        unmask: cfg.roster.rules.unmask,
        fields: cfg.fields,
    };
    let _stage = crate::progress::Stage::start(
        "他制度資格",
        crate::progress::total_size(cfg.insurance.iter().map(|p| p.as_path())),
    );
    let checked = flag::run(
        &input,
        insurance_infos,
        &cfg.insurance_layout,
        started,
        marks,
    )?;
    if let Some(scan) = &checked.insurance_scan
        && scan.not_comparable > 0
    {
        log.warn(format!(
            "他制度資格ファイル: 制度区分・資格期間・生年月日・性別が読めず比べられない行が {} 行ありました",
            scan.not_comparable
        ));
    }
    Ok(checked)
}

/// Everything summary.json is made from, once the outputs are in place.
struct Finished<'a> {
    cfg: &'a PipelineConfig,
    written: Written,
    inputs: &'a [RosterInput],
    registry: Option<&'a RegistryStage<'a>>,
    checked: &'a flag::Checked,
    verdict_counts: HashMap<Option<Code>, u64>,
    baseline: Option<BaselineSummary>,
    marks: &'a [(&'static str, std::time::Duration)],
}

/// summary.json, report.html's samples and the run's outcome.
fn summarize(f: Finished<'_>) -> (Summary, Samples, Outcome) {
    let Finished { cfg, written, .. } = f;
    let rc = &cfg.roster;
    let mut inputs: Vec<InputSummary> = f
        .inputs
        .iter()
        .map(|r| {
            InputSummary::new(
                "roster",
                &r.info,
                &r.scanned.stats,
                r.scanned.header_line,
                r.unreadable,
                &r.scanned.columns,
                &rc.layout.origin,
            )
        })
        .collect();
    if let Some(r) = f.registry {
        inputs.push(InputSummary::new(
            "registry",
            &r.info,
            &r.stats,
            r.header_line,
            r.hits.bad_lines.len() as u64,
            &r.columns,
            &r.layout.origin,
        ));
    }
    for i in &f.checked.insurance_inputs {
        inputs.push(InputSummary::new(
            "insurance",
            &i.info,
            &i.stats,
            i.header_line,
            i.unreadable,
            &i.columns,
            &cfg.insurance_layout.origin,
        ));
    }
    let outcome = Outcome {
        worst: written.counts.worst,
    };
    let (summary, samples) = written.summary(Summary {
        inputs,
        fields: f.registry.map(|_| cfg.fields.count()),
        verdicts: f.registry.map(|_| {
            f.verdict_counts
                .into_iter()
                .map(|(c, n)| (c.map_or("-", |c| c.as_str()).to_string(), n))
                .collect()
        }),
        registry_rows_kept: f.registry.map(|r| r.hits.rows_held as u64),
        persons_with_several_records: cfg
            .checks
            .then_some(f.checked.flags.persons_with_several_records),
        baseline: f.baseline,
        ..Summary::for_run(
            cfg.command,
            &rc.rules,
            rc.output_encoding,
            outcome.exit_code(),
            stage_timings(f.marks),
        )
    });
    (summary, samples, outcome)
}

type Streamed = (Hits, ingest::ReadStats, u64, crate::schema::ColumnMap);

/// Indexes from the rosters, then one pass over the registry (two when its first bytes said
/// UTF-8 and a later line is not).
fn stream_registry(
    path: &std::path::Path,
    display: &str,
    layout: &Layout,
    recs: &[Rec],
) -> Result<(FileInfo, Streamed), Error> {
    let mut idx = Indexes::default();
    for (i, r) in recs.iter().enumerate() {
        if r.kept.is_none() {
            continue;
        }
        match r.usable_number() {
            Some(n) => {
                idx.by_number.insert(n);
            }
            None => {
                idx.add_person(
                    i as u32,
                    r.value(RosterKey::Name),
                    r.value(RosterKey::BirthDate),
                    r.value(RosterKey::Sex),
                );
            }
        }
    }
    let info = crate::columnar::sniff_registry(path, display)?;
    if let Some(s) = registry::stream(&info, layout, &idx)? {
        return Ok((info, s));
    }
    // UTF-8 from the first bytes, but a later line is not: decide on the whole file.
    let info = ingest::sniff_full(path, display)?;
    let s = registry::stream(&info, layout, &idx)?
        .ok_or_else(|| Error::Internal("文字コードの判定が定まりません".into()))?;
    Ok((info, s))
}
