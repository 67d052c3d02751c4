//! `totsugo match` with arbitrary bytes as the registry extract (住基): the fixed roster of
//! `fixtures/match/` is matched against them, so the registry's own encoding sniff, header
//! resolution, the streaming reader (`ingest::stream`), the per-row probes and the verdicts run
//! on whatever the bytes are. A panic aborts; an `Err` is a clear refusal and is fine.
#![no_main]

use libfuzzer_sys::fuzz_target;
use totsugo::log::{Log, Verbosity};
use totsugo::matching::{self, FieldMode, MatchConfig};
use totsugo::report::OutputEncoding;
use totsugo::rules::RuleContext;
use totsugo::rules::date::Ymd;
use totsugo::schema::{Layout, LayoutKind};
use totsugo::validate::ValidateConfig;

/// Every M-code's roster rows (UTF-8 with BOM), see fixtures/match/make_inputs.py.
const ROSTER: &[u8] = include_bytes!("../../fixtures/match/input/tokyo.csv");

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir().expect("temporary folder");
    let roster = dir.path().join("tokyo.csv");
    let registry = dir.path().join("registry.csv");
    std::fs::write(&roster, ROSTER).expect("write roster");
    std::fs::write(&registry, data).expect("write registry");
    let cfg = MatchConfig {
        roster: ValidateConfig {
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
        },
        registry,
        registry_layout: Layout::builtin(LayoutKind::Registry),
        fields: FieldMode::Five,
    };
    let mut sink = std::io::sink();
    let mut log = Log::new(&mut sink, Verbosity::Quiet);
    let _ = matching::run(&cfg, &mut log);
});
