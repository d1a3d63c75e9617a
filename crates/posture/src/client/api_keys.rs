//! `posture api-keys create|list|revoke`: API keys through the gateway (admin role). A new key is
//! printed once, on standard output alone, so it can be captured (`KEY=$(posture api-keys create …)`);
//! everything else goes to standard error.

use anyhow::Context;
use clap::{Args, ValueEnum};
use posture_proto::v1::api_key_service_client::ApiKeyServiceClient;
use posture_proto::v1::{
    ApiKey, CreateApiKeyRequest, ListApiKeysRequest, RevokeApiKeyRequest, Role, TenantScope,
};
use serde_json::json;

use super::output::{OutputFormat, Table, print_json};
use super::progress::{timestamp_json, ts_opt};
use super::{GatewayArgs, status::explain};

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoleArg {
    Viewer,
    Operator,
    Admin,
}

impl From<RoleArg> for Role {
    fn from(value: RoleArg) -> Self {
        match value {
            RoleArg::Viewer => Role::Viewer,
            RoleArg::Operator => Role::Operator,
            RoleArg::Admin => Role::Admin,
        }
    }
}

/// `api-keys create`: a key's name, role, tenant scope and expiry.
#[derive(Args, Debug)]
pub struct CreateArgs {
    /// A name for people; it is the principal in the activity log.
    #[arg(long)]
    pub name: String,
    #[arg(long, value_enum)]
    pub role: RoleArg,
    /// The key may touch every tenant, including ones connected later.
    #[arg(long, conflicts_with = "tenants")]
    pub all_tenants: bool,
    /// A tenant id the key may touch (repeatable).
    #[arg(long = "tenant", value_name = "TENANT_ID")]
    pub tenants: Vec<String>,
    /// When the key stops working (YYYY-MM-DD, end of that day UTC); default never.
    #[arg(long)]
    pub expires: Option<chrono::NaiveDate>,
}

/// What `posture api-keys` does through the gateway.
#[derive(Debug)]
pub enum KeysCommand {
    Create(CreateArgs),
    List { all: bool },
    Revoke { api_key_id: String },
}

pub async fn run(command: KeysCommand, gateway: &GatewayArgs) -> anyhow::Result<i32> {
    let format = gateway.output;
    if let KeysCommand::Create(CreateArgs {
        all_tenants, tenants, ..
    }) = &command
    {
        anyhow::ensure!(
            *all_tenants || !tenants.is_empty(),
            "say which tenants the key may touch: --all-tenants, or --tenant <id> for each"
        );
    }
    let mut client = ApiKeyServiceClient::new(gateway.connect().await?);
    match command {
        KeysCommand::Create(CreateArgs {
            name,
            role,
            all_tenants,
            tenants,
            expires,
        }) => {
            let expires_at =
                expires
                    .and_then(|d| d.and_hms_opt(23, 59, 59))
                    .map(|t| prost_types::Timestamp {
                        seconds: t.and_utc().timestamp(),
                        nanos: 0,
                    });
            let created = client
                .create_api_key(CreateApiKeyRequest {
                    display_name: name,
                    role: Role::from(role) as i32,
                    scope: Some(TenantScope {
                        all_tenants,
                        tenant_ids: tenants,
                    }),
                    expires_at,
                })
                .await
                .map_err(|s| explain("creating the API key", s))?
                .into_inner();
            let key = created.api_key.context("the server returned no key metadata")?;
            match format {
                OutputFormat::Json => print_json(&json!({ "api_key": key_json(&key), "key": created.key }))?,
                OutputFormat::Table => {
                    eprintln!(
                        "API key {} ({}) created; it is shown once, store it now:",
                        key.display_name, key.api_key_id
                    );
                    outln!("{}", created.key);
                }
            }
            Ok(0)
        }
        KeysCommand::List { all } => {
            let mut keys = Vec::new();
            let mut page_token = String::new();
            loop {
                let page = client
                    .list_api_keys(ListApiKeysRequest {
                        include_revoked: all,
                        page_size: 500,
                        page_token,
                    })
                    .await
                    .map_err(|s| explain("listing API keys", s))?
                    .into_inner();
                keys.extend(page.api_keys);
                if page.next_page_token.is_empty() {
                    break;
                }
                page_token = page.next_page_token;
            }
            match format {
                OutputFormat::Json => print_json(&json!(keys.iter().map(key_json).collect::<Vec<_>>()))?,
                OutputFormat::Table => {
                    let mut table = Table::new(vec![
                        "ID",
                        "NAME",
                        "ROLE",
                        "SCOPE",
                        "PREFIX",
                        "LAST USED",
                        "EXPIRES",
                        "STATE",
                    ]);
                    for k in &keys {
                        table.row(vec![
                            k.api_key_id.clone(),
                            k.display_name.clone(),
                            role_label(k.role).to_owned(),
                            scope_label(k.scope.as_ref()),
                            k.key_prefix.clone(),
                            ts_opt(k.last_used_at.as_ref()),
                            ts_opt(k.expires_at.as_ref()),
                            if k.revoked_at.is_some() {
                                "revoked"
                            } else {
                                "valid"
                            }
                            .to_owned(),
                        ]);
                    }
                    outln!("{}", table.render().trim_end());
                }
            }
            Ok(0)
        }
        KeysCommand::Revoke { api_key_id } => {
            let revoked = client
                .revoke_api_key(RevokeApiKeyRequest { api_key_id })
                .await
                .map_err(|s| explain("revoking the API key", s))?
                .into_inner()
                .api_key
                .context("the server returned no key")?;
            match format {
                OutputFormat::Json => print_json(&key_json(&revoked))?,
                OutputFormat::Table => outln!(
                    "revoked {} ({}) at {}",
                    revoked.display_name,
                    revoked.api_key_id,
                    ts_opt(revoked.revoked_at.as_ref())
                ),
            }
            Ok(0)
        }
    }
}

fn role_label(role: i32) -> &'static str {
    match Role::try_from(role) {
        Ok(Role::Viewer) => "viewer",
        Ok(Role::Operator) => "operator",
        Ok(Role::Admin) => "admin",
        _ => "unknown",
    }
}

fn scope_label(scope: Option<&TenantScope>) -> String {
    match scope {
        Some(s) if s.all_tenants => "all tenants".to_owned(),
        Some(s) if s.tenant_ids.len() == 1 => s.tenant_ids[0].clone(),
        Some(s) => format!("{} tenants", s.tenant_ids.len()),
        None => "-".to_owned(),
    }
}

fn key_json(k: &ApiKey) -> serde_json::Value {
    json!({
        "api_key_id": k.api_key_id,
        "display_name": k.display_name,
        "role": role_label(k.role),
        "all_tenants": k.scope.as_ref().is_some_and(|s| s.all_tenants),
        "tenant_ids": k.scope.as_ref().map(|s| s.tenant_ids.clone()).unwrap_or_default(),
        "key_prefix": k.key_prefix,
        "created_by": k.created_by,
        "created_at": timestamp_json(k.created_at.as_ref()),
        "expires_at": timestamp_json(k.expires_at.as_ref()),
        "last_used_at": timestamp_json(k.last_used_at.as_ref()),
        "revoked_at": timestamp_json(k.revoked_at.as_ref()),
    })
}
