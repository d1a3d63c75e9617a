//! Which URLs a subscription may post to. Deliveries carry tenants' security state, so they go
//! over https; plain http is allowed only to loopback hosts and only when the configuration says
//! so (local receivers, tests). Credentials in the URL, link-local hosts (the cloud metadata
//! endpoint) and unspecified addresses are refused outright; redirects are never followed, so the
//! URL checked is the URL called.

use std::net::IpAddr;

use url::{Host, Url};

/// Longest URL accepted.
pub const MAX_URL_LEN: usize = 2048;

/// Why a URL was refused, in words for the caller (the URL itself is not echoed: it may carry a
/// token in its path, as Slack and Teams webhook URLs do).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TargetError(pub &'static str);

fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(name) => name.eq_ignore_ascii_case("localhost"),
        Host::Ipv4(ip) => ip.is_loopback(),
        Host::Ipv6(ip) => ip.is_loopback(),
    }
}

fn forbidden_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => ip.is_link_local() || ip.is_unspecified() || ip.is_broadcast() || ip.is_multicast(),
        // fe80::/10 is link-local.
        IpAddr::V6(ip) => (ip.segments()[0] & 0xffc0) == 0xfe80 || ip.is_unspecified() || ip.is_multicast(),
    }
}

/// Parses and checks a webhook URL.
pub fn validate(raw: &str, allow_http_loopback: bool) -> Result<Url, TargetError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(TargetError("is required"));
    }
    if raw.len() > MAX_URL_LEN {
        return Err(TargetError("is longer than 2048 characters"));
    }
    let url = Url::parse(raw).map_err(|_| TargetError("is not an absolute URL"))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(TargetError(
            "must not carry credentials; put a token in the path instead",
        ));
    }
    let host = url.host().ok_or(TargetError("has no host"))?;
    match &host {
        Host::Ipv4(ip) if forbidden_ip(IpAddr::V4(*ip)) => {
            return Err(TargetError(
                "points at a link-local, unspecified or multicast address",
            ));
        }
        Host::Ipv6(ip) if forbidden_ip(IpAddr::V6(*ip)) => {
            return Err(TargetError(
                "points at a link-local, unspecified or multicast address",
            ));
        }
        _ => {}
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" if allow_http_loopback && is_loopback(&host) => Ok(url),
        "http" if is_loopback(&host) => Err(TargetError(
            "uses http: allowed to loopback only with notifications.allow_http_loopback = true",
        )),
        "http" => Err(TargetError("must use https")),
        _ => Err(TargetError("must be an https URL")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_urls_are_accepted_and_plain_http_only_to_loopback_when_allowed() {
        assert!(validate("https://hooks.slack.com/services/T0/B0/abc", false).is_ok());
        assert!(validate("https://example.org:8443/hook?x=1", false).is_ok());
        assert!(validate("http://127.0.0.1:9000/hook", true).is_ok());
        assert!(validate("http://localhost:9000/hook", true).is_ok());
        assert!(validate("http://[::1]:9000/hook", true).is_ok());
        assert!(validate("http://127.0.0.1:9000/hook", false).is_err());
        assert!(validate("http://example.org/hook", true).is_err());
        assert!(validate("http://10.0.0.5/hook", true).is_err());
    }

    #[test]
    fn credentials_metadata_addresses_and_other_schemes_are_refused() {
        for url in [
            "",
            "not a url",
            "https://user:pass@example.org/hook",
            "https://169.254.169.254/latest/meta-data",
            "https://[fe80::1]/hook",
            "https://0.0.0.0/hook",
            "ftp://example.org/hook",
            "file:///etc/passwd",
        ] {
            assert!(validate(url, true).is_err(), "{url}");
        }
        let long = format!("https://example.org/{}", "a".repeat(MAX_URL_LEN));
        assert!(validate(&long, false).is_err());
    }
}
