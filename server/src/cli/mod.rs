//! The command line: `memory-mesh [serve]`, `memory-mesh mcp` (MCP over stdio),
//! `memory-mesh export --tenant <id>` and `memory-mesh import <file>` ([`transfer`]),
//! `memory-mesh migrate up|down|status`, `memory-mesh admin grant|revoke <user>`, and
//! `memory-mesh health` and `memory-mesh backup <file>` ([`upkeep`]).

mod transfer;
mod upkeep;

use anyhow::Context;
use clap::{Parser, Subcommand};
use migration::{Migrator, MigratorTrait};
use tokio_util::sync::CancellationToken;

use crate::{config::Settings, mcp, serving, startup, store, telemetry};

/// Memory Mesh: semantic memory for AI applications. Configured by MEMORY_* environment variables
/// (and .env); see .env.example.
#[derive(Debug, Parser)]
#[command(name = "memory-mesh", version)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (the default).
    Serve,
    /// Serve MCP over stdin/stdout for a desktop agent or IDE (docs/mcp.md): forwarded to the
    /// server running on the same data directory, else served from the store itself.
    Mcp {
        /// The API key every tool call uses (its tenant and scope).
        #[arg(long, env = "MEMORY_MCP_API_KEY", hide_env_values = true)]
        api_key: String,
    },
    /// Write a tenant's data, or the whole instance's with its accounts, as JSON lines
    /// (docs/export.md), to a file or stdout.
    Export {
        /// The tenant to export.
        #[arg(
            long,
            required_unless_present = "instance",
            conflicts_with = "instance"
        )]
        tenant: Option<String>,
        /// Every tenant, with the users (their password hashes), memberships and API keys
        /// (their hashes): for moving a whole installation.
        #[arg(long)]
        instance: bool,
        /// The file to write; stdout if left out.
        #[arg(long, short)]
        output: Option<std::path::PathBuf>,
        /// Each embedded message's vector too: an import with the same model embeds nothing.
        #[arg(long)]
        vectors: bool,
    },
    /// Read a tenant's or an instance's export into this server's database (docs/export.md):
    /// ids and times kept, nothing stored twice, messages without a usable vector embedded.
    Import {
        /// The export to read ("-" for stdin).
        file: std::path::PathBuf,
        /// A user (email or username) to make an administrator of the tenant; needed when
        /// the tenant is new here.
        #[arg(long)]
        admin: Option<String>,
        /// Leave the embeddings to the server's job workers instead of computing them here.
        #[arg(long)]
        no_embed: bool,
    },
    /// Manage the database schema.
    Migrate {
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// Manage instance administrators (cross-tenant views, private metrics).
    Admin {
        #[command(subcommand)]
        action: AdminAction,
    },
    /// Exit 0 when the server running with these settings answers its liveness probe
    /// (`/v1/admin/health`): a container's health check, with no curl needed.
    Health {
        /// The server's base URL (default: this machine at MEMORY_PORT).
        #[arg(long)]
        url: Option<String>,
    },
    /// Copy the embedded default's SQLite database to a new file while the server runs (a
    /// consistent snapshot). On PostgreSQL use pg_dump (docs/operations.md).
    Backup {
        /// The file to write; it must not exist.
        file: std::path::PathBuf,
    },
}

#[derive(Debug, Clone, Subcommand)]
pub enum AdminAction {
    /// Make a registered user (by email or username) an instance administrator.
    Grant { user: String },
    /// Take instance administration away from a user.
    Revoke { user: String },
}

#[derive(Debug, Clone, Copy, Subcommand)]
pub enum MigrateAction {
    /// Apply all pending migrations.
    Up,
    /// Roll back the last applied migration (or `--steps N`).
    Down {
        #[arg(long, default_value_t = 1)]
        steps: u32,
    },
    /// List migrations and whether each is applied.
    Status,
}

