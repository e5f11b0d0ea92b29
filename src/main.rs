use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    match licita::cli::run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("licita: {error:#}");
            ExitCode::FAILURE
        }
    }
}
