//! `posture tenants …`: connect, list, inspect, test, rotate and remove tenant connections.

use std::io::{IsTerminal, Read};
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use posture_proto::v1::tenant_connection_service_client::TenantConnectionServiceClient;
use posture_proto::v1::{
    CertificateCredential, ClientSecretCredential, Cloud, CloudEndpoints, Connection,
    CreateConnectionRequest, Credential, DeleteConnectionRequest, GetConnectionRequest,
    ListConnectionsRequest, TestConnectionRequest, UpdateConnectionRequest, UpdateCredentialsRequest,
    credential,
};
use serde_json::json;

use super::output::{OutputFormat, Table, details, print_json};
use super::progress::{timestamp_json, ts};
use super::{GatewayArgs, health, status::explain};

#[derive(Subcommand, Debug)]
pub enum TenantsCommand {
    /// Connect a tenant: store its app registration's credentials and test them.
    Add(AddArgs),
    /// List connected tenants with their health and tags.
    List {
        /// Only tenants carrying this tag.
        #[arg(long)]
        tag: Option<String>,
    },
    /// Show one tenant connection.
    Show { tenant_id: String },
    /// Test a connection: a token per API, then one cheap call per required permission.
    Test { tenant_id: String },
    /// Change a connection's name, cloud or endpoints (a wrong endpoint is fixed here, not by
    /// removing the tenant); tested again unless --no-test.
    Update(UpdateArgs),
    /// Replace the client secret or certificate; synced data is kept.
    UpdateCredentials(UpdateCredentialsArgs),
    /// Remove a connection (explicit and audited).
    Remove(RemoveArgs),
    /// The admin-consent link for a customer's administrator, and the application permissions the
    /// app registration must list (no gateway needed).
    ConsentUrl(super::consent::ConsentUrlArgs),
    /// Connect many tenants from a CSV (one row each; secrets read from the files the rows name).
    Import(super::import::ImportArgs),
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum CloudArg {
    Global,
    Gcc,
    GccHigh,
    Dod,
    China,
    Custom,
}

impl From<CloudArg> for Cloud {
    fn from(value: CloudArg) -> Self {
        match value {
            CloudArg::Global => Cloud::Global,
            CloudArg::Gcc => Cloud::UsGovGcc,
            CloudArg::GccHigh => Cloud::UsGovGccHigh,
            CloudArg::Dod => Cloud::UsGovDod,
            CloudArg::China => Cloud::China,
            CloudArg::Custom => Cloud::Custom,
        }
    }
}

/// Where the secret or certificate comes from. Never a flag value: flags leak into history and `ps`.
#[derive(Args, Debug)]
pub struct CredentialArgs {
    /// Read the client secret from this file (default: standard input, prompted on a terminal).
    #[arg(long, conflicts_with_all = ["certificate", "private_key"])]
    pub secret_file: Option<PathBuf>,
    /// When the client secret expires (YYYY-MM-DD), so Posture can warn ahead of it.
    #[arg(long)]
    pub secret_expires: Option<chrono::NaiveDate>,
    /// Certificate (PEM) registered on the app, for certificate authentication.
    #[arg(long, requires = "private_key")]
    pub certificate: Option<PathBuf>,
    /// The certificate's private key (PEM).
    #[arg(long, requires = "certificate")]
    pub private_key: Option<PathBuf>,
}

/// The base URLs of a custom cloud (the simulator, a private endpoint).
#[derive(Args, Debug)]
pub struct EndpointArgs {
    /// With --cloud custom: identity platform base URL.
    #[arg(long)]
    pub authority_url: Option<String>,
    /// With --cloud custom: Graph base URL.
    #[arg(long)]
    pub graph_url: Option<String>,
    /// With --cloud custom: Defender for Endpoint base URL.
    #[arg(long)]
    pub defender_url: Option<String>,
    /// With --cloud custom: Management Activity API base URL.
    #[arg(long)]
    pub management_url: Option<String>,
    /// With --cloud custom: Exchange Online base URL (optional; the global host otherwise).
    #[arg(long)]
    pub exchange_url: Option<String>,
}

impl EndpointArgs {
    fn any(&self) -> bool {
        self.authority_url.is_some()
            || self.graph_url.is_some()
            || self.defender_url.is_some()
            || self.management_url.is_some()
            || self.exchange_url.is_some()
    }
}

#[derive(Args, Debug)]
pub struct AddArgs {
    /// Entra tenant id (GUID).
    #[arg(long)]
    pub tenant_id: String,
    /// Application (client) id of the app registration.
    #[arg(long)]
    pub client_id: String,
    /// Display name.
    #[arg(long)]
    pub name: String,
    #[arg(long, value_enum, default_value_t = CloudArg::Global)]
    pub cloud: CloudArg,
    #[command(flatten)]
    pub urls: EndpointArgs,
    #[command(flatten)]
    pub credential: CredentialArgs,
    /// Do not test the connection after saving it.
    #[arg(long)]
    pub no_test: bool,
    /// Keep the connection when its first test fails (e.g. while the customer's admin has not
    /// consented yet); without it a connection that does not work is removed again.
    #[arg(long, conflicts_with = "no_test")]
    pub keep_on_failure: bool,
    /// A tag grouping tenants, e.g. `gold` or `eu` (repeatable): lowercase letters, digits and
    /// `-`; the overview, schedules and notifications can select tenants by tag.
    #[arg(long = "tag")]
    pub tags: Vec<String>,
}

#[derive(Args, Debug)]
pub struct UpdateArgs {
    pub tenant_id: String,
    /// New display name.
    #[arg(long)]
    pub name: Option<String>,
    /// New cloud (health goes back to Pending until the next test).
    #[arg(long, value_enum)]
    pub cloud: Option<CloudArg>,
    /// Custom cloud endpoints to change; the ones not given keep their value.
    #[command(flatten)]
    pub urls: EndpointArgs,
    /// Add this tag (repeatable).
    #[arg(long = "tag")]
    pub tags: Vec<String>,
    /// Remove this tag (repeatable).
    #[arg(long = "untag")]
    pub untags: Vec<String>,
    /// Do not test the connection after changing it.
    #[arg(long)]
    pub no_test: bool,
}

#[derive(Args, Debug)]
pub struct UpdateCredentialsArgs {
    pub tenant_id: String,
    /// A new application (client) id, when the app registration changed too.
    #[arg(long)]
    pub client_id: Option<String>,
    #[command(flatten)]
    pub credential: CredentialArgs,
    #[arg(long)]
    pub no_test: bool,
}

#[derive(Args, Debug)]
pub struct RemoveArgs {
    pub tenant_id: String,
    /// Repeat the tenant id to confirm.
    #[arg(long)]
    pub confirm: String,
    /// Why, for the audit record.
    #[arg(long, default_value = "")]
    pub reason: String,
    /// Also delete the tenant's data in every role (inventory, runs, audit events, assessments,
    /// findings, exceptions, drift, schedules, notification deliveries) once the grace period
    /// (`credentials.purge_grace_secs`) is over. Without it the history is kept for a reconnect.
    #[arg(long)]
    pub purge: bool,
    /// With --purge: purge at once instead of after the grace period.
    #[arg(long, requires = "purge")]
    pub now: bool,
}

/// Exit code of `tenants test` (and `add`) when the connection is not Connected, so scripts can tell.
pub const EXIT_NOT_CONNECTED: i32 = 3;

pub async fn run(command: TenantsCommand, gateway: &GatewayArgs) -> anyhow::Result<i32> {
    match &command {
        TenantsCommand::ConsentUrl(args) => return super::consent::run(args),
        TenantsCommand::Import(args) => {
            let connect = async { Ok(TenantConnectionServiceClient::new(gateway.connect().await?)) };
            return super::import::run(args, connect, gateway.output).await;
        }
        _ => {}
    }
    let mut client = TenantConnectionServiceClient::new(gateway.connect().await?);
    let format = gateway.output;
    match command {
        TenantsCommand::Add(args) => {
            let credential = read_credential(&args.credential)?;
            let endpoints = custom_endpoints(&args)?;
            let request = CreateConnectionRequest {
                tenant_id: args.tenant_id.clone(),
                display_name: args.name,
                client_id: args.client_id,
                cloud: Cloud::from(args.cloud) as i32,
                endpoints,
                credential: Some(credential),
                tags: args.tags.clone(),
            };
            let created = client
                .create_connection(request)
                .await
                .map_err(|s| explain("adding the tenant", s))?
                .into_inner()
                .connection
                .context("the server returned no connection")?;
            if args.no_test {
                print_connection(&created, format)?;
                return Ok(0);
            }
            let code = test(&mut client, &args.tenant_id, format).await?;
            if code != 0 && !args.keep_on_failure {
                client
                    .delete_connection(DeleteConnectionRequest {
                        tenant_id: args.tenant_id.clone(),
                        confirm_tenant_id: args.tenant_id.clone(),
                        reason: "the first connection test failed (tenants add without --keep-on-failure)"
                            .into(),
                        purge: false,
                        purge_now: false,
                    })
                    .await
                    .map_err(|s| explain("removing the connection that failed its first test", s))?;
                eprintln!(
                    "The connection failed its first test and was not kept: fix what the test names and add it \
                     again, or pass --keep-on-failure to keep it (e.g. until admin consent is granted)."
                );
            }
            Ok(code)
        }
        TenantsCommand::ConsentUrl(args) => super::consent::run(&args),
        TenantsCommand::Import(args) => super::import::run(&args, async { Ok(client) }, format).await,
        TenantsCommand::List { tag } => list(&mut client, tag.as_deref(), format).await,
        TenantsCommand::Show { tenant_id } => {
            let connection = client
                .get_connection(GetConnectionRequest { tenant_id })
                .await
                .map_err(|s| explain("showing the tenant", s))?
                .into_inner()
                .connection
                .context("the server returned no connection")?;
            print_connection(&connection, format)?;
            Ok(0)
        }
        TenantsCommand::Test { tenant_id } => test(&mut client, &tenant_id, format).await,
        TenantsCommand::Update(args) => {
            let current = client
                .get_connection(GetConnectionRequest {
                    tenant_id: args.tenant_id.clone(),
                })
                .await
                .map_err(|s| explain("reading the connection", s))?
                .into_inner()
                .connection
                .context("the server returned no connection")?;
            let request = update_request(current, &args)?;
            client
                .update_connection(request)
                .await
                .map_err(|s| explain("updating the connection", s))?;
            if args.no_test {
                outln!(
                    "Connection {} updated; run `posture tenants test {}`",
                    args.tenant_id,
                    args.tenant_id
                );
                return Ok(0);
            }
            test(&mut client, &args.tenant_id, format).await
        }
        TenantsCommand::UpdateCredentials(args) => {
            let credential = read_credential(&args.credential)?;
            client
                .update_credentials(UpdateCredentialsRequest {
                    tenant_id: args.tenant_id.clone(),
                    credential: Some(credential),
                    client_id: args.client_id.unwrap_or_default(),
                })
                .await
                .map_err(|s| explain("updating the credentials", s))?;
            if args.no_test {
                outln!(
                    "Credentials updated for {}; run `posture tenants test {}`",
                    args.tenant_id,
                    args.tenant_id
                );
                return Ok(0);
            }
            test(&mut client, &args.tenant_id, format).await
        }
        TenantsCommand::Remove(args) => {
            let removed = client
                .delete_connection(DeleteConnectionRequest {
                    tenant_id: args.tenant_id.clone(),
                    confirm_tenant_id: args.confirm,
                    reason: args.reason,
                    purge: args.purge,
                    purge_now: args.now,
                })
                .await
                .map_err(|s| explain("removing the tenant", s))?
                .into_inner();
            match format {
                OutputFormat::Json => print_json(&json!({
                    "tenant_id": args.tenant_id,
                    "removed": true,
                    "purge_at": timestamp_json(removed.purge_at.as_ref()),
                }))?,
                OutputFormat::Table => {
                    outln!("Removed the connection to {}", args.tenant_id);
                    match (&removed.purge_at, args.now) {
                        (Some(_), true) => outln!("Its data is being purged from every role now."),
                        (Some(at), false) => outln!(
                            "Its data will be purged from every role at {}; connecting it again before then keeps it.",
                            ts(at)
                        ),
                        (None, _) => outln!("Its history is kept; connecting it again picks it up."),
                    }
                }
            }
            Ok(0)
        }
    }
}

/// Every connection the key may see, all pages.
pub async fn all_connections(
    client: &mut TenantConnectionServiceClient<super::AuthedChannel>,
) -> anyhow::Result<Vec<Connection>> {
    tagged_connections(client, None).await
}

/// Every connection the key may see carrying `tag` (all of them without one), all pages.
pub async fn tagged_connections(
    client: &mut TenantConnectionServiceClient<super::AuthedChannel>,
    tag: Option<&str>,
) -> anyhow::Result<Vec<Connection>> {
    let mut connections = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = client
            .list_connections(ListConnectionsRequest {
                page_size: 200,
                page_token,
                tag: tag.unwrap_or_default().to_owned(),
                ..Default::default()
            })
            .await
            .map_err(|s| explain("listing tenants", s))?
            .into_inner();
        connections.extend(page.connections);
        if page.next_page_token.is_empty() {
            return Ok(connections);
        }
        page_token = page.next_page_token;
    }
}

