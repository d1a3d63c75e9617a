//! The fetching half of a job: pages of one kind from a start URL, each parsed into upserts and
//! removals with the link that follows it, sent over a bounded channel so the writer stores one
//! page while the next is on the wire. posture-graph's client does the retries, Retry-After and
//! budget; links are followed exactly as sent.

use chrono::{DateTime, Utc};
use posture_graph::delta::{DeltaChange, parse_delta_page};
use posture_graph::paging::{parse_odata_page, parse_singleton};
use posture_graph::{ApiRequest, GraphClient, GraphError, PagingStyle};
use serde_json::Value;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::kinds::{KindDef, ReadMode, window};

/// One change a page carries.
#[derive(Debug)]
pub enum Item {
    Upsert(Value),
    Removed(String),
}

/// One parsed page and where the next one is.
#[derive(Debug)]
pub struct FetchedPage {
    pub items: Vec<Item>,
    pub next: Option<Url>,
    /// The delta link a delta round ends with (last page only).
    pub delta_link: Option<Url>,
}

/// The first URL of a fresh pass over `kind`: the initial delta request or the first page.
/// `now` places the window of kinds read as open-plus-recently-closed ([`crate::kinds::window`]).
pub fn first_url(kind: &KindDef, client: &GraphClient, now: DateTime<Utc>) -> Result<Url, GraphError> {
    let spec = kind.spec();
    let mut url = match kind.read {
        ReadMode::Delta => spec.delta_url(client)?.ok_or_else(|| GraphError::Config {
            reason: format!("{} has no delta path", kind.name),
        })?,
        ReadMode::Full | ReadMode::PerGroup | ReadMode::MailDns => spec.first_page_url(client)?,
    };
    let own_select = kind.select.map(|fields| fields.join(","));
    if own_select.is_some() || !kind.extra_query.is_empty() {
        // An expanded navigation property is dropped by services that apply `$select` strictly,
        // so a kind that expands reads whole objects (they are small) plus the expansion. A kind
        // with its own `$select` replaces the catalog's.
        let expands = kind.extra_query.iter().any(|(k, _)| *k == "$expand");
        let drop_select = expands || own_select.is_some();
        let kept: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(k, _)| !(drop_select && k == "$select"))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let own = own_select.as_deref().map(|fields| ("$select", fields));
        let mut q = url.query_pairs_mut();
        q.clear();
        for (k, v) in kept
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .chain(own)
            .chain(kind.extra_query.iter().copied())
        {
            q.append_pair(k, v);
        }
    }
    if let Some(filter) = window::filter(kind, now) {
        url.query_pairs_mut().append_pair("$filter", &filter);
    }
    Ok(url)
}

/// Parse a response body of `kind`.
fn parse(
    kind: &KindDef,
    body: &[u8],
    endpoint: &str,
    ids: &posture_graph::RequestIds,
) -> Result<FetchedPage, GraphError> {
    let link = |l: Option<String>| -> Result<Option<Url>, GraphError> {
        l.map(|l| {
            Url::parse(&l).map_err(|e| GraphError::BadResponse {
                endpoint: endpoint.to_owned(),
                reason: format!("link is not an absolute URL: {e}"),
                ids: ids.clone(),
            })
        })
        .transpose()
    };
    match (kind.read, kind.spec().paging) {
        (ReadMode::Delta, _) => {
            let page = parse_delta_page::<Value>(body, endpoint, ids)?;
            let items = page
                .changes
                .into_iter()
                .map(|c| match c {
                    DeltaChange::Upsert(r) => Item::Upsert(r.value),
                    DeltaChange::Removed { id, .. } => Item::Removed(id),
                })
                .collect();
            Ok(FetchedPage {
                items,
                next: link(page.next_link)?,
                delta_link: link(page.delta_link)?,
            })
        }
        (ReadMode::Full, PagingStyle::Singleton) => {
            let record = parse_singleton::<Value>(body, endpoint, ids)?;
            Ok(FetchedPage {
                items: vec![Item::Upsert(record.value)],
                next: None,
                delta_link: None,
            })
        }
        (ReadMode::Full | ReadMode::PerGroup | ReadMode::MailDns, _) => {
            let page = parse_odata_page::<Value>(body, endpoint, ids)?;
            Ok(FetchedPage {
                items: page.records.into_iter().map(|r| Item::Upsert(r.value)).collect(),
                next: link(page.next_link)?,
                delta_link: None,
            })
        }
    }
}

/// Fetches one page at `url`.
pub async fn fetch_page(kind: &KindDef, client: &GraphClient, url: Url) -> Result<FetchedPage, GraphError> {
    let req: ApiRequest = kind.spec().request_at(url);
    let endpoint = req.endpoint();
    let (page, _) = client
        .fetch(&req, |resp| parse(kind, &resp.body, &endpoint, &resp.ids))
        .await?;
    Ok(page)
}

/// Runs the fetch loop from `start` until the last page, an error, `stop`, or the receiver going
/// away. At most `buffer` pages wait for the writer.
pub fn spawn_fetcher(
    kind: &'static KindDef,
    client: GraphClient,
    start: Url,
    buffer: usize,
    dns: &posture_graph::mail_dns::DnsSettings,
    stop: CancellationToken,
) -> mpsc::Receiver<Result<FetchedPage, GraphError>> {
    if kind.read == ReadMode::PerGroup {
        return super::members::spawn_group_reader(kind, client, start, buffer, stop);
    }
    if kind.read == ReadMode::MailDns {
        return super::mail_dns::spawn_dns_reader(client, start, dns.clone(), stop);
    }
    let (tx, rx) = mpsc::channel(buffer.max(1));
    tokio::spawn(async move {
        let facts = if super::cves::joins(kind) {
            let read = tokio::select! {
                _ = stop.cancelled() => return,
                read = super::cves::read(&client) => read,
            };
            match read {
                Ok(facts) => Some(facts),
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            }
        } else {
            None
        };
        let mut url = start;
        loop {
            let mut page = tokio::select! {
                _ = stop.cancelled() => return,
                page = fetch_page(kind, &client, url) => page,
            };
            if let (Some(facts), Ok(p)) = (&facts, &mut page) {
                facts.join(&mut p.items);
            }
            let next = match &page {
                Ok(p) => p.next.clone(),
                Err(_) => None,
            };
            if tx.send(page).await.is_err() {
                return;
            }
            match next {
                Some(n) => url = n,
                None => return,
            }
        }
    });
    rx
}
