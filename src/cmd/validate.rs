//! `totsugo validate`: the entry rules on every roster row, and the outputs.

use crate::error::Error;
use crate::exit::Outcome;
use crate::log::Log;
use crate::report::lock;
use crate::validate::{self, ValidateConfig};

pub fn run(cfg: &ValidateConfig, log: &mut Log) -> Result<Outcome, Error> {
    // The output folder, claimed for this run (0700, locked, a killed run's temp files gone).
    let _claimed = lock::claim(&cfg.out, None, log)?;
    let acks = validate::read_acks(cfg, log)?;
    validate::check_and_write(cfg, &acks, log)
}