async fn list(
    client: &mut TenantConnectionServiceClient<super::AuthedChannel>,
    tag: Option<&str>,
    format: OutputFormat,
) -> anyhow::Result<i32> {
    let connections = tagged_connections(client, tag).await?;
    match format {
        OutputFormat::Json => print_json(&json!(
            connections.iter().map(connection_json).collect::<Vec<_>>()
        ))?,
        OutputFormat::Table => {
            let mut table = Table::new(vec!["TENANT ID", "NAME", "HEALTH", "SECRET EXPIRES", "TAGS"]);
            for c in &connections {
                table.row(vec![
                    c.tenant_id.clone(),
                    c.display_name.clone(),
                    health::state_label(c.health.as_ref().map_or(0, |h| h.state)).into(),
                    expiry_text(c),
                    c.tags.join(","),
                ]);
            }
            out!("{}", table.render());
        }
    }
    Ok(0)
}

async fn test(
    client: &mut TenantConnectionServiceClient<super::AuthedChannel>,
    tenant_id: &str,
    format: OutputFormat,
) -> anyhow::Result<i32> {
    let health = client
        .test_connection(TestConnectionRequest {
            tenant_id: tenant_id.to_owned(),
        })
        .await
        .map_err(|s| explain("testing the connection", s))?
        .into_inner()
        .health
        .unwrap_or_default();
    let connected = health.state == posture_proto::v1::ConnectionState::Connected as i32;
    match format {
        OutputFormat::Json => print_json(&health_json(&health))?,
        OutputFormat::Table => {
            outln!("{tenant_id}: {}", health::summary(Some(&health)));
            for resource in &health.resources {
                outln!(
                    "  {:<24} {}",
                    health::resource_label(resource.resource),
                    match health::state_label(resource.state) {
                        "Connected" => "Connected".to_owned(),
                        label => format!("{label}: {}", health::reason_text(resource.reason.as_ref())),
                    }
                );
            }
        }
    }
    Ok(if connected { 0 } else { EXIT_NOT_CONNECTED })
}

