//! Where a tenant lives: the token authority and API base URLs per national cloud, or fully custom
//! endpoints (how the simulator and private test rigs are addressed). Tokens never cross clouds, so
//! each cloud also names its own scopes.

use url::Url;

use crate::error::GraphError;

/// The APIs Posture reads; each needs its own token because a scope names one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Resource {
    Graph,
    DefenderForEndpoint,
    ManagementActivity,
    /// Exchange Online's admin REST endpoint (the API behind the ExchangeOnlineManagement module).
    ExchangeOnline,
}

impl Resource {
    pub const ALL: [Resource; 4] = [
        Resource::Graph,
        Resource::DefenderForEndpoint,
        Resource::ManagementActivity,
        Resource::ExchangeOnline,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Resource::Graph => "graph",
            Resource::DefenderForEndpoint => "defender_for_endpoint",
            Resource::ManagementActivity => "management_activity",
            Resource::ExchangeOnline => "exchange_online",
        }
    }
}

/// A national cloud, or custom endpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cloud {
    Global,
    UsGovHigh,
    UsGovDod,
    China,
    Custom(Box<Endpoints>),
}

/// Every URL and scope a connection needs. Base URLs end with `/` so relative paths join under them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// e.g. `https://login.microsoftonline.com/`; the token URL is `{authority}{tenant}/oauth2/v2.0/token`.
    pub authority: Url,
    /// Graph including the version segment, e.g. `https://graph.microsoft.com/v1.0/`.
    pub graph: Url,
    /// Defender for Endpoint including `/api/`, e.g. `https://api.securitycenter.microsoft.com/api/`.
    pub defender: Url,
    /// Management Activity including the version, e.g. `https://manage.office.com/api/v1.0/`.
    pub management: Url,
    /// Exchange Online's admin API including `/adminapi/beta/`, e.g.
    /// `https://outlook.office365.com/adminapi/beta/`; `{tenant}/InvokeCommand` joins under it.
    pub exchange: Url,
    pub graph_scope: String,
    pub defender_scope: String,
    pub management_scope: String,
    pub exchange_scope: String,
}

fn fixed(s: &str) -> Url {
    // Only called on the literals below, which are valid URLs.
    Url::parse(s).unwrap_or_else(|_| unreachable!("built-in endpoint {s} is a valid URL"))
}

impl Cloud {
    pub fn endpoints(&self) -> Endpoints {
        let (exchange, exchange_scope) = match self {
            Cloud::Custom(e) => return (**e).clone(),
            Cloud::Global => (
                "https://outlook.office365.com/adminapi/beta/",
                "https://outlook.office365.com/.default",
            ),
            Cloud::UsGovHigh => (
                "https://outlook.office365.us/adminapi/beta/",
                "https://outlook.office365.us/.default",
            ),
            Cloud::UsGovDod => (
                "https://webmail.apps.mil/adminapi/beta/",
                "https://webmail.apps.mil/.default",
            ),
            Cloud::China => (
                "https://partner.outlook.cn/adminapi/beta/",
                "https://partner.outlook.cn/.default",
            ),
        };
        let (authority, graph, defender, management, graph_scope, defender_scope, mgmt_scope) = match self {
            Cloud::Custom(e) => return (**e).clone(),
            Cloud::Global => (
                "https://login.microsoftonline.com/",
                "https://graph.microsoft.com/v1.0/",
                "https://api.securitycenter.microsoft.com/api/",
                "https://manage.office.com/api/v1.0/",
                "https://graph.microsoft.com/.default",
                "https://api.securitycenter.microsoft.com/.default",
                "https://manage.office.com/.default",
            ),
            Cloud::UsGovHigh => (
                "https://login.microsoftonline.us/",
                "https://graph.microsoft.us/v1.0/",
                "https://api-gov.securitycenter.microsoft.us/api/",
                "https://manage.office365.us/api/v1.0/",
                "https://graph.microsoft.us/.default",
                "https://api-gov.securitycenter.microsoft.us/.default",
                "https://manage.office365.us/.default",
            ),
            Cloud::UsGovDod => (
                "https://login.microsoftonline.us/",
                "https://dod-graph.microsoft.us/v1.0/",
                "https://api-gov.securitycenter.microsoft.us/api/",
                "https://manage.protection.apps.mil/api/v1.0/",
                "https://dod-graph.microsoft.us/.default",
                "https://api-gov.securitycenter.microsoft.us/.default",
                "https://manage.protection.apps.mil/.default",
            ),
            Cloud::China => (
                "https://login.chinacloudapi.cn/",
                "https://microsoftgraph.chinacloudapi.cn/v1.0/",
                "https://api.securitycenter.microsoft.com/api/",
                "https://manage.office.cn/api/v1.0/",
                "https://microsoftgraph.chinacloudapi.cn/.default",
                "https://api.securitycenter.microsoft.com/.default",
                "https://manage.office.cn/.default",
            ),
        };
        Endpoints {
            authority: fixed(authority),
            graph: fixed(graph),
            defender: fixed(defender),
            management: fixed(management),
            exchange: fixed(exchange),
            graph_scope: graph_scope.to_owned(),
            defender_scope: defender_scope.to_owned(),
            management_scope: mgmt_scope.to_owned(),
            exchange_scope: exchange_scope.to_owned(),
        }
    }
}

