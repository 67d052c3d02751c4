//! # totsugo (突合)
//!
//! Keeps Japanese welfare offices from registering wrong data to the national intermediate
//! server: a recipient roster is checked against the entry rules, matched against the resident
//! registry on the basic 4/5 fields, and checked for number mis-linkage and double coverage,
//! before registration. The file layouts, finding codes and exit codes are the data contract
//! (`../shared/spec/contract.md`); the README says how to use it.
//!
//! The modules follow the data:
//!
//! ```text
//! ingest ─► rules (validate) ─► normalize ─► match ─► flag ─► report
//! ```
//!
//! - [`schema`]: the three layouts (`schemas/*.toml`) and header resolution.
//! - [`ingest`]: encoding detection, byte-level record splitting, per-field decoding.
//! - [`rules`]: entry rules V01–V13 for one row (pure; run in parallel).
//! - [`normalize`]: Japanese width/kana folding shared by the rules and matching.
//! - [`validate`]: the `validate` command: the pipeline, V14–V16, the sink.
//! - [`matching`]: registry streaming and the verdicts M00–M42.
//! - [`flag`]: number linkage L01–L05 and duplicate coverage D01–D05 (`check`).
//! - [`pipeline`]: one run of ingest → match → flag → write, shared by `match`, `check`, `run`.
//! - [`cmd`]: one file per command (`validate`, `match`, `check`, `run`, `prepare`, `gen`,
//!   `eval`), each wiring the stages; `cmd::run` adds the lock, baseline (N01/N02) and next
//!   baseline.
//! - [`state`]: the nightly baseline (N01/N02) (`run --state`).
//! - [`synth`]: the synthetic-data generator (`gen`).
//! - [`eval`]: the accuracy harness (`eval`): a run's findings against the generator's truth.
//! - [`findings`]: the closed set of codes, severities, actions, masking.
//! - [`record`]: the roster record handed between stages (`Kept`, `Rec`).
//! - [`report`]: the only writer of files (atomic, mode 0600), and the lock of the folders a
//!   run writes.
//! - [`columnar`]: Parquet at the boundary (feature `parquet`): a Parquet registry, `prepare`,
//!   findings/results as Parquet. The only module that links polars.
//! - [`cli`], [`exit`], [`error`], [`log`], [`cancel`]: the program's edges.

pub mod cancel;
pub mod cli;
pub mod cmd;
pub mod columnar;
pub mod config;
pub mod error;
pub mod eval;
pub mod exit;
pub mod findings;
pub mod flag;
pub mod ingest;
pub mod log;
pub mod matching;
pub mod normalize;
pub mod pipeline;
pub mod progress;
pub mod record;
pub mod report;
pub mod rules;
pub mod schema;
pub mod state;
pub mod synth;
pub mod validate;

#[cfg(test)]
mod tests;