/// The UpdateConnection request for `args` over the connection as it is: only the fields given
/// are in the mask; endpoint URLs not given keep their current value.
fn update_request(mut connection: Connection, args: &UpdateArgs) -> anyhow::Result<UpdateConnectionRequest> {
    let mut paths = Vec::new();
    if let Some(name) = &args.name {
        connection.display_name.clone_from(name);
        paths.push("display_name".to_owned());
    }
    if let Some(cloud) = args.cloud {
        connection.cloud = Cloud::from(cloud) as i32;
        paths.push("cloud".to_owned());
    }
    if args.urls.any() {
        if connection.cloud != Cloud::Custom as i32 {
            anyhow::bail!("endpoint URLs go with a custom cloud (add --cloud custom)");
        }
        let mut endpoints = connection.endpoints.take().unwrap_or_default();
        for (given, field) in [
            (&args.urls.authority_url, &mut endpoints.authority_url),
            (&args.urls.graph_url, &mut endpoints.graph_url),
            (&args.urls.defender_url, &mut endpoints.defender_url),
            (&args.urls.management_url, &mut endpoints.management_activity_url),
            (&args.urls.exchange_url, &mut endpoints.exchange_url),
        ] {
            if let Some(url) = given {
                field.clone_from(url);
            }
        }
        connection.endpoints = Some(endpoints);
        paths.push("endpoints".to_owned());
    }
    if !args.tags.is_empty() || !args.untags.is_empty() {
        let lowered =
            |tags: &[String]| -> Vec<String> { tags.iter().map(|t| t.trim().to_ascii_lowercase()).collect() };
        let untags = lowered(&args.untags);
        let mut tags: Vec<String> = connection
            .tags
            .iter()
            .filter(|t| !untags.contains(t))
            .cloned()
            .collect();
        tags.extend(lowered(&args.tags));
        tags.sort();
        tags.dedup();
        connection.tags = tags;
        paths.push("tags".to_owned());
    }
    if paths.is_empty() {
        anyhow::bail!("nothing to change: give --name, --cloud, an endpoint URL, --tag or --untag");
    }
    Ok(UpdateConnectionRequest {
        connection: Some(connection),
        update_mask: Some(prost_types::FieldMask { paths }),
    })
}

