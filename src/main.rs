//! The `briefing-bot` binary: parse the command line and hand over to the library.

use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = briefing_bot::cli::Cli::parse();
    match briefing_bot::cli::run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) if err.is::<briefing_bot::cli::Logged>() => ExitCode::FAILURE,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
