//! App registrations, service principals, their owners and the application permissions granted
//! to them (app role assignments on Microsoft Graph), with Graph's own app roles so permission
//! ids resolve to names.
//!
//! Posture's own app is multi-tenant and registered in the operator's tenant (its service
//! principal names that tenant as `appOwnerOrganizationId`), so a customer tenant lists its
//! service principal only, never the application object or its secrets. The line-of-business
//! registrations differ per profile: hardened uses certificates and short-lived secrets, each
//! app owned and granted read permissions only; typical has a secret expiring within 30 days, a
//! one-year secret, an unowned app and one app granted Mail.ReadWrite; neglected has expired
//! credentials, multi-year secrets, no owners and several over-privileged apps, one of them a
//! third-party multi-tenant app.

use chrono::Duration;
use serde_json::{Value, json};

use super::Tenant;
use crate::clock::iso;
use crate::ids::{self, object_id};
use crate::permissions::Resource;
use crate::spec::Profile;

/// Microsoft's tenant, owner of first-party service principals.
const MICROSOFT_TENANT: &str = "f8cdef31-a31e-4b4a-93e4-5f571e91255a";
/// The tenant Posture's multi-tenant app is registered in.
const POSTURE_HOME_TENANT: &str = "11111111-2222-4333-8444-555555555555";
/// A third-party vendor's tenant.
const VENDOR_TENANT: &str = "7d3c1f0e-5b2a-4c8d-9e6f-0a1b2c3d4e5f";

/// Microsoft Graph application permissions (app roles) with their published ids.
const GRAPH_APP_ROLES: &[(&str, &str)] = &[
    ("Application.Read.All", "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30"),
    (
        "Application.ReadWrite.All",
        "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9",
    ),
    (
        "AppRoleAssignment.ReadWrite.All",
        "06b708a9-e830-4db3-a914-8e69da51d44f",
    ),
    ("AuditLog.Read.All", "b0afded3-3588-46d8-8b3d-9842eff778da"),
    ("Directory.Read.All", "7ab1d382-f21e-4acd-a863-ba3e13f7da61"),
    ("Directory.ReadWrite.All", "19dbc75e-c2e2-444c-a770-ec69d8559fc7"),
    ("Files.ReadWrite.All", "75359482-378d-4052-8f01-80520e7db3cd"),
    ("Group.ReadWrite.All", "62a82d76-70ea-41e2-9197-370581804d09"),
    ("GroupMember.Read.All", "98830695-27a2-44f7-8c18-0c3ebc9698f6"),
    ("Mail.Read", "810c84a8-4a9e-49e6-bf7d-12d183f40d01"),
    ("Mail.ReadWrite", "e2a3a72e-5f79-4c64-b1b1-878b674786c9"),
    ("Mail.Send", "b633e1c5-b582-4048-a93e-9f11b44c7e96"),
    ("Organization.Read.All", "498476ce-e0fe-48b0-b801-37ba7e2685c6"),
    ("Policy.Read.All", "246dd0d5-5bd0-4def-940b-0421030a5b68"),
    (
        "RoleManagement.Read.Directory",
        "483bed4a-2ad3-4361-a73b-c83ccdbdc53c",
    ),
    (
        "RoleManagement.ReadWrite.Directory",
        "9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8",
    ),
    ("Sites.FullControl.All", "a82116e5-55eb-4c41-a434-62fe8a61c773"),
    ("Sites.ReadWrite.All", "9492366f-7969-46a4-8d15-ed1a20078fff"),
    ("User.Read.All", "df021288-bdef-4463-88db-98f22de89214"),
    ("User.ReadWrite.All", "741f803b-c850-494e-b5df-cde7c675a1ca"),
];

/// The app role id of a Graph application permission: the published id where the table has it,
/// otherwise one derived from the name (stable across tenants, as real ids are).
pub fn graph_app_role_id(name: &str) -> String {
    if let Some((_, id)) = GRAPH_APP_ROLES.iter().find(|(n, _)| *n == name) {
        return (*id).to_string();
    }
    let h = name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
    });
    object_id(0x0047_5241_5048, "graph-app-role", (h & 0xFFFF_FFFF) as u32).to_string()
}

