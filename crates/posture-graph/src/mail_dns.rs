//! The mail authentication records of a domain as DNS publishes them: SPF (a `v=spf1` TXT record at
//! the domain), DMARC (a `v=DMARC1` TXT record at `_dmarc.<domain>`) and DKIM (Exchange Online's
//! two selectors, `selector1._domainkey.<domain>` and `selector2...`, CNAMEs to Microsoft's keys).
//! The server is configurable so tests ask the simulator's DNS server and never the internet.
//!
//! A name that does not exist (NXDOMAIN) or has no record of the type is an absent record, which
//! the controls judge; a server failure (SERVFAIL, REFUSED) or no answer in time is an error, so a
//! broken resolver never reads as "no DMARC record".

use std::net::SocketAddr;
use std::time::Duration;

use hickory_resolver::TokioAsyncResolver;
use hickory_resolver::config::{NameServerConfigGroup, ResolverConfig, ResolverOpts};
use hickory_resolver::error::{ResolveError, ResolveErrorKind};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::{RData, RecordType};
use serde_json::{Map, Value, json};

use crate::error::GraphError;

/// The DKIM selectors Exchange Online signs with.
pub const DKIM_SELECTORS: [&str; 2] = ["selector1", "selector2"];

/// Where and how long to ask.
#[derive(Debug, Clone)]
pub struct DnsSettings {
    /// The DNS server (UDP and TCP) to ask; `None`: the system's resolvers (`/etc/resolv.conf`).
    pub server: Option<SocketAddr>,
    /// How long one query waits for an answer.
    pub timeout: Duration,
    /// Tries of one query before it fails.
    pub attempts: usize,
}

impl Default for DnsSettings {
    fn default() -> Self {
        Self {
            server: None,
            timeout: Duration::from_secs(5),
            attempts: 2,
        }
    }
}

/// Reads domains' mail records through one resolver (no cache across calls: every read sees the
/// records as published now).
#[derive(Clone)]
pub struct MailDns {
    resolver: TokioAsyncResolver,
}

impl std::fmt::Debug for MailDns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailDns").finish_non_exhaustive()
    }
}

impl MailDns {
    /// A resolver asking `settings.server`, or the system's resolvers.
    pub fn new(settings: &DnsSettings) -> Result<MailDns, GraphError> {
        let mut opts = ResolverOpts::default();
        opts.timeout = settings.timeout;
        opts.attempts = settings.attempts.max(1);
        opts.cache_size = 0;
        opts.use_hosts_file = false;
        // Names are asked as given (absolute): no search domains appended.
        opts.ndots = 0;
        let config = match settings.server {
            Some(addr) => ResolverConfig::from_parts(
                None,
                Vec::new(),
                NameServerConfigGroup::from_ips_clear(&[addr.ip()], addr.port(), true),
            ),
            None => {
                let (config, _) =
                    hickory_resolver::system_conf::read_system_conf().map_err(|e| GraphError::Config {
                        reason: format!("no DNS server configured and the system's cannot be read: {e}"),
                    })?;
                config
            }
        };
        Ok(MailDns {
            resolver: TokioAsyncResolver::tokio(config, opts),
        })
    }

    /// The TXT strings at `name` (each record's strings joined), empty when none is published.
    async fn txt(&self, name: &str) -> Result<Vec<String>, GraphError> {
        match self.resolver.txt_lookup(absolute(name)).await {
            Ok(lookup) => Ok(lookup
                .iter()
                .map(|txt| {
                    txt.txt_data()
                        .iter()
                        .map(|part| String::from_utf8_lossy(part).into_owned())
                        .collect::<String>()
                })
                .collect()),
            Err(e) => absent_or_error(e, "TXT", name).map(|()| Vec::new()),
        }
    }

    /// The CNAME target at `name` (without the final dot), if one is published.
    async fn cname(&self, name: &str) -> Result<Option<String>, GraphError> {
        match self.resolver.lookup(absolute(name), RecordType::CNAME).await {
            Ok(lookup) => Ok(lookup.iter().find_map(|r| match r {
                RData::CNAME(target) => Some(target.0.to_utf8().trim_end_matches('.').to_owned()),
                _ => None,
            })),
            Err(e) => absent_or_error(e, "CNAME", name).map(|()| None),
        }
    }

