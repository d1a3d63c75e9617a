//! Exchange Online and Defender for Office settings as the admin API's cmdlets return them:
//! PascalCase properties, one list per cmdlet, chosen by profile (hardened follows the SCuBA and
//! CIS baselines, neglected leaves the risky defaults and adds forwarding rules).

use chrono::Duration;
use serde_json::{Value, json};

use super::Tenant;
use crate::clock::iso;
use crate::ids::{object_id, pick};
use crate::spec::Profile;

/// The read cmdlets the simulator serves, in the spelling Microsoft documents.
pub const CMDLETS: &[&str] = &[
    "Get-AcceptedDomain",
    "Get-AdminAuditLogConfig",
    "Get-AntiPhishPolicy",
    "Get-AntiPhishRule",
    "Get-AtpPolicyForO365",
    "Get-ATPProtectionPolicyRule",
    "Get-DkimSigningConfig",
    "Get-EOPProtectionPolicyRule",
    "Get-ExternalInOutlook",
    "Get-HostedContentFilterPolicy",
    "Get-HostedContentFilterRule",
    "Get-HostedOutboundSpamFilterPolicy",
    "Get-Mailbox",
    "Get-MalwareFilterPolicy",
    "Get-MalwareFilterRule",
    "Get-OrganizationConfig",
    "Get-RemoteDomain",
    "Get-SafeAttachmentPolicy",
    "Get-SafeAttachmentRule",
    "Get-SafeLinksPolicy",
    "Get-SafeLinksRule",
    "Get-SharingPolicy",
    "Get-TransportConfig",
    "Get-TransportRule",
];

/// The documented name of `cmdlet` (matched case-insensitively, as PowerShell does).
pub fn canonical_cmdlet(cmdlet: &str) -> Option<&'static str> {
    CMDLETS.iter().copied().find(|c| c.eq_ignore_ascii_case(cmdlet))
}

const STRICT: &str = "Strict Preset Security Policy";
const STANDARD: &str = "Standard Preset Security Policy";

impl Tenant {
    fn exo_guid(&self, what: &str, i: u32) -> String {
        object_id(self.seed, what, i).to_string()
    }

    fn exo_org(&self) -> String {
        self.domain.clone()
    }

