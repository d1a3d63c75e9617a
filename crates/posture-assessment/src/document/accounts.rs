//! Per-account facts for the controls that judge every user (staleness, MFA coverage). Regorus
//! walks 100,000 raw user objects, parsing three timestamps each, in seconds rather than the
//! milliseconds an assessment can afford, so the builder joins users with their registration
//! details and parses the timestamps once; the policies then compare numbers.

use std::collections::HashMap;

use chrono::DateTime;
use serde_json::{Map, Value};

use super::Collection;

const SIGN_IN_FIELDS: [&str; 3] = [
    "lastSignInDateTime",
    "lastNonInteractiveSignInDateTime",
    "lastSuccessfulSignInDateTime",
];

fn str_field<'a>(object: &'a Value, field: &str) -> Option<&'a str> {
    object.get(field).and_then(Value::as_str)
}

/// Seconds since the epoch and the original text, for one RFC 3339 timestamp.
fn instant(text: Option<&str>) -> Option<(i64, &str)> {
    let text = text?;
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| (t.timestamp(), text))
}

fn put_instant(fact: &mut Map<String, Value>, name: &str, value: Option<(i64, &str)>) {
    let (seconds, text) = match value {
        Some((seconds, text)) => (Value::from(seconds), Value::from(text)),
        None => (Value::Null, Value::Null),
    };
    fact.insert(name.to_string(), seconds);
    fact.insert(format!("{name}_at"), text);
}

fn label(user: &Value, id: &str) -> String {
    str_field(user, "userPrincipalName")
        .or_else(|| str_field(user, "displayName"))
        .unwrap_or(id)
        .to_string()
}

/// Latest of the interactive, non-interactive and successful sign-in instants.
fn last_sign_in(activity: &Value) -> Option<(i64, &str)> {
    SIGN_IN_FIELDS
        .iter()
        .filter_map(|field| instant(str_field(activity, field)))
        .max_by_key(|(seconds, _)| *seconds)
}

fn common_fact(user: &Value, id: &str) -> Map<String, Value> {
    let mut fact = Map::new();
    fact.insert("id".to_string(), Value::from(id));
    fact.insert("label".to_string(), Value::from(label(user, id)));
    let activity = user.get("signInActivity").filter(|a| a.is_object());
    fact.insert("sign_in_known".to_string(), Value::from(activity.is_some()));
    put_instant(&mut fact, "last_sign_in", activity.and_then(last_sign_in));
    put_instant(&mut fact, "created", instant(str_field(user, "createdDateTime")));
    fact
}

/// `derived.accounts`: enabled members with their MFA registration, enabled guests with their
/// invitation state, and whether sign-in activity was synced at all.
pub(super) fn account_facts(users: &Collection, registrations: &Collection) -> Value {
    let registrations: HashMap<&str, &Value> = registrations
        .items
        .iter()
        .filter_map(|r| str_field(r, "id").map(|id| (id, r)))
        .collect();
    let mut members = Vec::new();
    let mut guests = Vec::new();
    let mut sign_in_synced = false;
    for user in &users.items {
        let Some(id) = str_field(user, "id") else { continue };
        if user.get("accountEnabled").and_then(Value::as_bool) != Some(true) {
            continue;
        }
        let mut fact = common_fact(user, id);
        sign_in_synced |= fact.get("sign_in_known") == Some(&Value::Bool(true));
        if str_field(user, "userType") == Some("Guest") {
            let pending = str_field(user, "externalUserState") == Some("PendingAcceptance");
            let since = str_field(user, "externalUserStateChangeDateTime")
                .or_else(|| str_field(user, "createdDateTime"));
            put_instant(
                &mut fact,
                "pending_since",
                if pending { instant(since) } else { None },
            );
            guests.push(Value::Object(fact));
        } else {
            let registration = registrations.get(id);
            let flag = |field: &str| {
                registration.map_or(Value::Null, |r| {
                    Value::from(r.get(field).and_then(Value::as_bool) == Some(true))
                })
            };
            fact.insert("mfa_capable".to_string(), flag("isMfaCapable"));
            fact.insert("mfa_registered".to_string(), flag("isMfaRegistered"));
            let methods = registration
                .and_then(|r| r.get("methodsRegistered"))
                .filter(|m| m.is_array())
                .cloned()
                .unwrap_or_else(|| Value::Array(Vec::new()));
            fact.insert("methods".to_string(), methods);
            members.push(Value::Object(fact));
        }
    }
    let mut accounts = Map::new();
    accounts.insert("sign_in_activity_synced".to_string(), Value::Bool(sign_in_synced));
    accounts.insert("members".to_string(), Value::Array(members));
    accounts.insert("guests".to_string(), Value::Array(guests));
    Value::Object(accounts)
}
