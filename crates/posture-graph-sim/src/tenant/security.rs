//! Intune devices and compliance policies, Defender alerts and incidents via Graph, Secure
//! Score, service health, and the Entra audit and sign-in logs.

use chrono::Duration;
use serde_json::{Value, json};

use super::Tenant;
use crate::clock::iso;
use crate::ids::{self, object_id, pick, unit};
use crate::spec::Profile;

const OS: [(&str, &str, &str); 4] = [
    ("Windows", "10.0.22631.4460", "windowsAzureADJoin"),
    ("iOS", "17.6.1", "appleBulkWithUser"),
    ("Android", "14", "userEnrollment"),
    ("macOS", "14.6.1", "userEnrollment"),
];
const ALERT_TITLES: [(&str, &str, &str); 5] = [
    (
        "Suspicious PowerShell command line",
        "Execution",
        "microsoftDefenderForEndpoint",
    ),
    (
        "Impossible travel activity",
        "InitialAccess",
        "microsoftDefenderForCloudApps",
    ),
    (
        "Email messages containing malicious URL removed after delivery",
        "InitialAccess",
        "microsoftDefenderForOffice365",
    ),
    (
        "Suspected brute-force attack (LDAP)",
        "CredentialAccess",
        "microsoftDefenderForIdentity",
    ),
    (
        "Unfamiliar sign-in properties",
        "InitialAccess",
        "azureAdIdentityProtection",
    ),
];

impl Tenant {
    fn noncompliant_rate(&self) -> f64 {
        match self.profile() {
            Profile::Hardened => 0.0,
            Profile::Typical => 0.12,
            Profile::Neglected => 0.35,
        }
    }

    pub fn managed_device_json(&self, i: u32) -> Option<Value> {
        if i >= self.layout.devices {
            return None;
        }
        let s = self.seed;
        let p = u64::from(i);
        let owner_pos = RESERVED_OFFSET + i % (self.layout.users - RESERVED_OFFSET).max(1);
        let owner = self.user_facts(owner_pos)?;
        let (os, version, enrollment) = OS[pick(s, "device-os", p, 4) as usize];
        // Typical and neglected tenants always have at least one noncompliant device (the second).
        let rate = self.noncompliant_rate();
        let noncompliant = unit(s, "device-compliance", p) < rate || (rate > 0.0 && i == 1);
        let stale_days = if unit(s, "device-stale", p) < self.noncompliant_rate() / 2.0 {
            45 + pick(s, "stale-days", p, 60) as i64
        } else {
            pick(s, "sync-days", p, 3) as i64
        };
        let prefix = match os {
            "Windows" => "DESKTOP",
            "iOS" => "IPHONE",
            "Android" => "ANDROID",
            _ => "MACBOOK",
        };
        let name = format!("{prefix}-{i:05}");
        let enrolled = self.epoch - Duration::days(30 + pick(s, "enrolled", p, 700) as i64);
        Some(json!({
            "id": object_id(s, "managed-device", i).to_string(),
            "deviceName": name,
            "managedDeviceName": format!("{}_{}_{}", owner.given, os, enrolled.format("%-m/%-d/%Y_%-I:%M %p")),
            "userId": owner.id, "userPrincipalName": owner.upn, "userDisplayName": owner.display_name, "emailAddress": owner.mail,
            "operatingSystem": os, "osVersion": version,
            "complianceState": if noncompliant { "noncompliant" } else { "compliant" },
            "complianceGracePeriodExpirationDateTime": "9999-12-31T23:59:59Z",
            "lastSyncDateTime": iso(self.epoch - Duration::days(stale_days) - Duration::minutes(pick(s, "sync-min", p, 1440) as i64)),
            "enrolledDateTime": iso(enrolled),
            "managedDeviceOwnerType": if i.is_multiple_of(9) { "personal" } else { "company" },
            "managementAgent": "mdm",
            "managementState": "managed",
            "deviceEnrollmentType": enrollment,
            "deviceRegistrationState": "registered",
            "isEncrypted": !noncompliant || i.is_multiple_of(2),
            "isSupervised": os == "iOS",
            "jailBroken": "False",
            "azureADDeviceId": object_id(s, "aad-device", i).to_string(),
            "azureADRegistered": true,
            "model": match os { "Windows" => "Surface Laptop 5", "iOS" => "iPhone 15", "Android" => "Pixel 8", _ => "MacBook Air" },
            "manufacturer": match os { "Windows" => "Microsoft Corporation", "iOS" | "macOS" => "Apple", _ => "Google" },
            "serialNumber": format!("SN{:010}", ids::hash3(s, "serial", p) % 10_000_000_000),
            "partnerReportedThreatState": if noncompliant && i.is_multiple_of(5) { "highSeverity" } else { "secured" },
            "exchangeAccessState": "allowed",
            "exchangeAccessStateReason": "compliant",
            "easActivated": true,
            "totalStorageSpaceInBytes": 256_060_514_304_i64,
            "freeStorageSpaceInBytes": 100_000_000_000_i64 + (ids::hash3(s, "free", p) % 50_000_000_000) as i64,
            "physicalMemoryInBytes": 0,
            "notes": null,
        }))
    }

