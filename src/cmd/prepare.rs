//! `totsugo prepare`: a registry extract (CSV, read by totsugo's own reader) written once as
//! Parquet for nightly runs (feature `parquet`; without it, refused with exit 2).

use std::path::Path;

use crate::error::Error;
use crate::exit::Outcome;
use crate::ingest::Encoding;
use crate::log::Log;
use crate::schema::Layout;

#[cfg(feature = "parquet")]
pub fn run(
    registry: &Path,
    out: &Path,
    layout: &Layout,
    encoding: Option<Encoding>,
    log: &mut Log,
) -> Result<Outcome, Error> {
    let started = std::time::Instant::now();
    let p = crate::columnar::prepare::prepare(registry, out, layout, encoding, log)?;
    log.info(format!(
        "{}: {} 行（{} バイト）を {:.1} 秒で Parquet にしました（{} バイト、読めない行 {}）→ {}",
        registry.display(),
        p.rows,
        p.stats.bytes,
        started.elapsed().as_secs_f64(),
        p.bytes_written,
        p.bad_lines.len(),
        out.display()
    ));
    Ok(Outcome { worst: None })
}

#[cfg(not(feature = "parquet"))]
pub fn run(
    _registry: &Path,
    out: &Path,
    _layout: &Layout,
    _encoding: Option<Encoding>,
    _log: &mut Log,
) -> Result<Outcome, Error> {
    Err(crate::columnar::not_built(&out.display().to_string()))
}
