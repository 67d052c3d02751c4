//! The state folder of nightly runs (`run --state DIR`): the baseline of verified records
//! ([`baseline`]). The lock that keeps two runs apart is the output folder's too
//! ([`crate::report::lock`]). Everything in it is written atomically (temp file in the folder +
//! fsync + rename) and only after a successful run.

pub mod baseline;