pub(super) fn custom_endpoints(args: &AddArgs) -> anyhow::Result<Option<CloudEndpoints>> {
    if !matches!(args.cloud, CloudArg::Custom) {
        if args.urls.any() {
            anyhow::bail!("--authority-url and --graph-url go with --cloud custom");
        }
        return Ok(None);
    }
    let need =
        |v: &Option<String>, flag: &str| v.clone().with_context(|| format!("--cloud custom needs {flag}"));
    Ok(Some(CloudEndpoints {
        authority_url: need(&args.urls.authority_url, "--authority-url")?,
        graph_url: need(&args.urls.graph_url, "--graph-url")?,
        defender_url: need(&args.urls.defender_url, "--defender-url")?,
        management_activity_url: need(&args.urls.management_url, "--management-url")?,
        exchange_url: args.urls.exchange_url.clone().unwrap_or_default(),
    }))
}

pub(super) fn read_credential(args: &CredentialArgs) -> anyhow::Result<Credential> {
    if let (Some(cert), Some(key)) = (&args.certificate, &args.private_key) {
        let certificate_pem = std::fs::read_to_string(cert)
            .with_context(|| format!("cannot read the certificate {}", cert.display()))?;
        let private_key_pem = std::fs::read_to_string(key)
            .with_context(|| format!("cannot read the private key {}", key.display()))?;
        return Ok(Credential {
            kind: Some(credential::Kind::Certificate(CertificateCredential {
                certificate_pem,
                private_key_pem,
            })),
        });
    }
    let Some(expires) = args.secret_expires else {
        anyhow::bail!(
            "--secret-expires YYYY-MM-DD is required with a client secret (the Azure portal shows it next to \
             the secret), so Posture can warn before it expires"
        );
    };
    let secret = match &args.secret_file {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the secret file {}", path.display()))?,
        None if std::io::stdin().is_terminal() => rpassword::prompt_password("Client secret: ")
            .context("cannot read the client secret from the terminal")?,
        None => {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .context("cannot read the client secret from standard input")?;
            s
        }
    };
    let secret = secret.trim().to_owned();
    if secret.is_empty() {
        anyhow::bail!("the client secret is empty: pipe it on standard input or use --secret-file");
    }
    let at = expires.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    let expires_at = Some(prost_types::Timestamp {
        seconds: at.timestamp(),
        nanos: 0,
    });
    Ok(Credential {
        kind: Some(credential::Kind::ClientSecret(ClientSecretCredential {
            secret_value: secret,
            expires_at,
        })),
    })
}