    /// The output of `cmdlet` with `parameters`, or `None` when the cmdlet is not served.
    pub fn exo_cmdlet_output(&self, cmdlet: &str, parameters: &Value) -> Option<Vec<Value>> {
        let p = self.profile();
        Some(match canonical_cmdlet(cmdlet)? {
            "Get-AcceptedDomain" => self.exo_accepted_domains(),
            "Get-AdminAuditLogConfig" => vec![json!({
                "Identity": "Admin Audit Log Settings",
                "Name": "Admin Audit Log Settings",
                "AdminAuditLogEnabled": true,
                "UnifiedAuditLogIngestionEnabled": p != Profile::Neglected,
                "AdminAuditLogAgeLimit": "90.00:00:00",
                "Guid": self.exo_guid("exo-audit-config", 0),
            })],
            "Get-AntiPhishPolicy" => self.exo_anti_phish_policies(),
            "Get-AntiPhishRule" => self.exo_rules("AntiPhishPolicy", p == Profile::Hardened),
            "Get-ATPProtectionPolicyRule" => self.exo_preset_rules("ATP"),
            // Safe Attachments for SharePoint, OneDrive and Teams, and Safe Documents (E5).
            "Get-AtpPolicyForO365" => {
                let e5 = self.licences().e5;
                vec![json!({
                    "Identity": "Default", "Name": "Default",
                    "EnableATPForSPOTeamsODB": e5 && p != Profile::Neglected,
                    "EnableSafeDocs": e5 && p == Profile::Hardened,
                    "AllowSafeDocsOpen": p == Profile::Neglected,
                    "Guid": self.exo_guid("exo-atp-policy", 0),
                })]
            }
            "Get-DkimSigningConfig" => self.exo_dkim(),
            "Get-EOPProtectionPolicyRule" => self.exo_preset_rules("EOP"),
            "Get-ExternalInOutlook" => vec![json!({
                "Identity": self.exo_org(),
                "Enabled": p == Profile::Hardened,
                "AllowList": [],
            })],
            "Get-HostedContentFilterPolicy" => self.exo_content_filter(),
            "Get-HostedContentFilterRule" => {
                self.exo_rules("HostedContentFilterPolicy", p == Profile::Hardened)
            }
            "Get-HostedOutboundSpamFilterPolicy" => vec![json!({
                "Identity": "Default", "Name": "Default", "IsDefault": true, "Enabled": true,
                "AutoForwardingMode": match p {
                    Profile::Hardened => "Off",
                    Profile::Typical => "Automatic",
                    Profile::Neglected => "On",
                },
                "BccSuspiciousOutboundMail": p == Profile::Hardened,
                "NotifyOutboundSpam": p != Profile::Neglected,
                "RecipientLimitExternalPerHour": 500,
                "RecipientLimitInternalPerHour": 1000,
                "RecipientLimitPerDay": 1000,
                "ActionWhenThresholdReached": "BlockUser",
                "Guid": self.exo_guid("exo-outbound", 0),
            })],
            "Get-Mailbox" => self.exo_mailboxes(parameters),
            "Get-MalwareFilterPolicy" => self.exo_malware(),
            "Get-MalwareFilterRule" => self.exo_rules("MalwareFilterPolicy", p == Profile::Hardened),
            "Get-OrganizationConfig" => vec![json!({
                "Identity": self.exo_org(),
                "Name": self.exo_org(),
                "DisplayName": self.display_name,
                "AuditDisabled": p == Profile::Neglected,
                "OAuth2ClientProfileEnabled": p != Profile::Neglected,
                "CustomerLockBoxEnabled": p == Profile::Hardened,
                "MailTipsAllTipsEnabled": true,
                "MailTipsExternalRecipientsTipsEnabled": p == Profile::Hardened,
                "AutoExpandingArchiveEnabled": false,
                "IsDehydrated": false,
                "Guid": self.exo_guid("exo-org", 0),
            })],
            "Get-RemoteDomain" => vec![json!({
                "Identity": "Default", "Name": "Default", "DomainName": "*",
                "AutoForwardEnabled": p == Profile::Neglected,
                "AutoReplyEnabled": true,
                "AllowedOOFType": "External",
                "DeliveryReportEnabled": true,
                "Guid": self.exo_guid("exo-remote-domain", 0),
            })],
            "Get-SafeAttachmentPolicy" => self.exo_safe_attachments(),
            "Get-SafeAttachmentRule" => self.exo_rules("SafeAttachmentPolicy", p == Profile::Hardened),
            "Get-SafeLinksPolicy" => self.exo_safe_links(),
            "Get-SafeLinksRule" => self.exo_rules("SafeLinksPolicy", p == Profile::Hardened),
            // The default sharing policy as Microsoft creates it (free/busy with everyone), turned
            // off in hardened, widened to details and contacts in neglected.
            "Get-SharingPolicy" => vec![json!({
                "Identity": "Default Sharing Policy", "Name": "Default Sharing Policy",
                "Default": true,
                "Enabled": p != Profile::Hardened,
                "Domains": match p {
                    Profile::Neglected => json!(["*:CalendarSharingFreeBusyReviewer, ContactsSharing"]),
                    _ => json!([
                        "Anonymous:CalendarSharingFreeBusyReviewer",
                        "*:CalendarSharingFreeBusySimple",
                    ]),
                },
                "Guid": self.exo_guid("exo-sharing-policy", 0),
            })],
            "Get-TransportConfig" => vec![json!({
                "Identity": "Transport Settings",
                "SmtpClientAuthenticationDisabled": p != Profile::Neglected,
                "ExternalDelayDsnEnabled": true,
                "MaxSendSize": "35 MB (36,700,160 bytes)",
                "Guid": self.exo_guid("exo-transport-config", 0),
            })],
            "Get-TransportRule" => self.exo_transport_rules(),
            _ => return None,
        })
    }

    fn exo_accepted_domains(&self) -> Vec<Value> {
        [
            (self.domain.clone(), true, false),
            (self.custom_domain(), false, true),
        ]
        .into_iter()
        .enumerate()
        .map(|(i, (name, initial, default))| {
            json!({
                "Identity": name, "Name": name, "DomainName": name,
                "DomainType": "Authoritative", "Default": default, "InitialDomain": initial,
                "SendingFromDomainDisabled": false,
                "Guid": self.exo_guid("exo-accepted-domain", i as u32),
            })
        })
        .collect()
    }

