//! Builds a [`TenantDocument`] from per-kind collections as the inventory holds them, adding the
//! derived parts: licences, role members with groups expanded, privileged users, and groups that
//! contain only emergency-access accounts.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};

use super::accounts::account_facts;
use super::collection::{Collection, CollectionKind};
use super::licences::Licences;
use super::roles::{self, DirectoryIndex, PRIVILEGED_ROLE_TEMPLATE_IDS};
use super::tenant::TenantDocument;

/// Pack parameters with their defaults; a tenant overrides any of them with
/// [`TenantDocumentBuilder::parameter`].
pub const DEFAULT_PARAMETERS: [(&str, f64); 12] = [
    ("stale_days", 90.0),
    ("guest_stale_days", 90.0),
    ("guest_pending_days", 30.0),
    ("mfa_coverage_threshold", 0.95),
    // Security signals: a managed device not checked in for this many days counts as
    // noncompliant; a high-severity alert open this long fails; a Secure Score fall of more than
    // `secure_score_drop_points` points (not percent) over `secure_score_drop_days` fails.
    ("device_stale_days", 30.0),
    ("alert_open_days", 7.0),
    ("secure_score_drop_points", 5.0),
    ("secure_score_drop_days", 7.0),
    // The latest Secure Score below this percentage of the maximum fails.
    ("secure_score_min_percent", 50.0),
    // Defender vulnerabilities: machines with an open vulnerability of at least this severity
    // (1 Low, 2 Medium, 3 High, 4 Critical) count; more than `vuln_max_machines` of them fails.
    ("vuln_min_severity", 4.0),
    ("vuln_max_machines", 0.0),
    // The credential Posture reads a tenant with fails when it expires within this many days.
    ("connection_secret_expiry_days", 30.0),
];

#[derive(Debug, Clone)]
pub struct TenantDocumentBuilder {
    tenant_id: String,
    display_name: String,
    emergency_access_accounts: Vec<String>,
    collections: BTreeMap<CollectionKind, Collection>,
    parameters: Map<String, Value>,
    privileged_roles: Vec<String>,
    now: DateTime<Utc>,
    /// Collections whose items the document keeps; `None`: all.
    items_read: Option<HashSet<String>>,
    /// `tenant.connection`: the credential Posture reads the tenant with.
    connection: Value,
}

impl TenantDocumentBuilder {
    pub fn new(tenant_id: impl Into<String>, display_name: impl Into<String>) -> Self {
        let parameters = DEFAULT_PARAMETERS
            .iter()
            .map(|(name, value)| (name.to_string(), json!(value)))
            .collect();
        TenantDocumentBuilder {
            tenant_id: tenant_id.into(),
            display_name: display_name.into(),
            emergency_access_accounts: Vec::new(),
            collections: BTreeMap::new(),
            parameters,
            privileged_roles: PRIVILEGED_ROLE_TEMPLATE_IDS
                .iter()
                .map(|s| s.to_string())
                .collect(),
            now: Utc::now(),
            items_read: None,
            connection: json!({"status": "missing", "reason": "the connection was not read"}),
        }
    }

    /// The credential Posture reads the tenant with, as registered with its connection:
    /// `client_secret` or `certificate`, its id (secret id or thumbprint) and when it expires.
    pub fn connection_credential(
        mut self,
        kind: &str,
        id: impl Into<String>,
        expires_at: Option<DateTime<Utc>>,
    ) -> Self {
        let mut credential = json!({"type": kind, "id": id.into()});
        if let Some(at) = expires_at {
            credential["expires_at"] = json!(at.to_rfc3339_opts(SecondsFormat::Secs, true));
        }
        self.connection = json!({"status": "ok", "credential": credential});
        self
    }

    /// The connection could not be read; controls about it give `error` with `reason`.
    pub fn connection_missing(mut self, reason: impl Into<String>) -> Self {
        self.connection = json!({"status": "missing", "reason": reason.into()});
        self
    }

    /// The tenant's declared break-glass accounts (user ids, or ids of groups holding only them):
    /// the only exclusions a Conditional Access policy may have and still apply broadly.
    pub fn emergency_access_accounts(mut self, ids: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.emergency_access_accounts = ids.into_iter().map(Into::into).collect();
        self
    }

    /// Sets one entity kind; kinds never set are `missing` with reason "not synced". Objects of
    /// the per-user kinds keep only the properties [`CollectionKind::fields`] lists.
    pub fn collection(mut self, kind: CollectionKind, mut collection: Collection) -> Self {
        for item in &mut collection.items {
            kind.project(item);
        }
        self.collections.insert(kind, collection);
        self
    }

    /// Overrides a pack parameter for this tenant (e.g. `stale_days`).
    pub fn parameter(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.parameters.insert(name.into(), value.into());
        self
    }

    /// Replaces the role template ids that count as privileged.
    pub fn privileged_roles(mut self, template_ids: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.privileged_roles = template_ids.into_iter().map(Into::into).collect();
        self
    }

    /// The instant the assessment judges against (stale accounts, permanent assignments).
    pub fn now(mut self, now: DateTime<Utc>) -> Self {
        self.now = now;
        self
    }

    /// Keeps the items of these collections only (keys as in [`CollectionKind::key`]); the
    /// others keep their status and reason, and their items serve the derived facts and are then
    /// freed. For an evaluation by a pack whose controls read no other items: the result is the
    /// same, and a large tenant's users are not held twice (as objects and as account facts).
    pub fn items_read(mut self, kinds: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.items_read = Some(kinds.into_iter().map(Into::into).collect());
        self
    }

    fn keeps_items(&self, kind: CollectionKind) -> bool {
        self.items_read
            .as_ref()
            .is_none_or(|read| read.contains(kind.key()))
    }