/// Parses the command line and runs the command.
pub async fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let settings = Settings::load()?;
    // Over stdio, stdout carries the protocol (or the export, or the health check's one line):
    // logs go to stderr.
    let output = match cli.command {
        Some(
            Command::Mcp { .. }
            | Command::Export { .. }
            | Command::Import { .. }
            | Command::Health { .. },
        ) => telemetry::Output::Stderr,
        _ => telemetry::Output::Stdout,
    };
    let telemetry = telemetry::init_to(
        settings.log_format,
        settings.otlp_endpoint.as_deref(),
        output,
    );
    for key in &settings.unknown_keys {
        tracing::warn!(key = %key, "unknown setting ignored (see .env.example for the known ones)");
    }
    let outcome = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(settings).await,
        Command::Mcp { api_key } => mcp::stdio::run(settings, api_key.into()).await,
        Command::Export {
            tenant,
            instance,
            output,
            vectors,
        } => {
            let scope = match tenant {
                Some(tenant) if !instance => transfer::Scope::Tenant(tenant),
                _ => transfer::Scope::Instance,
            };
            transfer::export(settings, scope, output, vectors).await
        }
        Command::Import {
            file,
            admin,
            no_embed,
        } => transfer::import(settings, file, admin, !no_embed).await,
        Command::Migrate { action } => migrate(settings, action).await,
        Command::Admin { action } => admin(settings, action).await,
        Command::Health { url } => upkeep::health(&settings, url).await,
        Command::Backup { file } => upkeep::backup(&settings, &file).await,
    };
    let _ = tokio::task::spawn_blocking(move || telemetry.shutdown()).await;
    outcome
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    if settings.auth.jwt_secret_generated {
        tracing::info!(dir = %settings.data_dir.display(),
            "no MEMORY_JWT_SECRET_KEY set: using the secret generated in the data directory");
    }
    let database = settings.database.url.to_string();
    let data_dir = settings.data_dir.clone();
    let app = startup::Application::build(settings).await?;
    let host = app.state().services.settings.host;
    let url = format!("http://{host}:{}", app.port());
    tracing::info!(%database, "Memory Mesh listening on {url}");
    println!("Memory Mesh is running at {url}  (dashboard: {url}/, health: {url}/v1/admin/health)");
    // `memory-mesh mcp` on this data directory forwards here while this file exists.
    let bound = std::net::SocketAddr::new(host, app.port());
    let _announced = serving::announce(&data_dir, &serving::local_url(bound))
        .map_err(
            |e| tracing::warn!(error = %e, "could not write serving.json in the data directory"),
        )
        .ok();
    let shutdown = CancellationToken::new();
    let trigger = shutdown.clone();
    tokio::spawn(async move {
        startup::shutdown_signal().await;
        tracing::info!("shutting down");
        trigger.cancel();
    });
    app.run_until_stopped(shutdown).await
}

async fn migrate(settings: Settings, action: MigrateAction) -> anyhow::Result<()> {
    let db = store::connect(&settings.database).await?;
    match action {
        MigrateAction::Up => store::migrate(&db).await?,
        MigrateAction::Down { steps } => Migrator::down(&db, Some(steps))
            .await
            .context("rolling back migrations")?,
        MigrateAction::Status => {
            for m in Migrator::get_migration_with_status(&db).await? {
                println!("{:<10} {}", format!("{:?}", m.status()), m.name());
            }
        }
    }
    Ok(())
}

async fn admin(settings: Settings, action: AdminAction) -> anyhow::Result<()> {
    let db = store::connect(&settings.database).await?;
    store::migrate(&db).await?;
    let (user, grant) = match &action {
        AdminAction::Grant { user } => (user, true),
        AdminAction::Revoke { user } => (user, false),
    };
    if !store::accounts::set_instance_admin(&db, user, grant).await? {
        anyhow::bail!("no user with the email or username {user:?}");
    }
    let verb = if grant { "is now" } else { "is no longer" };
    println!("{user} {verb} an instance administrator");
    Ok(())
}
