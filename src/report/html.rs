//! `report.html`: one self-contained page for the office's staff, made from the same data as
//! `findings.csv` and `summary.json`: the run (date, tool version, inputs with row counts),
//! totals per code with an inline SVG bar chart, counts per office, the first
//! [`SAMPLES_PER_CODE`] findings of each code with file and line, and what every code of the
//! contract means and what to do about it (対応).
//!
//! The page loads nothing: CSS is inline, there is no script, and a Content-Security-Policy
//! of `default-src 'none'` makes the browser refuse any load that might slip in later. Every
//! value from the data is HTML-escaped, and every run of digits that could be a My Number is
//! masked to its last 4 digits as in findings.csv — also with `--unmask`, which is meant for
//! findings.csv only: a summary page is printed and passed around.
//!
//! Entry points: [`Samples`] collects the first findings of each code while findings.csv is
//! written (see [`super::findings::FindingsWriter`]); [`write`] renders the page from a
//! [`ReportInput`] (the summary + the samples) into `out/report.html`, atomically, mode 0600.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use super::atomic::AtomicFile;
use super::summary::{InputSummary, Summary};
use crate::error::Error;
use crate::findings::mask::{escape_controls, mask_number_runs};
use crate::findings::{Action, Code, Finding, Severity};

pub const FILE_NAME: &str = "report.html";

/// Findings shown per code and office (保険者番号): every office sees some of its own, not only
/// the first files'. The rest are counted and left to findings.csv and review.xlsx.
pub const SAMPLES_PER_CODE: usize = 10;

/// Offices sampled per code at most (a run with 100,000 findings still gives a page of a few
/// thousand rows).
pub const SAMPLED_OFFICES: usize = 20;

/// Acknowledged findings listed on the page.
pub const ACKNOWLEDGED_SHOWN: usize = 200;

/// One finding as shown on the page (file names resolved, as in findings.csv).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleRow {
    pub code: Code,
    pub file: String,
    pub line: u64,
    pub insurer_no: String,
    pub recipient_no: String,
    pub field: String,
    pub message: String,
    pub action: Action,
    pub related: Option<(String, u64)>,
}

/// The first findings of each code, in the order they were written (file, line).
#[derive(Debug, Clone)]
pub struct Samples {
    /// Rows per code and office.
    limit: usize,
    by_code: BTreeMap<Code, Vec<SampleRow>>,
    /// Rows kept per (code, office).
    per_office: BTreeMap<(Code, String), usize>,
    /// Offices with rows, per code.
    offices: BTreeMap<Code, usize>,
    /// The first acknowledged findings, with 理由 and 期限 (`--ack`).
    pub acknowledged: Vec<(SampleRow, String, String)>,
}

impl Default for Samples {
    fn default() -> Samples {
        Samples::new(SAMPLES_PER_CODE)
    }
}

impl Samples {
    pub fn new(limit: usize) -> Samples {
        Samples {
            limit,
            by_code: BTreeMap::new(),
            per_office: BTreeMap::new(),
            offices: BTreeMap::new(),
            acknowledged: Vec::new(),
        }
    }

    /// Keeps `f` if its code has fewer than `limit` rows yet for its office (and the code has
    /// rows of fewer than [`SAMPLED_OFFICES`] offices, or this office is one of them).
    /// `files`: the run's input names, indexed by [`crate::findings::Source::file`].
    pub fn add(&mut self, f: &Finding, files: &[String]) {
        let key = (f.code, f.insurer_no.clone());
        let kept = self.per_office.get(&key).copied();
        let offices = self.offices.entry(f.code).or_default();
        match kept {
            Some(n) if n >= self.limit => return,
            None if *offices >= SAMPLED_OFFICES => return,
            None => *offices += 1,
            Some(_) => {}
        }
        *self.per_office.entry(key).or_default() += 1;
        let row = Self::row(f, files);
        self.by_code.entry(f.code).or_default().push(row);
    }

    /// Keeps an acknowledged finding for the page's collapsed list.
    pub fn add_acknowledged(&mut self, f: &Finding, files: &[String], reason: &str, until: &str) {
        if self.acknowledged.len() < ACKNOWLEDGED_SHOWN {
            let row = Self::row(f, files);
            let reason = crate::findings::mask::cut_long(reason).into_owned();
            self.acknowledged.push((row, reason, until.to_string()));
        }
    }

    fn row(f: &Finding, files: &[String]) -> SampleRow {
        let name = |i: u32| files.get(i as usize).cloned().unwrap_or_default();
        SampleRow {
            code: f.code,
            file: name(f.source.file),
            line: f.source.line,
            insurer_no: f.insurer_no.clone(),
            recipient_no: f.recipient_no.clone(),
            field: f.field.clone(),
            message: f.message.clone(),
            action: f.action,
            related: f.related.map(|r| (name(r.file), r.line)),
        }
    }

