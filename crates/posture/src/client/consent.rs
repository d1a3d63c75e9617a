//! `posture tenants consent-url`: the link a customer's administrator opens to grant Posture's app
//! registration its permissions in their tenant, and the application permissions the registration
//! must list for that consent to cover every entity kind. Computed locally: no gateway is needed.

use std::collections::{BTreeMap, BTreeSet};

use clap::Args;
use posture_graph::catalog::EntityKind;
use posture_graph::cloud::{Cloud as GraphCloud, Resource};

use super::output::{OutputFormat, print_json};
use super::tenants::CloudArg;

#[derive(Args, Debug)]
pub struct ConsentUrlArgs {
    /// The customer's tenant: its id or a verified domain (`contoso.onmicrosoft.com`).
    #[arg(long)]
    pub tenant_id: String,
    /// Application (client) id of Posture's multi-tenant app registration.
    #[arg(long)]
    pub client_id: String,
    /// The customer's cloud.
    #[arg(long, value_enum, default_value = "global")]
    pub cloud: CloudArg,
    /// Where Entra sends the administrator afterwards; it must be a redirect URI of the app
    /// registration. Left out, Entra uses the registration's default.
    #[arg(long)]
    pub redirect_uri: Option<String>,
    #[arg(long, short = 'o', value_enum, default_value = "table")]
    pub output: OutputFormat,
}

/// The API an application permission belongs to, as the app registration's "API permissions" page
/// names it.
fn api_name(resource: Resource) -> &'static str {
    match resource {
        Resource::Graph => "Microsoft Graph",
        Resource::DefenderForEndpoint => "WindowsDefenderATP",
        Resource::ManagementActivity => "Office 365 Management APIs",
        Resource::ExchangeOnline => "Office 365 Exchange Online",
    }
}

/// Every application permission the entity catalog reads with, per API.
pub fn required_permissions() -> BTreeMap<&'static str, BTreeSet<&'static str>> {
    let mut by_api: BTreeMap<&'static str, BTreeSet<&'static str>> = BTreeMap::new();
    for kind in EntityKind::ALL {
        let spec = kind.spec();
        by_api
            .entry(api_name(spec.resource))
            .or_default()
            .extend(spec.permissions.iter().copied());
    }
    by_api
}

fn graph_cloud(cloud: CloudArg) -> anyhow::Result<GraphCloud> {
    Ok(match cloud {
        // GCC (moderate) signs in and calls Graph through the commercial endpoints.
        CloudArg::Global | CloudArg::Gcc => GraphCloud::Global,
        CloudArg::GccHigh => GraphCloud::UsGovHigh,
        CloudArg::Dod => GraphCloud::UsGovDod,
        CloudArg::China => GraphCloud::China,
        CloudArg::Custom => {
            anyhow::bail!("a custom cloud has no public consent endpoint; grant consent in its portal")
        }
    })
}

/// The v2 admin consent URL: `.default` on Graph grants every application permission the app
/// registration lists (for Graph and the other APIs it names).
pub fn consent_url(args: &ConsentUrlArgs) -> anyhow::Result<url::Url> {
    let tenant = args.tenant_id.trim();
    anyhow::ensure!(
        !tenant.is_empty()
            && tenant
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.'),
        "--tenant-id must be a tenant id or a domain name"
    );
    let client_id = uuid::Uuid::parse_str(args.client_id.trim()).map_err(|_| {
        anyhow::anyhow!("--client-id must be the app registration's application (client) id, a GUID")
    })?;
    let endpoints = graph_cloud(args.cloud)?.endpoints();
    let mut url = endpoints.authority.join(&format!("{tenant}/v2.0/adminconsent"))?;
    {
        let mut query = url.query_pairs_mut();
        query.append_pair("client_id", &client_id.to_string());
        query.append_pair("scope", &endpoints.graph_scope);
        if let Some(redirect) = &args.redirect_uri {
            let parsed = url::Url::parse(redirect).map_err(|e| anyhow::anyhow!("--redirect-uri: {e}"))?;
            query.append_pair("redirect_uri", parsed.as_str());
        }
    }
    Ok(url)
}

pub fn run(args: &ConsentUrlArgs) -> anyhow::Result<i32> {
    let url = consent_url(args)?;
    let permissions = required_permissions();
    match args.output {
        OutputFormat::Json => print_json(&serde_json::json!({
            "url": url.as_str(),
            "application_permissions": permissions,
        }))?,
        OutputFormat::Table => {
            outln!(
                "Send this link to a Global Administrator (or Privileged Role Administrator) of the tenant:"
            );
            outln!();
            outln!("  {url}");
            outln!();
            outln!("It grants the application permissions the app registration lists. For every entity kind");
            outln!("to sync, the registration must list these (API permissions > Application permissions):");
            for (api, names) in &permissions {
                outln!();
                outln!("  {api}");
                for name in names {
                    outln!("    {name}");
                }
            }
            outln!();
            outln!(
                "Then connect the tenant: posture tenants add --tenant-id <id> --client-id {} ...",
                args.client_id.trim()
            );
        }
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(tenant: &str, cloud: CloudArg, redirect: Option<&str>) -> ConsentUrlArgs {
        ConsentUrlArgs {
            tenant_id: tenant.into(),
            client_id: "00001111-aaaa-2222-bbbb-3333cccc4444".into(),
            cloud,
            redirect_uri: redirect.map(str::to_string),
            output: OutputFormat::Table,
        }
    }

    #[test]
    fn the_url_is_the_v2_admin_consent_endpoint_of_the_tenants_cloud() {
        let url = consent_url(&args(
            "contoso.onmicrosoft.com",
            CloudArg::Global,
            Some("https://posture.example.com/consented"),
        ))
        .expect("valid");
        assert_eq!(
            url.as_str(),
            "https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0/adminconsent?client_id=00001111-aaaa-2222-bbbb-3333cccc4444&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default&redirect_uri=https%3A%2F%2Fposture.example.com%2Fconsented"
        );
        let gov = consent_url(&args(
            "8f5e2a6c-0d3b-4c1a-9e7f-2b6d4a8c0e1f",
            CloudArg::GccHigh,
            None,
        ))
        .expect("valid");
        assert!(gov.as_str().starts_with(
            "https://login.microsoftonline.us/8f5e2a6c-0d3b-4c1a-9e7f-2b6d4a8c0e1f/v2.0/adminconsent?"
        ));
        assert!(gov.as_str().contains("graph.microsoft.us"));
        assert!(!gov.as_str().contains("redirect_uri"));
    }

    #[test]
    fn bad_input_is_refused_with_the_flag_named() {
        let err = consent_url(&args("contoso/../evil", CloudArg::Global, None)).expect_err("refused");
        assert!(err.to_string().contains("--tenant-id"));
        let mut bad = args("contoso.com", CloudArg::Global, None);
        bad.client_id = "posture".into();
        assert!(
            consent_url(&bad)
                .expect_err("refused")
                .to_string()
                .contains("--client-id")
        );
        assert!(consent_url(&args("contoso.com", CloudArg::Custom, None)).is_err());
    }

    #[test]
    fn the_permission_list_covers_every_api_the_catalog_reads() {
        let permissions = required_permissions();
        let graph = &permissions["Microsoft Graph"];
        assert!(graph.contains("Policy.Read.All"));
        assert!(graph.contains("User.Read.All") || graph.contains("Directory.Read.All"));
        assert!(permissions.contains_key("WindowsDefenderATP"), "{permissions:?}");
        assert!(
            permissions.contains_key("Office 365 Management APIs"),
            "{permissions:?}"
        );
    }
}