    pub fn build(mut self) -> TenantDocument {
        merge_sign_in_activity(&mut self.collections);
        let mut users = self
            .collections
            .remove(&CollectionKind::Users)
            .unwrap_or_else(|| Collection::missing("not synced"));
        let keep_users = self.keeps_items(CollectionKind::Users);
        let not_synced = Collection::missing("not synced");
        let get = |kind: CollectionKind| self.collections.get(&kind).unwrap_or(&not_synced);

        let licences = Licences::from_subscribed_skus(get(CollectionKind::SubscribedSkus));
        let index = DirectoryIndex::new(
            &users,
            get(CollectionKind::Groups),
            get(CollectionKind::UserRegistrationDetails),
            get(CollectionKind::RoleDefinitions),
            get(CollectionKind::GroupTransitiveMembers),
        );
        let role_members = roles::role_members(
            &index,
            &[
                (get(CollectionKind::RoleAssignments), "active"),
                (get(CollectionKind::RoleAssignmentInstances), "active"),
                (get(CollectionKind::RoleEligibilityInstances), "eligible"),
            ],
        );
        let privileged_users = roles::privileged_users(&index, &role_members, &self.privileged_roles);
        let emergency_groups = emergency_access_groups(&index, &self.emergency_access_accounts);
        drop(index);
        let registrations = get(CollectionKind::UserRegistrationDetails);
        let accounts = if keep_users {
            account_facts(&users.items, registrations, &self.emergency_access_accounts)
        } else {
            // Each user is freed as its fact is made.
            account_facts(
                std::mem::take(&mut users.items),
                registrations,
                &self.emergency_access_accounts,
            )
        };
        self.collections.insert(CollectionKind::Users, users);

        // Assembled by hand rather than with json!: the macro serialises its arguments by
        // reference, which would deep-copy every synced object once per level.
        let kept: Vec<bool> = CollectionKind::ALL
            .iter()
            .map(|kind| self.keeps_items(*kind))
            .collect();
        let mut synced = self.collections;
        let collections: Map<String, Value> = CollectionKind::ALL
            .iter()
            .zip(kept)
            .map(|(kind, kept)| {
                let mut collection = synced
                    .remove(kind)
                    .unwrap_or_else(|| Collection::missing("not synced"));
                if !kept {
                    collection.items = Vec::new();
                }
                let mut entry = Map::new();
                entry.insert("status".to_string(), json!(collection.status));
                entry.insert("reason".to_string(), json!(collection.reason));
                entry.insert("items".to_string(), Value::Array(collection.items));
                (kind.key().to_string(), Value::Object(entry))
            })
            .collect();

        let mut derived = Map::new();
        derived.insert(
            "privileged_role_template_ids".to_string(),
            json!(self.privileged_roles),
        );
        derived.insert("role_members".to_string(), Value::Array(role_members));
        derived.insert("privileged_users".to_string(), Value::Object(privileged_users));
        derived.insert("emergency_access_groups".to_string(), json!(emergency_groups));
        derived.insert("accounts".to_string(), accounts);

        let mut document = Map::new();
        document.insert(
            "tenant".to_string(),
            json!({
                "id": self.tenant_id,
                "display_name": self.display_name,
                "emergency_access_accounts": self.emergency_access_accounts,
                "licences": licences,
                "connection": self.connection,
            }),
        );
        document.insert("collections".to_string(), Value::Object(collections));
        document.insert("derived".to_string(), Value::Object(derived));
        document.insert("parameters".to_string(), Value::Object(self.parameters));
        document.insert(
            "now".to_string(),
            json!(self.now.to_rfc3339_opts(SecondsFormat::Secs, true)),
        );
        TenantDocument {
            tenant_id: self.tenant_id,
            value: Value::Object(document),
        }
    }
}

/// Puts each user's `signInActivity` from the `user_sign_in_activity` collection onto the user
/// (the sync reads it separately: Graph's users delta does not return it). The collection keeps
/// its status and reason, so a control can say why sign-in activity is unknown, but not its items:
/// they would double the memory of the largest collection for nothing.
fn merge_sign_in_activity(collections: &mut BTreeMap<CollectionKind, Collection>) {
    let Some(activity) = collections.get_mut(&CollectionKind::UserSignInActivity) else {
        return;
    };
    let by_id: HashMap<String, Value> = std::mem::take(&mut activity.items)
        .into_iter()
        .filter_map(|mut item| {
            let object = item.as_object_mut()?;
            let id = object.get("id")?.as_str()?.to_owned();
            let sign_in = object.remove("signInActivity")?;
            Some((id, sign_in))
        })
        .collect();
    if by_id.is_empty() {
        return;
    }
    let Some(users) = collections.get_mut(&CollectionKind::Users) else {
        return;
    };
    for user in &mut users.items {
        let Some(object) = user.as_object_mut() else {
            continue;
        };
        let Some(sign_in) = object
            .get("id")
            .and_then(Value::as_str)
            .and_then(|id| by_id.get(id))
        else {
            continue;
        };
        object.insert("signInActivity".to_string(), sign_in.clone());
    }
}

/// Groups whose synced members are all declared emergency-access accounts: excluding such a group
/// from a policy is the same as excluding the accounts.
fn emergency_access_groups(index: &DirectoryIndex<'_>, accounts: &[String]) -> Vec<String> {
    let accounts: HashSet<&str> = accounts.iter().map(String::as_str).collect();
    let mut groups: Vec<String> = index
        .groups_with_members()
        .into_iter()
        .filter(|(_, members)| !members.is_empty() && members.iter().all(|(id, _)| accounts.contains(id)))
        .map(|(id, _)| id.to_string())
        .collect();
    groups.sort();
    groups.dedup();
    groups
}
