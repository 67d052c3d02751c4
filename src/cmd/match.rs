//! `totsugo match`: `check`'s pipeline with the registry and without the cross-record checks.

use crate::error::Error;
use crate::exit::Outcome;
use crate::log::Log;
use crate::matching::MatchConfig;
use crate::pipeline::PipelineConfig;
use crate::schema::{Layout, LayoutKind};

pub fn run(cfg: &MatchConfig, log: &mut Log) -> Result<Outcome, Error> {
    super::check::run(
        &PipelineConfig {
            command: "match",
            roster: cfg.roster.clone(),
            registry: Some((cfg.registry.clone(), cfg.registry_layout.clone())),
            fields: cfg.fields,
            insurance: Vec::new(),
            insurance_layout: Layout::builtin(LayoutKind::Insurance),
            checks: false,
        },
        log,
    )
}
