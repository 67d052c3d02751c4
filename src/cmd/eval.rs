//! `totsugo eval`: a run's outputs scored against the generator's truth.

use std::io::Write;

use crate::error::Error;
use crate::eval::{self, EvalConfig};
use crate::exit::Outcome;
use crate::log::Log;
use crate::report::lock;

pub fn run(cfg: &EvalConfig, stdout: &mut dyn Write, log: &mut Log) -> Result<Outcome, Error> {
    // The run's folder, held while its outputs are read and eval.json is written: a run
    // starting there now waits its turn (exit 2) instead of replacing them mid-read.
    let _claimed = if cfg.out.is_dir() {
        Some(lock::claim(&cfg.out, None, log)?)
    } else {
        None
    };
    eval::run(cfg, stdout, log)
}
