//! The Microsoft cloud of a connection and the hosts that follow from it: a built-in table for the
//! named clouds, and checked explicit endpoints for `CLOUD_CUSTOM` (a simulator, a proxy).

use posture_proto::v1::CloudEndpoints;
use url::{Host, Url};

use crate::domain::{Cloud, Endpoints};
use crate::error::CredentialsError;

/// The built-in hosts of a named cloud; `None` for `CLOUD_CUSTOM`.
pub fn builtin_endpoints(cloud: Cloud) -> Option<Endpoints> {
    // Authority and Graph hosts per national cloud are Microsoft's documented deployments; the
    // Defender and Management Activity hosts follow the US Gov service descriptions.
    let (authority, graph, defender, management) = match cloud {
        Cloud::Global => (
            "https://login.microsoftonline.com",
            "https://graph.microsoft.com",
            "https://api.securitycenter.microsoft.com",
            "https://manage.office.com",
        ),
        // GCC (moderate) uses the worldwide identity platform and Graph.
        Cloud::UsGovGcc => (
            "https://login.microsoftonline.com",
            "https://graph.microsoft.com",
            "https://api-gcc.securitycenter.microsoft.us",
            "https://manage-gcc.office.com",
        ),
        Cloud::UsGovGccHigh => (
            "https://login.microsoftonline.us",
            "https://graph.microsoft.us",
            "https://api-gov.securitycenter.microsoft.us",
            "https://manage.office365.us",
        ),
        Cloud::UsGovDod => (
            "https://login.microsoftonline.us",
            "https://dod-graph.microsoft.us",
            "https://api-gov.securitycenter.microsoft.us",
            "https://manage.protection.apps.mil",
        ),
        Cloud::China => (
            "https://login.chinacloudapi.cn",
            "https://microsoftgraph.chinacloudapi.cn",
            "https://api.securitycenter.microsoft.com",
            "https://manage.office.cn",
        ),
        Cloud::Custom => return None,
    };
    // Exchange Online's hosts per cloud, as the ExchangeOnlineManagement module connects to them.
    let exchange = match cloud {
        Cloud::UsGovGccHigh => "https://outlook.office365.us",
        Cloud::UsGovDod => "https://webmail.apps.mil",
        Cloud::China => "https://partner.outlook.cn",
        _ => "https://outlook.office365.com",
    };
    Some(Endpoints {
        authority_url: authority.to_owned(),
        graph_url: graph.to_owned(),
        defender_url: defender.to_owned(),
        management_activity_url: management.to_owned(),
        exchange_url: exchange.to_owned(),
    })
}

/// Checks a requested cloud with its endpoints: named clouds take no endpoints, CUSTOM needs all
/// four. Returns the endpoints to store (`None` for named clouds: they resolve from the table).
pub fn validate_cloud(
    cloud_value: i32,
    endpoints: Option<&CloudEndpoints>,
) -> Result<(Cloud, Option<Endpoints>), CredentialsError> {
    if cloud_value == posture_proto::v1::Cloud::Unspecified as i32 {
        return Err(CredentialsError::invalid(
            "cloud",
            "must be set, e.g. CLOUD_GLOBAL (or CLOUD_CUSTOM with endpoints)",
        ));
    }
    let cloud = Cloud::from_proto(cloud_value).ok_or_else(|| {
        CredentialsError::invalid(
            "cloud",
            format!("unknown value {cloud_value}; use one of the Cloud enum values"),
        )
    })?;
    match cloud {
        Cloud::Custom => {
            let endpoints = endpoints.ok_or_else(|| {
                CredentialsError::invalid("endpoints", "are required when cloud is CLOUD_CUSTOM")
            })?;
            Ok((cloud, Some(normalize_endpoints(endpoints)?)))
        }
        _ if endpoints.is_some_and(|e| *e != CloudEndpoints::default()) => Err(CredentialsError::invalid(
            "endpoints",
            "must be unset unless cloud is CLOUD_CUSTOM; named clouds use built-in hosts",
        )),
        _ => Ok((cloud, None)),
    }
}