fn print_connection(c: &Connection, format: OutputFormat) -> anyhow::Result<()> {
    if format == OutputFormat::Json {
        return print_json(&connection_json(c));
    }
    let method = c.credential.as_ref().map_or("", |m| match m.auth_method {
        1 => "client secret",
        2 => "certificate",
        _ => "",
    });
    out!(
        "{}",
        details(&[
            ("Tenant id", c.tenant_id.clone()),
            ("Name", c.display_name.clone()),
            ("Client id", c.client_id.clone()),
            ("Cloud", cloud_label(c.cloud).into()),
            ("Authentication", method.into()),
            ("Secret expires", expiry_text(c)),
            ("Health", health::summary(c.health.as_ref())),
            (
                "Last tested",
                c.health
                    .as_ref()
                    .and_then(|h| h.checked_at.as_ref())
                    .map(ts)
                    .unwrap_or_else(|| "never".into())
            ),
        ])
    );
    Ok(())
}

fn cloud_label(cloud: i32) -> &'static str {
    match Cloud::try_from(cloud).unwrap_or(Cloud::Unspecified) {
        Cloud::Global | Cloud::Unspecified => "global",
        Cloud::UsGovGcc => "US Government GCC",
        Cloud::UsGovGccHigh => "US Government GCC High",
        Cloud::UsGovDod => "US Government DoD",
        Cloud::China => "China (21Vianet)",
        Cloud::Custom => "custom endpoints",
    }
}

