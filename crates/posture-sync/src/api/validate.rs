//! Request validation: ids, kinds, page sizes and tokens. Everything from a request is untrusted;
//! each problem names the field to fix.

use posture_kit::error::require_uuid;
use posture_kit::ids::PageToken;

use crate::error::SyncError;
use crate::kinds::{self, KindDef};

/// A tenant id as the store keeps it (lower-case GUID).
pub fn tenant(value: &str) -> Result<String, SyncError> {
    Ok(require_uuid("tenant_id", value)?.to_string())
}

pub fn run_id(value: &str) -> Result<String, SyncError> {
    Ok(require_uuid("run_id", value)?.to_string())
}

pub fn kind(field: &'static str, value: &str) -> Result<&'static KindDef, SyncError> {
    if value.is_empty() {
        return Err(SyncError::invalid(
            field,
            "must name an entity kind, e.g. `users`",
        ));
    }
    kinds::find(value).ok_or_else(|| {
        SyncError::invalid(
            field,
            format!(
                "unknown entity kind `{}` (see InventoryService.ListEntityKinds)",
                value.chars().take(64).collect::<String>()
            ),
        )
    })
}

pub fn object_id(value: &str) -> Result<&str, SyncError> {
    if value.trim().is_empty() {
        return Err(SyncError::invalid("object_id", "must not be empty"));
    }
    if value.len() > 256 {
        return Err(SyncError::invalid("object_id", "must be at most 256 bytes"));
    }
    Ok(value)
}

/// `page_size`: 0 means `default`, above `max` is clamped, negative is refused.
pub fn page_size(value: i32, default: u32, max: u32) -> Result<u32, SyncError> {
    match value {
        v if v < 0 => Err(SyncError::invalid("page_size", "must not be negative")),
        0 => Ok(default),
        v => Ok(u32::try_from(v).unwrap_or(max).min(max)),
    }
}

/// A cursor page token (the last key of the previous page).
pub fn cursor_token(value: &str) -> Result<Option<String>, SyncError> {
    match PageToken::decode(value)? {
        None => Ok(None),
        Some(PageToken::Cursor(c)) => Ok(Some(c)),
        Some(PageToken::Offset(_)) => Err(SyncError::invalid(
            "page_token",
            "is not a page token returned by this API",
        )),
    }
}

pub fn next_token(cursor: Option<String>) -> String {
    cursor.map(|c| PageToken::Cursor(c).encode()).unwrap_or_default()
}