    /// One domain's SPF, DMARC and DKIM records, as the `dns_mail_records` kind stores them.
    pub async fn domain_records(&self, domain: &str) -> Result<Value, GraphError> {
        let domain = domain.trim_end_matches('.').to_ascii_lowercase();
        let spf: Vec<String> = self
            .txt(&domain)
            .await?
            .into_iter()
            .filter(|t| is_tagged(t, "v=spf1"))
            .collect();
        let dmarc: Vec<String> = self
            .txt(&format!("_dmarc.{domain}"))
            .await?
            .into_iter()
            .filter(|t| is_tagged(t, "v=DMARC1"))
            .collect();
        let mut dkim = Map::new();
        for selector in DKIM_SELECTORS {
            let name = format!("{selector}._domainkey.{domain}");
            let cname = self.cname(&name).await?;
            // A TXT lookup follows the CNAME: the key as receivers see it.
            let keys: Vec<String> = self
                .txt(&name)
                .await?
                .into_iter()
                .filter(|t| is_tagged(t, "v=DKIM1") || t.contains("p="))
                .collect();
            dkim.insert(
                selector.to_owned(),
                json!({ "name": name, "cname": cname, "records": keys }),
            );
        }
        Ok(json!({
            "id": domain,
            "displayName": domain,
            "domain": domain,
            "spf": {
                "records": spf,
                "all": spf.first().and_then(|r| spf_all(r)),
            },
            "dmarc": {
                "records": dmarc,
                "tags": dmarc.first().map(|r| dmarc_tags(r)).unwrap_or_default(),
            },
            "dkim": dkim,
        }))
    }
}

fn absolute(name: &str) -> String {
    format!("{}.", name.trim_end_matches('.'))
}

/// True when `record` starts with `tag` (case-insensitive) followed by a space or its end.
fn is_tagged(record: &str, tag: &str) -> bool {
    let r = record.trim_start();
    r.len() >= tag.len()
        && r[..tag.len()].eq_ignore_ascii_case(tag)
        && r[tag.len()..].chars().next().is_none_or(|c| c == ' ' || c == ';')
}

/// The SPF record's `all` mechanism with its qualifier (`-all`, `~all`, `?all`, `+all`).
pub fn spf_all(record: &str) -> Option<String> {
    record.split_whitespace().find_map(|term| {
        let lower = term.to_ascii_lowercase();
        match lower.as_str() {
            "all" | "+all" => Some("+all".to_owned()),
            "-all" | "~all" | "?all" => Some(lower),
            _ => None,
        }
    })
}

/// A DMARC record's tags (`p`, `sp`, `pct`, `rua`, ...), names lower case, values trimmed.
pub fn dmarc_tags(record: &str) -> Map<String, Value> {
    record
        .split(';')
        .filter_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            let k = k.trim().to_ascii_lowercase();
            (!k.is_empty()).then(|| (k, Value::String(v.trim().to_owned())))
        })
        .collect()
}

/// NXDOMAIN and an empty answer mean "not published"; anything else is the server failing.
fn absent_or_error(e: ResolveError, rtype: &str, name: &str) -> Result<(), GraphError> {
    let endpoint = format!("DNS {rtype} {name}");
    let reason = match e.kind() {
        ResolveErrorKind::NoRecordsFound { response_code, .. }
            if matches!(*response_code, ResponseCode::NXDomain | ResponseCode::NoError) =>
        {
            return Ok(());
        }
        ResolveErrorKind::NoRecordsFound { response_code, .. } => {
            let code = match *response_code {
                ResponseCode::ServFail => "SERVFAIL".to_owned(),
                ResponseCode::Refused => "REFUSED".to_owned(),
                other => other.to_string(),
            };
            format!("the DNS server answered {code}")
        }
        ResolveErrorKind::Timeout => "the DNS server did not answer in time".to_owned(),
        _ => format!("the DNS lookup failed: {e}"),
    };
    Err(GraphError::Transient {
        endpoint,
        reason,
        attempts: 1,
        ids: Default::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spf_all_reads_the_qualifier() {
        assert_eq!(
            spf_all("v=spf1 include:spf.protection.outlook.com -all").as_deref(),
            Some("-all")
        );
        assert_eq!(spf_all("v=spf1 mx ~ALL").as_deref(), Some("~all"));
        assert_eq!(spf_all("v=spf1 mx all").as_deref(), Some("+all"));
        assert_eq!(spf_all("v=spf1 redirect=_spf.example.com"), None);
    }

    #[test]
    fn dmarc_tags_are_split_and_lower_cased() {
        let tags = dmarc_tags("v=DMARC1; P=reject ; pct=100; rua=mailto:a@example.com;");
        assert_eq!(tags["p"], "reject");
        assert_eq!(tags["pct"], "100");
        assert_eq!(tags["rua"], "mailto:a@example.com");
    }

    #[test]
    fn only_records_of_the_tag_count() {
        assert!(is_tagged("v=spf1 -all", "v=spf1"));
        assert!(is_tagged("V=DMARC1;p=none", "v=DMARC1"));
        assert!(!is_tagged("v=spf10 -all", "v=spf1"));
        assert!(!is_tagged("MS=ms1234", "v=spf1"));
    }
}
