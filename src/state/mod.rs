//! The state folder of nightly runs (`run --state DIR`): the lock that keeps two runs apart
//! ([`lock`]) and the baseline of verified records ([`baseline`]). Everything in it is written
//! atomically (temp file in the folder + fsync + rename) and only after a successful run.

pub mod baseline;
pub mod lock;