    pub fn compliance_policies_json(&self) -> Vec<Value> {
        let hardened = self.profile() == Profile::Hardened;
        let created = iso(self.epoch - Duration::days(500));
        let modified = iso(self.epoch - Duration::days(20));
        let mut v = vec![json!({
            "@odata.type": "#microsoft.graph.windows10CompliancePolicy",
            "id": object_id(self.seed, "compliance-policy", 0).to_string(),
            "displayName": "Windows 10/11 baseline", "description": "Corporate Windows devices",
            "createdDateTime": created, "lastModifiedDateTime": modified, "version": 3,
            "passwordRequired": hardened, "passwordMinimumLength": if hardened { json!(12) } else { Value::Null },
            "bitLockerEnabled": self.profile() != Profile::Neglected, "secureBootEnabled": true, "codeIntegrityEnabled": true,
            "storageRequireEncryption": self.profile() != Profile::Neglected, "osMinimumVersion": "10.0.19045",
            "requireHealthyDeviceReport": hardened, "earlyLaunchAntiMalwareDriverEnabled": hardened,
        })];
        v.push(json!({
            "@odata.type": "#microsoft.graph.iosCompliancePolicy",
            "id": object_id(self.seed, "compliance-policy", 1).to_string(),
            "displayName": "iOS baseline", "description": null,
            "createdDateTime": created, "lastModifiedDateTime": modified, "version": 1,
            "passcodeRequired": self.profile() != Profile::Neglected, "passcodeMinimumLength": 6,
            "securityBlockJailbrokenDevices": true, "osMinimumVersion": "16.0",
            "deviceThreatProtectionEnabled": hardened, "deviceThreatProtectionRequiredSecurityLevel": if hardened { "low" } else { "unavailable" },
        }));
        // Hardened and typical tenants assign their baselines to all users; the neglected one
        // left its iOS baseline unassigned.
        for (k, policy) in v.iter_mut().enumerate() {
            let assigned = self.profile() != Profile::Neglected || k == 0;
            policy["assignments"] = if assigned {
                json!([{
                    "id": format!("{}_adadadad-808e-44e2-905a-0b7873a8a531", policy["id"].as_str().unwrap_or_default()),
                    "target": { "@odata.type": "#microsoft.graph.allLicensedUsersAssignmentTarget" },
                }])
            } else {
                json!([])
            };
        }
        v
    }

