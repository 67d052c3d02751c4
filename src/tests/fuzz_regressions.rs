//! The fuzz corpus (`fuzz/corpus/`) replayed through the CLI, so every input the fuzzer kept as
//! a seed or as a crash stays covered by the normal test run: each must end in a clear outcome
//! (exit 0, 1 or 2 with a message), never an internal error (a caught panic). Each roster
//! input is listed in `VALIDATE_CORPUS` with the findings or the error it must give, so a
//! crash input kept there states its expected outcome.

use std::path::{Path, PathBuf};

use super::support::{read_csv, root, run};
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

/// What a corpus input must give: exit 2 with this message, or these (line, code) findings.
enum Expect {
    Refused(&'static str),
    Findings(&'static [(&'static str, &'static str)]),
}

/// Every input kept in `fuzz/corpus/validate/` and what it must give; a new input (a crash the
/// fuzzer found) needs its entry here.
const VALIDATE_CORPUS: &[(&str, Expect)] = &[
    (
        "alias_headers.csv",
        Expect::Refused("必須の見出し「ケース番号」がありません"),
    ),
    // The unclosed quote swallows nothing: the line is V16 on its own and the next row is read.
    ("broken_quote.csv", Expect::Findings(&[("2", "V16")])),
    ("clean_cp932.csv", Expect::Findings(&[])),
    ("cp932_bad_byte.csv", Expect::Findings(&[("2", "V14")])),
    ("empty.csv", Expect::Refused("ファイルが空です")),
    ("header_only_bom.csv", Expect::Findings(&[])),
    (
        "missing_column.csv",
        Expect::Refused("必須の見出し「受給者番号」がありません"),
    ),
    (
        "osaka_utf8bom.csv",
        Expect::Findings(&[
            ("3", "V02"),
            ("3", "V02"),
            ("3", "V02"),
            ("4", "V07"),
            ("4", "V07"),
            ("5", "V11"),
            // Line 6, マリア　ロドリゲス　サントス in three parts, is valid (contract).
            ("7", "V12"),
            ("7", "V12"),
            ("9", "V06"),
            ("10", "V02"),
            ("11", "V02"),
            ("11", "V02"),
            ("11", "V13"),
        ]),
    ),
    // Line 3 is empty and line 4 only commas: blank lines, not rows.
    (
        "ragged.csv",
        Expect::Findings(&[("2", "V16"), ("5", "V16")]),
    ),
    (
        "tokyo_cp932_head.csv",
        Expect::Findings(&[("4", "V01"), ("5", "V02"), ("6", "V03")]),
    ),
    (
        "utf16le.csv",
        Expect::Refused("UTF-16 のファイルには対応していません"),
    ),
    ("utf8_crlf_dup.csv", Expect::Findings(&[("3", "V15")])),
    ("utf8_lf.csv", Expect::Findings(&[])),
    // One CP932 line makes the whole BOM-less file CP932 (the contract's rule); its UTF-8
    // header then cannot be read, and the message says why and what to do.
    (
        "utf8_then_cp932.csv",
        Expect::Refused(
            "見出し行の1列目を cp932 として読めません（0x85 0xE7）。見出し行は UTF-8 ですが、\
             ファイルのどこかに UTF-8 として読めないバイトがあるため CP932 と判定しました。\
             UTF-8 のファイルなら --encoding utf8 を指定してください",
        ),
    ),
];

#[test]
fn validate_corpus_gives_the_expected_outcome() {
    let files = corpus("validate");
    let names: Vec<String> = files
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    let listed: Vec<&str> = VALIDATE_CORPUS.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        names, listed,
        "fuzz/corpus/validate and VALIDATE_CORPUS differ"
    );
    for (f, (_, expect)) in files.iter().zip(VALIDATE_CORPUS) {
        let (code, err, dir) = validate_bytes(&std::fs::read(f).unwrap());
        assert_clear_outcome(f, code, &err);
        match expect {
            Expect::Refused(msg) => {
                assert_eq!(code, exit::FAILED, "{}: {err}", f.display());
                assert!(err.contains(msg), "{}: {err}", f.display());
            }
            Expect::Findings(want) => {
                let rows = read_csv(&dir.path().join("out/findings.csv"));
                let got: Vec<(&str, &str)> = rows
                    .iter()
                    .skip(1)
                    .map(|r| (r[3].as_str(), r[0].as_str()))
                    .collect();
                assert_eq!(&got, want, "{}", f.display());
                let errors = want.iter().any(|(_, c)| *c != "V15");
                let code_wanted = if errors {
                    exit::FOUND_ERRORS
                } else {
                    exit::CLEAN
                };
                assert_eq!(code, code_wanted, "{}: {err}", f.display());
            }
        }
    }
}

/// Every input kept in `fuzz/corpus/registry/`, matched against the `match` fixture's Tokyo
/// roster: the exit code and a piece of stderr it must give.
const REGISTRY_CORPUS: &[(&str, u8, &str)] = &[
    ("empty.csv", exit::FAILED, "ファイルが空です"),
    ("registry_bom.csv", exit::FOUND_ERRORS, "21 行を照合"),
    // A UTF-8 character cut in line 2: CP932 by the contract's rule, and the message says so.
    (
        "registry_broken.csv",
        exit::FAILED,
        "見出し行の3列目を cp932 として読めません（0x8A）。見出し行は UTF-8 ですが",
    ),
    ("registry_cp932_crlf.csv", exit::FOUND_ERRORS, "21 行を照合"),
    ("registry_head.csv", exit::FOUND_ERRORS, "21 行を照合"),
];

#[test]
fn registry_corpus_gives_the_expected_outcome() {
    let files = corpus("registry");
    let names: Vec<String> = files
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    let listed: Vec<&str> = REGISTRY_CORPUS.iter().map(|(n, ..)| *n).collect();
    assert_eq!(
        names, listed,
        "fuzz/corpus/registry and REGISTRY_CORPUS differ"
    );
    let roster = root().join("fixtures/match/input/tokyo.csv");
    for (f, (_, want_code, want_err)) in files.iter().zip(REGISTRY_CORPUS) {
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
        assert_eq!(code, *want_code, "{}: {err}", f.display());
        assert!(err.contains(want_err), "{}: {err}", f.display());
    }
}

/// The advice of the header-decode message holds: with `--encoding utf8` the same file is read,
/// and only its CP932 line is V14 (once per field with CP932 text: 氏名, 氏名カナ, 住所).
#[test]
fn utf8_file_with_a_cp932_line_reads_with_encoding_utf8() {
    let dir = tempfile::tempdir().unwrap();
    let roster = dir.path().join("roster.csv");
    std::fs::copy(
        root().join("fuzz/corpus/validate/utf8_then_cp932.csv"),
        &roster,
    )
    .unwrap();
    let out = dir.path().join("out");
    let (code, _, err) = run(&[
        "validate".as_ref(),
        roster.as_os_str(),
        "--encoding".as_ref(),
        "utf8".as_ref(),
        "--as-of".as_ref(),
        "20261121".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    assert_eq!(code, exit::FOUND_ERRORS, "{err}");
    let rows = read_csv(&out.join("findings.csv"));
    let got: Vec<(&str, &str)> = rows
        .iter()
        .skip(1)
        .map(|r| (r[3].as_str(), r[0].as_str()))
        .collect();
    assert_eq!(got, [("3", "V14"), ("3", "V14"), ("3", "V14")]);
    let fields: Vec<&str> = rows.iter().skip(1).map(|r| r[6].as_str()).collect();
    assert_eq!(fields, ["氏名", "氏名カナ", "住所"]);
}
