//! What the document keeps of each object of the per-user kinds. A 100,000-user tenant's users
//! with every Graph property the sync stored take several hundred MiB as JSON values; the document,
//! the built-in pack and the fields custom policies most often need fit in a fraction of that. The
//! reader parses each synced object straight into its projection, so the dropped properties are
//! never allocated; the builder applies the same projection to collections given in full.

use std::fmt;

use serde::Deserializer;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde_json::{Map, Value};

use super::collection::CollectionKind;

/// `users`: what `derived.accounts` and `derived.privileged_users` are built from and what the
/// built-in pack reads of a user (`assignedLicenses` for the admin licence footprint).
const USER_FIELDS: &[&str] = &[
    "id",
    "assignedLicenses",
    "displayName",
    "userPrincipalName",
    "userType",
    "accountEnabled",
    "createdDateTime",
    "externalUserState",
    "externalUserStateChangeDateTime",
    "onPremisesSyncEnabled",
    "onPremisesImmutableId",
    "signInActivity",
];

/// `user_registration_details`: identity, the MFA, passwordless and SSPR flags and the methods.
const REGISTRATION_FIELDS: &[&str] = &[
    "id",
    "userPrincipalName",
    "userDisplayName",
    "userType",
    "isAdmin",
    "isMfaRegistered",
    "isMfaCapable",
    "isPasswordlessCapable",
    "isSsprRegistered",
    "isSsprCapable",
    "methodsRegistered",
];

/// `user_sign_in_activity`: the user's id and the activity the builder moves onto the user.
const SIGN_IN_ACTIVITY_FIELDS: &[&str] = &["id", "signInActivity"];

/// `managed_devices`: one object per device (tens of thousands in a large tenant): identity, the
/// primary user, platform and version, compliance and the last check-in.
const MANAGED_DEVICE_FIELDS: &[&str] = &[
    "id",
    "deviceName",
    "userId",
    "userPrincipalName",
    "operatingSystem",
    "osVersion",
    "complianceState",
    "lastSyncDateTime",
    "managedDeviceOwnerType",
    "isEncrypted",
];

/// `security_alerts`: what an alert is and where it stands, without its evidence graph.
const SECURITY_ALERT_FIELDS: &[&str] = &[
    "id",
    "title",
    "severity",
    "status",
    "category",
    "serviceSource",
    "incidentId",
    "createdDateTime",
    "lastUpdateDateTime",
    "resolvedDateTime",
    "alertWebUrl",
];

/// `defender_machines`: one object per onboarded machine: identity, platform, health and risk.
const DEFENDER_MACHINE_FIELDS: &[&str] = &[
    "id",
    "computerDnsName",
    "osPlatform",
    "version",
    "osBuild",
    "healthStatus",
    "onboardingStatus",
    "riskScore",
    "exposureLevel",
    "lastSeen",
    "aadDeviceId",
    "machineTags",
    "deviceValue",
];

/// `defender_vulnerabilities`: one object per machine, open CVE and product, with the CVE's facts
/// the sync joins from Defender's vulnerability catalogue.
const DEFENDER_VULNERABILITY_FIELDS: &[&str] = &[
    "id",
    "machineId",
    "cveId",
    "severity",
    "fixingKbId",
    "productName",
    "productVendor",
    "productVersion",
    "publicExploit",
    "exploitVerified",
    "publishedOn",
    "cvssV3",
];

/// `defender_alerts`: what a Defender for Endpoint alert is, where it stands and which machine.
const DEFENDER_ALERT_FIELDS: &[&str] = &[
    "id",
    "title",
    "severity",
    "status",
    "category",
    "detectionSource",
    "incidentId",
    "machineId",
    "computerDnsName",
    "alertCreationTime",
    "lastUpdateTime",
    "resolvedTime",
];

