//! Progress and result lines on stderr, for a clerk or a cron log. Line-oriented, Japanese,
//! never a full My Number: every line goes through [`crate::findings::mask::log_line`] (a
//! number typed into a file name or a header is masked too), whatever `--unmask` says.

use std::io::Write;

use crate::findings::mask::log_line;

/// How much to say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Verbosity {
    Quiet,
    #[default]
    Normal,
    Verbose,
}

pub struct Log<'a> {
    out: &'a mut (dyn Write + Send),
    level: Verbosity,
}

impl<'a> Log<'a> {
    pub fn new(out: &'a mut (dyn Write + Send), level: Verbosity) -> Log<'a> {
        Log { out, level }
    }

    /// A result line (shown unless `--quiet`).
    pub fn info(&mut self, msg: impl AsRef<str>) {
        if self.level != Verbosity::Quiet {
            let _ = writeln!(self.out, "{}", log_line(msg.as_ref()));
        }
    }

    /// Whether detail lines are shown (`--verbose`): lets a caller skip work done only for them.
    pub fn is_verbose(&self) -> bool {
        self.level == Verbosity::Verbose
    }

    /// Detail (only with `--verbose`).
    pub fn detail(&mut self, msg: impl AsRef<str>) {
        if self.level == Verbosity::Verbose {
            let _ = writeln!(self.out, "{}", log_line(msg.as_ref()));
        }
    }

    /// Always shown: something the operator must read (a fatal error, an encoding note).
    pub fn warn(&mut self, msg: impl AsRef<str>) {
        let _ = writeln!(self.out, "{}", log_line(msg.as_ref()));
    }
}
