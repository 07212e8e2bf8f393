//! `rampart`: parses the command line, runs the command, and reports an error
//! as one sentence on stderr with a non-zero exit status.

use clap::Parser;
use rampart_server::cli::{Cli, run};
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    // One process-wide TLS provider (ring), before any client is built.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // One sentence: the outermost context, then its causes.
            let mut sentence = err.to_string();
            for cause in err.chain().skip(1) {
                let cause = cause.to_string();
                if !sentence.contains(&cause) {
                    sentence.push_str(": ");
                    sentence.push_str(&cause);
                }
            }
            eprintln!("rampart: {sentence}.");
            ExitCode::FAILURE
        }
    }
}