impl Endpoints {
    /// Endpoints under one base URL with the `/login`, `/graph`, `/mde`, `/manage` and `/exo` prefixes, the
    /// way the simulator (and any path-routed gateway) is addressed; scopes stay the global ones.
    pub fn path_routed(base: &Url) -> Result<Endpoints, GraphError> {
        let join = |p: &str| {
            base.join(p).map_err(|e| GraphError::Config {
                reason: format!("cannot build endpoint {p} under {base}: {e}"),
            })
        };
        let global = Cloud::Global.endpoints();
        Ok(Endpoints {
            authority: join("login/")?,
            graph: join("graph/v1.0/")?,
            defender: join("mde/api/")?,
            management: join("manage/api/v1.0/")?,
            exchange: join("exo/adminapi/beta/")?,
            ..global
        })
    }

    pub fn token_url(&self, tenant: &str) -> Result<Url, GraphError> {
        self.authority
            .join(&format!("{tenant}/oauth2/v2.0/token"))
            .map_err(|e| GraphError::Config {
                reason: format!("cannot build the token URL for tenant {tenant}: {e}"),
            })
    }

    pub fn base(&self, resource: Resource) -> &Url {
        match resource {
            Resource::Graph => &self.graph,
            Resource::DefenderForEndpoint => &self.defender,
            Resource::ManagementActivity => &self.management,
            Resource::ExchangeOnline => &self.exchange,
        }
    }

    pub fn scope(&self, resource: Resource) -> &str {
        match resource {
            Resource::Graph => &self.graph_scope,
            Resource::DefenderForEndpoint => &self.defender_scope,
            Resource::ManagementActivity => &self.management_scope,
            Resource::ExchangeOnline => &self.exchange_scope,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sovereign_clouds_use_their_own_authority_and_scope() {
        let high = Cloud::UsGovHigh.endpoints();
        assert_eq!(high.authority.as_str(), "https://login.microsoftonline.us/");
        assert_eq!(high.scope(Resource::Graph), "https://graph.microsoft.us/.default");
        let dod = Cloud::UsGovDod.endpoints();
        assert_eq!(dod.graph.host_str(), Some("dod-graph.microsoft.us"));
        assert_eq!(
            dod.scope(Resource::ExchangeOnline),
            "https://webmail.apps.mil/.default"
        );
        assert_eq!(
            high.base(Resource::ExchangeOnline).as_str(),
            "https://outlook.office365.us/adminapi/beta/"
        );
        let cn = Cloud::China.endpoints();
        assert_eq!(
            cn.token_url("contoso.cn").map(|u| u.to_string()).ok().as_deref(),
            Some("https://login.chinacloudapi.cn/contoso.cn/oauth2/v2.0/token")
        );
    }

    #[test]
    fn path_routed_endpoints_keep_prefixes() -> Result<(), GraphError> {
        let base = Url::parse("http://127.0.0.1:8080/").map_err(|e| GraphError::Config {
            reason: e.to_string(),
        })?;
        let e = Endpoints::path_routed(&base)?;
        assert_eq!(e.graph.as_str(), "http://127.0.0.1:8080/graph/v1.0/");
        assert_eq!(
            e.token_url("t1")?.as_str(),
            "http://127.0.0.1:8080/login/t1/oauth2/v2.0/token"
        );
        assert_eq!(e.base(Resource::DefenderForEndpoint).path(), "/mde/api/");
        assert_eq!(e.base(Resource::ExchangeOnline).path(), "/exo/adminapi/beta/");
        assert_eq!(
            e.scope(Resource::ExchangeOnline),
            "https://outlook.office365.com/.default"
        );
        Ok(())
    }
}
