//! One home per command: each file wires the stages for one subcommand, top to bottom, and
//! nothing else (xsv's `src/cmd/<command>.rs`). The stages live below
//! (ingest → validate → normalize → match → flag → report); `cli.rs` parses the arguments
//! into each command's config and maps the outcome to an exit code.
//!
//! | command | file | wires |
//! |---|---|---|
//! | `validate` | [`validate`] | claim `--out`, acknowledgements, entry rules, outputs |
//! | `match` | [`r#match`] | `check`'s pipeline with the registry and without the L/D checks |
//! | `check` | [`check`] | claim `--out`, the pipeline (rosters, registry, insurance, L/D checks, outputs) |
//! | `run` | [`run`] | claim `--out` and `--state`, baseline, the pipeline, next baseline |
//! | `prepare` | [`prepare`] | a registry CSV to Parquet (feature `parquet`) |
//! | `gen` | [`gen`] | the synthetic-data generator |
//! | `eval` | [`eval`] | a run's outputs against gen's truth |

pub mod check;
pub mod eval;
pub mod r#gen;
pub mod r#match;
pub mod prepare;
pub mod run;
pub mod validate;
