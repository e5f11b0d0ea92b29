//! The `licita` command: serve (the default), migrate, mint a token, print the API document.

use clap::{Args, Parser, Subcommand};

use crate::auth::{Role, keys};
use crate::domain::agency::AgencyCode;
use crate::domain::duration::parse_duration;
use crate::settings::Settings;
use crate::startup::Application;
use crate::{persistence, telemetry};

#[derive(Debug, Parser)]
#[command(
    name = "licita",
    version,
    about = "E-procurement service (settings: see README)"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print a token signed with the local secret, to try the API.
    Token(TokenArgs),
    /// Print the OpenAPI document.
    Openapi,
    /// Re-walk the audit log's hash chain in the database; exit 1 if it is broken.
    VerifyAudit,
    /// Fill a running sandbox service with a realistic data set, through its API.
    Demo(DemoArgs),
}

#[derive(Debug, Args)]
struct DemoArgs {
    /// The service's base URL (default: http://LICITA_ADDR).
    #[arg(long)]
    url: Option<String>,
    /// Seconds between publishing the tenders that close during the demo and their
    /// submission deadline (5 to 300).
    #[arg(long, default_value_t = 15, value_parser = clap::value_parser!(u64).range(5..=300))]
    lead_s: u64,
    /// How many times to write the 26 tenders (1 to 100; 39 makes 1,014, for the portal's
    /// benchmark).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=100))]
    copies: u64,
    /// The service's data folder, where its secret is (default: LICITA_DATA_DIR, ./data).
    #[arg(long)]
    data_dir: Option<std::path::PathBuf>,
}

#[derive(Debug, Args)]
struct TokenArgs {
    /// The caller's role.
    #[arg(long, value_enum)]
    role: Role,
    /// The subject: a supplier's RFC, or a person's id (default: <role>-cli).
    #[arg(long)]
    sub: Option<String>,
    /// The officer's agency code (required for officers).
    #[arg(long)]
    agency: Option<String>,
    /// How long the token lives: 90s, 15m, 8h (at most LICITA_MAX_TOKEN_TTL, 12h by
    /// default).
    #[arg(long, default_value = "8h")]
    ttl: String,
    /// The service's data folder, where its secret is (default: LICITA_DATA_DIR, ./data).
    #[arg(long)]
    data_dir: Option<std::path::PathBuf>,
    /// Create the secret in the data folder when there is none.
    #[arg(long)]
    init_secret: bool,
}

/// Every setting, with its default: the help of `licita serve`.
fn settings_help() -> String {
    let mut out = String::from("Settings (environment variables; each has a default):\n");
    for (name, default, meaning) in crate::settings::VARIABLES {
        out.push_str(&format!("  {name}\n      {meaning} [default: {default}]\n"));
    }
    out
}

pub async fn run() -> anyhow::Result<()> {
    use clap::{CommandFactory, FromArgMatches};
    let matches = Cli::command()
        .mut_subcommand("serve", |serve| serve.after_help(settings_help()))
        .get_matches();
    let cli = Cli::from_arg_matches(&matches)?;
    let settings = Settings::from_env()?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            telemetry::init(&settings.log_filter, settings.log_format);
            let app = Application::build(settings).await?;
            app.run_until_stopped().await?;
            tracing::info!("licita stopped");
            Ok(())
        }
        Command::Migrate => {
            telemetry::init(&settings.log_filter, settings.log_format);
            let db = persistence::connect(&settings).await?;
            persistence::migrate(&db).await?;
            eprintln!("migrations applied");
            Ok(())
        }
        Command::Token(args) => {
            telemetry::init(&settings.log_filter, settings.log_format);
            let token = mint(settings, args)?;
            write_stdout(&format!("{token}\n"))
        }
        Command::VerifyAudit => {
            telemetry::init(&settings.log_filter, settings.log_format);
            let db = persistence::connect(&settings).await?;
            let walk = persistence::audit::verify(&db, chrono::Utc::now()).await?;
            let broken = walk.broken.is_some();
            let report =
                crate::routes::audit::AuditVerification::from_walk(walk, chrono::Utc::now());
            println!("{}", serde_json::to_string_pretty(&report)?);
            anyhow::ensure!(!broken, "the audit chain is broken");
            Ok(())
        }
        Command::Openapi => write_stdout(&crate::openapi::json()?),
        Command::Demo(args) => {
            telemetry::init(&settings.log_filter, settings.log_format);
            let url = args.url.unwrap_or_else(|| {
                format!("http://{}", settings.addr.replace("0.0.0.0", "127.0.0.1"))
            });
            let mut settings = settings;
            if let Some(dir) = args.data_dir {
                settings.data_dir = dir;
            }
            let options = crate::demo::Options {
                url,
                lead: std::time::Duration::from_secs(args.lead_s),
                copies: usize::try_from(args.copies)?,
            };
            crate::demo::run(&settings, options).await
        }
    }
}

/// Writes to standard output; a reader that went away (`licita openapi | head`) ends the
/// command quietly instead of a panic.
fn write_stdout(text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

fn mint(mut settings: Settings, args: TokenArgs) -> anyhow::Result<String> {
    if let Some(dir) = args.data_dir {
        settings.data_dir = dir;
    }
    let ttl = parse_duration(&args.ttl)?;
    anyhow::ensure!(
        ttl.as_secs() <= settings.jwt.max_ttl_s,
        "--ttl {} is longer than LICITA_MAX_TOKEN_TTL ({} s): the service would refuse the token",
        args.ttl,
        settings.jwt.max_ttl_s
    );
    let agency = args.agency.as_deref().map(AgencyCode::parse).transpose()?;
    anyhow::ensure!(
        args.role != Role::Officer || agency.is_some(),
        "an officer token needs --agency (e.g. --agency SHCP)"
    );
    anyhow::ensure!(
        args.role != Role::Supplier || args.sub.is_some(),
        "a supplier token needs --sub with the supplier's RFC"
    );
    if args.role == Role::Supplier
        && let Some(sub) = &args.sub
    {
        crate::domain::rfc::Rfc::parse_with(sub, crate::domain::rfc::CheckDigit::Override)
            .map_err(|e| anyhow::anyhow!("--sub {sub:?} is not an RFC: {e}"))?;
    }
    let sub = args
        .sub
        .unwrap_or_else(|| format!("{}-cli", args.role.as_str()));
    keys::issuer(&settings, args.init_secret)?.mint(
        args.role,
        &sub,
        agency.as_ref(),
        ttl,
        jsonwebtoken::get_current_timestamp(),
    )
}
