//! `report.html`: its structure on the check fixture (totals as in summary.json, every code
//! explained, internal links resolve, nothing external, no full My Number even with
//! `--unmask`, roster values escaped), and the page in a real browser.
//!
//! The browser tests open the page in headless Chromium (Debian's `chromium`; `.ci/run`
//! installs it) with `--dump-dom` and `--enable-logging=stderr --v=0`, which prints every
//! console message as a `CONSOLE` log line. The page has no script and a CSP of
//! `default-src 'none'`, so **any** console message means something is wrong (a blocked load,
//! an injected script): the test requires none, and a control page proves that the messages
//! are seen. The DOM Chromium built must hold the totals of summary.json.
//!
//! When Chromium is missing: with `CI` set the browser tests fail (CI must run them);
//! otherwise they print a loud notice and pass, so the suite still runs on a machine without
//! a browser. `TOTSUGO_CHROMIUM=/path/to/chrome` picks another binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::support;
use crate::findings::Code;

fn input(name: &str) -> String {
    support::root()
        .join("fixtures/check/input")
        .join(name)
        .display()
        .to_string()
}

/// `check` on the fixture (three offices, registry, insurance) into `out`; extra args appended.
fn run_check(out: &Path, extra: &[&str]) -> serde_json::Value {
    let mut args: Vec<String> = vec!["check".into()];
    args.extend(
        ["office_a.csv", "office_b_cp932.csv", "office_c.csv"]
            .iter()
            .map(|r| input(r)),
    );
    args.extend([
        "--registry".into(),
        input("registry.csv"),
        "--insurance".into(),
        input("insurance.csv"),
        "--as-of".into(),
        "20261121".into(),
        "--out".into(),
        out.display().to_string(),
    ]);
    args.extend(extra.iter().map(|s| s.to_string()));
    let (code, _, stderr) = support::run(&args);
    assert_eq!(code, 1, "{stderr}");
    serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap()
}

fn read_page(out: &Path) -> String {
    std::fs::read_to_string(out.join("report.html")).unwrap()
}

/// Runs of digits (ASCII or full-width) of length `n` or more.
fn digit_runs(text: &str, n: usize) -> Vec<String> {
    let mut runs = Vec::new();
    let mut cur = String::new();
    for c in text.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_digit() || ('０'..='９').contains(&c) {
            cur.push(c);
        } else {
            if cur.chars().count() >= n {
                runs.push(cur.clone());
            }
            cur.clear();
        }
    }
    runs
}

/// What the page must show, taken from summary.json of the same run.
fn assert_totals(page: &str, summary: &serde_json::Value) {
    let t = &summary["totals"];
    for (id, key) in [
        ("total-rows", "rows"),
        ("total-findings", "findings"),
        ("total-errors", "errors"),
        ("total-warnings", "warnings"),
        ("total-corrections", "corrections"),
    ] {
        let want = format!("id=\"{id}\">{}<", t[key].as_u64().unwrap());
        assert!(page.contains(&want), "{want} missing");
    }
    let by_code = summary["by_code"].as_object().unwrap();
    assert!(!by_code.is_empty());
    for (code, n) in by_code {
        let want = format!("data-code=\"{code}\">{}<", n.as_u64().unwrap());
        assert!(page.contains(&want), "{want} missing");
    }
    // One table of findings per code found, one bar per code.
    assert_eq!(
        page.matches("<table class=\"findings\"").count(),
        by_code.len()
    );
    let chart = &page[page.find("<svg").unwrap()..page.find("</svg>").unwrap()];
    assert_eq!(chart.matches("<text class=\"lbl\"").count(), by_code.len());
    for office in summary["by_office"].as_object().unwrap().keys() {
        assert!(
            page.contains(&format!("data-office=\"{office}\"")),
            "{office}"
        );
    }
    for i in summary["inputs"].as_array().unwrap() {
        assert!(page.contains(i["path"].as_str().unwrap()));
    }
    for c in Code::ALL {
        assert!(
            page.contains(&format!("id=\"explain-{c}\"")),
            "{c} not explained"
        );
    }
}

