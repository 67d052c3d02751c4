//! Stopping cleanly on SIGINT/SIGTERM (`run` under cron, or a clerk's Ctrl-C).
//!
//! The binary installs [`install`]: the first signal only sets a flag; a second SIGINT ends the
//! process at once (exit 130). Long loops call [`check`] between batches and return
//! [`Error::Interrupted`], so every temporary file is dropped (removed), no output or baseline is
//! replaced and the lock is released on the way out. Once the outputs start being renamed into
//! place the run no longer looks at the flag: the renames take milliseconds, and finishing them
//! (and the baseline) keeps the output folder and the state consistent.
//!
//! Without [`install`] (in-process tests, the library) nothing ever trips.

use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use crate::error::Error;

static SIGNAL: OnceLock<Arc<AtomicUsize>> = OnceLock::new();

/// Installs the SIGINT/SIGTERM/SIGHUP handlers (binary only).
#[cfg(unix)]
pub fn install() -> std::io::Result<()> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let flag = SIGNAL.get_or_init(|| Arc::new(AtomicUsize::new(0)));
    let again = Arc::new(AtomicBool::new(false));
    for sig in [SIGINT, SIGTERM, SIGHUP] {
        // A second signal: stop now (temp files stay behind and the next run removes them; the
        // final names are untouched). Registered first, so the first signal only arms it.
        signal_hook::flag::register_conditional_shutdown(sig, 128 + sig, Arc::clone(&again))?;
        signal_hook::flag::register(sig, Arc::clone(&again))?;
        signal_hook::flag::register_usize(sig, Arc::clone(flag), sig as usize)?;
    }
    Ok(())
}

#[cfg(not(unix))]
pub fn install() -> std::io::Result<()> {
    Ok(())
}

/// The signal received, if any.
pub fn received() -> Option<usize> {
    SIGNAL
        .get()
        .map(|f| f.load(Ordering::Relaxed))
        .filter(|&s| s != 0)
}

/// Err([`Error::Interrupted`]) once a signal has arrived.
pub fn check() -> Result<(), Error> {
    match received() {
        Some(sig) => Err(Error::Interrupted(signal_name(sig))),
        None => Ok(()),
    }
}

fn signal_name(sig: usize) -> &'static str {
    match sig {
        1 => "SIGHUP",
        2 => "SIGINT",
        15 => "SIGTERM",
        _ => "シグナル",
    }
}