fn expiry_text(c: &Connection) -> String {
    match c.credential.as_ref() {
        Some(m) => match m.expires_at.as_ref() {
            Some(at) if m.expiring_soon => format!("{} (expiring soon)", ts(at)),
            Some(at) => ts(at),
            None => "unknown".into(),
        },
        None => "unknown".into(),
    }
}

fn connection_json(c: &Connection) -> serde_json::Value {
    json!({
        "tenant_id": c.tenant_id,
        "display_name": c.display_name,
        "client_id": c.client_id,
        "cloud": cloud_label(c.cloud),
        "secret_expires_at": timestamp_json(c.credential.as_ref().and_then(|m| m.expires_at.as_ref())),
        "secret_expiring_soon": c.credential.as_ref().is_some_and(|m| m.expiring_soon),
        "health": c.health.as_ref().map(health_json),
        "tags": c.tags,
    })
}

fn health_json(h: &posture_proto::v1::ConnectionHealth) -> serde_json::Value {
    json!({
        "state": health::state_label(h.state),
        "summary": health::summary(Some(h)),
        "missing_permissions": health::missing_permissions(h),
        "reason": h.reason.as_ref().map(|r| json!({"code": r.code, "message": r.message, "endpoint": r.endpoint})),
        "checked_at": timestamp_json(h.checked_at.as_ref()),
        "resources": h.resources.iter().map(|r| json!({
            "resource": health::resource_label(r.resource),
            "state": health::state_label(r.state),
            "granted_roles": r.granted_roles,
        })).collect::<Vec<_>>(),
    })
}