impl CollectionKind {
    /// The top-level properties the document keeps of each object of this kind, or `None` when
    /// objects are kept whole (every kind but the three with one object per user and the kinds
    /// that grow with the tenant's devices and events). Nested values
    /// of a kept property are kept whole.
    pub fn fields(self) -> Option<&'static [&'static str]> {
        match self {
            CollectionKind::Users => Some(USER_FIELDS),
            CollectionKind::UserRegistrationDetails => Some(REGISTRATION_FIELDS),
            CollectionKind::UserSignInActivity => Some(SIGN_IN_ACTIVITY_FIELDS),
            CollectionKind::ManagedDevices => Some(MANAGED_DEVICE_FIELDS),
            CollectionKind::SecurityAlerts => Some(SECURITY_ALERT_FIELDS),
            CollectionKind::DefenderMachines => Some(DEFENDER_MACHINE_FIELDS),
            CollectionKind::DefenderVulnerabilities => Some(DEFENDER_VULNERABILITY_FIELDS),
            CollectionKind::DefenderAlerts => Some(DEFENDER_ALERT_FIELDS),
            _ => None,
        }
    }

    /// Parses one synced object of this kind into what the document keeps of it. Objects of a
    /// projected kind must be JSON objects.
    pub fn parse_object(self, json: &str) -> Result<Value, serde_json::Error> {
        match self.fields() {
            None => serde_json::from_str(json),
            Some(fields) => {
                let mut parser = serde_json::Deserializer::from_str(json);
                let value = Projection(fields).deserialize(&mut parser)?;
                parser.end()?;
                Ok(value)
            }
        }
    }

    /// Drops the properties this kind does not keep from an object given whole.
    pub(crate) fn project(self, object: &mut Value) {
        if let (Some(fields), Some(map)) = (self.fields(), object.as_object_mut()) {
            map.retain(|name, _| fields.contains(&name.as_str()));
        }
    }
}

/// Deserialises a JSON object keeping only the listed properties; the others are skipped by the
/// parser without being built.
struct Projection(&'static [&'static str]);

impl<'de> DeserializeSeed<'de> for Projection {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Projection {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(field) = map.next_key_seed(FieldOf(self.0))? {
            match field {
                Some(name) => {
                    object.insert(name.to_owned(), map.next_value()?);
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Value::Object(object))
    }
}

/// A property name, matched against the kept ones without allocating it.
struct FieldOf(&'static [&'static str]);

impl<'de> DeserializeSeed<'de> for FieldOf {
    type Value = Option<&'static str>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for FieldOf {
    type Value = Option<&'static str>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a property name")
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<Self::Value, E> {
        Ok(self.0.iter().copied().find(|field| *field == name))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_user_keeps_only_its_listed_properties_nested_values_whole() {
        let text = r#"{"id":"u1","department":"Finance","businessPhones":["+1 555"],"userType":"Member",
            "signInActivity":{"lastSignInDateTime":"2026-01-01T00:00:00Z","lastSignInRequestId":"r"},
            "assignedLicenses":[{"skuId":"s","disabledPlans":[]}],"onPremisesImmutableId":null}"#;
        let parsed = CollectionKind::Users.parse_object(text).expect("parses");
        assert_eq!(
            parsed,
            json!({
                "id": "u1",
                "userType": "Member",
                "signInActivity": {"lastSignInDateTime": "2026-01-01T00:00:00Z", "lastSignInRequestId": "r"},
                "assignedLicenses": [{"skuId": "s", "disabledPlans": []}],
                "onPremisesImmutableId": null,
            })
        );
        let mut whole: Value = serde_json::from_str(text).expect("parses");
        CollectionKind::Users.project(&mut whole);
        assert_eq!(whole, parsed);
    }

    #[test]
    fn configuration_objects_are_kept_whole() {
        let text = r#"{"id":"p1","state":"enabled","conditions":{"users":{"includeUsers":["All"]}}}"#;
        let parsed = CollectionKind::ConditionalAccessPolicies
            .parse_object(text)
            .expect("parses");
        assert_eq!(parsed, serde_json::from_str::<Value>(text).expect("parses"));
    }

    #[test]
    fn a_projected_object_that_is_not_an_object_or_not_json_is_an_error() {
        assert!(CollectionKind::Users.parse_object(r#"["u1"]"#).is_err());
        assert!(CollectionKind::Users.parse_object(r#"{"id":"u1""#).is_err());
        assert!(
            CollectionKind::Users
                .parse_object(r#"{"id":"u1"} trailing"#)
                .is_err()
        );
    }
}
