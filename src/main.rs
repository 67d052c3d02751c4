//! The `totsugo` binary: a shim over [`totsugo::cli::main`].

fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(totsugo::cli::main(std::env::args_os()))
}
