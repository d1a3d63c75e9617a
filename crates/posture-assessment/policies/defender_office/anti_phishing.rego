# An anti-phishing policy protects against impersonation (CIS 2.1.7): phishing threshold 3 (more
# aggressive) or higher, user, domain and mailbox-intelligence impersonation protection on with
# quarantine, spoof intelligence, first-contact tips and DMARC honoured. CIS also lists the similar
# users/domains and unusual characters safety tips, which the synced output may not carry; they
# are checked when present.
package posture.controls.defender_office_anti_phishing

import data.posture.lib

metadata := {
	"id": "defender-office.anti-phishing",
	"title": "An anti-phishing policy protects against impersonation",
	"severity": "high",
	"frameworks": [{"framework": "cis-m365-v7", "reference": "2.1.7"}],
	"rationale": "Impersonating an executive or a partner's domain is the core of business email compromise; the default policy only detects spoofing.",
	"remediation": "Microsoft Defender > Policies & rules > Threat policies > Anti-phishing: a policy for all recipients with the phishing threshold at 3, the users and domains to protect, mailbox intelligence protection, and quarantine as the action (or turn on the Strict preset).",
	"required_collections": ["exo_anti_phish_policies"],
}

required := {
	"Enabled": true,
	"EnableSpoofIntelligence": true,
	"EnableMailboxIntelligence": true,
	"EnableMailboxIntelligenceProtection": true,
	"EnableTargetedUserProtection": true,
	"EnableOrganizationDomainsProtection": true,
	"EnableFirstContactSafetyTips": true,
	"HonorDmarcPolicy": true,
	"TargetedUserProtectionAction": "Quarantine",
	"MailboxIntelligenceProtectionAction": "Quarantine",
}

# Checked only when the cmdlet output has them.
optional := {"EnableSimilarUsersSafetyTips", "EnableSimilarDomainsSafetyTips", "EnableUnusualCharactersSafetyTips"}

policies := lib.items("exo_anti_phish_policies")

off(p) := sort(array.concat(
	[sprintf("%s is %v", [k, object.get(p, k, "absent")]) | some k, v in required; object.get(p, k, null) != v],
	array.concat(
		[sprintf("%s is %v", [k, p[k]]) | some k in optional; p[k] != true],
		[sprintf("PhishThresholdLevel is %v", [object.get(p, "PhishThresholdLevel", "absent")]) | object.get(p, "PhishThresholdLevel", 0) < 3],
	),
))

complete := [p | some p in policies; count(off(p)) == 0]

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := lib.result("pass", sprintf("anti-phishing policy %s protects against impersonation", [concat(", ", sort([lib.exo_name(p) | some p in complete]))]), []) if {
	count(complete) > 0
} else := lib.result("fail", "no anti-phishing policy protects against impersonation", [lib.exo_evidence("antiPhishPolicy", p, concat(", ", off(p))) | some p in policies])