#[derive(Clone, Copy)]
enum Cred {
    /// Client secret: days since it started, days until it ends (negative: expired).
    Password(i64, i64),
    /// Certificate (asymmetric key): days since it started, days until it ends.
    Certificate(i64, i64),
}

/// One line-of-business registration of a profile.
struct AppDef {
    name: &'static str,
    creds: &'static [Cred],
    /// Graph application permissions granted to its service principal.
    grants: &'static [&'static str],
    /// Owners by user position.
    owners: &'static [u32],
}

const APP_NAMES: [&str; 3] = ["HR Portal", "Legacy Reporting", "Marketing Automation"];

fn app_defs(p: Profile) -> [AppDef; 3] {
    use Cred::{Certificate as C, Password as P};
    let [hr, legacy, marketing] = APP_NAMES;
    match p {
        Profile::Hardened => [
            AppDef {
                name: hr,
                creds: &[C(60, 120)],
                grants: &["User.Read.All"],
                owners: &[12],
            },
            AppDef {
                name: legacy,
                creds: &[P(30, 60)],
                grants: &["AuditLog.Read.All"],
                owners: &[13],
            },
            AppDef {
                name: marketing,
                creds: &[C(100, 265)],
                grants: &["User.Read.All"],
                owners: &[12, 14],
            },
        ],
        Profile::Typical => [
            AppDef {
                name: hr,
                creds: &[P(200, 165)],
                grants: &["User.Read.All"],
                owners: &[12],
            },
            AppDef {
                name: legacy,
                creds: &[P(166, 14)],
                grants: &["AuditLog.Read.All"],
                owners: &[],
            },
            AppDef {
                name: marketing,
                creds: &[C(100, 265)],
                grants: &["Mail.ReadWrite"],
                owners: &[14],
            },
        ],
        Profile::Neglected => [
            AppDef {
                name: hr,
                creds: &[P(760, -30)],
                grants: &["Application.ReadWrite.All"],
                owners: &[],
            },
            AppDef {
                name: legacy,
                creds: &[P(400, 3250), C(800, -70)],
                grants: &["Directory.ReadWrite.All", "RoleManagement.ReadWrite.Directory"],
                owners: &[],
            },
            AppDef {
                name: marketing,
                creds: &[P(370, 360)],
                grants: &["Mail.ReadWrite", "Files.ReadWrite.All"],
                owners: &[],
            },
        ],
    }
}

/// First-party resource service principals every tenant has.
const FIRST_PARTY: [(&str, &str); 3] = [
    ("00000003-0000-0000-c000-000000000000", "Microsoft Graph"),
    ("fc780465-2017-40d4-a0c5-307022471b92", "WindowsDefenderATP"),
    (
        "c5393580-f805-4401-95e8-94b7a6ef2fc2",
        "Office 365 Management APIs",
    ),
];

/// The neglected tenant's third-party backup app and what it was granted.
const VENDOR_APP: (&str, &str) = ("Cloudvault Backup", "4f1e2d3c-6b5a-4978-8a9b-0c1d2e3f4a5b");
const VENDOR_GRANTS: &[&str] = &["Sites.FullControl.All", "Mail.ReadWrite"];

impl Tenant {
    /// Object id of line-of-business app registration `k` (1-based, as in the expectations).
    pub fn app_registration_id(&self, k: u32) -> String {
        object_id(self.seed, "app-object", k).to_string()
    }

    /// Object id of the service principal of app `k` (0 is Posture's own).
    pub fn app_service_principal_id(&self, k: u32) -> String {
        if k == 0 {
            self.sp_object_id.to_string()
        } else {
            object_id(self.seed, "sp-object", k).to_string()
        }
    }

    /// The neglected tenant's third-party service principal, if this tenant has one.
    pub fn vendor_service_principal_id(&self) -> Option<String> {
        (self.profile() == Profile::Neglected).then(|| object_id(self.seed, "sp-vendor", 0).to_string())
    }

