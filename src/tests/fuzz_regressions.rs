//! The fuzz corpus (`fuzz/corpus/`) replayed through the CLI, so every input the fuzzer kept as
//! a seed or as a crash stays covered by the normal test run: each must end in a clear outcome
//! (exit 0, 1 or 2 with a message), never an internal error (a caught panic), and a crash
//! input gets its own test asserting the finding or error it must give.

use std::path::{Path, PathBuf};

use super::support::{root, run};
use crate::exit;

fn corpus(target: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("fuzz/corpus").join(target))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

/// `totsugo validate` on `bytes`, written as the only roster in a fresh folder (as the
/// fuzz target does): (exit code, stderr, output folder).
fn validate_bytes(bytes: &[u8]) -> (u8, String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let roster = dir.path().join("roster.csv");
    std::fs::write(&roster, bytes).unwrap();
    let out = dir.path().join("out");
    let (code, _, err) = run(&[
        "validate".as_ref(),
        roster.as_os_str(),
        "--as-of".as_ref(),
        "20261121".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    (code, err, dir)
}

fn assert_clear_outcome(what: &Path, code: u8, err: &str) {
    assert!(
        [exit::CLEAN, exit::FOUND_ERRORS, exit::FAILED].contains(&code),
        "{}: exit {code}",
        what.display()
    );
    assert!(!err.contains("内部エラー"), "{}: {err}", what.display());
    if code == exit::FAILED {
        assert!(
            err.contains("totsugo: "),
            "{}: exit 2 without a message",
            what.display()
        );
    }
}

#[test]
fn validate_corpus_ends_in_a_clear_outcome() {
    let files = corpus("validate");
    assert!(files.len() >= 10, "seed corpus missing: {files:?}");
    for f in &files {
        let (code, err, dir) = validate_bytes(&std::fs::read(f).unwrap());
        assert_clear_outcome(f, code, &err);
        if code != exit::FAILED {
            assert!(
                dir.path().join("out/summary.json").exists(),
                "{}",
                f.display()
            );
        }
    }
}

#[test]
fn registry_corpus_ends_in_a_clear_outcome() {
    let files = corpus("registry");
    assert!(files.len() >= 4, "seed corpus missing: {files:?}");
    let roster = root().join("fixtures/match/input/tokyo.csv");
    for f in &files {
        let dir = tempfile::tempdir().unwrap();
        let registry = dir.path().join("registry.csv");
        std::fs::copy(f, &registry).unwrap();
        let out = dir.path().join("out");
        let (code, _, err) = run(&[
            "match".as_ref(),
            roster.as_os_str(),
            "--registry".as_ref(),
            registry.as_os_str(),
            "--as-of".as_ref(),
            "20261121".as_ref(),
            "--out".as_ref(),
            out.as_os_str(),
        ]);
        assert_clear_outcome(f, code, &err);
    }
}
