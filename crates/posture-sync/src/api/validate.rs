//! Request validation: ids, kinds and page sizes. Everything from a request (or a bus payload) is
//! untrusted; each problem names the field to fix.

use posture_kit::ids::{RunId, TenantId};

use crate::error::SyncError;
use crate::kinds::{self, KindDef};

/// The `tenant_id` of a request.
pub fn tenant(value: &str) -> Result<TenantId, SyncError> {
    Ok(value.parse()?)
}

/// The `run_id` of a request.
pub fn run_id(value: &str) -> Result<RunId, SyncError> {
    Ok(value.parse()?)
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