#[test]
fn report_html_shows_the_summary_and_explains_every_code() {
    let out = tempfile::tempdir().unwrap();
    let summary = run_check(out.path(), &[]);
    let page = read_page(out.path());
    assert_totals(&page, &summary);
    // Findings rows name file and line: L04 on office_c.csv line 2 points at the registry.
    assert!(page.contains("office_c.csv</td><td class=\"n\">2</td>"));
    assert!(page.contains("registry.csv 14 行目"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(out.path().join("report.html"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

/// Nothing on the page can load anything: no external reference of any kind, and every link
/// is to an anchor on the page that exists.
#[test]
fn report_html_is_self_contained() {
    let out = tempfile::tempdir().unwrap();
    run_check(out.path(), &[]);
    let page = read_page(out.path());
    for banned in [
        "http:",
        "https:",
        "ftp:",
        "file:",
        "src=",
        "<link",
        "<script",
        "url(",
        "@import",
        "<iframe",
        "<object",
        "<embed",
        "srcset",
        "xlink:href",
    ] {
        assert!(!page.contains(banned), "report.html contains {banned}");
    }
    assert!(page.contains("default-src 'none'"), "CSP missing");
    let mut hrefs = 0;
    for part in page.split("href=\"").skip(1) {
        let target = &part[..part.find('"').unwrap()];
        // The one link off the page: the review workbook beside it in the same folder (a
        // relative file name, no network), where each code's full list is.
        if target == crate::report::workbook::FILE {
            continue;
        }
        let id = target
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("link not on the page: {target}"));
        assert!(page.contains(&format!("id=\"{id}\"")), "no anchor #{id}");
        hrefs += 1;
    }
    assert!(hrefs > 10);
}

/// No My Number in full anywhere on the page: the fixture's numbers are masked as in
/// findings.csv, also with --unmask (which opens findings.csv only).
#[test]
fn report_html_never_holds_a_full_my_number() {
    for extra in [&[][..], &["--unmask"][..]] {
        let out = tempfile::tempdir().unwrap();
        run_check(out.path(), extra);
        let page = read_page(out.path());
        let runs = digit_runs(&page, 12);
        assert!(runs.is_empty(), "{extra:?}: 12-digit runs {runs:?}");
        // The same masked form as findings.csv (an L04 number of the fixture).
        assert!(page.contains("********0281"), "{extra:?}");
        let findings = std::fs::read_to_string(out.path().join("findings.csv")).unwrap();
        assert_eq!(
            digit_runs(&findings, 12).is_empty(),
            extra.is_empty(),
            "the fixture's findings.csv holds full numbers only with --unmask"
        );
    }
}

/// A roster whose values hold markup: validate's page shows them as text.
fn injection_run(dir: &Path) -> PathBuf {
    let row = support::clean_row(1)
        .replace("山田　太郎", "<script>console.error('x')</script>")
        .replace(
            "東京都千代田区千代田１丁目１番",
            "<img src=\"https://example.invalid/p.png\">",
        );
    let p = support::write(dir, "r<b>.csv", format!("{}\n{row}\n", support::HEADER));
    let out = dir.join("out");
    let (code, _, stderr) = support::run(&[
        "validate".as_ref(),
        p.as_os_str(),
        "--as-of".as_ref(),
        "20261121".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    assert_eq!(code, 1, "{stderr}");
    out
}

#[test]
fn roster_values_cannot_inject_markup() {
    let dir = tempfile::tempdir().unwrap();
    let out = injection_run(dir.path());
    let page = read_page(&out);
    assert!(!page.contains("<script"));
    assert!(!page.contains("<img"));
    assert!(!page.contains("<b>"));
    assert!(page.contains("&lt;script&gt;console.error(&#39;x&#39;)&lt;/script&gt;"));
    assert!(page.contains("r&lt;b&gt;.csv"));
}

// ---- the page in a real browser ----

/// The Chromium binary: `TOTSUGO_CHROMIUM`, else `chromium` or `chromium-browser` on PATH.
fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("TOTSUGO_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|d| [d.join("chromium"), d.join("chromium-browser")])
        .find(|p| p.is_file())
}

/// The browser, or None (after a loud notice) when it may be skipped.
fn browser_or_skip(test: &str) -> Option<PathBuf> {
    let found = chromium();
    if found.is_none() {
        let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty());
        assert!(
            !ci,
            "{test}: Chromium not found, and CI is set: .ci/run installs Debian's chromium \
             (apt-get install chromium); TOTSUGO_CHROMIUM names another binary"
        );
        // Straight to stderr: libtest captures eprintln! of a passing test, and this must be seen.
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "\n*** {test}: SKIPPED, Chromium not found. Install Debian's chromium \
             (apt-get install chromium) or set TOTSUGO_CHROMIUM; CI runs this test. ***\n"
        );
    }
    found
}

struct Loaded {
    /// The DOM after load (`--dump-dom`).
    dom: String,
    /// Console messages (lines of Chromium's log with `CONSOLE`).
    console: Vec<String>,
    log: String,
}

/// Opens `page` in headless Chromium with a fresh profile and no network use.
fn load(browser: &Path, page: &Path) -> Loaded {
    let profile = tempfile::tempdir().unwrap();
    let dom_path = profile.path().join("dom.html");
    let log_path = profile.path().join("stderr.txt");
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .env("XDG_CONFIG_HOME", profile.path())
        .env("XDG_CACHE_HOME", profile.path())
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&dom_path).unwrap())
        .stderr(std::fs::File::create(&log_path).unwrap())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", browser.display()));
    // A guard against a hung browser, not a timing assertion.
    let deadline = Instant::now() + Duration::from_secs(180);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("Chromium did not finish loading {}", page.display());
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let log = std::fs::read_to_string(&log_path).unwrap_or_default();
    assert!(status.success(), "Chromium failed ({status}):\n{log}");
    let dom = std::fs::read_to_string(&dom_path).unwrap();
    let console = log
        .lines()
        .filter(|l| l.contains(":CONSOLE") || l.contains("CONSOLE("))
        .map(String::from)
        .collect();
    Loaded { dom, console, log }
}

#[test]
fn chromium_loads_report_html_with_no_console_message() {
    let Some(browser) = browser_or_skip("chromium_loads_report_html_with_no_console_message")
    else {
        return;
    };
    let out = tempfile::tempdir().unwrap();
    let summary = run_check(out.path(), &[]);
    let loaded = load(&browser, &out.path().join("report.html"));
    assert!(
        loaded.console.is_empty(),
        "console messages:\n{}",
        loaded.console.join("\n")
    );
    // The DOM the browser built (not the bytes written) holds the run's totals.
    assert!(loaded.dom.contains("<main>"), "{}", loaded.log);
    assert_totals(&loaded.dom, &summary);
    assert!(digit_runs(&loaded.dom, 12).is_empty());

    // Markup in roster values stays text in the browser too: no element made, no message.
    let dir = tempfile::tempdir().unwrap();
    let out = injection_run(dir.path());
    let loaded = load(&browser, &out.join("report.html"));
    assert!(
        loaded.console.is_empty(),
        "console messages:\n{}",
        loaded.console.join("\n")
    );
    assert!(!loaded.dom.contains("<script") && !loaded.dom.contains("<img"));
    assert!(
        loaded
            .dom
            .contains("&lt;script&gt;console.error('x')&lt;/script&gt;")
    );
}

/// The control: a page that logs and breaks the CSP is seen to, so "no message" above means
/// something with this browser version.
#[test]
fn chromium_console_messages_are_detected() {
    let Some(browser) = browser_or_skip("chromium_console_messages_are_detected") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let page = support::write(
        dir.path(),
        "bad.html",
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\
         </head><body><p id=\"p\">x</p><img src=\"https://example.invalid/a.png\"></body></html>",
    );
    let loaded = load(&browser, &page);
    assert!(loaded.dom.contains("id=\"p\""), "{}", loaded.log);
    assert!(
        loaded
            .console
            .iter()
            .any(|l| l.contains("Content Security Policy")),
        "the blocked image was not reported:\n{}",
        loaded.log
    );
    let page = support::write(
        dir.path(),
        "log.html",
        "<!DOCTYPE html><html><body><script>console.error('boom')</script></body></html>",
    );
    let loaded = load(&browser, &page);
    assert!(
        loaded.console.iter().any(|l| l.contains("boom")),
        "{}",
        loaded.log
    );
}
