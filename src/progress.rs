//! A progress bar on the terminal while the big files are read (the registry can take minutes).
//!
//! Shown only when stderr is a terminal and not `--quiet` ([`enable`], called by the binary);
//! under cron, in pipes and in tests nothing is drawn and the log stays line-oriented. The
//! reader adds the bytes it reads to one counter ([`add`], a relaxed atomic add per 1 MiB
//! read); a [`Stage`] shows that counter against the stage's total size until it is dropped,
//! and clears its line, so the log lines written between stages are never broken.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

static ENABLED: AtomicBool = AtomicBool::new(false);
static READ: AtomicU64 = AtomicU64::new(0);

/// Turns the bars on when stderr is a terminal (binary only).
pub fn enable_if_terminal() {
    use std::io::IsTerminal;
    if std::io::stderr().is_terminal() {
        ENABLED.store(true, Ordering::Relaxed);
    }
}

/// Turns the bars off (`--quiet`).
pub fn disable() {
    ENABLED.store(false, Ordering::Relaxed);
}

/// Bytes read from an input file.
pub fn add(bytes: u64) {
    READ.fetch_add(bytes, Ordering::Relaxed);
}

/// A bar for one stage; cleared when dropped.
pub struct Stage {
    bar: Option<(ProgressBar, Arc<AtomicBool>, std::thread::JoinHandle<()>)>,
}

impl Stage {
    /// Starts a bar labelled `label` over `total` bytes (the sizes of the files the stage reads).
    pub fn start(label: &str, total: u64) -> Stage {
        READ.store(0, Ordering::Relaxed);
        if !ENABLED.load(Ordering::Relaxed) || total == 0 {
            return Stage { bar: None };
        }
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template(
            "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} 残り {eta}",
        )
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_message(label.to_string());
        let stop = Arc::new(AtomicBool::new(false));
        let (b, s) = (bar.clone(), Arc::clone(&stop));
        let ticker = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                b.set_position(READ.load(Ordering::Relaxed).min(total));
                std::thread::sleep(Duration::from_millis(100));
            }
        });
        Stage {
            bar: Some((bar, stop, ticker)),
        }
    }
}

impl Drop for Stage {
    fn drop(&mut self) {
        if let Some((bar, stop, ticker)) = self.bar.take() {
            stop.store(true, Ordering::Relaxed);
            let _ = ticker.join();
            bar.finish_and_clear();
        }
    }
}

/// The total size of `paths` (files that cannot be read count 0: their error comes later).
pub fn total_size<'a>(paths: impl IntoIterator<Item = &'a std::path::Path>) -> u64 {
    paths
        .into_iter()
        .map(|p| std::fs::metadata(p).map_or(0, |m| m.len()))
        .sum()
}