    fn graph_sp_id(&self) -> String {
        object_id(self.seed, "sp-first-party", 0).to_string()
    }

    fn app_client_id(&self, k: u32) -> String {
        object_id(self.seed, "app-client", k).to_string()
    }

    fn credential_json(&self, k: u32, n: usize, c: Cred) -> (bool, Value) {
        let (password, started, ends) = match c {
            Cred::Password(s, e) => (true, s, e),
            Cred::Certificate(s, e) => (false, s, e),
        };
        let key_id = object_id(self.seed, "app-credential", k * 16 + n as u32).to_string();
        let start = iso(self.epoch - Duration::days(started));
        let end = iso(self.epoch + Duration::days(ends));
        let v = if password {
            // Graph never returns secretText on GET; the hint is the secret's first characters.
            let hint: String = ids::hex40(self.seed, "app-secret-hint", k * 16 + n as u32)
                .chars()
                .take(3)
                .collect();
            json!({
                "keyId": key_id, "displayName": format!("secret {}", n + 1), "hint": hint,
                "startDateTime": start, "endDateTime": end, "customKeyIdentifier": null, "secretText": null,
            })
        } else {
            json!({
                "keyId": key_id, "displayName": format!("CN={}", APP_NAMES[(k as usize - 1) % 3]),
                "type": "AsymmetricX509Cert", "usage": "Verify", "key": null,
                "customKeyIdentifier": ids::hex40(self.seed, "app-cert-thumbprint", k * 16 + n as u32).to_uppercase(),
                "startDateTime": start, "endDateTime": end,
            })
        };
        (password, v)
    }