    pub fn rows(&self, code: Code) -> &[SampleRow] {
        self.by_code.get(&code).map_or(&[], Vec::as_slice)
    }
}

/// Everything the page shows: a run's summary (as written to summary.json) and its samples.
pub struct ReportInput<'a> {
    pub summary: &'a Summary,
    pub samples: &'a Samples,
    /// When the page was made, as shown in its header ([`now_jst`]).
    pub generated_at: String,
}

/// Writes `out_dir/report.html` (temporary file + rename, mode 0600).
pub fn write(out_dir: &Path, input: &ReportInput) -> Result<(), Error> {
    let path = out_dir.join(FILE_NAME);
    let page = render(input);
    let mut f = AtomicFile::create(&path)?;
    f.write_all(page.as_bytes())
        .map_err(|source| Error::Write {
            path: path.display().to_string(),
            source,
        })?;
    f.commit()
}

/// The last two outputs of every run: summary.json, then report.html made from it.
/// The last outputs of every command, from what was written before: review.xlsx (from
/// findings.csv and corrections.csv, now in place), summary.json and report.html.
pub fn write_summary_and_page(
    out_dir: &Path,
    summary: &Summary,
    samples: &Samples,
    enc: super::OutputEncoding,
) -> Result<(), Error> {
    super::workbook::write(out_dir, enc, &summary.as_of)?;
    summary.write(&out_dir.join("summary.json"))?;
    write(
        out_dir,
        &ReportInput {
            summary,
            samples,
            generated_at: now_jst(),
        },
    )
}

/// The current time in Japan (UTC+9), `2026-11-21 23:10`.
pub fn now_jst() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0))
        + 9 * 3600;
    let day = crate::rules::date::Ymd::from_days(secs.div_euclid(86_400));
    let in_day = secs.rem_euclid(86_400);
    match day {
        Some(d) => format!(
            "{:04}-{:02}-{:02} {:02}:{:02}",
            d.year,
            d.month,
            d.day,
            in_day / 3600,
            in_day % 3600 / 60
        ),
        None => String::new(),
    }
}

/// HTML text with `& < > " '` escaped, and digit runs that could be a My Number masked.
fn esc(s: &str) -> String {
    let masked = mask_number_runs(s);
    let masked = escape_controls(&masked);
    let mut out = String::with_capacity(masked.len() + 8);
    for c in masked.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `1234567` → `1,234,567`.
fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (k, c) in s.chars().enumerate() {
        if k > 0 && (s.len() - k).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn sev_class(s: Severity) -> &'static str {
    match s {
        Severity::Error => "err",
        Severity::Warning => "warn",
        Severity::Info => "info",
    }
}

fn sev_badge(s: Severity) -> String {
    format!(
        "<span class=\"sev sev-{}\">{}</span>",
        sev_class(s),
        s.label()
    )
}

fn sev_color(s: Severity) -> &'static str {
    match s {
        Severity::Error => "#c62828",
        Severity::Warning => "#e08a00",
        Severity::Info => "#4a7bb7",
    }
}

/// The code families, in report order: (first letter, heading).
const FAMILIES: [(char, &str); 5] = [
    ('V', "入力規則"),
    ('M', "住基照合"),
    ('L', "番号の紐付け"),
    ('D', "資格の重複"),
    ('N', "前回との比較"),
];

/// What each 対応 label asks of the office.
const ACTIONS: [(Action, &str); 5] = [
    (
        Action::Fix,
        "安全に直せる書き方の誤りです。修正ファイルに直した値があります。確かめて取り込んでください。",
    ),
    (
        Action::Review,
        "直す必要があり、値は人が決めます。修正ファイルの案（住基の値など）を確かめてから取り込んでください。",
    ),
    (
        Action::Delete,
        "この記録は登録しないでください（別人の番号、消除、重複行）。",
    ),
    (Action::Hold, "確認が済むまで登録を見合わせてください。"),
    (
        Action::ConfirmIdentity,
        "本人や関係機関に確かめないと決められません。",
    ),
];