impl super::resolve::TenantArgument for TenantsCommand {
    fn tenant_argument(&mut self) -> Option<(&mut String, Option<&mut String>)> {
        match self {
            // A new connection has no name to look up yet.
            TenantsCommand::Add(_)
            | TenantsCommand::List { .. }
            | TenantsCommand::ConsentUrl(_)
            | TenantsCommand::Import(_) => None,
            TenantsCommand::Show { tenant_id } | TenantsCommand::Test { tenant_id } => {
                Some((tenant_id, None))
            }
            TenantsCommand::Update(args) => Some((&mut args.tenant_id, None)),
            TenantsCommand::UpdateCredentials(args) => Some((&mut args.tenant_id, None)),
            TenantsCommand::Remove(args) => Some((&mut args.tenant_id, Some(&mut args.confirm))),
        }
    }
}

#[cfg(test)]
mod tests {
    use posture_proto::v1::{ConnectionHealth, CredentialMetadata};

    use super::*;

    #[test]
    fn json_times_are_rfc3339_like_every_other_command() {
        let at = prost_types::Timestamp {
            seconds: 1_796_428_800,
            nanos: 0,
        };
        let connection = Connection {
            tenant_id: "t".into(),
            credential: Some(CredentialMetadata {
                expires_at: Some(at),
                ..Default::default()
            }),
            health: Some(ConnectionHealth {
                checked_at: Some(at),
                ..Default::default()
            }),
            ..Default::default()
        };
        let json = connection_json(&connection);
        assert_eq!(json["secret_expires_at"], "2026-12-05T00:00:00+00:00");
        assert_eq!(json["health"]["checked_at"], "2026-12-05T00:00:00+00:00");
    }
}

#[cfg(test)]
mod update_tests {
    use clap::Parser;
    use posture_proto::v1::{Cloud, CloudEndpoints, Connection};

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(subcommand)]
        command: TenantsCommand,
    }

    fn args(line: &[&str]) -> UpdateArgs {
        let mut argv = vec!["tenants", "update", "t-1"];
        argv.extend_from_slice(line);
        match Cli::try_parse_from(argv).expect("parses").command {
            TenantsCommand::Update(args) => args,
            other => panic!("{other:?}"),
        }
    }

    fn custom() -> Connection {
        Connection {
            tenant_id: "t-1".into(),
            display_name: "Old".into(),
            cloud: Cloud::Custom as i32,
            endpoints: Some(CloudEndpoints {
                authority_url: "https://login.example".into(),
                graph_url: "https://graph.wrong".into(),
                defender_url: "https://mde.example".into(),
                management_activity_url: "https://manage.example".into(),
                exchange_url: String::new(),
            }),
            ..Default::default()
        }
    }

    #[test]
    fn a_wrong_endpoint_is_fixed_in_place_and_the_others_are_kept() {
        let request =
            update_request(custom(), &args(&["--graph-url", "https://graph.right"])).expect("request");
        assert_eq!(request.update_mask.expect("mask").paths, ["endpoints"]);
        let endpoints = request.connection.and_then(|c| c.endpoints).expect("endpoints");
        assert_eq!(endpoints.graph_url, "https://graph.right");
        assert_eq!(endpoints.authority_url, "https://login.example");
    }

    #[test]
    fn only_the_fields_given_are_changed() {
        let request = update_request(custom(), &args(&["--name", "New"])).expect("request");
        assert_eq!(request.update_mask.expect("mask").paths, ["display_name"]);
        assert!(update_request(custom(), &args(&[])).is_err(), "nothing to change");
        let global = Connection {
            cloud: Cloud::Global as i32,
            ..custom()
        };
        assert!(update_request(global, &args(&["--graph-url", "https://x"])).is_err());
    }
}
