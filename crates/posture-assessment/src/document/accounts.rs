//! Per-account facts for the controls that judge every user (staleness, MFA coverage). Regorus
//! walks 100,000 raw user objects, parsing three timestamps each, in seconds rather than the
//! milliseconds an assessment can afford, so the builder joins users with their registration
//! details and parses the timestamps once; the policies then compare numbers.

use std::collections::{HashMap, HashSet};

use chrono::DateTime;
use serde_json::{Map, Value};

use super::collection::Collection;

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

/// Since when the account has been inactive: its latest sign-in, or its creation when it never
/// signed in. Absent (not null) when sign-in activity was not synced, so that a policy comparing
/// `inactive_since < cutoff` is simply undefined for it; Rego orders null before every number.
fn put_inactivity(fact: &mut Map<String, Value>, user: &Value) {
    let Some(activity) = user.get("signInActivity").filter(|a| a.is_object()) else {
        return;
    };
    let (basis, since) = match last_sign_in(activity) {
        Some(seen) => ("last sign-in", Some(seen)),
        None => (
            "never signed in; created",
            instant(str_field(user, "createdDateTime")),
        ),
    };
    if let Some((seconds, text)) = since {
        fact.insert("inactive_since".to_string(), Value::from(seconds));
        fact.insert("inactive_since_at".to_string(), Value::from(text));
        fact.insert("inactive_basis".to_string(), Value::from(basis));
    }
}

fn common_fact(user: &Value, id: &str, emergency: &HashSet<&str>) -> Map<String, Value> {
    let mut fact = Map::new();
    fact.insert("id".to_string(), Value::from(id));
    fact.insert("label".to_string(), Value::from(label(user, id)));
    fact.insert(
        "emergency_access".to_string(),
        Value::from(emergency.contains(id)),
    );
    fact
}

/// `derived.accounts`: enabled members with their MFA registration, enabled guests with their
/// invitation state, and whether sign-in activity was synced at all.
/// `users` may be consumed (the builder passes them by value when the document does not keep
/// them), so each user is freed as its fact is made.
pub(super) fn account_facts<U: std::borrow::Borrow<Value>>(
    users: impl IntoIterator<Item = U>,
    registrations: &Collection,
    emergency_access_accounts: &[String],
) -> Value {
    let registrations: HashMap<&str, &Value> = registrations
        .items
        .iter()
        .filter_map(|r| str_field(r, "id").map(|id| (id, r)))
        .collect();
    let emergency: HashSet<&str> = emergency_access_accounts.iter().map(String::as_str).collect();
    let mut members = Vec::new();
    let mut guests = Vec::new();
    let mut sign_in_synced = false;
    for user in users {
        let user = user.borrow();
        let Some(id) = str_field(user, "id") else {
            continue;
        };
        if user.get("accountEnabled").and_then(Value::as_bool) != Some(true) {
            continue;
        }
        sign_in_synced |= user.get("signInActivity").is_some_and(Value::is_object);
        let mut fact = common_fact(user, id, &emergency);
        if str_field(user, "userType") == Some("Guest") {
            let pending = str_field(user, "externalUserState") == Some("PendingAcceptance");
            let since = str_field(user, "externalUserStateChangeDateTime")
                .or_else(|| str_field(user, "createdDateTime"));
            match instant(since).filter(|_| pending) {
                // A pending guest is judged on the invitation, not on sign-ins it cannot have had.
                Some((seconds, text)) => {
                    fact.insert("pending_since".to_string(), Value::from(seconds));
                    fact.insert("pending_since_at".to_string(), Value::from(text));
                }
                None if pending => {}
                None => put_inactivity(&mut fact, user),
            }
            guests.push(Value::Object(fact));
        } else {
            put_inactivity(&mut fact, user);
            let registration = registrations.get(id);
            let capable = registration.map(|r| r.get("isMfaCapable").and_then(Value::as_bool) == Some(true));
            fact.insert(
                "mfa_capable".to_string(),
                capable.map_or(Value::Null, Value::from),
            );
            // Only needed to explain a member who is not capable; most members are.
            if capable == Some(false) {
                let methods = registration
                    .and_then(|r| r.get("methodsRegistered"))
                    .filter(|m| m.is_array())
                    .cloned()
                    .unwrap_or_else(|| Value::Array(Vec::new()));
                fact.insert("methods".to_string(), methods);
            }
            members.push(Value::Object(fact));
        }
    }
    let mut accounts = Map::new();
    accounts.insert("sign_in_activity_synced".to_string(), Value::Bool(sign_in_synced));
    accounts.insert("members".to_string(), Value::Array(members));
    accounts.insert("guests".to_string(), Value::Array(guests));
    Value::Object(accounts)
}
