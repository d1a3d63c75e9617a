//! How values are kept in columns on both engines: structured parts as JSON text only this store
//! reads. Instants are microseconds since the Unix epoch (`posture_kit::time::micros`).

use serde::{Deserialize, Serialize};

use super::error::StoreError;

pub(crate) fn to_json<T: Serialize>(value: &T) -> String {
    // The store's own record types serialise infallibly (strings, numbers, vectors, maps).
    serde_json::to_string(value).unwrap_or_default()
}

pub(crate) fn from_json<T: for<'de> Deserialize<'de>>(
    what: &'static str,
    text: &str,
) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt {
        what,
        reason: e.to_string(),
    })
}
