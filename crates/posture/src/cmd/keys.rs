//! `posture api-keys bootstrap`: the first admin key, created directly in the gateway's database
//! (there is no key yet to call the API with).

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
}

pub async fn run(command: ApiKeysCommand) -> anyhow::Result<i32> {
    match command {
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
