//! Report: the only stage that writes files. Every output goes to a temporary file in the
//! output folder (mode 0600: outputs hold My Numbers) and is renamed to its final name only
//! when complete, so a crash or a kill never leaves a half-written file under a final name.
//!
//! - `atomic.rs`: temp file + fsync + rename.
//! - `csvout.rs`: CSV rows in UTF-8 (with or without BOM) or CP932, LF or CRLF.
//! - `outputs.rs`: the output stage that `validate` and the pipeline share: every file of a run
//!   open while it goes, the counters behind summary.json, and the commit of them all.
//! - `findings.rs`: `findings.csv` rows (My Numbers masked at this boundary).
//! - `results.rs`: `results.csv`, one row per record matched.
//! - `corrections.rs`: `corrections.csv` and `corrections/<roster>` in the roster's own layout.
//! - `summary.rs`: `summary.json`.
//! - `html.rs`: `report.html`, the page for office staff (from the summary and the first
//!   findings of each code and office).
//! - `lock.rs`: the output (and state) folder claimed for one run: 0700, locked, a killed
//!   run's temp files removed.
//! - `ack.rs`: stable finding IDs (所見ID) and acknowledgements (`--ack`, `acknowledged.csv`).
//! - `workbook.rs`: `review.xlsx`, the findings and corrections as text cells for Excel.

pub mod ack;
pub mod atomic;
pub mod corrections;
pub mod csvout;
pub mod findings;
pub mod html;
pub mod lock;
pub mod outputs;
pub mod results;
pub mod summary;
pub mod workbook;

pub use csvout::OutputEncoding;
