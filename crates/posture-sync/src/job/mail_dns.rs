//! Reading the `dns_mail_records` kind: the accepted domains are listed through Exchange's admin
//! API (every page), then each one's SPF, DMARC and DKIM records are asked of DNS. The objects go
//! out as one page: a run reads a handful of domains, and a resolver failure (SERVFAIL, no answer
//! in time) fails the whole read with the query it failed on, so a partial answer never sweeps a
//! domain's stored records away.

use posture_graph::mail_dns::{DnsSettings, MailDns};
use posture_graph::paging::parse_odata_page;
use posture_graph::{EntityKind, GraphClient, GraphError};
use serde_json::Value;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use url::Url;

use super::fetch::{FetchedPage, Item};

/// Every accepted domain, as `Get-AcceptedDomain` lists them from `start`.
async fn accepted_domains(client: &GraphClient, start: Url) -> Result<Vec<Value>, GraphError> {
    let spec = EntityKind::ExoAcceptedDomains.spec();
    let mut out = Vec::new();
    let mut url = Some(start);
    while let Some(u) = url {
        let req = spec.request_at(u);
        let endpoint = req.endpoint();
        let (page, _) = client
            .fetch(&req, |resp| {
                parse_odata_page::<Value>(&resp.body, &endpoint, &resp.ids)
            })
            .await?;
        out.extend(page.records.into_iter().map(|r| r.value));
        url = page
            .next_link
            .map(|l| {
                Url::parse(&l).map_err(|e| GraphError::BadResponse {
                    endpoint: endpoint.clone(),
                    reason: format!("link is not an absolute URL: {e}"),
                    ids: Default::default(),
                })
            })
            .transpose()?;
    }
    Ok(out)
}

/// Each accepted domain's records, with what Exchange says of the domain.
async fn read(client: &GraphClient, start: Url, dns: &DnsSettings) -> Result<Vec<Item>, GraphError> {
    let domains = accepted_domains(client, start).await?;
    let resolver = MailDns::new(dns)?;
    let mut items = Vec::with_capacity(domains.len());
    for domain in &domains {
        let Some(name) = domain.get("DomainName").and_then(Value::as_str) else {
            continue;
        };
        // A wildcard accepted domain (`*.contoso.com`) has no records of its own.
        if name.starts_with('*') {
            continue;
        }
        let mut records = resolver.domain_records(name).await?;
        if let Value::Object(map) = &mut records {
            for (from, to) in [
                ("InitialDomain", "initialDomain"),
                ("Default", "defaultDomain"),
                ("DomainType", "domainType"),
            ] {
                if let Some(v) = domain.get(from) {
                    map.insert(to.to_owned(), v.clone());
                }
            }
        }
        items.push(Item::Upsert(records));
    }
    Ok(items)
}

/// Runs the read from `start` (the first page of `Get-AcceptedDomain`): one page, no next link.
pub fn spawn_dns_reader(
    client: GraphClient,
    start: Url,
    dns: DnsSettings,
    stop: CancellationToken,
) -> mpsc::Receiver<Result<FetchedPage, GraphError>> {
    let (tx, rx) = mpsc::channel(1);
    tokio::spawn(async move {
        let page = tokio::select! {
            _ = stop.cancelled() => return,
            items = read(&client, start, &dns) => items.map(|items| FetchedPage {
                items,
                next: None,
                delta_link: None,
            }),
        };
        let _ = tx.send(page).await;
    });
    rx
}
