//! `totsugo run`: the whole job for a clerk's desk or a nightly cron line — validate, match
//! and check in one pass ([`crate::pipeline`]), then, with a state folder, the nightly
//! comparison (N01/N02) and the next baseline ([`crate::state`]).
//!
//! Order of a run, and what an interruption leaves:
//!
//! 1. Take the lock (state folder, or the output folder without one). Another live run: exit 2.
//! 2. Remove temp files a killed run left in the output and state folders (`.totsugo-*`; only
//!    under the lock, so never another run's).
//! 3. Load the baseline; damaged, or missing where one was written before: exit 2, nothing
//!    touched. `--reset-baseline` starts over explicitly.
//! 4. The pipeline writes every output to temp files; SIGINT/SIGTERM up to here: exit 2,
//!    previous outputs and baseline untouched. Then the outputs are renamed into place.
//! 5. The baseline is replaced (temp + fsync + rename), only after the outputs: a kill between
//!    the two leaves the old baseline, so the next run repeats tonight's N01/N02 rather than
//!    missing them.
//! 6. The lock is released (also by the kernel if the process dies).

use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::exit::Outcome;
use crate::log::Log;
use crate::pipeline::{self, Nightly, PipelineConfig};
use crate::state::baseline::{Baseline, Loaded};
use crate::state::lock::{self, Lock, Previous};

/// A checked `run`.
#[derive(Debug, Clone)]
pub struct JobConfig {
    pub pipeline: PipelineConfig,
    /// The state folder (baseline, lock); None: no nightly comparison.
    pub state: Option<PathBuf>,
    /// Ignore the existing baseline and make a new one from tonight's verified records.
    pub reset_baseline: bool,
}

pub fn run(cfg: &JobConfig, log: &mut Log) -> Result<Outcome, Error> {
    let out = &cfg.pipeline.roster.out;
    let lock_dir = cfg.state.as_deref().unwrap_or(out);
    let (lock, previous) = Lock::acquire(lock_dir)?;
    if let Previous::TakenOver { pid, started } = &previous {
        let state = if lock::alive(*pid) {
            "その PID では今は別のプロセスが動いています"
        } else {
            "そのプロセスはもうありません"
        };
        log.warn(format!(
            "前回の実行（PID {pid}、{started} 開始）は途中で終わっていました（{state}）。ロックを引き継ぎます。\
             前回の出力と基準は最後に完了した実行のままです"
        ));
    }
    lock::create_private_dir(out)?;
    let mut removed = remove_stale_temps(out);
    if let Some(state) = &cfg.state {
        removed += remove_stale_temps(state);
    }
    if removed > 0 {
        log.detail(format!(
            "中断された実行の一時ファイルを {removed} 個消しました"
        ));
    }

    let loaded = match &cfg.state {
        None => None,
        Some(_) if cfg.reset_baseline => None,
        Some(state) => Some(Baseline::load(state)?),
    };
    let nightly = match (&cfg.state, &loaded) {
        (None, _) => None,
        (Some(_), None) => {
            log.warn(
                "--reset-baseline: 前回の基準を使わず、今回照合できた記録で基準を作り直します",
            );
            Some(Nightly::First { reset: true })
        }
        (Some(_), Some(Loaded::First)) => {
            log.info(
                "基準はまだありません（初回）。新規・変更の判定（N01・N02）は次回から行います",
            );
            Some(Nightly::First { reset: false })
        }
        (Some(_), Some(Loaded::Baseline(b))) => {
            log.detail(format!("前回の基準（{}）: {} 件", b.as_of, b.len()));
            Some(Nightly::Compare(b))
        }
    };

    let ran = pipeline::run_with(&cfg.pipeline, nightly, log)?;
    if let (Some(state), Some(next)) = (&cfg.state, ran.baseline) {
        next.write(state)?;
        let verified = next.entries().iter().filter(|e| e.verified).count();
        log.info(format!(
            "基準を更新しました: 記録 {} 件（うち住基と照合済み {verified} 件） → {}",
            next.len(),
            crate::state::baseline::path(state).display()
        ));
    }
    drop(lock);
    Ok(ran.outcome)
}

/// Removes `.totsugo-*` temp files and folders a killed run left in `dir`; returns how many.
/// A previous `corrections/` moved aside by a run killed mid-swap (only where the atomic
/// exchange is not available) is put back first.
fn remove_stale_temps(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut names: Vec<(String, std::path::PathBuf)> = entries
        .flatten()
        .filter_map(|e| Some((e.file_name().to_str()?.to_string(), e.path())))
        .filter(|(name, _)| name.starts_with(".totsugo-"))
        .collect();
    names.sort();
    let corrections = dir.join("corrections");
    if !corrections.exists()
        && let Some((_, old)) = names
            .iter()
            .find(|(name, _)| name.starts_with(".totsugo-old-corrections-"))
    {
        let _ = std::fs::rename(old, &corrections);
    }
    let mut n = 0;
    for (_, path) in names {
        if !path.exists() {
            continue;
        }
        let gone = if path.is_dir() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
        n += gone.is_ok() as usize;
    }
    n
}
