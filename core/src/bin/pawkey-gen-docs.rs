//! `pawkey-gen-docs OUT_DIR`: writes `pawkeyd`'s manual pages (`OUT_DIR/man1/*.1`) and
//! shell completion scripts (`OUT_DIR/completions/…`) for the packages (`make dist`).
//! Generated from the program's own clap definitions; needs no network.

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let (Some(out), None) = (args.next(), args.next()) else {
        eprintln!("usage: pawkey-gen-docs OUT_DIR");
        return ExitCode::from(2);
    };
    match pawkey_core::cli::docs::write_all(std::path::Path::new(&out)) {
        Ok(files) => {
            for f in files {
                println!("{}", f.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!(
                "error: cannot write the manual pages and completions to {}: {e}",
                std::path::Path::new(&out).display()
            );
            ExitCode::FAILURE
        }
    }
}
