//! Helpers shared by the suites.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// Runs the CLI in-process: (exit code, stdout, stderr).
pub fn run<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> (u8, String, String) {
    let mut argv: Vec<OsString> = vec!["totsugo".into()];
    argv.extend(args.iter().map(|a| a.as_ref().to_os_string()));
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = crate::cli::run(argv, &mut out, &mut err);
    (
        code,
        String::from_utf8_lossy(&out).into_owned(),
        String::from_utf8_lossy(&err).into_owned(),
    )
}

/// This test binary started again as a child process that runs the CLI with `args` (as the
/// `totsugo` binary would, signal handlers included): for tests that signal or kill a run.
pub fn child<S: AsRef<str>>(args: &[S]) -> std::process::Command {
    let exe = std::env::current_exe().unwrap();
    let mut c = std::process::Command::new(exe);
    c.args([
        "--exact",
        "tests::support::child_entry",
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ]);
    let joined: Vec<&str> = args.iter().map(|a| a.as_ref()).collect();
    c.env("TOTSUGO_TEST_CHILD", joined.join("\u{1f}"));
    c.stdout(std::process::Stdio::null());
    c.stderr(std::process::Stdio::null());
    c
}

/// The child's entry point (see [`child`]); ignored in a normal test run.
#[test]
#[ignore = "entry point of the child processes started by support::child"]
fn child_entry() {
    let Ok(args) = std::env::var("TOTSUGO_TEST_CHILD") else {
        return;
    };
    let argv =
        std::iter::once(OsString::from("totsugo")).chain(args.split('\u{1f}').map(OsString::from));
    std::process::exit(i32::from(crate::cli::main(argv)));
}

/// The repository root (tests run with it as the working directory).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

pub const HEADER: &str = "保険者番号,受給者番号,ケース番号,世帯員番号,個人番号,氏名,氏名カナ,生年月日,性別,郵便番号,住所,資格取得日,資格喪失日,社会保険状況";

/// A clean roster row (valid check digits everywhere) for recipient body `n` (< 1,000,000).
pub fn clean_row(n: u32) -> String {
    use crate::rules::check_digit::{mhlw_check_digit, my_number_check_digit};
    let body = format!("{n:06}");
    let rec = format!("{body}{}", mhlw_check_digit(&body).unwrap());
    let base = format!("{:011}", 30_000_000_000u64 + u64::from(n));
    let my = format!("{base}{}", my_number_check_digit(&base).unwrap());
    format!(
        "12130019,{rec},C{n:06},01,{my},山田　太郎,ヤマダ　タロウ,19450312,1,1000001,東京都千代田区千代田１丁目１番,20200401,,0"
    )
}

/// Reads a CSV output (UTF-8, BOM stripped) into rows of fields.
pub fn read_csv(path: &Path) -> Vec<Vec<String>> {
    let bytes = std::fs::read(path).unwrap();
    let text = String::from_utf8(bytes).unwrap();
    let text = text.trim_start_matches('\u{feff}');
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes());
    r.records()
        .map(|rec| rec.unwrap().iter().map(String::from).collect())
        .collect()
}
