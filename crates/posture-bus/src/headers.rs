//! Message headers carried by both implementations: validated names and values, so that nothing from
//! outside can break the NATS wire format, and conversion to and from NATS header maps.

use std::collections::BTreeMap;
use std::str::FromStr;

use async_nats::header::{HeaderMap, HeaderName};

use crate::error::BusError;

/// Header NATS JetStream uses for idempotent publish.
pub const MESSAGE_ID: &str = "Nats-Msg-Id";

const MAX_NAME_LEN: usize = 256;
const MAX_VALUE_LEN: usize = 8 * 1024;

/// Ordered, multi-valued headers. Names are case-sensitive, as on the NATS wire.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Headers(BTreeMap<String, Vec<String>>);

impl Headers {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `name` to the single `value`, replacing earlier values.
    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<String>) -> Result<(), BusError> {
        let (name, value) = (name.into(), value.into());
        validate(&name, &value)?;
        self.0.insert(name, vec![value]);
        Ok(())
    }

    /// Adds `value` to the values of `name`.
    pub fn append(&mut self, name: impl Into<String>, value: impl Into<String>) -> Result<(), BusError> {
        let (name, value) = (name.into(), value.into());
        validate(&name, &value)?;
        self.0.entry(name).or_default().push(value);
        Ok(())
    }

    /// Builder form of [`Headers::insert`].
    pub fn with(mut self, name: impl Into<String>, value: impl Into<String>) -> Result<Self, BusError> {
        self.insert(name, value)?;
        Ok(self)
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).and_then(|v| v.first()).map(String::as_str)
    }

    pub fn get_all(&self, name: &str) -> &[String] {
        self.0.get(name).map(Vec::as_slice).unwrap_or_default()
    }

    pub fn remove(&mut self, name: &str) -> Option<Vec<String>> {
        self.0.remove(name)
    }

    pub fn contains(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every (name, value) pair, names in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0
            .iter()
            .flat_map(|(n, vs)| vs.iter().map(move |v| (n.as_str(), v.as_str())))
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    pub(crate) fn to_nats(&self) -> Result<HeaderMap, BusError> {
        let mut map = HeaderMap::new();
        for (name, value) in self.iter() {
            // Validated on insert; parsing again keeps async-nats' own asserts from ever firing.
            let header = HeaderName::from_str(name).map_err(|_| BusError::InvalidHeader {
                name: name.to_owned(),
                reason: "not a NATS header name",
            })?;
            map.append(header, value);
        }
        Ok(map)
    }

    /// Reads a NATS header map, skipping (with a warning) anything that would not pass validation.
    pub(crate) fn from_nats(map: &HeaderMap) -> Self {
        let mut headers = Headers::new();
        for (name, values) in map.iter() {
            for value in values {
                if let Err(err) = headers.append(AsRef::<str>::as_ref(name), value.as_str()) {
                    tracing::warn!(error = %err, "dropping an unreadable header from a NATS message");
                }
            }
        }
        headers
    }
}

fn validate(name: &str, value: &str) -> Result<(), BusError> {
    let bad_name = |reason| BusError::InvalidHeader {
        name: name.escape_debug().to_string(),
        reason,
    };
    if name.is_empty() {
        return Err(bad_name("the name is empty"));
    }
    if name.len() > MAX_NAME_LEN {
        return Err(bad_name("the name is too long"));
    }
    if !name.chars().all(|c| c.is_ascii_graphic() && c != ':') {
        return Err(bad_name("names are printable ASCII without ':' or spaces"));
    }
    if value.len() > MAX_VALUE_LEN {
        return Err(bad_name("the value is too long"));
    }
    if value.chars().any(char::is_control) {
        return Err(bad_name("the value contains control characters"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_names_and_values_that_would_break_the_wire_are_rejected() {
        let mut headers = Headers::new();
        assert!(headers.insert("Bad:Name", "v").is_err());
        assert!(headers.insert("Bad Name", "v").is_err());
        assert!(headers.insert("", "v").is_err());
        assert!(headers.insert("X-Ok", "line\r\nInjected: yes").is_err());
        assert!(headers.is_empty());
        headers.insert("X-Ok", "fine value").ok();
        assert_eq!(headers.get("X-Ok"), Some("fine value"));
    }

    #[test]
    fn headers_survive_a_round_trip_through_a_nats_header_map() {
        let mut headers = Headers::new().with("X-Tenant", "t1").unwrap_or_default();
        headers.append("X-Many", "a").ok();
        headers.append("X-Many", "b").ok();
        let map = headers.to_nats().unwrap_or_default();
        let back = Headers::from_nats(&map);
        assert_eq!(back, headers);
        assert_eq!(back.get_all("X-Many"), ["a", "b"]);
    }
}