    pub fn alert_v2_json(&self, i: u32) -> Option<Value> {
        if i >= self.layout.alerts {
            return None;
        }
        let s = self.seed;
        let p = u64::from(i);
        let (title, category, source) = ALERT_TITLES[pick(s, "alert-kind", p, 5) as usize];
        let severity = ["informational", "low", "medium", "high"][pick(s, "alert-sev", p, 4) as usize];
        let open_rate = match self.profile() {
            Profile::Hardened => 0.1,
            Profile::Typical => 0.3,
            Profile::Neglected => 0.7,
        };
        let mut created = self.epoch - Duration::hours(1 + (i as i64) * 13 % (24 * 60));
        // A hardened SOC triages within two days; elsewhere alerts are left open whatever their age.
        let triaged = self.profile() == Profile::Hardened && self.epoch - created > Duration::hours(48);
        let mut open = unit(s, "alert-open", p) < open_rate && !triaged;
        let mut severity = severity;
        // One high-severity alert nobody resolved in 12 days (typical), and one more open
        // for 40 days (neglected).
        let stale_high = match self.profile() {
            Profile::Hardened => None,
            Profile::Typical => (i == 1).then_some(12),
            Profile::Neglected => match i {
                1 => Some(12),
                2 => Some(40),
                _ => None,
            },
        };
        if let Some(days) = stale_high {
            created = self.epoch - Duration::days(days) - Duration::hours(3);
            open = true;
            severity = "high";
        }
        let incident = i / 2 % self.layout.incidents.max(1);
        let id = format!(
            "da{:018}_{}",
            ids::hash3(s, "alert-id", p) % 1_000_000_000_000_000_000,
            ids::hash3(s, "alert-id2", p) as u32
        );
        Some(json!({
            "id": id, "providerAlertId": id.trim_start_matches("da"),
            "incidentId": (1000 + incident).to_string(),
            "status": if open { if i.is_multiple_of(3) { "inProgress" } else { "new" } } else { "resolved" },
            "severity": severity,
            "classification": if open { Value::Null } else { json!("truePositive") },
            "determination": if open { Value::Null } else { json!("malware") },
            "serviceSource": source,
            "detectionSource": if source == "microsoftDefenderForEndpoint" { "antivirus" } else { "microsoft365Defender" },
            "productName": "Microsoft Defender XDR",
            "detectorId": object_id(s, "detector", i % 7).to_string(),
            "tenantId": self.id.to_string(),
            "title": title, "description": format!("{title} was detected."),
            "recommendedActions": "Review the alert evidence and contain affected assets.",
            "category": category,
            "assignedTo": if open { Value::Null } else { json!(format!("secops@{}", self.custom_domain())) },
            "alertWebUrl": format!("https://security.microsoft.com/alerts/{id}?tid={}", self.id),
            "incidentWebUrl": format!("https://security.microsoft.com/incidents/{}?tid={}", 1000 + incident, self.id),
            "actorDisplayName": null, "threatDisplayName": null, "threatFamilyName": null,
            "mitreTechniques": ["T1059.001"],
            "createdDateTime": iso(created), "lastUpdateDateTime": iso(created + Duration::hours(2)),
            "resolvedDateTime": if open { Value::Null } else { json!(iso(created + Duration::hours(6))) },
            "firstActivityDateTime": iso(created - Duration::minutes(20)), "lastActivityDateTime": iso(created - Duration::minutes(5)),
            "comments": [], "systemTags": [],
            "evidence": [{
                "@odata.type": "#microsoft.graph.security.userEvidence",
                "createdDateTime": iso(created), "verdict": "suspicious", "remediationStatus": "none",
                "roles": [], "tags": [], "detailedRoles": [],
            }],
        }))
    }

    pub fn incident_json(&self, i: u32) -> Option<Value> {
        if i >= self.layout.incidents {
            return None;
        }
        let s = self.seed;
        let created = self.epoch - Duration::hours(2 + i as i64 * 26 % (24 * 60));
        let open = unit(s, "incident-open", u64::from(i))
            < match self.profile() {
                Profile::Hardened => 0.1,
                Profile::Typical => 0.3,
                Profile::Neglected => 0.7,
            };
        Some(json!({
            "id": (1000 + i).to_string(),
            "incidentWebUrl": format!("https://security.microsoft.com/incidents/{}?tid={}", 1000 + i, self.id),
            "redirectIncidentId": null, "tenantId": self.id.to_string(),
            "displayName": format!("Multi-stage incident involving Execution on one endpoint ({})", 1000 + i),
            "description": null,
            "createdDateTime": iso(created), "lastUpdateDateTime": iso(created + Duration::hours(3)),
            "assignedTo": null,
            "classification": if open { "unknown" } else { "truePositive" },
            "determination": if open { "unknown" } else { "malware" },
            "status": if open { "active" } else { "resolved" },
            "severity": (["low", "medium", "high"][pick(s, "incident-sev", u64::from(i), 3) as usize]),
            "customTags": [], "systemTags": [], "comments": [], "summary": null, "resolvingComment": null, "lastModifiedBy": "API-App:posture",
        }))
    }

