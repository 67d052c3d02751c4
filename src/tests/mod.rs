//! In-crate test suites, so the whole crate builds one test binary (every test binary would
//! link the full dependency tree).
//!
//! - `golden`: every `fixtures/<case>/` run through the CLI, outputs compared byte for byte.
//! - `eval`: the accuracy harness on generated and doctored runs.
//! - `cli`: exit codes, bad inputs, privacy, determinism, atomic replacement, scale.
//! - `html`: report.html's structure, and the page in headless Chromium.

mod check;
mod cli;
#[cfg(feature = "parquet")]
mod columnar;
mod eval;
mod excel;
mod fuzz_regressions;
mod golden;
mod html;
mod matching;
mod props;
mod review;
mod run;
mod security;
pub(crate) mod support;
mod synth;
