//! Collections as a `Stream` of pages. Graph pages follow `@odata.nextLink` exactly as sent (never
//! rebuilt), resending the first request's headers (e.g. ConsistencyLevel) on every page; Defender
//! for Endpoint pages by `$top`/`$skip`; the Management Activity API by the `NextPageUri` header.
//! Each record keeps its typed form and its raw JSON for storage.

use futures::Stream;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use url::Url;

use crate::catalog::{EntitySpec, PagingStyle};
use crate::client::{ApiRequest, ApiResponse, GraphClient, json_error};
use crate::error::{GraphError, RequestIds};

/// One object: typed for the code that reads it, raw for the store that keeps it.
#[derive(Debug, Clone)]
pub struct Record<T> {
    pub value: T,
    pub raw: Box<RawValue>,
}

#[derive(Debug, Clone)]
pub struct Page<T> {
    pub records: Vec<Record<T>>,
    /// `@odata.count`, which Graph sends on the first page only.
    pub count: Option<u64>,
    pub ids: RequestIds,
}

#[derive(Deserialize)]
struct ODataPage<'a> {
    #[serde(borrow, default)]
    value: Option<Vec<&'a RawValue>>,
    #[serde(rename = "@odata.nextLink", default)]
    next_link: Option<String>,
    #[serde(rename = "@odata.count", default)]
    count: Option<u64>,
}

/// A parsed Graph collection page and its next link.
#[derive(Debug)]
pub struct ParsedPage<T> {
    pub records: Vec<Record<T>>,
    pub next_link: Option<String>,
    pub count: Option<u64>,
}

fn bad(endpoint: &str, ids: &RequestIds, reason: String) -> GraphError {
    GraphError::BadResponse {
        endpoint: endpoint.to_owned(),
        reason,
        ids: ids.clone(),
    }
}

pub(crate) fn typed<T: DeserializeOwned>(
    raw: &RawValue,
    endpoint: &str,
    ids: &RequestIds,
) -> Result<Record<T>, GraphError> {
    let value = serde_json::from_str(raw.get()).map_err(|e| {
        bad(
            endpoint,
            ids,
            format!("object does not match the expected shape: {e}"),
        )
    })?;
    Ok(Record {
        value,
        raw: raw.to_owned(),
    })
}

/// Parse an OData collection body (`{"value":[...], "@odata.nextLink": ...}`).
pub fn parse_odata_page<T: DeserializeOwned>(
    body: &[u8],
    endpoint: &str,
    ids: &RequestIds,
) -> Result<ParsedPage<T>, GraphError> {
    let page: ODataPage<'_> =
        serde_json::from_slice(body).map_err(|e| json_error(endpoint, ids, "invalid JSON", &e))?;
    let values = page.value.ok_or_else(|| {
        bad(
            endpoint,
            ids,
            "collection response has no `value` array".to_owned(),
        )
    })?;
    let records = values
        .into_iter()
        .map(|raw| typed(raw, endpoint, ids))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ParsedPage {
        records,
        next_link: page.next_link,
        count: page.count,
    })
}

/// Parse a singleton body; accepts the `{"value": {...}}` wrapping some services use.
pub fn parse_singleton<T: DeserializeOwned>(
    body: &[u8],
    endpoint: &str,
    ids: &RequestIds,
) -> Result<Record<T>, GraphError> {
    #[derive(Deserialize)]
    struct Wrapped<'a> {
        #[serde(borrow)]
        value: &'a RawValue,
    }
    let whole: &RawValue =
        serde_json::from_slice(body).map_err(|e| json_error(endpoint, ids, "invalid JSON", &e))?;
    let inner = serde_json::from_str::<Wrapped<'_>>(whole.get())
        .ok()
        .filter(|w| w.value.get().trim_start().starts_with('{'))
        .map(|w| w.value)
        .unwrap_or(whole);
    typed(inner, endpoint, ids)
}

fn parse_array<T: DeserializeOwned>(
    body: &[u8],
    endpoint: &str,
    ids: &RequestIds,
) -> Result<Vec<Record<T>>, GraphError> {
    let items: Vec<&RawValue> =
        serde_json::from_slice(body).map_err(|e| json_error(endpoint, ids, "expected a JSON array", &e))?;
    items.into_iter().map(|raw| typed(raw, endpoint, ids)).collect()
}

enum Cursor {
    Url(Url),
    Skip(u64),
    Done,
}

struct PagerState {
    client: GraphClient,
    first: ApiRequest,
    style: PagingStyle,
    page_size: u64,
    cursor: Cursor,
}

fn follow(link: &str, endpoint: &str, ids: &RequestIds) -> Result<Url, GraphError> {
    Url::parse(link).map_err(|e| bad(endpoint, ids, format!("next link is not an absolute URL: {e}")))
}

fn with_top_skip(url: &Url, top: u64, skip: u64) -> Url {
    let mut url = url.clone();
    url.query_pairs_mut()
        .append_pair("$top", &top.to_string())
        .append_pair("$skip", &skip.to_string());
    url
}

