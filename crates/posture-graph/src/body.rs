//! Reading a 2xx body as JSON, and what an unreadable one means. A body that ends early or does
//! not parse (broken JSON, or JSON of the wrong shape) is what a proxy or a Microsoft front end
//! sends when it hiccups, so `GraphClient::fetch` asks again; these helpers build the errors it
//! retries on and the one it finally reports, which carries only a short excerpt of the parse error.

use http::StatusCode;
use serde::de::DeserializeOwned;

use crate::error::{GraphError, RequestIds};

/// Longest parse-error excerpt kept in a message: serde errors can quote the offending value, and
/// a message must never carry a whole body.
const EXCERPT_CHARS: usize = 160;

/// A JSON error as a `GraphError`: input that ends early is `Transient` (the body was cut off),
/// anything else is a `BadResponse` (the body was malformed). `fetch` retries both.
pub fn json_error(endpoint: &str, ids: &RequestIds, what: &str, e: &serde_json::Error) -> GraphError {
    if e.is_eof() {
        GraphError::Transient {
            endpoint: endpoint.to_owned(),
            reason: format!("response body cut off: {}", excerpt(&e.to_string())),
            attempts: 1,
            ids: ids.clone(),
        }
    } else {
        GraphError::BadResponse {
            endpoint: endpoint.to_owned(),
            reason: format!("{what}: {}", excerpt(&e.to_string())),
            ids: ids.clone(),
        }
    }
}

/// Parse a JSON body, reporting malformed or unexpected shapes with the request ids.
pub fn parse_json<T: DeserializeOwned>(
    body: &[u8],
    endpoint: &str,
    ids: &RequestIds,
) -> Result<T, GraphError> {
    serde_json::from_slice(body).map_err(|e| json_error(endpoint, ids, "invalid JSON", &e))
}

/// The error to report once the retries for an unreadable body are spent: a cut-off body stays
/// `Transient` (the sync retries the job later), a malformed one becomes a `BadResponse` whose
/// reason names the status, the attempts and an excerpt of the parse error.
pub(crate) fn unreadable_after(error: GraphError, status: StatusCode, attempts: u32) -> GraphError {
    match error {
        GraphError::Transient {
            endpoint,
            reason,
            ids,
            ..
        } => GraphError::Transient {
            endpoint,
            reason,
            attempts,
            ids,
        },
        GraphError::BadResponse {
            endpoint,
            reason,
            ids,
        } => GraphError::BadResponse {
            endpoint,
            reason: format!(
                "malformed response body (HTTP {}) after {attempts} attempts: {}",
                status.as_u16(),
                excerpt(&reason)
            ),
            ids,
        },
        other => other,
    }
}

/// Whether `parse` failed because of the body itself (and so a fresh copy may read).
pub(crate) fn is_unreadable_body(error: &GraphError) -> bool {
    matches!(
        error,
        GraphError::Transient { .. } | GraphError::BadResponse { .. }
    )
}

/// At most `EXCERPT_CHARS` characters of `text`, cut on a character boundary.
pub(crate) fn excerpt(text: &str) -> String {
    match text.char_indices().nth(EXCERPT_CHARS) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
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
    fn broken_and_cut_off_json_are_both_unreadable_bodies() {
        let broken = parse_json::<serde_json::Value>(b"{\"value\":<html>", "GET /v1.0/users", &ids());
        let cut = parse_json::<serde_json::Value>(b"{\"value\":[", "GET /v1.0/users", &ids());
        for r in [broken, cut] {
            let e = r.expect_err("unreadable");
            assert!(is_unreadable_body(&e), "{e}");
        }
    }

    #[test]
    fn final_malformed_error_names_status_attempts_and_a_short_excerpt() {
        // A wrong-shape error that quotes a long string from the body.
        let long = format!("{{\"value\":\"{}\"}}", "x".repeat(5000));
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Page {
            value: Vec<u8>,
        }
        let e = parse_json::<Page>(long.as_bytes(), "GET /v1.0/users", &ids()).expect_err("wrong shape");
        let e = unreadable_after(e, StatusCode::OK, 6);
        assert!(matches!(e, GraphError::BadResponse { .. }), "{e}");
        let msg = e.to_string();
        assert!(
            msg.contains("malformed response body (HTTP 200) after 6 attempts"),
            "{msg}"
        );
        assert!(msg.contains("GET /v1.0/users"), "{msg}");
        assert!(
            msg.len() < 600,
            "no whole body in the message: {} chars",
            msg.len()
        );
    }

    #[test]
    fn excerpts_cut_on_character_boundaries() {
        assert_eq!(excerpt("short"), "short");
        let cut = excerpt(&"é".repeat(500));
        assert_eq!(cut.chars().count(), EXCERPT_CHARS + 1);
    }
}
