//! The expected outcome of each control per profile, with the objects a correct evaluation
//! cites as evidence. `expectations(profile)` is the symbolic table (also in the README);
//! `Tenant::expectations` resolves it to concrete ids for one tenant.

use serde::Serialize;

use crate::spec::Profile;
use crate::tenant::Tenant;

/// The privileged roles the compliance controls speak of (controls.md: Global, Privileged Role,
/// User, SharePoint, Exchange, Hybrid Identity, Application and Cloud Application Administrator).
/// Entra marks more roles `isPrivileged` (Security Administrator, for one), and the generated
/// directory says so; the expectations follow the controls' narrower list.
const CONTROL_PRIVILEGED_ROLES: [&str; 8] = [
    "62e90394-69f5-4237-9190-012177145e10",
    "e8611ab8-c189-46e8-94e1-60213ab1f814",
    "fe930be7-5e62-47db-91af-98c3a49a38b1",
    "f28a1f50-f6e7-4571-818b-6a12f2af6b6c",
    "29232cdf-9323-42fd-ade2-1d097af3e4de",
    "8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2",
    "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",
    "158c047a-c907-4556-b7ef-446551a6b5f7",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Pass,
    Fail,
    NotApplicable,
}

/// Symbolic evidence: resolved to ids per tenant.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Evidence {
    /// A user by reserved position.
    User(u32),
    /// A Conditional Access policy by its order in the profile.
    CaPolicy(usize),
    /// An object with a fixed id (e.g. `authorizationPolicy`, `Sms`).
    Fixed(&'static str),
    InitialDomain,
    CustomDomain,
    ConsentSettings,
    GlobalAdminRolePolicy,
    /// Every unified group with Public visibility.
    PublicGroups,
    /// Permanent active assignments of privileged roles to anyone but the emergency accounts.
    PermanentPrivilegedAssignments,
    Sharepoint,
    /// Managed devices not compliant, or not checked in for 30 days.
    NoncompliantDevices,
    /// High-severity alerts open for more than 7 days.
    StaleHighAlerts,
    /// The latest daily Secure Score and the one 7 days before it.
    SecureScoreWeek,
    /// The latest daily Secure Score.
    SecureScoreLatest,
}

#[derive(Clone, Debug, Serialize)]
pub struct ControlExpectation {
    pub control: &'static str,
    pub outcome: Outcome,
    pub evidence: Vec<Evidence>,
    /// Needs Entra ID P2: without it the control fails (SCuBA still applies; the tenant cannot meet it).
    pub requires_p2: bool,
    pub why: &'static str,
}

/// Concrete expectation for one tenant.
#[derive(Clone, Debug, Serialize)]
pub struct TenantExpectation {
    pub control: &'static str,
    pub outcome: Outcome,
    pub evidence: Vec<String>,
    pub why: &'static str,
}

fn row(
    control: &'static str,
    outcome: Outcome,
    evidence: Vec<Evidence>,
    why: &'static str,
) -> ControlExpectation {
    ControlExpectation {
        control,
        outcome,
        evidence,
        requires_p2: false,
        why,
    }
}

