//! Defender for Endpoint data: machines, alerts, vulnerabilities (catalogue and per machine),
//! security recommendations, exposure and configuration scores. PascalCase enum values, as MDE.

use chrono::Duration;
use serde_json::{Value, json};

use super::Tenant;
use crate::clock::iso;
use crate::ids::{self, hex40, pick, unit};
use crate::spec::Profile;

const CVES: [(&str, &str, f64, bool); 6] = [
    ("CVE-2024-38063", "Critical", 9.8, false),
    ("CVE-2024-21412", "High", 8.1, true),
    ("CVE-2023-36884", "High", 8.8, true),
    ("CVE-2024-30088", "High", 7.0, true),
    ("CVE-2024-43451", "Medium", 6.5, true),
    ("CVE-2024-49039", "Critical", 8.8, true),
];

impl Tenant {
    pub fn machine_id(&self, i: u32) -> String {
        hex40(self.seed, "machine", i)
    }

    pub fn mde_machine_json(&self, i: u32) -> Option<Value> {
        if i >= self.layout.machines {
            return None;
        }
        let s = self.seed;
        let p = u64::from(i);
        let inactive = unit(s, "machine-inactive", p)
            < match self.profile() {
                Profile::Hardened => 0.02,
                Profile::Typical => 0.08,
                Profile::Neglected => 0.25,
            };
        let last_seen = self.epoch
            - Duration::hours(if inactive {
                24 * 10
            } else {
                1 + pick(s, "seen", p, 20) as i64
            });
        let risk = ["None", "Low", "Medium", "High"][pick(s, "machine-risk", p, 4) as usize];
        let os = if i.is_multiple_of(3) {
            ("Windows10", "22H2", 19045)
        } else {
            ("Windows11", "23H2", 22631)
        };
        Some(json!({
            "id": self.machine_id(i),
            "computerDnsName": format!("desktop-{i:05}.{}", self.custom_domain()),
            "firstSeen": iso(self.epoch - Duration::days(300)),
            "lastSeen": iso(last_seen),
            "osPlatform": os.0, "version": os.1, "osProcessor": "x64", "osBuild": os.2,
            "lastIpAddress": format!("10.{}.{}.{}", i / 65536 % 256, i / 256 % 256, i % 256),
            "lastExternalIpAddress": "203.0.113.10",
            "healthStatus": if inactive { "Inactive" } else { "Active" },
            "onboardingStatus": "Onboarded",
            "rbacGroupId": 0, "rbacGroupName": null,
            "riskScore": risk, "exposureLevel": risk,
            "isAadJoined": true, "aadDeviceId": ids::object_id(s, "aad-device", i).to_string(),
            "machineTags": if i.is_multiple_of(10) { json!(["VIP"]) } else { json!([]) },
            "deviceValue": if i.is_multiple_of(10) { "High" } else { "Normal" },
            "defenderAvStatus": "Updated", "managedBy": "Intune", "managedByStatus": "Success",
        }))
    }

    pub fn mde_alert_json(&self, i: u32) -> Option<Value> {
        let g = self.alert_v2_json(i)?;
        let machine = i % self.layout.machines.max(1);
        let cap = |s: &str| {
            let mut c = s.chars();
            c.next()
                .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                .unwrap_or_default()
        };
        Some(json!({
            "id": g["id"], "incidentId": g["incidentId"].as_str().and_then(|s| s.parse::<i64>().ok()),
            "investigationId": null, "assignedTo": g["assignedTo"],
            "severity": cap(g["severity"].as_str().unwrap_or("low")),
            "status": cap(g["status"].as_str().unwrap_or("new")),
            "classification": g["classification"].as_str().map(cap), "determination": g["determination"].as_str().map(cap),
            "investigationState": "Unsupported", "detectionSource": "WindowsDefenderAv", "detectorId": g["detectorId"],
            "category": g["category"], "threatFamilyName": null, "title": g["title"], "description": g["description"],
            "alertCreationTime": g["createdDateTime"], "firstEventTime": g["firstActivityDateTime"], "lastEventTime": g["lastActivityDateTime"],
            "lastUpdateTime": g["lastUpdateDateTime"], "resolvedTime": g["resolvedDateTime"],
            "machineId": self.machine_id(machine), "computerDnsName": format!("desktop-{machine:05}.{}", self.custom_domain()),
            "rbacGroupName": null, "aadTenantId": self.id.to_string(), "threatName": null,
            "mitreTechniques": g["mitreTechniques"], "relatedUser": { "userName": "adele", "domainName": "CONTOSO" },
            "comments": [], "evidence": [],
        }))
    }

    pub fn mde_vulnerabilities_json(&self) -> Vec<Value> {
        CVES.iter().enumerate().map(|(k, (id, sev, cvss, exploit))| json!({
            "id": id, "name": id, "description": format!("Summary of {id}."),
            "severity": sev, "cvssV3": cvss, "cvssVector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            "exposedMachines": self.layout.machines / (k as u32 + 2),
            "publishedOn": "2024-08-13T00:00:00Z", "updatedOn": "2024-09-01T00:00:00Z", "firstDetected": "2024-08-14T00:00:00Z",
            "publicExploit": exploit, "exploitVerified": *exploit && k % 2 == 1, "exploitInKit": false,
            "exploitTypes": if *exploit { json!(["PrivilegeEscalation"]) } else { json!([]) }, "exploitUris": [],
            "cveSupportability": "Supported", "tags": [], "epss": 0.0125 * (k as f64 + 1.0),
        })).collect()
    }

