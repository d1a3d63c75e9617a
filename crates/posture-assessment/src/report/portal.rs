//! Where in Microsoft's admin portals a control is fixed, so a reader of the report can go straight
//! to the setting. The link is chosen from the control id's area (`entra.ca.…`, `exchange.…`); a
//! control of an unknown area gets no link rather than a wrong one.

use serde::Serialize;

/// A link to an admin portal page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PortalLink {
    /// The portal's name as the reader sees it, e.g. `Microsoft Entra admin center: Conditional Access`.
    pub name: &'static str,
    pub url: &'static str,
}

const fn link(name: &'static str, url: &'static str) -> PortalLink {
    PortalLink { name, url }
}

/// Areas by control-id prefix, most specific first.
const AREAS: &[(&str, PortalLink)] = &[
    (
        "entra.ca.",
        link(
            "Microsoft Entra admin center: Conditional Access",
            "https://entra.microsoft.com/#view/Microsoft_AAD_ConditionalAccess/ConditionalAccessBlade/~/Policies",
        ),
    ),
    (
        "entra.methods.",
        link(
            "Microsoft Entra admin center: Authentication methods",
            "https://entra.microsoft.com/#view/Microsoft_AAD_IAM/AuthenticationMethodsMenuBlade/~/AdminAuthMethods",
        ),
    ),
    (
        "entra.pim.",
        link(
            "Microsoft Entra admin center: Privileged Identity Management",
            "https://entra.microsoft.com/#view/Microsoft_Azure_PIMCommon/CommonMenuBlade/~/quickStart",
        ),
    ),
    (
        "entra.roles.",
        link(
            "Microsoft Entra admin center: Roles and administrators",
            "https://entra.microsoft.com/#view/Microsoft_AAD_IAM/AllRolesBlade",
        ),
    ),
    (
        "entra.apps.",
        link(
            "Microsoft Entra admin center: Enterprise applications",
            "https://entra.microsoft.com/#view/Microsoft_AAD_IAM/StartboardApplicationsMenuBlade/~/AppAppsPreview",
        ),
    ),
    (
        "posture.apps.",
        link(
            "Microsoft Entra admin center: App registrations",
            "https://entra.microsoft.com/#view/Microsoft_AAD_RegisteredApps/ApplicationsListBlade",
        ),
    ),
    (
        "entra.",
        link("Microsoft Entra admin center", "https://entra.microsoft.com/"),
    ),
    (
        "exchange.",
        link("Exchange admin center", "https://admin.exchange.microsoft.com/"),
    ),
    (
        "sharepoint.",
        link(
            "SharePoint admin center (from the Microsoft 365 admin center)",
            "https://admin.microsoft.com/sharepoint",
        ),
    ),
    (
        "m365.",
        link("Microsoft 365 admin center", "https://admin.microsoft.com/"),
    ),
    (
        "posture.securescore",
        link(
            "Microsoft Defender portal: Secure Score",
            "https://security.microsoft.com/securescore",
        ),
    ),
    (
        "posture.alerts",
        link(
            "Microsoft Defender portal: Incidents and alerts",
            "https://security.microsoft.com/alerts",
        ),
    ),
    (
        "posture.vulns",
        link(
            "Microsoft Defender portal: Vulnerability management",
            "https://security.microsoft.com/tvm_dashboard",
        ),
    ),
    (
        "posture.devices",
        link(
            "Microsoft Intune admin center: Devices",
            "https://intune.microsoft.com/#view/Microsoft_Intune_DeviceSettings/DevicesMenu/~/overview",
        ),
    ),
    (
        "posture.",
        link("Microsoft Entra admin center", "https://entra.microsoft.com/"),
    ),
];

/// The portal page where `control_id` is remediated, if its area is known.
pub fn portal_for(control_id: &str) -> Option<PortalLink> {
    AREAS
        .iter()
        .find(|(prefix, _)| control_id.starts_with(prefix))
        .map(|(_, l)| l.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn most_specific_area_wins_and_unknown_areas_get_no_link() {
        assert!(portal_for("entra.ca.mfa-all-users").is_some_and(|l| l.url.contains("ConditionalAccess")));
        assert_eq!(
            portal_for("entra.guests.invite").map(|l| l.url),
            Some("https://entra.microsoft.com/")
        );
        assert!(
            portal_for("exchange.dkim-enabled").is_some_and(|l| l.url.starts_with("https://admin.exchange"))
        );
        assert_eq!(portal_for("custom.thing"), None);
        for (_, l) in AREAS {
            assert!(l.url.starts_with("https://"), "{}", l.url);
        }
    }
}
