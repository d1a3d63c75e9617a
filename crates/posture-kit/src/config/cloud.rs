//! Which Microsoft cloud the tenants live in. Tokens and hosts differ per national cloud, so
//! one setting picks all four hosts; each can be overridden (the simulator uses this).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CloudEnvironment {
    /// Commercial and GCC (moderate).
    #[default]
    Global,
    UsGovGccHigh,
    UsGovDod,
    /// Operated by 21Vianet.
    China,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CloudConfig {
    pub environment: CloudEnvironment,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub login_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub graph_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub defender_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub management_url: Option<String>,
}

/// Base URLs (no trailing slash) of the four Microsoft services Posture talks to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudEndpoints {
    pub login: String,
    pub graph: String,
    pub defender: String,
    pub management: String,
}

impl CloudConfig {
    pub fn endpoints(&self) -> CloudEndpoints {
        let (login, graph, defender, management) = match self.environment {
            CloudEnvironment::Global => (
                "https://login.microsoftonline.com",
                "https://graph.microsoft.com",
                "https://api.securitycenter.microsoft.com",
                "https://manage.office.com",
            ),
            CloudEnvironment::UsGovGccHigh => (
                "https://login.microsoftonline.us",
                "https://graph.microsoft.us",
                "https://api-gov.securitycenter.microsoft.us",
                "https://manage.office365.us",
            ),
            CloudEnvironment::UsGovDod => (
                "https://login.microsoftonline.us",
                "https://dod-graph.microsoft.us",
                "https://api-gov.securitycenter.microsoft.us",
                "https://manage.protection.apps.mil",
            ),
            CloudEnvironment::China => (
                "https://login.chinacloudapi.cn",
                "https://microsoftgraph.chinacloudapi.cn",
                "https://api.securitycenter.microsoft.com",
                "https://manage.office.cn",
            ),
        };
        let pick = |custom: &Option<String>, default: &str| {
            custom
                .as_deref()
                .unwrap_or(default)
                .trim_end_matches('/')
                .to_owned()
        };
        CloudEndpoints {
            login: pick(&self.login_url, login),
            graph: pick(&self.graph_url, graph),
            defender: pick(&self.defender_url, defender),
            management: pick(&self.management_url, management),
        }
    }

    pub(crate) fn overrides(&self) -> [(&'static str, Option<&str>); 4] {
        [
            ("cloud.login_url", self.login_url.as_deref()),
            ("cloud.graph_url", self.graph_url.as_deref()),
            ("cloud.defender_url", self.defender_url.as_deref()),
            ("cloud.management_url", self.management_url.as_deref()),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn national_cloud_picks_its_hosts_and_overrides_win() {
        let gov = CloudConfig {
            environment: CloudEnvironment::UsGovGccHigh,
            ..Default::default()
        };
        assert_eq!(gov.endpoints().graph, "https://graph.microsoft.us");
        assert_eq!(gov.endpoints().login, "https://login.microsoftonline.us");
        let sim = CloudConfig {
            graph_url: Some("http://127.0.0.1:8080/".into()),
            ..Default::default()
        };
        assert_eq!(sim.endpoints().graph, "http://127.0.0.1:8080");
        assert_eq!(sim.endpoints().login, "https://login.microsoftonline.com");
    }
}