    /// `GET /applications`: the tenant's own line-of-business registrations.
    pub fn applications_json(&self) -> Vec<Value> {
        app_defs(self.profile())
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let k = i as u32 + 1;
                let (mut passwords, mut keys) = (Vec::new(), Vec::new());
                for (n, c) in d.creds.iter().enumerate() {
                    match self.credential_json(k, n, *c) {
                        (true, v) => passwords.push(v),
                        (false, v) => keys.push(v),
                    }
                }
                let graph = Resource::Graph.app_id();
                let access: Vec<Value> = d
                    .grants
                    .iter()
                    .map(|g| json!({ "id": graph_app_role_id(g), "type": "Role" }))
                    .collect();
                json!({
                    "id": self.app_registration_id(k), "appId": self.app_client_id(k), "displayName": d.name,
                    "createdDateTime": iso(self.created + Duration::days(10 * k as i64)),
                    "description": null, "notes": null,
                    "signInAudience": "AzureADMyOrg",
                    "publisherDomain": self.custom_domain(),
                    "verifiedPublisher": { "displayName": null, "verifiedPublisherId": null, "addedDateTime": null },
                    "passwordCredentials": passwords,
                    "keyCredentials": keys,
                    "requiredResourceAccess": [{ "resourceAppId": graph, "resourceAccess": access }],
                    "tags": [],
                    "identifierUris": [],
                })
            })
            .collect()
    }

    /// `GET /servicePrincipals`: Posture's, one per registration, the first-party resources (Graph
    /// with its app roles) and, in the neglected tenant, a third-party vendor's.
    pub fn service_principals_json(&self) -> Vec<Value> {
        let sp = |id: String, app_id: &str, name: &str, owner_org: &str, audience: &str, publisher: Value| {
            json!({
                "id": id, "appId": app_id, "displayName": name, "appDisplayName": name,
                "accountEnabled": true, "servicePrincipalType": "Application",
                "appOwnerOrganizationId": owner_org, "signInAudience": audience,
                "verifiedPublisher": publisher,
                "tags": ["WindowsAzureActiveDirectoryIntegratedApp"],
                "passwordCredentials": [], "keyCredentials": [], "servicePrincipalNames": [app_id],
                "appRoleAssignmentRequired": false, "appRoles": [],
            })
        };
        let unverified = json!({ "displayName": null, "verifiedPublisherId": null, "addedDateTime": null });
        let mut v = vec![sp(
            self.sp_object_id.to_string(),
            &self.client_id.to_string(),
            "Posture Security Sync",
            POSTURE_HOME_TENANT,
            "AzureADMultipleOrgs",
            json!({ "displayName": "Posture", "verifiedPublisherId": "6251733", "addedDateTime": "2025-03-01T00:00:00Z" }),
        )];
        for (i, d) in app_defs(self.profile()).iter().enumerate() {
            let k = i as u32 + 1;
            v.push(sp(
                self.app_service_principal_id(k),
                &self.app_client_id(k),
                d.name,
                &self.id.to_string(),
                "AzureADMyOrg",
                unverified.clone(),
            ));
        }
        if let Some(id) = self.vendor_service_principal_id() {
            v.push(sp(
                id,
                VENDOR_APP.1,
                VENDOR_APP.0,
                VENDOR_TENANT,
                "AzureADMultipleOrgs",
                unverified.clone(),
            ));
        }
        for (k, (app, name)) in FIRST_PARTY.iter().enumerate() {
            let mut s = sp(
                object_id(self.seed, "sp-first-party", k as u32).to_string(),
                app,
                name,
                MICROSOFT_TENANT,
                "AzureADMultipleOrgs",
                unverified.clone(),
            );
            s["tags"] = json!([]);
            if k == 0 {
                s["appRoles"] = graph_app_roles_json();
            }
            v.push(s);
        }
        v
    }

    /// Graph application permissions granted to service principal `sp_id`, as names.
    fn granted_to(&self, sp_id: &str) -> Vec<String> {
        if sp_id == self.sp_object_id.to_string() {
            return self.granted.get(&Resource::Graph).cloned().unwrap_or_default();
        }
        if self.vendor_service_principal_id().as_deref() == Some(sp_id) {
            return VENDOR_GRANTS.iter().map(|s| s.to_string()).collect();
        }
        app_defs(self.profile())
            .iter()
            .enumerate()
            .find(|(i, _)| self.app_service_principal_id(*i as u32 + 1) == sp_id)
            .map(|(_, d)| d.grants.iter().map(|s| s.to_string()).collect())
            .unwrap_or_default()
    }

    /// Every app role assignment on Microsoft Graph (application permissions), in the shape of
    /// `appRoleAssignments` / `appRoleAssignedTo`.
    pub fn graph_app_role_assignments_json(&self) -> Vec<Value> {
        let graph_sp = self.graph_sp_id();
        self.service_principals_json()
            .iter()
            .filter(|s| s["appOwnerOrganizationId"] != json!(MICROSOFT_TENANT))
            .flat_map(|s| {
                let sp_id = s["id"].as_str().unwrap_or_default().to_string();
                let name = s["displayName"].clone();
                let graph_sp = graph_sp.clone();
                self.granted_to(&sp_id)
                    .into_iter()
                    .enumerate()
                    .map(move |(n, perm)| {
                        json!({
                            "id": ids::hex40(self.seed, &format!("app-role-assignment-{sp_id}"), n as u32),
                            "deletedDateTime": null,
                            "appRoleId": graph_app_role_id(&perm),
                            "createdDateTime": iso(self.created + Duration::days(30 + n as i64)),
                            "principalDisplayName": name,
                            "principalId": sp_id,
                            "principalType": "ServicePrincipal",
                            "resourceDisplayName": "Microsoft Graph",
                            "resourceId": graph_sp,
                        })
                    })
            })
            .collect()
    }

    /// The app registration or service principal with object id or `appId=` key `key`.
    fn find_app_object(items: Vec<Value>, key: &str) -> Option<Value> {
        let (field, want) = match key.split_once('=') {
            Some((_, v)) => ("appId", v.trim_end_matches(')').trim_matches('\'').to_string()),
            None => ("id", key.to_string()),
        };
        items
            .into_iter()
            .find(|v| v[field].as_str().is_some_and(|x| x.eq_ignore_ascii_case(&want)))
    }

    /// Owners of an app registration (by object id or `appId='…'` key) as directory objects.
    pub fn application_owners(&self, key: &str) -> Option<Vec<Value>> {
        let app = Self::find_app_object(self.applications_json(), key)?;
        let k = app_defs(self.profile())
            .iter()
            .position(|d| app["displayName"] == json!(d.name))?;
        Some(self.owners_json(app_defs(self.profile())[k].owners))
    }

    /// Owners of a service principal: the same people as its registration's; none for Posture's,
    /// first-party and third-party ones (their registrations live in other tenants).
    pub fn service_principal_owners(&self, key: &str) -> Option<Vec<Value>> {
        let sp = Self::find_app_object(self.service_principals_json(), key)?;
        let defs = app_defs(self.profile());
        let owners = defs
            .iter()
            .enumerate()
            .find(|(i, _)| sp["id"] == json!(self.app_service_principal_id(*i as u32 + 1)))
            .map(|(_, d)| d.owners)
            .unwrap_or(&[]);
        Some(self.owners_json(owners))
    }

    fn owners_json(&self, positions: &[u32]) -> Vec<Value> {
        positions
            .iter()
            .filter(|p| self.user_facts(**p).is_some())
            .map(|p| self.principal_json(&self.user_id(*p)))
            .collect()
    }

    /// `GET /servicePrincipals/{id}/appRoleAssignments`: app roles granted to this principal.
    pub fn app_role_assignments_of(&self, key: &str) -> Option<Vec<Value>> {
        let sp = Self::find_app_object(self.service_principals_json(), key)?;
        let id = sp["id"].clone();
        Some(
            self.graph_app_role_assignments_json()
                .into_iter()
                .filter(|a| a["principalId"] == id)
                .collect(),
        )
    }

    /// `GET /servicePrincipals/{id}/appRoleAssignedTo`: app roles granted on this resource.
    pub fn app_role_assigned_to(&self, key: &str) -> Option<Vec<Value>> {
        let sp = Self::find_app_object(self.service_principals_json(), key)?;
        let id = sp["id"].clone();
        Some(
            self.graph_app_role_assignments_json()
                .into_iter()
                .filter(|a| a["resourceId"] == id)
                .collect(),
        )
    }

    /// The Graph application permissions a profile's apps hold, for tests: (service principal
    /// id, permission) pairs.
    pub fn granted_graph_permissions(&self) -> Vec<(String, String)> {
        self.service_principals_json()
            .iter()
            .filter_map(|s| s["id"].as_str().map(str::to_string))
            .flat_map(|id| self.granted_to(&id).into_iter().map(move |p| (id.clone(), p)))
            .collect()
    }
}

/// Microsoft Graph's `appRoles`: the application permissions, each with its id and name.
fn graph_app_roles_json() -> Value {
    let mut names: Vec<&str> = GRAPH_APP_ROLES.iter().map(|(n, _)| *n).collect();
    for n in crate::permissions::GRAPH_NEEDED {
        if !names.contains(n) {
            names.push(n);
        }
    }
    names.sort_unstable();
    Value::Array(
        names
            .into_iter()
            .map(|n| {
                json!({
                    "allowedMemberTypes": ["Application"],
                    "description": format!("Allows the app to use {n} without a signed-in user."),
                    "displayName": n,
                    "id": graph_app_role_id(n),
                    "isEnabled": true,
                    "origin": "Application",
                    "value": n,
                })
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_ids_are_used_and_derived_ones_are_stable_and_distinct() {
        assert_eq!(
            graph_app_role_id("RoleManagement.ReadWrite.Directory"),
            "9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8"
        );
        let a = graph_app_role_id("SharePointTenantSettings.Read.All");
        assert_eq!(a, graph_app_role_id("SharePointTenantSettings.Read.All"));
        assert_ne!(a, graph_app_role_id("ServiceHealth.Read.All"));
    }
}
