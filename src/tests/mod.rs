//! In-crate test suites (one test binary).
