//! Field checks done at the edge, before a request is forwarded: ids have their documented form,
//! free text and tokens have bounded sizes. Backends validate meaning; the gateway only keeps
//! garbage and oversized fields from travelling further.

use posture_kit::ServiceError;
use posture_kit::error::{DEFAULT_MAX_FIELD_LEN, require_max_len, require_non_empty, require_uuid};
use posture_kit::ids::TenantId;

/// Page tokens longer than this were not issued by any Posture service.
const MAX_PAGE_TOKEN_LEN: usize = 1024;
const MAX_ENTITY_KIND_LEN: usize = 64;
/// Bound for comments, reasons and descriptions (the contract's largest free-text field).
pub const MAX_TEXT_LEN: usize = 4096;
/// Bound for repeated id fields (baseline targets, object ids of an exception).
pub const MAX_LIST_LEN: usize = 1000;

pub fn tenant(field: &str, value: &str) -> Result<TenantId, ServiceError> {
    require_non_empty(field, value)?;
    value
        .parse::<TenantId>()
        .map_err(|err| ServiceError::invalid(field, format!("`{}` {}", err.value, err.reason)))
}

/// An optional tenant filter: empty means "no filter".
pub fn optional_tenant(field: &str, value: &str) -> Result<Option<TenantId>, ServiceError> {
    if value.is_empty() {
        Ok(None)
    } else {
        tenant(field, value).map(Some)
    }
}

pub fn tenants(field: &str, values: &[String]) -> Result<Vec<TenantId>, ServiceError> {
    list_len(field, values.len())?;
    values.iter().map(|value| tenant(field, value)).collect()
}

pub fn uuid(field: &str, value: &str) -> Result<(), ServiceError> {
    require_uuid(field, value).map(drop)
}

pub fn optional_uuid(field: &str, value: &str) -> Result<(), ServiceError> {
    if value.is_empty() {
        Ok(())
    } else {
        uuid(field, value)
    }
}

/// Lower snake case, as `InventoryService.ListEntityKinds` names kinds.
pub fn entity_kind(field: &str, value: &str) -> Result<(), ServiceError> {
    require_non_empty(field, value)?;
    require_max_len(field, value, MAX_ENTITY_KIND_LEN)?;
    let mut chars = value.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if valid {
        Ok(())
    } else {
        Err(ServiceError::invalid(
            field,
            "must be an entity kind in lower snake case, e.g. `users`",
        ))
    }
}

pub fn optional_entity_kind(field: &str, value: &str) -> Result<(), ServiceError> {
    if value.is_empty() {
        Ok(())
    } else {
        entity_kind(field, value)
    }
}

pub fn entity_kinds(field: &str, values: &[String]) -> Result<(), ServiceError> {
    list_len(field, values.len())?;
    values.iter().try_for_each(|value| entity_kind(field, value))
}

/// Microsoft object ids and control ids: non-empty, bounded, printable.
pub fn identifier(field: &str, value: &str) -> Result<(), ServiceError> {
    require_non_empty(field, value)?;
    require_max_len(field, value, DEFAULT_MAX_FIELD_LEN)?;
    printable(field, value)
}

pub fn optional_identifier(field: &str, value: &str) -> Result<(), ServiceError> {
    if value.is_empty() {
        Ok(())
    } else {
        identifier(field, value)
    }
}

pub fn identifiers(field: &str, values: &[String]) -> Result<(), ServiceError> {
    list_len(field, values.len())?;
    values.iter().try_for_each(|value| identifier(field, value))
}

pub fn text(field: &str, value: &str, max: usize) -> Result<(), ServiceError> {
    require_max_len(field, value, max).map(drop)
}

pub fn paging(page_size: i32, page_token: &str) -> Result<(), ServiceError> {
    if page_size < 0 {
        return Err(ServiceError::invalid("page_size", "must not be negative"));
    }
    if page_token.len() > MAX_PAGE_TOKEN_LEN {
        return Err(ServiceError::invalid(
            "page_token",
            "is not a page token returned by this API",
        ));
    }
    Ok(())
}

fn list_len(field: &str, len: usize) -> Result<(), ServiceError> {
    if len > MAX_LIST_LEN {
        return Err(ServiceError::invalid(
            field,
            format!("must hold at most {MAX_LIST_LEN} entries (got {len})"),
        ));
    }
    Ok(())
}

fn printable(field: &str, value: &str) -> Result<(), ServiceError> {
    if value.chars().any(char::is_control) {
        return Err(ServiceError::invalid(
            field,
            "must not contain control characters",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_ids_must_be_guids_not_domains() {
        assert!(tenant("tenant_id", "9b2f8a8e-2c63-4e4b-9d1a-0f3a9e5f1c11").is_ok());
        for bad in [
            "",
            "contoso.onmicrosoft.com",
            "00000000-0000-0000-0000-000000000000",
            "9b2f8a8e",
        ] {
            let error = tenant("tenant_id", bad).expect_err(bad);
            assert!(error.to_string().starts_with("invalid tenant_id"), "{error}");
        }
        assert_eq!(optional_tenant("tenant_id", "").ok(), Some(None));
    }

    #[test]
    fn entity_kinds_are_lower_snake_case() {
        assert!(entity_kind("entity_kind", "conditional_access_policies").is_ok());
        for bad in ["", "Users", "users;drop", "_users", &"a".repeat(65)] {
            assert!(entity_kind("entity_kind", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sizes_and_control_characters_are_bounded() {
        assert!(identifier("object_id", "abc\u{0}").is_err());
        assert!(identifier("object_id", &"x".repeat(257)).is_err());
        assert!(paging(-1, "").is_err());
        assert!(paging(10, &"t".repeat(1025)).is_err());
        assert!(tenants("tenant_ids", &vec![String::new(); 1001]).is_err());
        assert!(text("reason", &"r".repeat(MAX_TEXT_LEN + 1), MAX_TEXT_LEN).is_err());
    }
}
