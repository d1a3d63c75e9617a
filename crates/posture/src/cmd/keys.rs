//! `posture api-keys`: `bootstrap` creates the first admin key directly in the gateway's database
//! (there is no key yet to call the API with); `create`, `list` and `revoke` go through the gateway.

use anyhow::Context;
use clap::Subcommand;
use posture_kit::db::Db;

use super::ConfigArgs;

#[derive(Subcommand, Debug)]
pub enum ApiKeysCommand {
    /// Create the first admin API key (all tenants). Prints it once.
    Bootstrap {
        #[command(flatten)]
        config: ConfigArgs,
        /// Create another admin key even though one exists.
        #[arg(long)]
        force: bool,
    },
    /// Create a key through the gateway (admin key needed); printed once.
    Create {
        #[command(flatten)]
        gateway: crate::client::GatewayArgs,
        #[command(flatten)]
        args: crate::client::api_keys::CreateArgs,
    },
    /// List keys (metadata only), newest first.
    List {
        #[command(flatten)]
        gateway: crate::client::GatewayArgs,
        /// Include revoked and expired keys.
        #[arg(long)]
        all: bool,
    },
    /// Revoke a key at once.
    Revoke {
        #[command(flatten)]
        gateway: crate::client::GatewayArgs,
        /// The key id (from `api-keys list`).
        api_key_id: String,
    },
}

pub async fn run(command: ApiKeysCommand) -> anyhow::Result<i32> {
    use crate::client::api_keys::{KeysCommand, run as through_gateway};
    match command {
        ApiKeysCommand::Create { gateway, args } => {
            through_gateway(KeysCommand::Create(args), &gateway).await
        }
        ApiKeysCommand::List { gateway, all } => through_gateway(KeysCommand::List { all }, &gateway).await,
        ApiKeysCommand::Revoke { gateway, api_key_id } => {
            through_gateway(KeysCommand::Revoke { api_key_id }, &gateway).await
        }
        ApiKeysCommand::Bootstrap { config, force } => {
            // Only the database is touched: the gateway pod that may run this has no vault keys.
            let config = config.load()?;
            crate::server::ensure_sqlite_folder(&config)?;
            let db = Db::connect(&config.database, "gateway")
                .await
                .context("cannot open the gateway database")?;
            let issued = posture_gateway::bootstrap_admin_key(&db, force)
                .await
                .map_err(|err| match err {
                    posture_gateway::GatewayError::AdminKeyExists => anyhow::anyhow!(
                        "an admin API key exists already; use it to create more keys, or pass --force"
                    ),
                    other => anyhow::Error::new(other).context("cannot create the admin key"),
                })?;
            use secrecy::ExposeSecret;
            eprintln!(
                "Admin API key created. It is shown once; store it now (e.g. export POSTURE_API_KEY=...):"
            );
            println!("{}", issued.key.expose_secret());
            Ok(0)
        }
    }
}