    fn exo_dkim(&self) -> Vec<Value> {
        let custom_signed = self.profile() != Profile::Neglected;
        [(self.domain.clone(), true), (self.custom_domain(), custom_signed)]
            .into_iter()
            .enumerate()
            .map(|(i, (domain, enabled))| {
                let host = domain.replace('.', "-");
                json!({
                    "Identity": domain, "Name": domain, "Domain": domain,
                    "Enabled": enabled,
                    "Status": if enabled { "Valid" } else { "CnameMissing" },
                    "Selector1CNAME": format!("selector1-{host}._domainkey.{}", self.domain),
                    "Selector2CNAME": format!("selector2-{host}._domainkey.{}", self.domain),
                    "KeySize": 2048,
                    "Guid": self.exo_guid("exo-dkim", i as u32),
                })
            })
            .collect()
    }

    fn exo_anti_phish_policies(&self) -> Vec<Value> {
        let p = self.profile();
        let strong = p == Profile::Hardened;
        let policy = |name: &str, default: bool, i: u32, strong: bool| {
            json!({
                "Identity": name, "Name": name, "IsDefault": default, "Enabled": true,
                "EnableSpoofIntelligence": true,
                "EnableMailboxIntelligence": p != Profile::Neglected,
                "EnableMailboxIntelligenceProtection": strong,
                "EnableTargetedUserProtection": strong,
                "EnableTargetDomainsProtection": strong,
                "EnableOrganizationDomainsProtection": strong,
                "EnableFirstContactSafetyTips": strong,
                "EnableUnauthenticatedSender": true,
                "EnableViaTag": true,
                "HonorDmarcPolicy": true,
                "PhishThresholdLevel": if strong { 3 } else { 1 },
                "TargetedUserProtectionAction": if strong { "Quarantine" } else { "NoAction" },
                "TargetedDomainProtectionAction": if strong { "Quarantine" } else { "NoAction" },
                "MailboxIntelligenceProtectionAction": if strong { "Quarantine" } else { "NoAction" },
                "AuthenticationFailAction": "MoveToJmf",
                "RecommendedPolicyType": if name == STRICT { "Strict" } else { "Custom" },
                "Guid": self.exo_guid("exo-anti-phish", i),
            })
        };
        let mut out = vec![policy("Office365 AntiPhish Default", true, 0, strong)];
        if strong {
            out.push(policy(STRICT, false, 1, true));
        }
        out
    }

    fn exo_content_filter(&self) -> Vec<Value> {
        let p = self.profile();
        let neglected = p == Profile::Neglected;
        vec![json!({
            "Identity": "Default", "Name": "Default", "IsDefault": true,
            "SpamAction": "MoveToJmf",
            "HighConfidenceSpamAction": if neglected { "MoveToJmf" } else { "Quarantine" },
            "PhishSpamAction": if neglected { "MoveToJmf" } else { "Quarantine" },
            "HighConfidencePhishAction": "Quarantine",
            "BulkSpamAction": "MoveToJmf",
            "BulkThreshold": if p == Profile::Hardened { 5 } else { 7 },
            "QuarantineRetentionPeriod": 30,
            "SpamZapEnabled": !neglected,
            "PhishZapEnabled": !neglected,
            "AllowedSenderDomains": if neglected { json!(["partner-mail.example.net"]) } else { json!([]) },
            "AllowedSenders": [],
            "InlineSafetyTipsEnabled": true,
            "Guid": self.exo_guid("exo-content-filter", 0),
        })]
    }

    fn exo_malware(&self) -> Vec<Value> {
        let filtering = self.profile() != Profile::Neglected;
        vec![json!({
            "Identity": "Default", "Name": "Default", "IsDefault": true,
            "EnableFileFilter": filtering,
            "FileTypeAction": "Reject",
            "FileTypes": ["ace", "ani", "apk", "app", "cab", "cmd", "com", "deb", "dmg", "exe", "hta",
                "img", "iso", "jar", "js", "jse", "lnk", "msi", "ps1", "reg", "scr", "vb", "vbe", "vbs",
                "wsc", "wsf", "wsh"],
            "ZapEnabled": filtering,
            "EnableInternalSenderAdminNotifications": self.profile() == Profile::Hardened,
            "InternalSenderAdminAddress": if self.profile() == Profile::Hardened {
                json!(format!("secops@{}", self.custom_domain()))
            } else {
                Value::Null
            },
            "Guid": self.exo_guid("exo-malware", 0),
        })]
    }

