//! Delta queries: a stream of change pages (upserts, `@removed` items, `members@delta` kept in the
//! record) that ends with the new deltaLink to store. An expired token (400 syncStateNotFound, or
//! 410 Gone with a fresh link in `Location`) comes back as `GraphError::ResyncRequired`.

use futures::Stream;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use url::Url;

use crate::client::{ApiRequest, GraphClient, json_error};
use crate::error::{GraphError, RequestIds};
use crate::paging::{Record, typed};

/// Why an object left the result set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemovalReason {
    /// Soft-deleted, restorable.
    Changed,
    /// Permanently deleted.
    Deleted,
    Other(String),
}

#[derive(Debug, Clone)]
pub enum DeltaChange<T> {
    /// Created or changed: the object (with any `members@delta` annotations).
    Upsert(Record<T>),
    Removed {
        id: String,
        reason: RemovalReason,
    },
}

#[derive(Debug, Clone)]
pub struct DeltaPage<T> {
    pub changes: Vec<DeltaChange<T>>,
    /// Present on the last page only: the link to store for the next round.
    pub delta_link: Option<Url>,
    pub ids: RequestIds,
}

#[derive(Deserialize)]
struct DeltaBody<'a> {
    #[serde(borrow, default)]
    value: Option<Vec<&'a RawValue>>,
    #[serde(rename = "@odata.nextLink", default)]
    next_link: Option<String>,
    #[serde(rename = "@odata.deltaLink", default)]
    delta_link: Option<String>,
}

#[derive(Deserialize)]
struct Probe {
    #[serde(default)]
    id: Option<String>,
    #[serde(rename = "@removed", default)]
    removed: Option<Removed>,
}

#[derive(Deserialize)]
struct Removed {
    #[serde(default)]
    reason: String,
}

/// One delta page: its changes and whichever link it ends with.
#[derive(Debug)]
pub struct ParsedDelta<T> {
    pub changes: Vec<DeltaChange<T>>,
    pub next_link: Option<String>,
    pub delta_link: Option<String>,
}

/// Parse one delta page into changes plus its next link and delta link.
pub fn parse_delta_page<T: DeserializeOwned>(
    body: &[u8],
    endpoint: &str,
    ids: &RequestIds,
) -> Result<ParsedDelta<T>, GraphError> {
    let bad = |reason: String| GraphError::BadResponse {
        endpoint: endpoint.to_owned(),
        reason,
        ids: ids.clone(),
    };
    let page: DeltaBody<'_> =
        serde_json::from_slice(body).map_err(|e| json_error(endpoint, ids, "invalid JSON", &e))?;
    let values = page
        .value
        .ok_or_else(|| bad("delta response has no `value` array".to_owned()))?;
    let mut changes = Vec::with_capacity(values.len());
    for raw in values {
        let probe: Probe =
            serde_json::from_str(raw.get()).map_err(|e| bad(format!("delta item is not an object: {e}")))?;
        match probe.removed {
            Some(r) => {
                let id = probe
                    .id
                    .ok_or_else(|| bad("removed item without id".to_owned()))?;
                let reason = match r.reason.as_str() {
                    "changed" => RemovalReason::Changed,
                    "deleted" => RemovalReason::Deleted,
                    other => RemovalReason::Other(other.to_owned()),
                };
                changes.push(DeltaChange::Removed { id, reason });
            }
            None => changes.push(DeltaChange::Upsert(typed(raw, endpoint, ids)?)),
        }
    }
    if page.next_link.is_none() && page.delta_link.is_none() {
        return Err(bad("delta page has neither nextLink nor deltaLink".to_owned()));
    }
    Ok(ParsedDelta {
        changes,
        next_link: page.next_link,
        delta_link: page.delta_link,
    })
}

/// Stream a delta round starting at `start` (the initial delta request, or one at a stored
/// deltaLink). The last page carries the new deltaLink.
pub fn delta<T: DeserializeOwned + Send + 'static>(
    client: GraphClient,
    start: ApiRequest,
) -> impl Stream<Item = Result<DeltaPage<T>, GraphError>> + Send {
    let first_url = start.url.clone();
    futures::stream::try_unfold(
        (client, start, Some(first_url)),
        |(client, start, next)| async move {
            let Some(url) = next else { return Ok(None) };
            let req = start.at(url);
            let endpoint = req.endpoint();
            let (
                ParsedDelta {
                    changes,
                    next_link,
                    delta_link,
                },
                resp,
            ) = client
                .fetch(&req, |r| parse_delta_page::<T>(&r.body, &endpoint, &r.ids))
                .await?;
            let parse = |link: String| {
                Url::parse(&link).map_err(|e| GraphError::BadResponse {
                    endpoint: endpoint.clone(),
                    reason: format!("delta link is not an absolute URL: {e}"),
                    ids: resp.ids.clone(),
                })
            };
            let (next, delta_link) = match (next_link, delta_link) {
                (Some(n), _) => (Some(parse(n)?), None),
                (None, Some(d)) => (None, Some(parse(d)?)),
                (None, None) => (None, None),
            };
            let page = DeltaPage {
                changes,
                delta_link,
                ids: resp.ids,
            };
            Ok(Some((page, (client, start, next))))
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removals_and_member_deltas_are_told_apart() -> Result<(), GraphError> {
        let body = br##"{"value":[
            {"id":"g1","displayName":"Admins","members@delta":[{"@odata.type":"#microsoft.graph.user","id":"u1"},{"@odata.type":"#microsoft.graph.user","id":"u2","@removed":{"reason":"deleted"}}]},
            {"id":"u9","@removed":{"reason":"changed"}},
            {"id":"u8","@removed":{"reason":"deleted"}}],
            "@odata.deltaLink":"https://graph.microsoft.com/v1.0/groups/delta?$deltatoken=abc"}"##;
        let ids = RequestIds::default();
        let ParsedDelta {
            changes,
            next_link: next,
            delta_link: delta,
        } = parse_delta_page::<serde_json::Value>(body, "GET /groups/delta", &ids)?;
        assert!(next.is_none());
        assert!(delta.is_some_and(|d| d.ends_with("$deltatoken=abc")));
        match &changes[0] {
            DeltaChange::Upsert(r) => {
                assert_eq!(r.value["members@delta"][1]["@removed"]["reason"], "deleted")
            }
            other => panic!("expected an upsert, got {other:?}"),
        }
        assert!(
            matches!(&changes[1], DeltaChange::Removed { id, reason: RemovalReason::Changed } if id == "u9")
        );
        assert!(matches!(
            &changes[2],
            DeltaChange::Removed {
                reason: RemovalReason::Deleted,
                ..
            }
        ));
        Ok(())
    }

    #[test]
    fn a_page_without_links_is_a_bad_response() {
        let r = parse_delta_page::<serde_json::Value>(br#"{"value":[]}"#, "e", &RequestIds::default());
        assert!(matches!(r, Err(GraphError::BadResponse { .. })));
    }
}
