//! `totsugo run`: the whole job for a clerk's desk or a nightly cron line — validate, match
//! and check in one pass ([`crate::pipeline`]), then, with a state folder, the nightly
//! comparison (N01/N02) and the next baseline ([`crate::state`]).
//!
//! Order of a run, and what an interruption leaves:
//!
//! 1. Claim the state and output folders ([`lock::claim`]): 0700, locked (another live run in
//!    either: exit 2), and the temp files a killed run left there removed (only under the lock,
//!    so never another run's).
//! 2. (Nothing else touches the folders before the lock is held.)
//! 3. Load the baseline; damaged, or missing where one was written before: exit 2, nothing
//!    touched. `--reset-baseline` starts over explicitly.
//! 4. The pipeline writes every output to temp files; SIGINT/SIGTERM up to here: exit 2,
//!    previous outputs and baseline untouched. Then the outputs are renamed into place.
//! 5. The baseline is replaced (temp + fsync + rename), only after the outputs: a kill between
//!    the two leaves the old baseline, so the next run repeats tonight's N01/N02 rather than
//!    missing them.
//! 6. The lock is released (also by the kernel if the process dies).

use std::path::PathBuf;

use crate::error::Error;
use crate::exit::Outcome;
use crate::log::Log;
use crate::pipeline::{self, Nightly, PipelineConfig};
use crate::report::lock;
use crate::state::baseline::{Baseline, Loaded};

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
    let claimed = lock::claim(out, cfg.state.as_deref(), log)?;

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
            if b.renormalized() {
                log.warn(format!(
                    "前回の基準は正規化の版 {} で作られました（今回は版 {}）。今夜は氏名・カナ・住所の表記の違いを変更（N02）とせず、\
                     個人番号・生年月日・性別だけを比べて、基準を新しい版で作り直します",
                    b.normalization,
                    crate::normalize::NORMALIZATION_VERSION
                ));
            }
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
    drop(claimed);
    Ok(ran.outcome)
}