    fn exo_safe_links(&self) -> Vec<Value> {
        let p = self.profile();
        if p == Profile::Neglected || !self.licences().e5 {
            return Vec::new();
        }
        let policy = |name: &str, i: u32, strict: bool| {
            json!({
                "Identity": name, "Name": name, "IsBuiltInProtection": !strict,
                "EnableSafeLinksForEmail": true,
                "EnableSafeLinksForTeams": true,
                "EnableSafeLinksForOffice": true,
                "TrackClicks": true,
                "AllowClickThrough": !strict,
                "ScanUrls": true,
                "EnableForInternalSenders": strict,
                "DeliverMessageAfterScan": strict,
                "DisableUrlRewrite": false,
                "RecommendedPolicyType": if strict { "Strict" } else { "Custom" },
                "Guid": self.exo_guid("exo-safe-links", i),
            })
        };
        let mut out = vec![policy("Built-In Protection Policy", 0, false)];
        if p == Profile::Hardened {
            out.push(policy(STRICT, 1, true));
        }
        out
    }

    fn exo_safe_attachments(&self) -> Vec<Value> {
        let p = self.profile();
        if p == Profile::Neglected || !self.licences().e5 {
            return Vec::new();
        }
        let policy = |name: &str, i: u32, builtin: bool| {
            json!({
                "Identity": name, "Name": name, "IsBuiltInProtection": builtin,
                "Enable": true, "Action": "Block", "QuarantineTag": "AdminOnlyAccessPolicy",
                "Redirect": false,
                "RecommendedPolicyType": if builtin { "Custom" } else { "Strict" },
                "Guid": self.exo_guid("exo-safe-attachments", i),
            })
        };
        let mut out = vec![policy("Built-In Protection Policy", 0, true)];
        if p == Profile::Hardened {
            out.push(policy(STRICT, 1, false));
        }
        out
    }

    /// The rules that apply custom policies; only the hardened profile's Strict preset has
    /// policies that need one, and preset rules are listed by their own cmdlets.
    fn exo_rules(&self, policy_property: &str, any: bool) -> Vec<Value> {
        if !any {
            return Vec::new();
        }
        vec![json!({
            "Identity": format!("{STRICT} {policy_property}"),
            "Name": format!("{STRICT} {policy_property}"),
            "State": "Enabled", "Priority": 0,
            policy_property: STRICT,
            "RecipientDomainIs": [self.custom_domain()],
            "Guid": self.exo_guid(&format!("exo-rule-{policy_property}"), 0),
        })]
    }

    /// `Get-EOPProtectionPolicyRule` / `Get-ATPProtectionPolicyRule`: the preset security
    /// policies' rules, Enabled when the preset is turned on.
    fn exo_preset_rules(&self, family: &str) -> Vec<Value> {
        let p = self.profile();
        if family == "ATP" && !self.licences().e5 {
            return Vec::new();
        }
        [
            (STRICT, p == Profile::Hardened),
            (STANDARD, p != Profile::Neglected),
        ]
        .into_iter()
        .enumerate()
        .map(|(i, (name, on))| {
            let mut rule = json!({
                "Identity": name, "Name": name,
                "State": if on { "Enabled" } else { "Disabled" },
                "Priority": i,
                "SentTo": [],
                "SentToMemberOf": [],
                "RecipientDomainIs": [self.domain.clone(), self.custom_domain()],
                "Guid": self.exo_guid(&format!("exo-{family}-preset"), i as u32),
            });
            let policies: &[(&str, &str)] = if family == "EOP" {
                &[
                    ("HostedContentFilterPolicy", "Spam"),
                    ("AntiPhishPolicy", "Phish"),
                    ("MalwareFilterPolicy", "Malware"),
                ]
            } else {
                &[
                    ("SafeLinksPolicy", "SafeLinks"),
                    ("SafeAttachmentPolicy", "SafeAttachments"),
                ]
            };
            for (prop, short) in policies {
                let preset = if i == 0 { "Strict" } else { "Standard" };
                rule[*prop] = json!(format!("{preset} Preset Security Policy{short}"));
            }
            rule
        })
        .collect()
    }

