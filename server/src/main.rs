//! `memory-mesh`: the server binary. Run with `memory-mesh` (serve on the embedded default) or
//! `memory-mesh migrate status`; configuration comes from `MEMORY_*` variables (see .env.example).

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match server::cli::run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            // `{:#}` prints the whole context chain on one line: "connecting to …: refused".
            eprintln!("memory-mesh: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
