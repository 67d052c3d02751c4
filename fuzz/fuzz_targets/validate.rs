//! `totsugo validate` on arbitrary bytes: the bytes are written as the one roster file in a
//! fresh temporary folder and the validate command runs on it with the CLI's defaults
//! (encoding detection, UTF-8-with-BOM output), so every stage runs as for a clerk's file:
//! encoding sniff (BOM, UTF-8/CP932, CRLF), the record reader, header resolution, the entry
//! rules V01–V16, duplicate detection (V15), findings, the correction files and the summary.
//! (Inputs of a few KB never reach the 1 MiB read blocks or the re-read of a file whose first
//! 4 MiB looked like UTF-8; `src/tests/cli.rs` covers those.)
//!
//! A panic anywhere aborts (libFuzzer's hook), even though the CLI would turn it into exit 2. An
//! `Err` is a clear refusal (no header, UTF-16, a missing required column) and is fine.
#![no_main]

use libfuzzer_sys::fuzz_target;
use totsugo::log::{Log, Verbosity};
use totsugo::report::OutputEncoding;
use totsugo::rules::RuleContext;
use totsugo::rules::date::Ymd;
use totsugo::schema::{Layout, LayoutKind};
use totsugo::validate::{self, ValidateConfig};

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir().expect("temporary folder");
    let roster = dir.path().join("roster.csv");
    std::fs::write(&roster, data).expect("write roster");
    let cfg = ValidateConfig {
        rosters: vec![roster],
        out: dir.path().join("out"),
        layout: Layout::builtin(LayoutKind::Roster),
        encoding: None,
        output_encoding: OutputEncoding::Utf8Bom,
        rules: RuleContext {
            as_of: Ymd::parse_yyyymmdd("20261121").expect("date"),
            unmask: false,
        },
        batch_size: 8192,
    };
    let mut sink = std::io::sink();
    let mut log = Log::new(&mut sink, Verbosity::Quiet);
    let _ = validate::run(&cfg, &mut log);
});
