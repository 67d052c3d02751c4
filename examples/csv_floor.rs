//! The floor for matching a CSV registry: the time to merely parse the file with the csv crate
//! (byte records, no decoding, no checks), as the issue defines it. `benches/bulk.sh` runs this
//! next to `totsugo match` on the same file and reports the ratio.
//!
//! Usage: `cargo run --release --example csv_floor -- REGISTRY.csv`

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::time::Instant;

fn main() -> std::process::ExitCode {
    let Some(path) = std::env::args_os().nth(1) else {
        eprintln!("usage: csv_floor FILE.csv");
        return std::process::ExitCode::from(2);
    };
    let started = Instant::now();
    let mut reader = match csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .buffer_capacity(1 << 20)
        .from_path(&path)
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("csv_floor: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let mut record = csv::ByteRecord::new();
    let (mut rows, mut fields, mut bytes) = (0u64, 0u64, 0u64);
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {
                rows += 1;
                fields += record.len() as u64;
                bytes += record.as_slice().len() as u64;
            }
            Ok(false) => break,
            Err(e) => {
                eprintln!("csv_floor: {e}");
                return std::process::ExitCode::from(2);
            }
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!("rows={rows} fields={fields} field_bytes={bytes} seconds={secs:.3}");
    std::process::ExitCode::SUCCESS
}
