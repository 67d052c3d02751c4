//! `totsugo check`: the whole pipeline (entry rules, registry when given, number linkage and
//! duplicate coverage across rosters, offices and other insurance), without the nightly
//! baseline.

use crate::error::Error;
use crate::exit::Outcome;
use crate::log::Log;
use crate::pipeline::{self, PipelineConfig};
use crate::report::lock;

pub fn run(cfg: &PipelineConfig, log: &mut Log) -> Result<Outcome, Error> {
    // The output folder, claimed for this run (0700, locked, a killed run's temp files gone).
    let _claimed = lock::claim(&cfg.roster.out, None, log)?;
    pipeline::run_with(cfg, None, log).map(|r| r.outcome)
}