const STYLE: &str = r#"
:root{color-scheme:light}
*{box-sizing:border-box}
body{margin:0;background:#eef0f3;color:#1b1f24;font-family:"Noto Sans CJK JP","Hiragino Kaku Gothic ProN","Yu Gothic UI","Yu Gothic","Meiryo",sans-serif;font-size:15px;line-height:1.6}
main{max-width:1240px;margin:0 auto;padding:28px 36px 64px;background:#fff}
h1{font-size:26px;margin:0 0 4px}
h2{font-size:20px;margin:40px 0 12px;padding:2px 0 2px 12px;border-left:6px solid #2f4a66}
h3{font-size:16px;margin:28px 0 6px;scroll-margin-top:8px}
p{margin:6px 0}
a{color:#1f5fa8}
table{border-collapse:collapse;width:100%;margin:8px 0 4px;font-size:14px}
th,td{border:1px solid #c8ced6;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#eef2f6;font-weight:600;white-space:nowrap}
td.n,th.n{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
td.zero{color:#9aa3ad}
td.file{word-break:break-all;min-width:9em}
td.msg{min-width:22em}
td.nw{white-space:nowrap}
tr.total td{font-weight:700;background:#f6f8fa}
.code{font-family:"DejaVu Sans Mono",Consolas,monospace;font-weight:700}
.sev{display:inline-block;padding:0 8px;border-radius:10px;font-size:13px;font-weight:600;white-space:nowrap}
.sev-err{background:#fdecea;color:#a61b1b;border:1px solid #f2bcb8}
.sev-warn{background:#fff3df;color:#8a4b00;border:1px solid #f0cf96}
.sev-info{background:#e7f0fa;color:#1f4e79;border:1px solid #b9d1ec}
.meta{color:#4a5561;margin:0 0 16px}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:12px 0}
.card{border:1px solid #c8ced6;border-radius:6px;padding:8px 18px;min-width:130px}
.card .k{font-size:13px;color:#4a5561}
.card .v{font-size:26px;font-weight:700;font-variant-numeric:tabular-nums}
.card.err .v{color:#a61b1b}
.card.warn .v{color:#8a4b00}
.status{padding:12px 16px;border-radius:6px;margin:16px 0;font-weight:600}
.status.bad{background:#fdecea;border:1px solid #f2bcb8;color:#7d1212}
.status.ok{background:#e8f5ea;border:1px solid #b5dcb9;color:#1d5e26}
.todo{background:#f6f8fa;border-left:4px solid #8aa1b8;padding:6px 10px;margin:6px 0 8px}
.more{color:#4a5561;font-size:14px}
.note{color:#4a5561;font-size:13px}
nav ol{margin:4px 0;padding-left:1.6em}
svg text{font-family:inherit;font-size:13px;fill:#1b1f24}
svg .lbl{font-family:"DejaVu Sans Mono",Consolas,monospace;font-weight:700}
@page{size:A4;margin:12mm}
@media print{body{background:#fff}main{max-width:none;padding:0}tr,.card{break-inside:avoid}h2,h3{break-after:avoid}nav{display:none}}
"#;

/// The whole page.
pub fn render(input: &ReportInput) -> String {
    let s = input.summary;
    let mut h = String::with_capacity(64 * 1024);
    let count = |c: Code| s.by_code.get(c.as_str()).copied().unwrap_or(0);
    let found: Vec<(Code, u64)> = Code::ALL
        .iter()
        .map(|c| (*c, count(*c)))
        .filter(|(_, n)| *n > 0)
        .collect();

    h.push_str("<!DOCTYPE html>\n<html lang=\"ja\">\n<head>\n<meta charset=\"utf-8\">\n");
    // Nothing may load: no network, no file beside the page, no script.
    h.push_str(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n",
    );
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    h.push_str("<meta name=\"referrer\" content=\"no-referrer\">\n");
    let _ = writeln!(
        h,
        "<title>突合チェック結果（{}）{}</title>",
        esc(s.command),
        esc(&input.generated_at)
    );
    let _ = writeln!(h, "<style>{STYLE}</style>\n</head>\n<body>\n<main>");

    // Header.
    let _ = writeln!(h, "<h1>突合チェック結果</h1>");
    let _ = writeln!(
        h,
        "<p class=\"meta\">作成 <span id=\"generated\">{}</span>（日本時間）・基準日 {}・コマンド <span class=\"code\">{}</span>・{} {}{}</p>",
        esc(&input.generated_at),
        esc(&pretty_date(&s.as_of)),
        esc(s.command),
        esc(s.tool),
        esc(s.version),
        match s.fields {
            Some(n) => format!("・住基照合 {n} 情報"),
            None => String::new(),
        }
    );
    status(&mut h, s);
    cards(&mut h, s);
    toc(&mut h, &found);

    inputs(&mut h, &s.inputs);
    totals(&mut h, s, &found);
    if let Some(v) = &s.verdicts {
        verdicts(&mut h, v);
    }
    if let Some(b) = &s.baseline {
        baseline(&mut h, b);
    }
    offices(&mut h, s);
    details(&mut h, input, &found);
    if let Some(a) = &s.acknowledged {
        acknowledged(&mut h, a, &input.samples.acknowledged);
    }
    explanations(&mut h);
    outputs(&mut h, s);

    h.push_str("</main>\n</body>\n</html>\n");
    h
}

/// `20261121` → `2026年11月21日` (anything else as it is).
fn pretty_date(d: &str) -> String {
    if d.len() == 8 && d.bytes().all(|b| b.is_ascii_digit()) {
        let m: u32 = d[4..6].parse().unwrap_or(0);
        let day: u32 = d[6..8].parse().unwrap_or(0);
        format!("{}年{m}月{day}日", &d[..4])
    } else {
        d.to_string()
    }
}

fn status(h: &mut String, s: &Summary) {
    let t = &s.totals;
    if t.errors > 0 {
        let _ = writeln!(
            h,
            "<div class=\"status bad\" id=\"status\">エラーが {} 件あります。エラーのある記録は、直すまで中間サーバーに登録しないでください（終了コード {}）。</div>",
            thousands(t.errors),
            s.exit_code
        );
    } else if t.warnings > 0 {
        let _ = writeln!(
            h,
            "<div class=\"status ok\" id=\"status\">エラーはありません（終了コード {}）。警告 {} 件は内容を確かめてください。</div>",
            s.exit_code,
            thousands(t.warnings)
        );
    } else {
        let _ = writeln!(
            h,
            "<div class=\"status ok\" id=\"status\">エラーも警告もありません（終了コード {}）。</div>",
            s.exit_code
        );
    }
}

fn cards(h: &mut String, s: &Summary) {
    let t = &s.totals;
    h.push_str("<div class=\"cards\">\n");
    for (id, class, k, v) in [
        ("total-rows", "", "検査した行", t.rows),
        ("total-findings", "", "指摘", t.findings),
        ("total-errors", "err", "エラー", t.errors),
        ("total-warnings", "warn", "警告", t.warnings),
        (
            "total-rows-with-findings",
            "",
            "指摘のある行",
            t.rows_with_findings,
        ),
        ("total-corrections", "", "修正ファイルの行", t.corrections),
    ] {
        let _ = writeln!(
            h,
            "<div class=\"card {}\"><div class=\"k\">{k}</div><div class=\"v\" id=\"{id}\">{}</div></div>",
            // Coloured only when there is something to see.
            if v > 0 { class } else { "" },
            thousands(v)
        );
    }
    h.push_str("</div>\n");
}

fn toc(h: &mut String, found: &[(Code, u64)]) {
    h.push_str("<nav><ol>\n<li><a href=\"#inputs\">入力ファイル</a></li>\n<li><a href=\"#totals\">コード別の件数</a></li>\n<li><a href=\"#offices\">事務所別の件数</a></li>\n<li><a href=\"#details\">指摘の明細</a>");
    if !found.is_empty() {
        h.push('（');
        for (k, (c, _)) in found.iter().enumerate() {
            if k > 0 {
                h.push('・');
            }
            let _ = write!(h, "<a href=\"#code-{c}\">{c}</a>");
        }
        h.push('）');
    }
    h.push_str("</li>\n<li><a href=\"#codes\">コードの意味と対応</a></li>\n<li><a href=\"#files\">出力ファイル</a></li>\n</ol></nav>\n");
}

fn role_label(role: &str) -> &'static str {
    match role {
        "roster" => "名簿",
        "registry" => "住基",
        "insurance" => "他制度資格",
        _ => "その他",
    }
}

fn inputs(h: &mut String, inputs: &[InputSummary]) {
    h.push_str("<h2 id=\"inputs\">入力ファイル</h2>\n<table id=\"inputs-table\">\n<tr><th>種別</th><th>ファイル</th><th class=\"n\">行数</th><th>文字コード</th><th>改行</th><th class=\"n\">空行</th><th class=\"n\">読めない行</th><th>修正ファイル</th></tr>\n");
    for i in inputs {
        let corrections = match &i.corrections_file {
            Some(f) => format!("{}（{} 行）", esc(f), thousands(i.corrections)),
            None => "—".to_string(),
        };
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td class=\"file\">{}</td><td class=\"n\">{}</td><td>{}{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"file\">{}</td></tr>",
            role_label(i.role),
            esc(&i.path),
            thousands(i.rows),
            esc(i.encoding),
            if i.bom { "（BOM あり）" } else { "" },
            esc(i.line_ending),
            thousands(i.blank_lines),
            thousands(i.unreadable_lines),
            corrections
        );
    }
    h.push_str("</table>\n<p class=\"note\">行数は見出しと空行を除いたデータ行の数です。各ファイルの SHA-256 は summary.json にあります。</p>\n");
    for i in inputs {
        if let Some(note) = &i.note {
            let _ = writeln!(h, "<p class=\"note\">{}: {}</p>", esc(&i.path), esc(note));
        }
    }
}

fn totals(h: &mut String, s: &Summary, found: &[(Code, u64)]) {
    h.push_str("<h2 id=\"totals\">コード別の件数</h2>\n");
    if found.is_empty() {
        h.push_str("<p>指摘はありません。</p>\n");
        return;
    }
    bar_chart(h, found);
    h.push_str("<table id=\"totals-table\">\n<tr><th>コード</th><th>重要度</th><th>内容</th><th class=\"n\">件数</th><th>明細</th></tr>\n");
    for (c, n) in found {
        let _ = writeln!(
            h,
            "<tr><td class=\"code\">{c}</td><td>{}</td><td>{}</td><td class=\"n\" data-code=\"{c}\">{}</td><td><a href=\"#code-{c}\">明細へ</a></td></tr>",
            sev_badge(c.severity()),
            esc(c.title()),
            thousands(*n)
        );
    }
    let _ = writeln!(
        h,
        "<tr class=\"total\"><td colspan=\"3\">合計</td><td class=\"n\">{}</td><td></td></tr>\n</table>",
        thousands(s.totals.findings)
    );
    h.push_str("<p class=\"note\">指摘のないコードは載せていません。すべてのコードの意味は<a href=\"#codes\">コードの意味と対応</a>にあります。</p>\n");
}

/// Horizontal bars, one per code with findings, coloured by severity.
fn bar_chart(h: &mut String, found: &[(Code, u64)]) {
    const ROW: u64 = 26;
    const LABEL: u64 = 56;
    const BAR: u64 = 600;
    const WIDTH: u64 = LABEL + BAR + 110;
    let max = found.iter().map(|(_, n)| *n).max().unwrap_or(1).max(1);
    let height = ROW * found.len() as u64 + 40;
    let _ = writeln!(
        h,
        "<svg id=\"chart\" width=\"{WIDTH}\" height=\"{height}\" viewBox=\"0 0 {WIDTH} {height}\" role=\"img\" aria-labelledby=\"chart-title\">\n<title id=\"chart-title\">コード別の件数（棒の色: 赤 エラー、橙 警告、青 情報）</title>"
    );
    for (k, (c, n)) in found.iter().enumerate() {
        let y = ROW * k as u64 + 4;
        // At least 2 px so that one finding among 100,000 still shows.
        let w = (BAR * n / max).max(2);
        let _ = writeln!(
            h,
            "<g><title>{c} {}: {} 件</title><text class=\"lbl\" x=\"0\" y=\"{}\">{c}</text><rect x=\"{LABEL}\" y=\"{y}\" width=\"{w}\" height=\"{}\" rx=\"2\" fill=\"{}\"/><text x=\"{}\" y=\"{}\">{}</text></g>",
            esc(c.title()),
            thousands(*n),
            y + 15,
            ROW - 8,
            sev_color(c.severity()),
            LABEL + w + 6,
            y + 15,
            thousands(*n)
        );
    }
    // Legend.
    let ly = ROW * found.len() as u64 + 20;
    let mut x = LABEL;
    for sev in [Severity::Error, Severity::Warning, Severity::Info] {
        let _ = writeln!(
            h,
            "<rect x=\"{x}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"{}\"/><text x=\"{}\" y=\"{}\">{}</text>",
            ly,
            sev_color(sev),
            x + 16,
            ly + 11,
            sev.label()
        );
        x += 80;
    }
    h.push_str("</svg>\n");
}

fn verdicts(h: &mut String, v: &BTreeMap<String, u64>) {
    h.push_str("<h3 id=\"verdicts\">住基照合の判定（results.csv、1 記録 1 判定）</h3>\n<table id=\"verdicts-table\">\n<tr><th>判定</th><th>重要度</th><th>内容</th><th class=\"n\">記録数</th></tr>\n");
    for c in Code::ALL.iter().filter(|c| c.as_str().starts_with('M')) {
        let n = v.get(c.as_str()).copied().unwrap_or(0);
        if n == 0 {
            continue;
        }
        let _ = writeln!(
            h,
            "<tr><td class=\"code\">{c}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td></tr>",
            sev_badge(c.severity()),
            esc(c.title()),
            thousands(n)
        );
    }
    if let Some(n) = v.get("-").filter(|n| **n > 0) {
        let _ = writeln!(
            h,
            "<tr><td class=\"code\">-</td><td></td><td>行が読めず照合できませんでした（V14・V16）</td><td class=\"n\">{}</td></tr>",
            thousands(*n)
        );
    }
    h.push_str("</table>\n<p class=\"note\">M00・M01 は住基と一致した記録で、findings.csv には載りません。</p>\n");
}

/// `run --state`: what the nightly comparison found.
fn baseline(h: &mut String, b: &crate::report::summary::BaselineSummary) {
    h.push_str("<h3 id=\"baseline\">前回の基準との比較（夜間の照合）</h3>\n");
    let state = match (b.status, &b.previous_as_of) {
        ("compared", Some(d)) => format!(
            "{} の基準（{} 件）と比べました。",
            esc(&pretty_date(d)),
            thousands(b.previous_records)
        ),
        ("reset", _) => {
            "--reset-baseline の指定により、前回の基準を使わずに作り直しました。".into()
        }
        _ => "基準はまだありませんでした（初回）。新規・変更の判定（N01・N02）は次回から行います。"
            .into(),
    };
    let _ = writeln!(h, "<p id=\"baseline-status\">{state}</p>");
    h.push_str("<table id=\"baseline-table\">\n");
    for (label, n) in [
        ("今回、住基と照合できた記録", b.verified),
        ("うち前回の名簿になかった記録", b.new_verified),
        ("N01 新しい記録で照合できなかった（保留）", b.new_unverified),
        (
            "N02 前回から個人番号・基本情報が変わった（本人確認）",
            b.changed,
        ),
        ("次回の基準に残した記録", b.records_written),
    ] {
        let _ = writeln!(
            h,
            "<tr><td>{label}</td><td class=\"n\">{}</td></tr>",
            thousands(n)
        );
    }
    h.push_str("</table>\n");
}

fn offices(h: &mut String, s: &Summary) {
    h.push_str("<h2 id=\"offices\">事務所別の件数</h2>\n");
    // Families shown: entry rules always, the others when the run found any.
    let families: Vec<(char, &str)> = FAMILIES
        .iter()
        .copied()
        .filter(|(f, _)| *f == 'V' || s.by_code.keys().any(|k| k.starts_with(*f)))
        .collect();
    h.push_str("<table id=\"offices-table\">\n<tr><th>保険者番号</th><th class=\"n\">行数</th><th class=\"n\">エラー</th><th class=\"n\">警告</th><th class=\"n\">情報</th>");
    for (f, name) in &families {
        let _ = write!(h, "<th class=\"n\">{name}（{f}）</th>");
    }
    h.push_str("</tr>\n");
    let mut sum = vec![0u64; 4 + families.len()];
    for (office, counts) in &s.by_office {
        let mut row = vec![counts.rows, 0, 0, 0];
        row.extend(std::iter::repeat_n(0, families.len()));
        for (code, n) in &counts.by_code {
            let Some(c) = Code::ALL.iter().find(|c| c.as_str() == code) else {
                continue;
            };
            row[match c.severity() {
                Severity::Error => 1,
                Severity::Warning => 2,
                Severity::Info => 3,
            }] += n;
            if let Some(k) = families.iter().position(|(f, _)| code.starts_with(*f)) {
                row[4 + k] += n;
            }
        }
        let _ = write!(
            h,
            "<tr data-office=\"{}\"><td class=\"code\">{}</td>",
            esc(office),
            esc(office)
        );
        for (k, n) in row.iter().enumerate() {
            sum[k] += n;
            let zero = if *n == 0 { " zero" } else { "" };
            let _ = write!(h, "<td class=\"n{zero}\">{}</td>", thousands(*n));
        }
        h.push_str("</tr>\n");
    }
    h.push_str("<tr class=\"total\"><td>合計</td>");
    for n in &sum {
        let _ = write!(h, "<td class=\"n\">{}</td>", thousands(*n));
    }
    h.push_str("</tr>\n</table>\n<p class=\"note\">事務所は名簿の保険者番号（公費負担者番号）です。住基・他制度資格ファイルの読めない行の指摘はどの事務所にも数えていないため、合計がコード別の件数と違うことがあります。</p>\n");
}

fn details(h: &mut String, input: &ReportInput, found: &[(Code, u64)]) {
    let _ = writeln!(
        h,
        "<h2 id=\"details\">指摘の明細（コードごと・事務所ごとに先頭 {} 件まで）</h2>\n<p>すべての指摘は findings.csv と <a href=\"{book}\">{book}</a> の「所見」シートにあります（コード列で絞り込めます）。行番号は見出しを 1 行目とした、ファイルの物理的な行です。個人番号は下 4 桁以外を * で伏せています。</p>",
        input.samples.limit,
        book = super::workbook::FILE
    );
    if found.is_empty() {
        h.push_str("<p>指摘はありません。</p>\n");
        return;
    }
    for (c, n) in found {
        let rows = input.samples.rows(*c);
        let _ = writeln!(
            h,
            "<h3 id=\"code-{c}\"><span class=\"code\">{c}</span> {} {} <span class=\"more\">（{} 件）</span></h3>",
            sev_badge(c.severity()),
            esc(c.title()),
            thousands(*n)
        );
        let _ = writeln!(h, "<p class=\"todo\">対応: {}</p>", c.todo());
        if rows.is_empty() {
            h.push_str("<p class=\"more\">明細は findings.csv をご覧ください。</p>\n");
            continue;
        }
        let _ = writeln!(
            h,
            "<table class=\"findings\" data-code=\"{c}\">\n<tr><th class=\"n\">#</th><th>ファイル</th><th class=\"n\">行</th><th>保険者番号</th><th>受給者番号</th><th>項目</th><th>内容（見つかった値と正しい形）</th><th>対応</th><th>関連</th></tr>"
        );
        for (k, r) in rows.iter().enumerate() {
            let related = match &r.related {
                Some((f, l)) => format!("{} {} 行目", esc(f), l),
                None => String::new(),
            };
            let _ = writeln!(
                h,
                "<tr><td class=\"n\">{}</td><td class=\"file\">{}</td><td class=\"n\">{}</td><td>{}</td><td>{}</td><td class=\"nw\">{}</td><td class=\"msg\">{}</td><td class=\"nw\">{}</td><td class=\"file\">{}</td></tr>",
                k + 1,
                esc(&r.file),
                r.line,
                esc(&r.insurer_no),
                esc(&r.recipient_no),
                esc(&r.field),
                esc(&r.message),
                r.action.label(),
                related
            );
        }
        h.push_str("</table>\n");
        let shown = rows.len() as u64;
        if *n > shown {
            let _ = writeln!(
                h,
                "<p class=\"more\" data-more=\"{c}\">ほか {} 件は findings.csv と <a href=\"{book}\">{book}</a>（「所見」シートのコード列で {c} に絞り込み）にあります。</p>",
                thousands(n - shown),
                book = super::workbook::FILE
            );
        }
    }
}

/// The findings left out by `--ack`: how many (エラー said separately), the stale
/// acknowledgements, and the first of them with 理由 and 期限, folded away.
fn acknowledged(h: &mut String, a: &super::ack::AckSummary, rows: &[(SampleRow, String, String)]) {
    let _ = writeln!(
        h,
        "<h2 id=\"acknowledged\">確認済みとして除いた指摘</h2>\n<p id=\"ack-summary\">確認済みの一覧 {} の {} 件のうち、今回 <strong>{}</strong> 件の指摘を findings.csv と終了コードから除き、acknowledged.csv に書きました。{}期限切れで指摘に戻したもの {} 件、今回どの指摘にも当たらなかったもの {} 件。</p>",
        esc(&a.file),
        thousands(a.listed),
        thousands(a.acknowledged),
        if a.errors_acknowledged > 0 {
            format!(
                "<strong class=\"sev-error\">うちエラー {} 件</strong>（エラーも確認済みにできますが、登録前にもう一度確かめてください）。",
                thousands(a.errors_acknowledged)
            )
        } else {
            String::new()
        },
        thousands(a.expired),
        thousands(a.stale.len() as u64)
    );
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(
        h,
        "<details><summary>確認済みの指摘（先頭 {} 件）</summary>\n<table class=\"findings\" id=\"ack-table\">\n<tr><th>コード</th><th>ファイル</th><th class=\"n\">行</th><th>保険者番号</th><th>受給者番号</th><th>項目</th><th>内容</th><th>理由</th><th>期限</th></tr>",
        rows.len()
    );
    for (r, reason, until) in rows {
        let code = r.code.as_str();
        let _ = writeln!(
            h,
            "<tr><td class=\"code\">{code}</td><td class=\"file\">{}</td><td class=\"n\">{}</td><td>{}</td><td>{}</td><td class=\"nw\">{}</td><td class=\"msg\">{}</td><td class=\"msg\">{}</td><td class=\"nw\">{}</td></tr>",
            esc(&r.file),
            r.line,
            esc(&r.insurer_no),
            esc(&r.recipient_no),
            esc(&r.field),
            esc(&r.message),
            esc(reason),
            esc(until)
        );
    }
    h.push_str("</table>\n</details>\n");
}

fn explanations(h: &mut String) {
    h.push_str("<h2 id=\"codes\">コードの意味と対応</h2>\n<table id=\"codes-table\">\n<tr><th>コード</th><th>重要度</th><th>意味</th><th>すること（対応）</th></tr>\n");
    let mut family = ' ';
    for c in Code::ALL {
        let f = c.as_str().chars().next().unwrap_or(' ');
        if f != family {
            family = f;
            if let Some((_, name)) = FAMILIES.iter().find(|(x, _)| *x == f) {
                let _ = writeln!(
                    h,
                    "<tr class=\"total\"><td colspan=\"4\">{name}（{f}）</td></tr>"
                );
            }
        }
        let (meaning, todo) = (c.meaning(), c.todo());
        let _ = writeln!(
            h,
            "<tr id=\"explain-{c}\"><td class=\"code\">{c}</td><td>{}</td><td>{meaning}</td><td>{todo}</td></tr>",
            sev_badge(c.severity())
        );
    }
    h.push_str("</table>\n<h3 id=\"actions\">対応の欄の意味</h3>\n<table id=\"actions-table\">\n<tr><th>対応</th><th>意味</th></tr>\n");
    for (a, text) in ACTIONS {
        let _ = writeln!(h, "<tr><td>{}</td><td>{text}</td></tr>", a.label());
    }
    h.push_str("</table>\n<p class=\"note\">重要度: エラーは登録前に直す必要があるもの、警告は確かめるべきもの、情報は参考です。エラーが 1 件でもあると終了コードは 1 になります。</p>\n");
}

fn outputs(h: &mut String, s: &Summary) {
    h.push_str("<h2 id=\"files\">出力ファイル（このページと同じフォルダ）</h2>\n<table id=\"files-table\">\n<tr><th>ファイル</th><th>内容</th></tr>\n");
    let mut rows = vec![
        (
            "findings.csv",
            "指摘 1 件につき 1 行。すべての指摘があります（個人番号は下 4 桁のみ）。",
        ),
        (
            "corrections.csv",
            "直す必要のある行を全名簿から集めた確認用のファイル（直した値と案、個人番号は全桁）。",
        ),
        (
            "corrections/<名簿名>",
            "名簿ごとの修正行。元の列・文字コード・改行のままで、名簿システムに取り込めます。",
        ),
        (
            "review.xlsx",
            "確認用ブック。「所見」シート（確認・理由・期限の欄つき）と「修正」シート。すべて文字列のセルなので、先頭の 0 や個人番号が Excel で崩れません。確認欄に記入して保存し、次回 --ack に渡すと、その所見は一覧から外れます。",
        ),
        (
            "summary.json",
            "件数、入力ファイルの SHA-256、処理時間（機械で読むためのもの）。",
        ),
    ];
    if s.acknowledged.is_some() {
        rows.push((
            "acknowledged.csv",
            "確認済み（--ack）として一覧から外した所見と、その理由・期限。",
        ));
    }
    if s.verdicts.is_some() {
        rows.insert(
            1,
            (
                "results.csv",
                "名簿の 1 記録につき 1 行、住基照合の判定（M00–M42）と項目ごとの一致・ゆれ・不一致。",
            ),
        );
    }
    for (f, what) in rows {
        let _ = writeln!(
            h,
            "<tr><td class=\"code\">{}</td><td>{what}</td></tr>",
            esc(f)
        );
    }
    h.push_str("</table>\n<p class=\"note\">これらのファイルには個人情報が含まれます。取り扱いは事務所の規程に従ってください。</p>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::Source;

    fn finding(code: Code, line: u64, message: &str) -> Finding {
        Finding {
            code,
            source: Source { file: 0, line },
            insurer_no: "12130019".into(),
            recipient_no: "0001016".into(),
            field: "氏名".into(),
            message: message.into(),
            action: Action::Review,
            related: Some(Source { file: 1, line: 7 }),
        }
    }

    #[test]
    fn escapes_markup_from_data() {
        assert_eq!(
            esc("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
    }

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
    }

    #[test]
    fn samples_keep_the_first_rows_of_each_code_and_count_the_rest() {
        let files = vec!["a.csv".to_string(), "b.csv".to_string()];
        let mut samples = Samples::new(2);
        for line in 2..7 {
            samples.add(&finding(Code::V03, line, "x"), &files);
        }
        samples.add(&finding(Code::L01, 9, "y"), &files);
        let lines: Vec<u64> = samples.rows(Code::V03).iter().map(|r| r.line).collect();
        assert_eq!(lines, [2, 3]);
        assert_eq!(
            samples.rows(Code::L01)[0].related,
            Some(("b.csv".to_string(), 7))
        );
        let mut summary = Summary {
            command: "validate",
            ..Default::default()
        };
        summary.by_code.insert("V03".into(), 5);
        summary.by_code.insert("L01".into(), 1);
        summary.totals.findings = 6;
        summary.totals.errors = 6;
        let page = render(&ReportInput {
            summary: &summary,
            samples: &samples,
            generated_at: "2026-11-21 10:00".into(),
        });
        assert!(page.contains("<p class=\"more\" data-more=\"V03\">ほか 3 件"));
        assert!(!page.contains("data-more=\"L01\""));
        // Every code of the contract is explained, N01/N02 included.
        for c in Code::ALL {
            assert!(page.contains(&format!("<tr id=\"explain-{c}\">")), "{c}");
            let (meaning, todo) = (c.meaning(), c.todo());
            assert!(!meaning.is_empty() && !todo.is_empty(), "{c}");
        }
    }

    #[test]
    fn a_clean_run_says_so_and_still_explains_every_code() {
        let summary = Summary {
            command: "validate",
            ..Default::default()
        };
        let page = render(&ReportInput {
            summary: &summary,
            samples: &Samples::default(),
            generated_at: String::new(),
        });
        assert!(page.contains("エラーも警告もありません"));
        assert!(!page.contains("<svg"), "no chart without findings");
        assert!(!page.contains("<table class=\"findings\""));
        assert_eq!(page.matches("<tr id=\"explain-").count(), Code::ALL.len());
    }

    #[test]
    fn data_cannot_inject_markup_or_leak_numbers() {
        let files = vec!["<b>evil</b>.csv".to_string()];
        let mut samples = Samples::default();
        let mut f = finding(
            Code::V02,
            2,
            "氏名「<script>alert(1)</script>」、個人番号 123456789018（--unmask）",
        );
        f.field = "<img src=x onerror=alert(1)>".into();
        samples.add(&f, &files);
        let mut summary = Summary {
            command: "validate",
            ..Default::default()
        };
        summary.by_code.insert("V02".into(), 1);
        let page = render(&ReportInput {
            summary: &summary,
            samples: &samples,
            generated_at: String::new(),
        });
        assert!(!page.contains("<script"), "{page}");
        assert!(!page.contains("<img"));
        assert!(!page.contains("<b>evil"));
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(page.contains("********9018"));
        assert!(!page.contains("123456789018"));
    }
}