pub fn expectations(p: Profile) -> Vec<ControlExpectation> {
    use Evidence as E;
    use Outcome::{Fail, NotApplicable, Pass};
    let (h, t) = (p == Profile::Hardened, p == Profile::Typical);
    let pick = |hv: (Outcome, Vec<Evidence>), tv: (Outcome, Vec<Evidence>), nv: (Outcome, Vec<Evidence>)| {
        if h {
            hv
        } else if t {
            tv
        } else {
            nv
        }
    };
    let mut v = Vec::new();
    let mut add =
        |c: &'static str, o: (Outcome, Vec<Evidence>), why: &'static str| v.push(row(c, o.0, o.1, why));
    add(
        "MS.AAD.1.1v1",
        pick(
            (Pass, vec![]),
            (Fail, vec![E::CaPolicy(0)]),
            (Fail, vec![E::CaPolicy(1)]),
        ),
        "legacy-auth block: enabled (hardened), report-only (typical), disabled (neglected)",
    );
    add(
        "MS.AAD.2.2v1",
        (NotApplicable, vec![]),
        "not readable through Graph v1.0",
    );
    add(
        "MS.AAD.3.1v1",
        pick((Pass, vec![]), (Fail, vec![]), (Fail, vec![])),
        "only hardened has a broad phishing-resistant strength policy",
    );
    add(
        "MS.AAD.3.2v2",
        pick(
            (Pass, vec![]),
            (Fail, vec![E::CaPolicy(1)]),
            (Fail, vec![E::CaPolicy(0)]),
        ),
        "typical's MFA policy excludes a non-emergency group; neglected's is disabled and targets one user",
    );
    add(
        "MS.AAD.3.4v1",
        pick(
            (Pass, vec![]),
            (Fail, vec![E::Fixed("authenticationMethodsPolicy")]),
            (Fail, vec![E::Fixed("authenticationMethodsPolicy")]),
        ),
        "policyMigrationState migrationComplete / migrationInProgress / preMigration",
    );
    add(
        "MS.AAD.3.5v2",
        pick(
            (Pass, vec![]),
            (Fail, vec![E::Fixed("Sms"), E::Fixed("Email")]),
            (Fail, vec![E::Fixed("Sms"), E::Fixed("Voice"), E::Fixed("Email")]),
        ),
        "method configurations left enabled",
    );
    add(
        "MS.AAD.3.6v1",
        pick((Pass, vec![]), (Fail, vec![E::CaPolicy(2)]), (Fail, vec![])),
        "typical requires plain MFA (not phishing-resistant) for admins",
    );
    add(
        "MS.AAD.3.7v1",
        pick((Pass, vec![]), (Fail, vec![E::CaPolicy(3)]), (Fail, vec![])),
        "typical requires compliant devices on Windows only",
    );
    add(
        "MS.AAD.3.8v1",
        pick((Pass, vec![]), (Fail, vec![]), (Fail, vec![])),
        "only hardened protects security-info registration",
    );
    add(
        "MS.AAD.3.9v1",
        pick((Pass, vec![]), (Fail, vec![]), (Fail, vec![])),
        "only hardened blocks device code flow",
    );
    add(
        "MS.AAD.5.1v1",
        pick(
            (Pass, vec![]),
            (Pass, vec![]),
            (Fail, vec![E::Fixed("authorizationPolicy")]),
        ),
        "allowedToCreateApps",
    );
    // Typical lets users consent to low-impact permissions from verified publishers and classifies
    // only sign-in and basic profile permissions as low impact, which SCuBA accepts; neglected
    // keeps legacy consent (anyone consents to anything).
    add(
        "MS.AAD.5.2v1",
        pick(
            (Pass, vec![]),
            (Pass, vec![]),
            (Fail, vec![E::Fixed("authorizationPolicy")]),
        ),
        "permissionGrantPoliciesAssigned with delegated permission classifications",
    );
    add(
        "MS.AAD.5.3v1",
        pick((Pass, vec![]), (Pass, vec![]), (Fail, vec![E::ConsentSettings])),
        "EnableAdminConsentRequests",
    );
    add(
        "MS.AAD.6.1v1",
        pick(
            (Pass, vec![]),
            (Fail, vec![E::CustomDomain]),
            (Fail, vec![E::InitialDomain, E::CustomDomain]),
        ),
        "passwordValidityPeriodInDays 90 on managed domains",
    );
    add(
        "MS.AAD.7.1v1",
        pick(
            (Pass, vec![]),
            (Pass, vec![]),
            (Fail, (0..9).map(E::User).collect()),
        ),
        "3 / 4 (one through a role-assignable group) / 9 Global Administrators",
    );
    add(
        "MS.AAD.7.2v1",
        pick(
            (Pass, vec![]),
            (Fail, (0..4).map(E::User).collect()),
            (Fail, (0..9).map(E::User).collect()),
        ),
        "Global Administrators outnumber other privileged role holders",
    );
    add(
        "MS.AAD.7.3v1",
        pick(
            (Pass, vec![]),
            (Fail, vec![E::User(3)]),
            (Fail, vec![E::User(2), E::User(5), E::User(7)]),
        ),
        "privileged users synchronised from on-premises",
    );
    add(
        "MS.AAD.8.1v1",
        pick(
            (Pass, vec![]),
            (Pass, vec![]),
            (Fail, vec![E::Fixed("authorizationPolicy")]),
        ),
        "guestUserRoleId restricted / limited / member",
    );
    add(
        "MS.AAD.8.2v1",
        pick(
            (Pass, vec![]),
            (Fail, vec![E::Fixed("authorizationPolicy")]),
            (Fail, vec![E::Fixed("authorizationPolicy")]),
        ),
        "allowInvitesFrom",
    );
    add(
        "CIS.1.1.3",
        pick(
            (Pass, vec![]),
            (Pass, vec![]),
            (Fail, (0..9).map(E::User).collect()),
        ),
        "between two and four Global Administrators",
    );
    add(
        "CIS.1.2.1",
        pick(
            (Pass, vec![]),
            (Fail, vec![E::PublicGroups]),
            (Fail, vec![E::PublicGroups]),
        ),
        "public Microsoft 365 groups",
    );
    add(
        "CIS.5.1.2.3",
        pick(
            (Pass, vec![]),
            (Fail, vec![E::Fixed("authorizationPolicy")]),
            (Fail, vec![E::Fixed("authorizationPolicy")]),
        ),
        "allowedToCreateTenants",
    );
    add(
        "CIS.7.2.1",
        pick(
            (Pass, vec![]),
            (Fail, vec![E::Sharepoint]),
            (Fail, vec![E::Sharepoint]),
        ),
        "isLegacyAuthProtocolsEnabled",
    );
    add(
        "CIS.7.2.3",
        pick((Pass, vec![]), (Pass, vec![]), (Fail, vec![E::Sharepoint])),
        "sharingCapability externalUserAndGuestSharing (Anyone links)",
    );
    add(
        "CIS.7.2.5",
        pick((Pass, vec![]), (Pass, vec![]), (Fail, vec![E::Sharepoint])),
        "isResharingByExternalUsersEnabled",
    );
    add(
        "CIS.7.2.6",
        pick(
            (Pass, vec![]),
            (Fail, vec![E::Sharepoint]),
            (Fail, vec![E::Sharepoint]),
        ),
        "sharingDomainRestrictionMode none",
    );
    add(
        "CIS.7.3.2",
        pick(
            (Pass, vec![]),
            (Fail, vec![E::Sharepoint]),
            (Fail, vec![E::Sharepoint]),
        ),
        "isUnmanagedSyncAppForTenantRestricted",
    );
    add(
        "posture.mfa.admins-registered",
        pick(
            (Pass, vec![]),
            (Fail, vec![E::User(5)]),
            (Fail, vec![E::User(1), E::User(4), E::User(6), E::User(8)]),
        ),
        "privileged users without a strong method",
    );
    add(
        "posture.devices.noncompliant",
        pick(
            (Pass, vec![]),
            (Fail, vec![E::NoncompliantDevices]),
            (Fail, vec![E::NoncompliantDevices]),
        ),
        "no noncompliant devices (hardened); 12% and 35% noncompliant or not checking in",
    );
    add(
        "posture.alerts.open-high",
        pick(
            (Pass, vec![]),
            (Fail, vec![E::StaleHighAlerts]),
            (Fail, vec![E::StaleHighAlerts]),
        ),
        "hardened triages within two days; typical leaves a high alert 12 days, neglected also one 40 days",
    );
    add(
        "posture.securescore.drop",
        pick((Pass, vec![]), (Pass, vec![]), (Fail, vec![E::SecureScoreWeek])),
        "neglected lost 4% (12 points) three days ago; the others move by under 2 points a week",
    );
    add(
        "posture.securescore.low",
        pick((Pass, vec![]), (Pass, vec![]), (Fail, vec![E::SecureScoreLatest])),
        "about 78% (hardened), 52% (typical), 17% (neglected) of the maximum; below 50% fails",
    );
    let mut p2 = |c: &'static str, o: (Outcome, Vec<Evidence>), why: &'static str| {
        v.push(ControlExpectation {
            requires_p2: true,
            ..row(c, o.0, o.1, why)
        })
    };
    p2(
        "MS.AAD.2.1v1",
        pick((Pass, vec![]), (Pass, vec![]), (Fail, vec![])),
        "block high user risk",
    );
    p2(
        "MS.AAD.2.3v1",
        pick((Pass, vec![]), (Fail, vec![E::CaPolicy(5)]), (Fail, vec![])),
        "typical's sign-in risk policy is report-only",
    );
    p2(
        "MS.AAD.7.4v1",
        pick(
            (Pass, vec![]),
            (Fail, vec![E::PermanentPrivilegedAssignments]),
            (Fail, vec![E::PermanentPrivilegedAssignments]),
        ),
        "permanent active privileged assignments (emergency accounts exempt)",
    );
    p2(
        "MS.AAD.7.6v1",
        pick(
            (Pass, vec![]),
            (Fail, vec![E::GlobalAdminRolePolicy]),
            (Fail, vec![E::GlobalAdminRolePolicy]),
        ),
        "Global Administrator activation approval",
    );
    v
}