    fn base_score(&self) -> f64 {
        match self.profile() {
            Profile::Hardened => 78.0,
            Profile::Typical => 52.0,
            Profile::Neglected => 21.0,
        }
    }

    /// One Secure Score per day for 90 days, newest first.
    pub fn secure_scores_json(&self) -> Vec<Value> {
        (0..90u32)
            .map(|d| {
                let day = self.epoch - Duration::days(i64::from(d));
                let wobble = (ids::hash3(self.seed, "score", u64::from(d)) % 100) as f64 / 100.0;
                // The neglected tenant lost four percent three days ago (a protection switched off).
                let lost = if self.profile() == Profile::Neglected && d < 3 { 4.0 } else { 0.0 };
                let max = 300.0;
                let current = ((self.base_score() - f64::from(d) * 0.05 + wobble - lost) * max / 100.0 * 100.0).round() / 100.0;
                json!({
                    "id": format!("{}_{}", self.id, day.format("%Y-%m-%d")),
                    "azureTenantId": self.id.to_string(),
                    "activeUserCount": self.layout.users,
                    "licensedUserCount": self.layout.users,
                    "createdDateTime": iso(day.date_naive().and_hms_opt(0, 0, 0).map(|d| d.and_utc()).unwrap_or(day)),
                    "currentScore": current, "maxScore": max,
                    "enabledServices": ["HasExchange", "HasSharePoint", "HasOD4B", "HasInTune"],
                    "averageComparativeScores": [{ "basis": "AllTenants", "averageScore": 45.12 }, { "basis": "TotalSeats", "averageScore": 41.7 }],
                    "controlScores": [
                        { "controlCategory": "Identity", "controlName": "AdminMFAV2", "description": "Require MFA for administrative roles", "score": if self.profile() == Profile::Neglected { 0.0 } else { 10.0 } },
                        { "controlCategory": "Identity", "controlName": "BlockLegacyAuthentication", "description": "Block legacy authentication", "score": if self.profile() == Profile::Hardened { 8.0 } else { 0.0 } },
                    ],
                    "vendorInformation": { "provider": "SecureScore", "providerVersion": null, "subProvider": null, "vendor": "Microsoft" },
                })
            })
            .collect()
    }

    pub fn control_profiles_json(&self) -> Vec<Value> {
        [("AdminMFAV2", "Ensure multifactor authentication is enabled for all users in administrative roles", 10.0),
         ("BlockLegacyAuthentication", "Enable Conditional Access policies to block legacy authentication", 8.0),
         ("SelfServicePasswordReset", "Enable self-service password reset", 1.0),
         ("OneAdmin", "Designate more than one global admin", 1.0)]
            .iter()
            .enumerate()
            .map(|(k, (id, title, max))| json!({
                "id": id, "azureTenantId": self.id.to_string(), "title": title,
                "actionType": "Config", "actionUrl": "https://entra.microsoft.com/",
                "controlCategory": "Identity", "service": "AzureAD", "tier": "Core",
                "maxScore": max, "rank": k + 1, "deprecated": false,
                "implementationCost": "Low", "userImpact": "Moderate",
                "remediation": format!("Configure: {title}."), "remediationImpact": "Users may need to register methods.",
                "threats": ["AccountBreach"], "complianceInformation": [], "controlStateUpdates": [],
                "lastModifiedDateTime": iso(self.epoch - Duration::days(60)),
                "vendorInformation": { "provider": "SecureScore", "providerVersion": null, "subProvider": null, "vendor": "Microsoft" },
            }))
            .collect()
    }

