//! The Graph route table: which path is which collection, the permissions it accepts, the
//! licence it needs, its throttling family and how a missing permission is reported.

use serde_json::Value;

use crate::tenant::Tenant;
use crate::throttle::Family;

/// Licence an endpoint needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gate {
    None,
    P1,
    P2,
    Intune,
}

/// How the backing service reports a missing permission.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Denial {
    Directory,
    Intune,
    Security,
    SharePoint,
    ServiceHealth,
    AuditLog,
}

pub type ItemsFn = fn(&Tenant) -> Vec<Value>;
pub type GetFn = fn(&Tenant, u32) -> Option<Value>;
pub type LenFn = fn(&Tenant) -> u32;

pub enum Kind {
    Items {
        context: &'static str,
        ty: &'static str,
        items: ItemsFn,
        max_top: u32,
        directory: bool,
        paging: bool,
    },
    ItemById {
        context: &'static str,
        ty: &'static str,
        items: ItemsFn,
        id: String,
    },
    Single {
        context: &'static str,
        ty: &'static str,
        get: fn(&Tenant) -> Value,
    },
    Virtual {
        context: &'static str,
        ty: &'static str,
        len: LenFn,
        get: GetFn,
        max_top: u32,
        default_top: u32,
        skip: bool,
    },
    Users,
    UsersCount,
    User(String),
    /// `users/{id}/licenseDetails`.
    LicenseDetails(String),
    Delta {
        groups: bool,
    },
    Groups,
    Group(String),
    Members {
        group: String,
        transitive: bool,
    },
    DirectoryRoleMembers(String),
    Registration(Option<String>),
    RoleAssignments,
    RolePolicies {
        expand_rules: bool,
    },
    RolePolicy(String),
    RolePolicyRules(String),
    /// POST `security/runHuntingQuery`: the only action the simulator accepts.
    HuntingQuery,
    /// App registrations and service principals with their relationships (`graph::apps`).
    Apps(AppsQuery),
}

/// An app registration or service principal read; keys are object ids or `appId='…'`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AppsQuery {
    Applications,
    ServicePrincipals,
    ApplicationOwners(String),
    ServicePrincipalOwners(String),
    AppRoleAssignments(String),
    AppRoleAssignedTo(String),
}

pub struct Route {
    pub label: String,
    pub family: Family,
    pub perms: &'static [&'static str],
    pub gate: Gate,
    pub denial: Denial,
    pub kind: Kind,
}