impl Tenant {
    fn resolve_evidence(&self, e: &Evidence) -> Vec<String> {
        match e {
            Evidence::User(p) => vec![self.user_id(*p)],
            Evidence::CaPolicy(k) => vec![self.ca_policy_id(*k)],
            Evidence::Fixed(id) => vec![id.to_string()],
            Evidence::InitialDomain => vec![self.domain.clone()],
            Evidence::CustomDomain => vec![self.custom_domain()],
            Evidence::ConsentSettings => {
                vec![crate::ids::object_id(self.seed, "directory-setting", 0).to_string()]
            }
            Evidence::GlobalAdminRolePolicy => self
                .role_policy_assignments_json()
                .iter()
                .filter(|a| a["roleDefinitionId"] == crate::tenant::roster::GLOBAL_ADMIN)
                .filter_map(|a| a["policyId"].as_str().map(str::to_string))
                .collect(),
            Evidence::PublicGroups => (0..self.layout.groups)
                .filter(|g| self.is_public(*g))
                .map(|g| self.group_id(g))
                .collect(),
            Evidence::PermanentPrivilegedAssignments => {
                let privileged = CONTROL_PRIVILEGED_ROLES;
                let breakglass: Vec<String> =
                    self.roster.breakglass.iter().map(|p| self.user_id(*p)).collect();
                self.assignment_instances_json()
                    .iter()
                    .filter(|i| i["endDateTime"].is_null())
                    .filter(|i| {
                        i["roleDefinitionId"]
                            .as_str()
                            .is_some_and(|r| privileged.contains(&r))
                    })
                    .filter(|i| {
                        i["principalId"]
                            .as_str()
                            .is_some_and(|p| !breakglass.iter().any(|b| b == p))
                    })
                    .filter_map(|i| i["id"].as_str().map(str::to_string))
                    .collect()
            }
            Evidence::Sharepoint => vec!["admin/sharepoint/settings".into()],
            Evidence::NoncompliantDevices => {
                let cutoff = crate::clock::iso(self.epoch - chrono::Duration::days(30));
                (0..self.layout.devices)
                    .filter_map(|i| self.managed_device_json(i))
                    .filter(|d| {
                        d["complianceState"] == "noncompliant"
                            || d["lastSyncDateTime"]
                                .as_str()
                                .is_some_and(|t| t < cutoff.as_str())
                    })
                    .filter_map(|d| d["id"].as_str().map(str::to_string))
                    .collect()
            }
            Evidence::StaleHighAlerts => {
                let cutoff = crate::clock::iso(self.epoch - chrono::Duration::days(7));
                (0..self.layout.alerts)
                    .filter_map(|i| self.alert_v2_json(i))
                    .filter(|a| a["status"] != "resolved" && a["severity"] == "high")
                    .filter(|a| a["createdDateTime"].as_str().is_some_and(|t| t < cutoff.as_str()))
                    .filter_map(|a| a["id"].as_str().map(str::to_string))
                    .collect()
            }
            Evidence::SecureScoreLatest => self
                .secure_scores_json()
                .first()
                .and_then(|s| s["id"].as_str().map(str::to_string))
                .into_iter()
                .collect(),
            Evidence::SecureScoreWeek => {
                let scores = self.secure_scores_json();
                [0, 7]
                    .iter()
                    .filter_map(|d| scores.get(*d)?["id"].as_str().map(str::to_string))
                    .collect()
            }
        }
    }

    /// Expected control outcomes for this tenant, evidence resolved to object ids.
    pub fn expectations(&self) -> Vec<TenantExpectation> {
        expectations(self.profile())
            .into_iter()
            .map(|e| {
                if e.requires_p2 && !self.licences().has_p2() {
                    return TenantExpectation {
                        control: e.control,
                        outcome: Outcome::Fail,
                        evidence: vec![],
                        why: "fail: requires Entra ID P2, which the tenant has not",
                    };
                }
                let evidence = e.evidence.iter().flat_map(|r| self.resolve_evidence(r)).collect();
                TenantExpectation {
                    control: e.control,
                    outcome: e.outcome,
                    evidence,
                    why: e.why,
                }
            })
            .collect()
    }
}