fn normalize_endpoints(endpoints: &CloudEndpoints) -> Result<Endpoints, CredentialsError> {
    Ok(Endpoints {
        authority_url: base_url("endpoints.authority_url", &endpoints.authority_url)?,
        graph_url: base_url("endpoints.graph_url", &endpoints.graph_url)?,
        defender_url: base_url("endpoints.defender_url", &endpoints.defender_url)?,
        management_activity_url: base_url(
            "endpoints.management_activity_url",
            &endpoints.management_activity_url,
        )?,
        // Optional: connections made before Exchange was read name no host for it.
        exchange_url: if endpoints.exchange_url.trim().is_empty() {
            String::new()
        } else {
            base_url("endpoints.exchange_url", &endpoints.exchange_url)?
        },
    })
}

const MAX_URL_LEN: usize = 512;

/// An absolute `https://` base URL (plain `http://` only for loopback) without a trailing slash,
/// query or fragment.
fn base_url(field: &str, value: &str) -> Result<String, CredentialsError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(CredentialsError::invalid(
            field,
            "must be set, e.g. https://graph.microsoft.com",
        ));
    }
    if value.len() > MAX_URL_LEN {
        return Err(CredentialsError::invalid(
            field,
            format!("must be at most {MAX_URL_LEN} characters"),
        ));
    }
    let url = Url::parse(value)
        .map_err(|_| CredentialsError::invalid(field, "must be an absolute URL such as https://host"))?;
    let loopback = match url.host() {
        Some(Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => return Err(CredentialsError::invalid(field, "must name a host")),
    };
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return Err(CredentialsError::invalid(
                field,
                "must use https:// (plain http:// is accepted only for loopback hosts)",
            ));
        }
        _ => return Err(CredentialsError::invalid(field, "must start with https://")),
    }
    if url.query().is_some()
        || url.fragment().is_some()
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return Err(CredentialsError::invalid(
            field,
            "must be a plain base URL without credentials, query or fragment",
        ));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// The endpoints a connection uses: stored ones for CUSTOM, the table's otherwise.
pub fn resolved_endpoints(cloud: Cloud, stored: Option<Endpoints>) -> Endpoints {
    stored.or_else(|| builtin_endpoints(cloud)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use posture_proto::v1::Cloud as ApiCloud;

    fn custom(graph: &str) -> CloudEndpoints {
        CloudEndpoints {
            authority_url: "http://127.0.0.1:9000/".into(),
            graph_url: graph.into(),
            defender_url: "https://defender.example".into(),
            management_activity_url: "https://manage.example/base".into(),
            exchange_url: String::new(),
        }
    }

    #[test]
    fn every_named_cloud_has_hosts() {
        for cloud in Cloud::ALL.iter().filter(|cloud| **cloud != Cloud::Custom) {
            let endpoints = builtin_endpoints(*cloud).expect("named cloud");
            assert!(endpoints.graph_url.starts_with("https://"));
        }
        assert_eq!(
            builtin_endpoints(Cloud::UsGovDod).map(|e| e.graph_url),
            Some("https://dod-graph.microsoft.us".to_owned())
        );
        assert_eq!(builtin_endpoints(Cloud::Custom), None);
    }

    #[test]
    fn custom_cloud_needs_https_or_loopback_endpoints() {
        let (cloud, stored) =
            validate_cloud(ApiCloud::Custom as i32, Some(&custom("https://graph.example/")))
                .expect("valid custom endpoints");
        assert_eq!(cloud, Cloud::Custom);
        let stored = stored.expect("stored endpoints");
        assert_eq!(stored.authority_url, "http://127.0.0.1:9000");
        assert_eq!(stored.graph_url, "https://graph.example");
        assert_eq!(stored.management_activity_url, "https://manage.example/base");

        let err = validate_cloud(ApiCloud::Custom as i32, Some(&custom("http://graph.example")))
            .expect_err("plain http to a remote host");
        assert!(err.to_string().contains("endpoints.graph_url"), "{err}");
        assert!(validate_cloud(ApiCloud::Custom as i32, None).is_err());
        assert!(validate_cloud(ApiCloud::Custom as i32, Some(&custom("ftp://x"))).is_err());
        assert!(validate_cloud(ApiCloud::Custom as i32, Some(&custom("https://u:p@x"))).is_err());
    }

    #[test]
    fn named_clouds_reject_explicit_endpoints_and_unspecified_is_rejected() {
        assert!(validate_cloud(ApiCloud::Global as i32, Some(&custom("https://g.example"))).is_err());
        assert!(validate_cloud(ApiCloud::Global as i32, Some(&CloudEndpoints::default())).is_ok());
        assert!(validate_cloud(ApiCloud::Unspecified as i32, None).is_err());
        assert!(validate_cloud(42, None).is_err());
    }
}