    pub fn health_overviews_json(&self) -> Vec<Value> {
        [
            ("Exchange", "Exchange Online", "serviceDegradation"),
            ("SharePoint", "SharePoint Online", "serviceOperational"),
            ("microsoftteams", "Microsoft Teams", "serviceOperational"),
            ("AzureActiveDirectory", "Microsoft Entra", "serviceOperational"),
            ("Intune", "Microsoft Intune", "serviceOperational"),
        ]
        .iter()
        .map(|(id, name, status)| json!({ "id": id, "service": name, "status": status }))
        .collect()
    }

    pub fn health_issues_json(&self) -> Vec<Value> {
        (0..3u32)
            .map(|k| {
                let start = self.epoch - Duration::hours(6 + 30 * i64::from(k));
                let resolved = k > 0;
                json!({
                    "id": format!("EX{}", 800_000 + ids::hash3(self.seed, "issue", u64::from(k)) % 99_999),
                    "title": "Some users may be unable to access shared mailboxes",
                    "impactDescription": "Users may see delays when opening shared mailboxes.",
                    "classification": if k == 2 { "advisory" } else { "incident" },
                    "status": if resolved { "serviceRestored" } else { "investigating" },
                    "service": "Exchange Online", "feature": "Networking Issues", "featureGroup": "Management and Provisioning",
                    "isResolved": resolved, "origin": "microsoft",
                    "startDateTime": iso(start), "endDateTime": if resolved { json!(iso(start + Duration::hours(5))) } else { Value::Null },
                    "lastModifiedDateTime": iso(start + Duration::hours(1)),
                    "details": [], "posts": [],
                })
            })
            .collect()
    }

    fn retention_days(&self) -> i64 {
        if self.licences().has_p1() { 30 } else { 7 }
    }

    /// Index range of a newest-first log of `len` entries that covers the time bounds.
    pub fn log_index_range(&self, bounds: &(Option<String>, Option<String>), len: u32) -> (u32, u32) {
        let span = self.retention_days() * 86_400;
        let index_at = |t: &str| -> Option<i64> {
            let t = chrono::DateTime::parse_from_rfc3339(t)
                .ok()?
                .with_timezone(&chrono::Utc);
            Some((self.epoch - t).num_seconds() * i64::from(len) / span.max(1))
        };
        let clamp = |i: i64| i.clamp(0, i64::from(len)) as u32;
        let first = bounds.1.as_deref().and_then(index_at).map_or(0, |i| clamp(i - 2));
        let last = bounds
            .0
            .as_deref()
            .and_then(index_at)
            .map_or(len, |i| clamp(i + 3));
        (first, last.max(first))
    }

    /// Events in the directory audit log: the administrator's changes made through the admin
    /// API, then the generated log.
    pub fn audit_len(&self) -> u32 {
        self.overlay.admin_audits.len() as u32 + self.generated_audit_len()
    }

    fn generated_audit_len(&self) -> u32 {
        (i64::from(self.layout.audits) * self.retention_days() / 30) as u32
    }

    /// Index range of the directory audit log that covers the time bounds: every admin change
    /// (they are few and newer than the generated log) and the generated events' range.
    pub fn directory_audit_range(&self, bounds: &(Option<String>, Option<String>)) -> (u32, u32) {
        let extra = self.overlay.admin_audits.len() as u32;
        let (first, last) = self.log_index_range(bounds, self.generated_audit_len());
        if extra == 0 {
            (first, last)
        } else {
            (0, extra + last)
        }
    }

