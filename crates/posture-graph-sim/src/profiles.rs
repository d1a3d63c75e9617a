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
    /// An Exchange object by cmdlet and `Name` (resolved to its `Guid`, or `Identity`).
    Exo(&'static str, &'static str),
    /// Every shared mailbox whose account can sign in.
    SharedMailboxesSigningIn,
    /// A Conditional Access policy by its display name (its position varies with the licences).
    CaPolicyNamed(&'static str),
    /// The tenant's on-premises directory synchronization object (its id is the tenant id).
    OnPremisesSynchronization,
    /// The Group.Unified directory setting.
    GroupUnifiedSettings,
    /// The organization-default activity-based timeout policy.
    ActivityTimeoutPolicy,
    /// A named location by its order in the profile.
    NamedLocation(u32),
    /// A line-of-business app registration by its number (1-3, see `tenant::apps`).
    App(u32),
    /// The service principal of line-of-business app `n`.
    AppServicePrincipal(u32),
    /// The neglected tenant's third-party service principal.
    VendorApp,
    /// The role management policy of a role template.
    RolePolicy(&'static str),
    /// Active assignments of the controls' privileged roles made outside PIM (their schedules).
    AssignedOutsidePim,
    /// An access review definition by its position in the profile.
    AccessReview(u32),
    /// Enabled members (emergency accounts aside) without a sign-in for 90 days, or created more
    /// than 90 days ago and never signed in. Decides the outcome: none means pass.
    StaleMembers,
    /// Enabled guests with an invitation pending or no sign-in for 90 days. Decides the outcome:
    /// no enabled guest means not applicable, none stale means pass.
    StaleGuests,
    /// Managed devices not compliant, or not checked in for 30 days.
    NoncompliantDevices,
    /// High-severity alerts open for more than 7 days.
    StaleHighAlerts,
    /// The latest daily Secure Score and the one 7 days before it.
    SecureScoreWeek,
    /// The latest daily Secure Score.
    SecureScoreLatest,
    /// Defender machines with an open critical CVE (the first 50 by id, as many as the control names).
    CriticalVulnerableMachines,
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
        "CIS.1.1.1",
        pick(
            (Pass, vec![]),
            (Fail, vec![E::User(3)]),
            (Fail, vec![E::User(2), E::User(5), E::User(7)]),
        ),
        "administrative accounts synchronised from on-premises; typical's holds Global Administrator through the role-assignable group",
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
        "CIS.1.1.4",
        pick(
            (Pass, vec![]),
            (Fail, [0, 1, 2, 3, 5].map(E::User).to_vec()),
            (Fail, (0..9).map(E::User).collect()),
        ),
        "administrators licensed for Microsoft 365 (hardened's are unlicensed; typical's group member counts)",
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
        "CIS.5.1.3.1",
        pick((Pass, vec![]), (Pass, vec![]), (Fail, vec![])),
        "dynamic All Guests group (neglected's is assigned, not dynamic)",
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
    // Exchange Online (tenant/exchange.rs).
    let outbound = || E::Exo("Get-HostedOutboundSpamFilterPolicy", "Default");
    add(
        "CIS.6.2.1",
        pick(
            (Pass, vec![]),
            (Fail, vec![outbound()]),
            (
                Fail,
                vec![
                    outbound(),
                    E::Exo("Get-TransportRule", "Copy finance mail to archive"),
                ],
            ),
        ),
        "AutoForwardingMode Off / Automatic / On; neglected also redirects finance mail outside",
    );
    add(
        "MS.EXO.1.1v1",
        pick(
            (Pass, vec![]),
            (Pass, vec![]),
            (Fail, vec![E::Exo("Get-RemoteDomain", "Default")]),
        ),
        "the Default remote domain allows automatic forwarding only in neglected",
    );
    add(
        "CIS.2.1.9",
        pick((Pass, vec![]), (Pass, vec![]), (Fail, vec![])),
        "neglected's custom domain is not DKIM-signed",
    );
    // Mail DNS records (dns.rs): hardened -all / p=reject, typical ~all / p=quarantine, neglected's
    // custom domain publishes nothing (its initial domain only Microsoft's SPF record).
    add(
        "CIS.2.1.8",
        pick((Pass, vec![]), (Pass, vec![]), (Fail, vec![E::CustomDomain])),
        "SPF naming Exchange Online: neglected's custom domain has none",
    );
    add(
        "MS.EXO.2.2v2",
        pick(
            (Pass, vec![]),
            (Fail, vec![E::CustomDomain]),
            (Fail, vec![E::CustomDomain]),
        ),
        "SPF -all: typical soft-fails (~all), neglected's custom domain has no SPF",
    );
    add(
        "CIS.2.1.10",
        pick(
            (Pass, vec![]),
            (Pass, vec![]),
            (Fail, vec![E::InitialDomain, E::CustomDomain]),
        ),
        "DMARC p=reject / p=quarantine with reports / none",
    );
    add(
        "MS.EXO.4.1v1",
        pick(
            (Pass, vec![]),
            (Pass, vec![]),
            (Fail, vec![E::InitialDomain, E::CustomDomain]),
        ),
        "a DMARC record for every domain except in neglected",
    );
    add(
        "MS.EXO.4.2v1",
        pick(
            (Pass, vec![]),
            (Fail, vec![E::InitialDomain, E::CustomDomain]),
            (Fail, vec![E::InitialDomain, E::CustomDomain]),
        ),
        "DMARC p=reject only in hardened",
    );
    // Defender for Office 365 (tenant/exchange.rs): the hardened tenant's Strict preset policies
    // have the recommended settings, the typical tenant runs on the built-in and default
    // policies, the neglected one has no Safe Links or Safe Attachments policy at all.
    add(
        "CIS.2.1.1",
        pick(
            (Pass, vec![]),
            (
                Fail,
                vec![E::Exo("Get-SafeLinksPolicy", "Built-In Protection Policy")],
            ),
            (Fail, vec![]),
        ),
        "Strict Safe Links / built-in policy allows click-through / no policy",
    );
    add(
        "CIS.2.1.2",
        pick(
            (Pass, vec![]),
            (Pass, vec![]),
            (Fail, vec![E::Exo("Get-MalwareFilterPolicy", "Default")]),
        ),
        "the default anti-malware policy's file filter is off in neglected",
    );
    add(
        "CIS.2.1.4",
        pick((Pass, vec![]), (Pass, vec![]), (Fail, vec![])),
        "Safe Attachments blocks in the built-in policy; neglected has none",
    );
    let atp = || E::Exo("Get-AtpPolicyForO365", "Default");
    add(
        "CIS.2.1.5",
        pick((Pass, vec![]), (Fail, vec![atp()]), (Fail, vec![atp()])),
        "Safe Documents only in hardened; neglected also leaves SharePoint, OneDrive and Teams out",
    );
    let default_phish = || E::Exo("Get-AntiPhishPolicy", "Office365 AntiPhish Default");
    add(
        "CIS.2.1.7",
        pick(
            (Pass, vec![]),
            (Fail, vec![default_phish()]),
            (Fail, vec![default_phish()]),
        ),
        "only hardened's Strict anti-phishing policy protects against impersonation",
    );
    let preset = |name| E::Exo("Get-EOPProtectionPolicyRule", name);
    add(
        "MS.DEFENDER.1.1v1",
        pick(
            (Pass, vec![]),
            (Fail, vec![preset("Strict Preset Security Policy")]),
            (
                Fail,
                vec![
                    preset("Standard Preset Security Policy"),
                    preset("Strict Preset Security Policy"),
                ],
            ),
        ),
        "Strict and Standard on / Standard only / neither",
    );
    add(
        "MS.DEFENDER.1.2v1",
        pick((Pass, vec![]), (Pass, vec![]), (Fail, vec![])),
        "an enabled preset covers both accepted domains except in neglected",
    );
    add(
        "CIS.1.2.2",
        pick(
            (Pass, vec![]),
            (Fail, vec![E::SharedMailboxesSigningIn]),
            (Fail, vec![E::SharedMailboxesSigningIn]),
        ),
        "shared mailboxes whose accounts can sign in: none / every fifth / every other",
    );
    add(
        "CIS.6.5.1",
        pick((Pass, vec![]), (Pass, vec![]), (Fail, vec![])),
        "OAuth2ClientProfileEnabled false in neglected",
    );
    let sharing = || E::Exo("Get-SharingPolicy", "Default Sharing Policy");
    add(
        "MS.EXO.6.1v1",
        pick((Pass, vec![]), (Pass, vec![]), (Fail, vec![sharing()])),
        "neglected's default sharing policy shares contacts with all domains",
    );
    add(
        "MS.EXO.6.2v1",
        pick((Pass, vec![]), (Pass, vec![]), (Fail, vec![sharing()])),
        "free/busy only in typical; neglected shares calendar details with all domains",
    );
    add(
        "CIS.1.3.3",
        pick((Pass, vec![]), (Fail, vec![sharing()]), (Fail, vec![sharing()])),
        "the default sharing policy is disabled only in hardened",
    );
    add(
        "exchange.dkim-published",
        pick((Pass, vec![]), (Pass, vec![]), (Fail, vec![E::CustomDomain])),
        "neglected's custom domain publishes no DKIM selector CNAMEs",
    );
    add(
        "MS.EXO.3.1v1",
        pick((Pass, vec![]), (Pass, vec![]), (Fail, vec![])),
        "neglected's custom domain is not DKIM-signed",
    );
    add(
        "CIS.6.5.4",
        pick(
            (Pass, vec![]),
            (Pass, vec![]),
            (Fail, vec![E::Exo("Get-TransportConfig", "Transport Settings")]),
        ),
        "SmtpClientAuthenticationDisabled false in neglected",
    );
    add(
        "CIS.6.1.1",
        pick((Pass, vec![]), (Pass, vec![]), (Fail, vec![])),
        "AuditDisabled true in neglected",
    );
    add(
        "MS.EXO.13.1v1",
        pick((Pass, vec![]), (Pass, vec![]), (Fail, vec![])),
        "AuditDisabled true in neglected",
    );
    add(
        "CIS.3.1.1",
        pick(
            (Pass, vec![]),
            (Pass, vec![]),
            (
                Fail,
                vec![E::Exo("Get-AdminAuditLogConfig", "Admin Audit Log Settings")],
            ),
        ),
        "UnifiedAuditLogIngestionEnabled false in neglected",
    );
    add(
        "MS.EXO.17.1v1",
        pick((Pass, vec![]), (Pass, vec![]), (Fail, vec![])),
        "UnifiedAuditLogIngestionEnabled false in neglected",
    );
    add(
        "CIS.6.2.3",
        pick((Pass, vec![]), (Fail, vec![]), (Fail, vec![])),
        "Outlook's external tag is on only in hardened",
    );
    add(
        "MS.EXO.7.1v1",
        pick((Pass, vec![]), (Pass, vec![]), (Pass, vec![])),
        "every profile has the enabled rule prepending a warning to external mail",
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
        "MS.SHAREPOINT.1.1v1",
        pick(
            (Pass, vec![]),
            (Fail, vec![E::Sharepoint]),
            (Fail, vec![E::Sharepoint]),
        ),
        "sharingCapability existingExternalUserSharingOnly or disabled (typical allows new guests)",
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
        "posture.mfa.coverage",
        pick((Pass, vec![]), (Fail, vec![]), (Fail, vec![])),
        "MFA-capable share of enabled members: about 99% (hardened), 85% (typical), 45% (neglected) against 95%",
    );
    add(
        "posture.accounts.stale",
        (Fail, vec![E::StaleMembers]),
        "members without a sign-in for 90 days (2%, 10%, 25% of members); none means pass",
    );
    add(
        "posture.guests.stale",
        (Fail, vec![E::StaleGuests]),
        "guests pending or without a sign-in for 90 days; no enabled guest is not applicable",
    );
    add(
        "CIS.5.2.3.7",
        pick(
            (Pass, vec![]),
            (Fail, vec![E::Fixed("Email")]),
            (Fail, vec![E::Fixed("Email")]),
        ),
        "email one-time passcode disabled only in hardened",
    );
    add(
        "CIS.5.2.2.1",
        pick(
            (Pass, vec![]),
            (Pass, vec![]),
            (Fail, vec![E::Fixed(crate::tenant::roster::GLOBAL_ADMIN)]),
        ),
        "MFA for the administrative roles: hardened and typical require it; neglected's policy is disabled",
    );
    settings_and_session_rows(&mut add, &pick);
    add_app_expectations(&mut add, &pick);
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
        "posture.vulns.critical-unpatched",
        pick(
            (Pass, vec![]),
            (Fail, vec![E::CriticalVulnerableMachines]),
            (Fail, vec![E::CriticalVulnerableMachines]),
        ),
        "hardened patches critical CVEs first (one machine in eight has a lesser one open); typical and neglected leave critical CVEs on about a third and a half of their machines",
    );
    add(
        "posture.securescore.drop",
        pick((Pass, vec![]), (Pass, vec![]), (Fail, vec![E::SecureScoreWeek])),
        "neglected lost 4% (12 points) three days ago; the others move by under 2 points a week",
    );
    add(
        "posture.connection.expiring-secret",
        pick((Pass, vec![]), (Pass, vec![]), (Pass, vec![])),
        "the connection holds the tenant's client secret, which expires in 365 days unless the spec says otherwise",
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
    risk_policy_rows(&mut p2, &pick);
    let ga_policy = || vec![E::RolePolicy(CONTROL_PRIVILEGED_ROLES[0])];
    let other_policies = || {
        CONTROL_PRIVILEGED_ROLES[1..]
            .iter()
            .map(|r| E::RolePolicy(r))
            .collect::<Vec<_>>()
    };
    let all_policies = || {
        CONTROL_PRIVILEGED_ROLES
            .iter()
            .map(|r| E::RolePolicy(r))
            .collect::<Vec<_>>()
    };
    p2(
        "CIS.5.3.2",
        pick((Pass, vec![]), (Fail, vec![E::AccessReview(0)]), (Fail, vec![])),
        "monthly guest access review of all Microsoft 365 groups; typical's is quarterly, 14 days, not applied",
    );
    p2(
        "CIS.5.3.3",
        pick(
            (Pass, vec![]),
            (
                Fail,
                crate::tenant::governance::REVIEWED_ROLES[1..]
                    .iter()
                    .map(|r| E::Fixed(r))
                    .collect(),
            ),
            (
                Fail,
                crate::tenant::governance::REVIEWED_ROLES
                    .iter()
                    .map(|r| E::Fixed(r))
                    .collect(),
            ),
        ),
        "monthly access reviews of Global, Exchange, SharePoint, Teams and Security Administrator; typical reviews Global Administrator only",
    );
    p2(
        "CIS.5.3.4",
        pick((Pass, vec![]), (Fail, ga_policy()), (Fail, ga_policy())),
        "Global Administrator activation approval",
    );
    p2(
        "CIS.5.3.5",
        pick(
            (Pass, vec![]),
            (Fail, vec![E::RolePolicy(CONTROL_PRIVILEGED_ROLES[1])]),
            (Fail, vec![E::RolePolicy(CONTROL_PRIVILEGED_ROLES[1])]),
        ),
        "Privileged Role Administrator activation approval",
    );
    p2(
        "MS.AAD.7.5v1",
        pick(
            (Pass, vec![]),
            (Fail, vec![E::AssignedOutsidePim]),
            (Fail, vec![E::AssignedOutsidePim]),
        ),
        "active privileged assignments without a PIM request or schedule start",
    );
    p2(
        "MS.AAD.7.7v1",
        pick((Pass, vec![]), (Fail, other_policies()), (Fail, all_policies())),
        "eligible and active assignment alerts: every privileged role / Global Administrator only / none",
    );
    p2(
        "MS.AAD.7.8v1",
        pick((Pass, vec![]), (Pass, vec![]), (Fail, ga_policy())),
        "Global Administrator activation alert",
    );
    p2(
        "MS.AAD.7.9v1",
        pick((Pass, vec![]), (Fail, other_policies()), (Fail, other_policies())),
        "activation alerts for the other privileged roles",
    );
    v
}

type Pick<'a> = &'a dyn Fn(
    (Outcome, Vec<Evidence>),
    (Outcome, Vec<Evidence>),
    (Outcome, Vec<Evidence>),
) -> (Outcome, Vec<Evidence>);

/// Device, directory, session, location and emergency-access settings: hardened meets them; typical
/// and neglected keep Entra's defaults or partial configurations where real tenants of their kind do.
fn settings_and_session_rows(
    add: &mut dyn FnMut(&'static str, (Outcome, Vec<Evidence>), &'static str),
    pick: Pick<'_>,
) {
    use Evidence as E;
    use Outcome::{Fail, Pass};
    let authenticator = || vec![E::Fixed("MicrosoftAuthenticator")];
    let devices = || vec![E::Fixed("deviceRegistrationPolicy")];
    let authorization = || vec![E::Fixed("authorizationPolicy")];
    const ADMIN_SESSIONS: &str = "Sign-in frequency for administrators";
    add(
        "MS.AAD.3.3v2",
        pick((Pass, vec![]), (Fail, authenticator()), (Fail, authenticator())),
        "context shown to all users (hardened); location context left Microsoft-managed (typical); no context (neglected)",
    );
    add(
        "CIS.5.2.3.1",
        pick((Pass, vec![]), (Fail, authenticator()), (Fail, authenticator())),
        "Authenticator shows app name and location to all users",
    );
    add(
        "CIS.5.1.4.1",
        pick((Pass, vec![]), (Fail, devices()), (Fail, devices())),
        "azureADJoin.allowedToJoin: a group (hardened), everyone",
    );
    add(
        "CIS.5.1.4.2",
        pick((Pass, vec![]), (Fail, devices()), (Fail, devices())),
        "userDeviceQuota 20 (hardened), Entra's default 50",
    );
    add(
        "CIS.5.1.4.3",
        pick((Pass, vec![]), (Fail, devices()), (Fail, devices())),
        "localAdmins.enableGlobalAdmins",
    );
    add(
        "CIS.5.1.4.4",
        pick((Pass, vec![]), (Fail, devices()), (Fail, devices())),
        "localAdmins.registeringUsers: none (hardened), all",
    );
    add(
        "CIS.5.1.4.5",
        pick((Pass, vec![]), (Pass, vec![]), (Fail, devices())),
        "localAdminPassword.isEnabled",
    );
    add(
        "CIS.5.1.4.6",
        pick((Pass, vec![]), (Fail, authorization()), (Fail, authorization())),
        "allowedToReadBitlockerKeysForOwnedDevice",
    );
    add(
        "CIS.5.1.8.1",
        pick(
            (Pass, vec![]),
            (Pass, vec![]),
            (Fail, vec![E::OnPremisesSynchronization]),
        ),
        "hybrid tenants; neglected synchronises without password hashes",
    );
    add(
        "CIS.5.1.3.2",
        pick((Pass, vec![]), (Fail, authorization()), (Fail, authorization())),
        "allowedToCreateSecurityGroups",
    );
    add(
        "CIS.5.1.3.4",
        pick(
            (Pass, vec![]),
            (Fail, vec![E::GroupUnifiedSettings]),
            (Fail, vec![E::GroupUnifiedSettings]),
        ),
        "Group.Unified EnableGroupCreation",
    );
    add(
        "CIS.1.3.2",
        pick(
            (Pass, vec![]),
            (Fail, vec![E::ActivityTimeoutPolicy]),
            (Fail, vec![]),
        ),
        "idle timeout 1 hour with app-enforced restrictions / 8 hours / none",
    );
    add(
        "CIS.1.1.2",
        pick(
            (Pass, vec![]),
            (Fail, vec![E::CaPolicyNamed(ADMIN_SESSIONS)]),
            (Fail, vec![]),
        ),
        "typical's admin session policy does not exclude the break-glass Global Administrators; neglected has none",
    );
    add(
        "CIS.5.1.2.4",
        pick((Pass, vec![]), (Fail, vec![]), (Fail, vec![])),
        "only hardened blocks the admin portals for non-administrators",
    );
    add(
        "CIS.5.2.2.4",
        pick(
            (Pass, vec![]),
            (Fail, vec![E::CaPolicyNamed(ADMIN_SESSIONS)]),
            (Fail, vec![]),
        ),
        "4 hours and never persistent (hardened); a day and persistence left to users (typical)",
    );
    add(
        "CIS.5.2.2.11",
        pick(
            (Pass, vec![]),
            (Fail, vec![E::CaPolicyNamed(ADMIN_SESSIONS)]),
            (Fail, vec![]),
        ),
        "MFA every time for Intune enrollment (hardened); typical's only frequency is a day, for administrators",
    );
    add(
        "CIS.5.2.2.13",
        pick(
            (Pass, vec![]),
            (Fail, vec![E::CaPolicyNamed(ADMIN_SESSIONS)]),
            (Fail, vec![]),
        ),
        "sign-in frequency for all users; typical sets one for administrators only",
    );
    add(
        "CIS.5.2.2.14",
        pick((Pass, vec![]), (Pass, vec![]), (Fail, vec![E::NamedLocation(0)])),
        "corporate network marked trusted except in neglected",
    );
    add(
        "CIS.5.2.2.15",
        pick((Pass, vec![]), (Fail, vec![]), (Fail, vec![])),
        "only hardened blocks its blocked-countries location",
    );
    add(
        "CIS.5.2.2.17",
        pick((Pass, vec![]), (Fail, vec![]), (Fail, vec![])),
        "only hardened blocks authentication transfer",
    );
}

/// CIS's Identity Protection policies (Entra ID P2).
fn risk_policy_rows(
    p2: &mut dyn FnMut(&'static str, (Outcome, Vec<Evidence>), &'static str),
    pick: Pick<'_>,
) {
    use Evidence as E;
    use Outcome::{Fail, Pass};
    p2(
        "CIS.5.2.2.6",
        pick((Pass, vec![]), (Pass, vec![]), (Fail, vec![])),
        "high user risk blocked (hardened, typical)",
    );
    p2(
        "CIS.5.2.2.7",
        pick((Pass, vec![]), (Fail, vec![E::CaPolicy(5)]), (Fail, vec![])),
        "medium and high sign-in risk acted on; typical's policy is report-only and high only",
    );
    p2(
        "CIS.5.2.2.8",
        pick((Pass, vec![]), (Fail, vec![E::CaPolicy(5)]), (Fail, vec![])),
        "medium and high sign-in risk blocked",
    );
}

/// App registrations, service principals and the default app management policy (`tenant::apps`).
fn add_app_expectations(
    add: &mut impl FnMut(&'static str, (Outcome, Vec<Evidence>), &'static str),
    pick: &impl Fn(
        (Outcome, Vec<Evidence>),
        (Outcome, Vec<Evidence>),
        (Outcome, Vec<Evidence>),
    ) -> (Outcome, Vec<Evidence>),
) {
    use Evidence as E;
    use Outcome::{Fail, Pass};
    add(
        "posture.apps.expiring-credentials",
        pick(
            (Pass, vec![]),
            (Fail, vec![E::App(2)]),
            (Fail, vec![E::App(1), E::App(2)]),
        ),
        "a secret 14 days from expiry (typical); an expired secret and an expired certificate (neglected)",
    );
    add(
        "posture.apps.long-lived-secrets",
        pick(
            (Pass, vec![]),
            (Fail, vec![E::App(1)]),
            (Fail, vec![E::App(1), E::App(2), E::App(3)]),
        ),
        "a one-year secret (typical); two- to ten-year secrets and a two-year certificate (neglected)",
    );
    add(
        "posture.apps.unowned",
        pick(
            (Pass, vec![]),
            (Fail, vec![E::App(2)]),
            (Fail, vec![E::App(1), E::App(2), E::App(3)]),
        ),
        "app registrations without owners",
    );
    add(
        "posture.apps.over-privileged",
        pick(
            (Pass, vec![]),
            (Fail, vec![E::AppServicePrincipal(3)]),
            (
                Fail,
                vec![
                    E::AppServicePrincipal(1),
                    E::AppServicePrincipal(2),
                    E::AppServicePrincipal(3),
                    E::VendorApp,
                ],
            ),
        ),
        "Mail.ReadWrite (typical); Application/Directory/RoleManagement write, Mail.ReadWrite, Files.ReadWrite.All and a third party's Sites.FullControl.All (neglected)",
    );
    for (control, why) in [
        (
            "posture.apps.password-credentials-blocked",
            "default app management policy: passwordAddition restricted only in hardened",
        ),
        (
            "posture.apps.password-lifetime-limited",
            "default app management policy: passwordLifetime P180D only in hardened",
        ),
        (
            "posture.apps.certificate-lifetime-limited",
            "default app management policy: asymmetricKeyLifetime P365D only in hardened",
        ),
    ] {
        let policy = || vec![E::Fixed("00000000-0000-0000-0000-000000000000")];
        add(
            control,
            pick((Pass, vec![]), (Fail, policy()), (Fail, policy())),
            why,
        );
    }
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
            Evidence::Exo(cmdlet, name) => self
                .exo_cmdlet_output(cmdlet, &serde_json::json!({}))
                .unwrap_or_default()
                .iter()
                .filter(|o| o["Name"] == *name || o["Identity"] == *name)
                .filter_map(|o| o["Guid"].as_str().or_else(|| o["Identity"].as_str()))
                .map(str::to_string)
                .collect(),
            Evidence::SharedMailboxesSigningIn => self
                .exo_cmdlet_output("Get-Mailbox", &serde_json::json!({}))
                .unwrap_or_default()
                .iter()
                .filter(|m| m["AccountDisabled"] == false)
                .filter_map(|m| m["Guid"].as_str().map(str::to_string))
                .collect(),
            Evidence::CaPolicyNamed(name) => self
                .ca_policies_json()
                .iter()
                .filter(|p| p["displayName"] == *name)
                .filter_map(|p| p["id"].as_str().map(str::to_string))
                .collect(),
            Evidence::OnPremisesSynchronization => vec![self.id.to_string()],
            Evidence::GroupUnifiedSettings => {
                vec![crate::ids::object_id(self.seed, "directory-setting", 1).to_string()]
            }
            Evidence::ActivityTimeoutPolicy => {
                vec![crate::ids::object_id(self.seed, "activity-timeout-policy", 0).to_string()]
            }
            Evidence::NamedLocation(k) => {
                vec![crate::ids::object_id(self.seed, "named-location", *k).to_string()]
            }
            Evidence::App(n) => vec![self.app_registration_id(*n)],
            Evidence::AppServicePrincipal(n) => vec![self.app_service_principal_id(*n)],
            Evidence::VendorApp => self.vendor_service_principal_id().into_iter().collect(),
            Evidence::RolePolicy(template) => self
                .role_policy_assignments_json()
                .iter()
                .filter(|a| a["roleDefinitionId"] == *template)
                .filter_map(|a| a["policyId"].as_str().map(str::to_string))
                .collect(),
            Evidence::AssignedOutsidePim => self
                .assignment_schedules_json()
                .iter()
                .filter(|s| s["createdUsing"].is_null() || s["scheduleInfo"]["startDateTime"].is_null())
                .filter(|s| {
                    s["roleDefinitionId"]
                        .as_str()
                        .is_some_and(|r| CONTROL_PRIVILEGED_ROLES.contains(&r))
                })
                .filter_map(|s| s["id"].as_str().map(str::to_string))
                .collect(),
            Evidence::AccessReview(k) => vec![self.access_review_id(*k)],
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
            Evidence::CriticalVulnerableMachines => {
                let mut ids = self.mde_critical_machines();
                ids.truncate(50);
                ids
            }
            Evidence::StaleMembers => self.inactive_accounts(false),
            Evidence::StaleGuests => self.inactive_accounts(true),
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

    fn has_enabled_guests(&self) -> bool {
        (0..self.user_positions()).any(|p| self.user_facts(p).is_some_and(|f| f.guest && f.enabled))
    }

    /// Enabled members (`guests` false) or guests inactive for 90 days: no sign-in since, or never
    /// signed in and created before; a guest whose invitation is pending counts too (its
    /// invitation is at least 50 days old). Declared emergency accounts are left out.
    fn inactive_accounts(&self, guests: bool) -> Vec<String> {
        (0..self.user_positions())
            .filter(|p| !self.roster.breakglass.contains(p))
            .filter_map(|p| self.user_facts(p))
            .filter(|f| f.enabled && f.guest == guests)
            .filter(|f| {
                if f.pending_invitation {
                    return guests;
                }
                match f.last_sign_in_days {
                    Some(days) => days > 90,
                    None => (self.epoch - f.created).num_days() > 90,
                }
            })
            .map(|f| f.id)
            .collect()
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
                let evidence: Vec<String> =
                    e.evidence.iter().flat_map(|r| self.resolve_evidence(r)).collect();
                // Rows whose evidence is the tenant's own data decide their outcome from it.
                let derived = !e.evidence.is_empty()
                    && e.evidence
                        .iter()
                        .all(|r| matches!(r, Evidence::StaleMembers | Evidence::StaleGuests));
                let outcome = match (derived, evidence.is_empty()) {
                    (true, true)
                        if e.evidence.contains(&Evidence::StaleGuests) && !self.has_enabled_guests() =>
                    {
                        Outcome::NotApplicable
                    }
                    (true, true) => Outcome::Pass,
                    (true, false) => Outcome::Fail,
                    (false, _) => e.outcome,
                };
                TenantExpectation {
                    control: e.control,
                    outcome,
                    evidence,
                    why: e.why,
                }
            })
            .collect()
    }
}
