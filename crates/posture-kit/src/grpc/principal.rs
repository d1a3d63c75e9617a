//! Who a call is made for, as the gateway tells the role behind it: the `x-posture-principal`
//! metadata key, written by the gateway and read by every role that records who did what.
//! The value is a name for audit trails; authorization happens at the gateway.

use tonic::metadata::{MetadataMap, MetadataValue};

/// Metadata key of the principal's name on calls the gateway forwards.
pub const PRINCIPAL_METADATA: &str = "x-posture-principal";

/// What a call without a principal (a direct internal call, a test) is recorded as.
pub const UNKNOWN_PRINCIPAL: &str = "anonymous";

/// Longest principal name kept in a record.
pub const MAX_PRINCIPAL_CHARS: usize = 128;

/// `name` as a metadata value: printable ASCII as is, every other byte (and `%`) as `%XX`, so any
/// key name travels intact through an ASCII header.
pub fn principal_value(name: &str) -> MetadataValue<tonic::metadata::Ascii> {
    let mut value = String::with_capacity(name.len());
    for byte in name.bytes() {
        if (0x20..0x7f).contains(&byte) && byte != b'%' {
            value.push(char::from(byte));
        } else {
            value.push_str(&format!("%{byte:02X}"));
        }
    }
    // Only printable ASCII remains, which is always a valid metadata value.
    MetadataValue::try_from(value).unwrap_or_else(|_| MetadataValue::from_static(UNKNOWN_PRINCIPAL))
}

/// Sets the principal of an outgoing call.
pub fn set_principal(metadata: &mut MetadataMap, name: &str) {
    metadata.insert(PRINCIPAL_METADATA, principal_value(name));
}

/// The principal of an incoming call: decoded, trimmed, control characters removed, at most
/// [`MAX_PRINCIPAL_CHARS`]; [`UNKNOWN_PRINCIPAL`] when absent or empty.
pub fn principal(metadata: &MetadataMap) -> String {
    metadata
        .get(PRINCIPAL_METADATA)
        .and_then(|value| value.to_str().ok())
        .map(percent_decode)
        .map(|name| {
            name.trim()
                .chars()
                .filter(|c| !c.is_control())
                .take(MAX_PRINCIPAL_CHARS)
                .collect::<String>()
        })
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| UNKNOWN_PRINCIPAL.to_owned())
}

/// Undoes [`principal_value`]; a malformed escape is kept as it is.
fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(name: &str) -> MetadataMap {
        let mut metadata = MetadataMap::new();
        set_principal(&mut metadata, name);
        metadata
    }

    #[test]
    fn a_principal_name_round_trips_through_the_header() {
        for name in ["ops@example.com", "Zoë's key", "100% admin", "键"] {
            assert_eq!(principal(&with(name)), name);
        }
    }

    #[test]
    fn names_travel_as_printable_ascii_with_percent_escapes() {
        let encoded = |name: &str| {
            principal_value(name)
                .to_str()
                .map(str::to_owned)
                .unwrap_or_default()
        };
        assert_eq!(encoded("ci pipeline"), "ci pipeline");
        assert_eq!(encoded("Müller 100%"), "M%C3%BCller 100%25");
        assert_eq!(encoded("a\nb"), "a%0Ab");
    }

    #[test]
    fn a_missing_or_blank_principal_is_anonymous() {
        assert_eq!(principal(&MetadataMap::new()), UNKNOWN_PRINCIPAL);
        assert_eq!(principal(&with("   ")), UNKNOWN_PRINCIPAL);
    }

    #[test]
    fn control_characters_are_dropped_and_long_names_cut() {
        assert_eq!(principal(&with("a\nb\u{7}c")), "abc");
        assert_eq!(
            principal(&with(&"x".repeat(500))).chars().count(),
            MAX_PRINCIPAL_CHARS
        );
    }

    #[test]
    fn a_malformed_escape_is_kept_as_sent() {
        let mut metadata = MetadataMap::new();
        metadata.insert(PRINCIPAL_METADATA, MetadataValue::from_static("50%zz"));
        assert_eq!(principal(&metadata), "50%zz");
    }
}