    /// (machines between vulnerable ones, open CVEs per vulnerable machine) for the profile.
    fn vuln_layout(&self) -> (u32, u32) {
        match self.profile() {
            Profile::Hardened => (8, 1),
            Profile::Typical => (1, 1),
            Profile::Neglected => (1, 2),
        }
    }

    /// Open (machine, CVE) pairs, densely numbered so `$skip` maps straight to a position.
    pub fn mde_machine_vulns_len(&self) -> u32 {
        let (every, per) = self.vuln_layout();
        self.layout.machines.div_ceil(every) * per
    }

    pub fn mde_machine_vuln_json(&self, i: u32) -> Option<Value> {
        if i >= self.mde_machine_vulns_len() {
            return None;
        }
        let (every, per) = self.vuln_layout();
        let machine = i / per * every;
        // Distinct CVEs on one machine: consecutive entries of the catalogue from a per-machine
        // start. The hardened tenant patches critical CVEs first: only the others stay open.
        let open: Vec<usize> = (0..CVES.len())
            .filter(|k| self.profile() != Profile::Hardened || CVES[*k].1 != "Critical")
            .collect();
        let first = pick(self.seed, "machine-cve", u64::from(machine), open.len() as u64) as usize;
        let (cve, sev, _, _) = CVES[open[(first + (i % per) as usize) % open.len()]];
        let mid = self.machine_id(machine);
        Some(json!({
            "id": format!("{mid}-_-{cve}-_-microsoft-_-windows_11-_-10.0.22631.3880-_-"),
            "cveId": cve, "machineId": mid, "fixingKbId": "5040442",
            "productName": "windows_11", "productVendor": "microsoft", "productVersion": "10.0.22631.3880", "severity": sev,
        }))
    }

    /// Machines with an open critical CVE, by id.
    pub fn mde_critical_machines(&self) -> Vec<String> {
        let mut ids: Vec<String> = (0..self.mde_machine_vulns_len())
            .filter_map(|i| self.mde_machine_vuln_json(i))
            .filter(|v| v["severity"] == "Critical")
            .filter_map(|v| v["machineId"].as_str().map(str::to_string))
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }

    pub fn mde_recommendations_json(&self) -> Vec<Value> {
        [("va-_-microsoft-_-windows_11", "Update Microsoft Windows 11", "Update", "Application"),
         ("va-_-microsoft-_-edge_chromium-based", "Update Microsoft Edge", "Update", "Application"),
         ("sca-_-scid-2010", "Turn on Microsoft Defender Antivirus PUA protection in block mode", "ConfigurationChange", "Security controls")]
            .iter()
            .enumerate()
            .map(|(k, (id, name, kind, cat))| json!({
                "id": id, "productName": id.rsplit("-_-").next(), "recommendationName": name, "weaknesses": 4 + k,
                "vendor": "microsoft", "recommendedVersion": "", "recommendationCategory": cat, "subCategory": "",
                "severityScore": 6.5, "publicExploit": k == 0, "activeAlert": false, "associatedThreats": [],
                "remediationType": kind, "status": "Active", "configScoreImpact": if k == 2 { 1.5 } else { 0.0 },
                "exposureImpact": 2.1, "totalMachineCount": self.layout.machines, "exposedMachinesCount": self.layout.machines / (k as u32 + 2),
                "nonProductivityImpactedAssets": 0, "relatedComponent": name, "hasUnpatchableCve": false, "tags": [], "exposedCriticalDevices": 0,
            }))
            .collect()
    }

    pub fn mde_exposure_score(&self) -> f64 {
        if let Some((_, score, _)) = self.overlay.mde_scores {
            return score;
        }
        match self.profile() {
            Profile::Hardened => 18.25,
            Profile::Typical => 33.49,
            Profile::Neglected => 71.8,
        }
    }

    pub fn mde_configuration_score(&self) -> i64 {
        if let Some((_, _, score)) = self.overlay.mde_scores {
            return score;
        }
        match self.profile() {
            Profile::Hardened => 610,
            Profile::Typical => 340,
            Profile::Neglected => 120,
        }
    }

    /// `GET /api/exposureScore` without its `@odata.context`.
    pub fn mde_exposure_score_json(&self) -> Value {
        json!({ "time": self.mde_score_time(), "score": self.mde_exposure_score(), "rbacGroupId": null, "rbacGroupName": null })
    }

    /// `GET /api/configurationScore` without its `@odata.context`.
    pub fn mde_configuration_score_json(&self) -> Value {
        json!({ "time": self.mde_score_time(), "score": self.mde_configuration_score(), "rbacGroupId": null, "rbacGroupName": null })
    }

    pub fn mde_score_time(&self) -> String {
        if let Some((time, _, _)) = self.overlay.mde_scores {
            return iso(time);
        }
        iso(self.epoch - Duration::hours(3))
    }
}