    /// Audit events newest first: the admin changes, then the generated log, evenly spread
    /// over the retention window before the epoch.
    pub fn directory_audit_json(&self, i: u32) -> Option<Value> {
        let extra = &self.overlay.admin_audits;
        if (i as usize) < extra.len() {
            return extra.get(extra.len() - 1 - i as usize).cloned();
        }
        let i = i - extra.len() as u32;
        if i >= self.generated_audit_len() {
            return None;
        }
        let s = self.seed;
        let span = self.retention_days() * 86_400;
        let at = self.epoch
            - Duration::seconds(i64::from(i) * span / i64::from(self.generated_audit_len().max(1)) + 1);
        let actor_pos = i % 10;
        let actor = self.user_facts(actor_pos).or_else(|| self.user_facts(2))?;
        let target_pos =
            super::roster::RESERVED_USERS + i % (self.layout.users - super::roster::RESERVED_USERS).max(1);
        let target_id = self.user_id(target_pos);
        let (activity, category, op) = [
            ("Update user", "UserManagement", "Update"),
            ("Add member to group", "GroupManagement", "Assign"),
            ("Add member to role", "RoleManagement", "Assign"),
            ("Update policy", "Policy", "Update"),
            ("Reset user password", "UserManagement", "Update"),
        ][pick(s, "audit-kind", u64::from(i), 5) as usize];
        Some(json!({
            "id": format!("Directory_{}", object_id(s, "audit", i)),
            "category": category, "correlationId": object_id(s, "audit-corr", i).to_string(),
            "result": if i.is_multiple_of(17) { "failure" } else { "success" }, "resultReason": "",
            "activityDisplayName": activity, "activityDateTime": iso(at),
            "loggedByService": if category == "RoleManagement" { "PIM" } else { "Core Directory" }, "operationType": op,
            "initiatedBy": { "user": { "id": actor.id, "displayName": null, "userPrincipalName": actor.upn, "ipAddress": "203.0.113.10" }, "app": null },
            "targetResources": [{ "id": target_id, "displayName": null, "type": "User", "userPrincipalName": null, "groupType": null,
                "modifiedProperties": [{ "displayName": "AccountEnabled", "oldValue": "[true]", "newValue": "[false]" }] }],
            "additionalDetails": [{ "key": "UserType", "value": "Member" }],
        }))
    }

    pub fn sign_in_len(&self) -> u32 {
        (i64::from(self.layout.sign_ins) * self.retention_days() / 30) as u32
    }

    pub fn sign_in_json(&self, i: u32) -> Option<Value> {
        if i >= self.sign_in_len() {
            return None;
        }
        let s = self.seed;
        let span = self.retention_days() * 86_400;
        let at =
            self.epoch - Duration::seconds(i64::from(i) * span / i64::from(self.sign_in_len().max(1)) + 1);
        let user = self.user_facts(i % self.layout.users)?;
        let failed = i.is_multiple_of(23);
        let legacy = self.profile() != Profile::Hardened && i.is_multiple_of(41);
        Some(json!({
            "id": object_id(s, "signin", i).to_string(),
            "createdDateTime": iso(at),
            "userDisplayName": user.display_name, "userPrincipalName": user.upn, "userId": user.id,
            "appId": "00000002-0000-0ff1-ce00-000000000000", "appDisplayName": "Office 365 Exchange Online",
            "ipAddress": format!("198.51.100.{}", i % 250), "clientAppUsed": if legacy { "IMAP4" } else { "Browser" },
            "correlationId": object_id(s, "signin-corr", i).to_string(),
            "conditionalAccessStatus": if legacy { "notApplied" } else { "success" },
            "isInteractive": true,
            "riskDetail": "none", "riskLevelAggregated": "none", "riskLevelDuringSignIn": "none", "riskState": "none",
            "riskEventTypes_v2": [],
            "resourceDisplayName": "Office 365 Exchange Online", "resourceId": "00000002-0000-0ff1-ce00-000000000000",
            "status": { "errorCode": if failed { 50126 } else { 0 }, "failureReason": if failed { "Invalid username or password or Invalid on-premise username or password." } else { "Other." }, "additionalDetails": null },
            "deviceDetail": { "deviceId": "", "displayName": null, "operatingSystem": "Windows10", "browser": "Edge 131.0.0", "isCompliant": !failed, "isManaged": !failed, "trustType": null },
            "location": { "city": "Amsterdam", "state": "Noord-Holland", "countryOrRegion": "NL", "geoCoordinates": { "altitude": null, "latitude": 52.37, "longitude": 4.89 } },
            "appliedConditionalAccessPolicies": [],
        }))
    }
}

/// Devices are owned by users after the reserved accounts.
const RESERVED_OFFSET: u32 = super::roster::RESERVED_USERS;
