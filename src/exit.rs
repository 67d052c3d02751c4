//! The only place that knows the exit codes (contract: 0 / 1 / 2). Cron jobs rely on them.

use crate::findings::Severity;

/// No finding of severity エラー.
pub const CLEAN: u8 = 0;
/// The run completed and found エラー.
pub const FOUND_ERRORS: u8 = 1;
/// The run could not be done (bad arguments, unreadable input, missing header, lock held).
pub const FAILED: u8 = 2;

/// What a completed run found, as far as the exit code is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Outcome {
    pub worst: Option<Severity>,
}

impl Outcome {
    pub fn exit_code(self) -> u8 {
        match self.worst {
            Some(Severity::Error) => FOUND_ERRORS,
            _ => CLEAN,
        }
    }
}

/// Exit code of a run: its outcome, or 2 when it could not be done.
pub fn code<E>(result: &Result<Outcome, E>) -> u8 {
    match result {
        Ok(o) => o.exit_code(),
        Err(_) => FAILED,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warnings_alone_exit_zero() {
        let ok = |worst| code::<()>(&Ok(Outcome { worst }));
        assert_eq!(ok(None), 0);
        assert_eq!(ok(Some(Severity::Info)), 0);
        assert_eq!(ok(Some(Severity::Warning)), 0);
        assert_eq!(ok(Some(Severity::Error)), 1);
        assert_eq!(code::<()>(&Err(())), 2);
    }
}