    fn exo_transport_rules(&self) -> Vec<Value> {
        let p = self.profile();
        let rule = |i: u32, name: &str, extra: Value| {
            let mut r = json!({
                "Identity": name, "Name": name, "Guid": self.exo_guid("exo-transport-rule", i),
                "State": "Enabled", "Mode": "Enforce", "Priority": i,
                "FromScope": Value::Null, "SentToScope": Value::Null,
                "RedirectMessageTo": Value::Null, "BlindCopyTo": Value::Null,
                "SetSCL": Value::Null, "SenderDomainIs": Value::Null,
                "ApplyHtmlDisclaimerText": Value::Null,
                "WhenChanged": iso(self.epoch - Duration::days(40 + i64::from(i))),
            });
            if let (Some(obj), Value::Object(extra)) = (r.as_object_mut(), extra) {
                obj.extend(extra);
            }
            r
        };
        let mut out = vec![rule(
            0,
            "External sender disclaimer",
            json!({ "FromScope": "NotInOrganization", "ApplyHtmlDisclaimerLocation": "Prepend",
                "ApplyHtmlDisclaimerText": "<p>This message came from outside the organization.</p>" }),
        )];
        if p != Profile::Hardened {
            out.push(rule(
                1,
                "Partner mail skips spam filtering",
                json!({ "SenderDomainIs": ["partner-mail.example.net"], "SetSCL": -1 }),
            ));
        }
        if p == Profile::Neglected {
            let n = pick(self.seed, "exo-forward", 0, 900) + 100;
            out.push(rule(
                2,
                "Copy finance mail to archive",
                json!({ "SentToScope": "InOrganization",
                    "RedirectMessageTo": [format!("finance-archive{n}@mailbox.example.org")] }),
            ));
        }
        out
    }

    /// Shared mailboxes: the only mailboxes the simulator models. `RecipientTypeDetails`
    /// other than `SharedMailbox` selects none.
    fn exo_mailboxes(&self, parameters: &Value) -> Vec<Value> {
        let wanted = parameters
            .get("RecipientTypeDetails")
            .map(|v| match v {
                Value::Array(a) => a.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
                Value::String(s) => s.split(',').map(|s| s.trim().to_owned()).collect(),
                _ => Vec::new(),
            })
            .unwrap_or_else(|| vec!["SharedMailbox".to_owned()]);
        if !wanted.iter().any(|w| w.eq_ignore_ascii_case("SharedMailbox")) {
            return Vec::new();
        }
        (0..self.exo_shared_mailbox_count())
            .map(|i| self.exo_shared_mailbox(i))
            .collect()
    }

    /// Shared mailboxes in the tenant: a few, and one per 25 users.
    pub fn exo_shared_mailbox_count(&self) -> u32 {
        (self.layout.users / 25).max(3)
    }

    fn exo_shared_mailbox(&self, i: u32) -> Value {
        let names = [
            "info",
            "support",
            "sales",
            "billing",
            "hr",
            "reception",
            "projects",
        ];
        let alias = format!("{}{i}", names[(i as usize) % names.len()]);
        let sign_in = match self.profile() {
            Profile::Hardened => false,
            Profile::Typical => i % 5 == 1,
            Profile::Neglected => i.is_multiple_of(2),
        };
        let upn = format!("{alias}@{}", self.custom_domain());
        json!({
            "Identity": alias, "Name": alias, "Alias": alias,
            "DisplayName": format!("Shared {alias}"),
            "UserPrincipalName": upn, "PrimarySmtpAddress": upn,
            "RecipientTypeDetails": "SharedMailbox",
            "ExternalDirectoryObjectId": self.exo_guid("exo-shared-mailbox-user", i),
            "AccountDisabled": !sign_in,
            "AuditEnabled": self.profile() != Profile::Neglected,
            "ForwardingSmtpAddress": Value::Null,
            "Guid": self.exo_guid("exo-shared-mailbox", i),
        })
    }
}