/// Parse one page in `style`; returns the page and the link to the next one, if any.
fn parse_page<T: DeserializeOwned>(
    resp: &ApiResponse,
    style: PagingStyle,
    endpoint: &str,
) -> Result<(Page<T>, Option<Url>), GraphError> {
    let ids = &resp.ids;
    match style {
        PagingStyle::Singleton => {
            let record = parse_singleton(&resp.body, endpoint, ids)?;
            Ok((
                Page {
                    records: vec![record],
                    count: None,
                    ids: ids.clone(),
                },
                None,
            ))
        }
        PagingStyle::NextPageUri => {
            let records = parse_array(&resp.body, endpoint, ids)?;
            let next = match resp.headers.get("NextPageUri").and_then(|v| v.to_str().ok()) {
                Some(link) if !link.is_empty() => Some(follow(link, endpoint, ids)?),
                _ => None,
            };
            Ok((
                Page {
                    records,
                    count: None,
                    ids: ids.clone(),
                },
                next,
            ))
        }
        PagingStyle::NextLink | PagingStyle::TopSkip => {
            let parsed = parse_odata_page(&resp.body, endpoint, ids)?;
            let next = match &parsed.next_link {
                Some(link) => Some(follow(link, endpoint, ids)?),
                None => None,
            };
            Ok((
                Page {
                    records: parsed.records,
                    count: parsed.count,
                    ids: ids.clone(),
                },
                next,
            ))
        }
    }
}

/// Stream the pages of `first` in the given paging style. `page_size` is the `$top` for `TopSkip`.
pub fn pages<T: DeserializeOwned + Send + 'static>(
    client: GraphClient,
    first: ApiRequest,
    style: PagingStyle,
    page_size: u32,
) -> impl Stream<Item = Result<Page<T>, GraphError>> + Send {
    let cursor = match style {
        PagingStyle::TopSkip => Cursor::Skip(0),
        _ => Cursor::Url(first.url.clone()),
    };
    let state = PagerState {
        client,
        first,
        style,
        page_size: u64::from(page_size.max(1)),
        cursor,
    };
    futures::stream::try_unfold(state, |mut st| async move {
        let req = match &st.cursor {
            Cursor::Done => return Ok(None),
            Cursor::Url(url) => st.first.at(url.clone()),
            Cursor::Skip(skip) => st.first.at(with_top_skip(&st.first.url, st.page_size, *skip)),
        };
        let endpoint = req.endpoint();
        let style = st.style;
        let ((page, next), _) = st
            .client
            .fetch(&req, |resp| parse_page::<T>(resp, style, &endpoint))
            .await?;
        st.cursor = match (next, &st.cursor, st.style) {
            (Some(url), _, _) => Cursor::Url(url),
            (None, Cursor::Skip(skip), PagingStyle::TopSkip) if page.records.len() as u64 >= st.page_size => {
                Cursor::Skip(skip + page.records.len() as u64)
            }
            _ => Cursor::Done,
        };
        Ok(Some((page, st)))
    })
}

/// Stream the pages of a catalog entity.
pub fn entity_pages<T: DeserializeOwned + Send + 'static>(
    client: &GraphClient,
    spec: &EntitySpec,
) -> Result<impl Stream<Item = Result<Page<T>, GraphError>> + Send + use<T>, GraphError> {
    let first = spec.request(client)?;
    Ok(pages(
        client.clone(),
        first,
        spec.paging,
        spec.page_size.unwrap_or(100),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids() -> RequestIds {
        RequestIds {
            client_request_id: "c".into(),
            request_id: Some("r".into()),
        }
    }

    #[test]
    fn odata_page_keeps_raw_and_typed_records_and_the_link() -> Result<(), GraphError> {
        let body = br#"{"@odata.context":"x","@odata.count":3,"value":[{"id":"a","extra":{"n":1}},{"id":"b"}],"@odata.nextLink":"https://graph.microsoft.com/v1.0/users?$skiptoken=X"}"#;
        let page: ParsedPage<serde_json::Value> = parse_odata_page(body, "GET /users", &ids())?;
        assert_eq!(page.records.len(), 2);
        assert_eq!(page.records[0].raw.get(), r#"{"id":"a","extra":{"n":1}}"#);
        assert_eq!(page.count, Some(3));
        assert_eq!(
            page.next_link.as_deref(),
            Some("https://graph.microsoft.com/v1.0/users?$skiptoken=X")
        );
        Ok(())
    }

    #[test]
    fn malformed_pages_are_bad_responses_with_request_ids() {
        let bodies: [&[u8]; 3] = [b"{\"value\":[{\"id\":<html>}", b"{\"odd\":1}", b"[]"];
        for body in bodies {
            match parse_odata_page::<serde_json::Value>(body, "GET /users", &ids()) {
                Err(GraphError::BadResponse { ids, .. }) => assert_eq!(ids.request_id.as_deref(), Some("r")),
                other => panic!("expected BadResponse, got {other:?}"),
            }
        }
    }

    #[test]
    fn bodies_that_end_early_are_transient() {
        match parse_odata_page::<serde_json::Value>(b"{\"value\":[{\"id\":\"a\"},{\"id", "GET /users", &ids())
        {
            Err(e @ GraphError::Transient { .. }) => assert!(e.is_transient()),
            other => panic!("expected Transient, got {other:?}"),
        }
    }

    #[test]
    fn singletons_accept_flat_and_value_wrapped_bodies() -> Result<(), GraphError> {
        let flat: Record<serde_json::Value> =
            parse_singleton(br#"{"id":"s","sharingCapability":"disabled"}"#, "e", &ids())?;
        let wrapped: Record<serde_json::Value> = parse_singleton(
            br#"{"value":{"id":"s","sharingCapability":"disabled"}}"#,
            "e",
            &ids(),
        )?;
        assert_eq!(flat.value, wrapped.value);
        Ok(())
    }
}
