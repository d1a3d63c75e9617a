# Verified managed domains do not force periodic password changes (passwordValidityPeriodInDays is
# 2147483647, i.e. never, or unset).
package posture.controls.passwords_never_expire

import data.posture.lib

metadata := {
	"id": "entra.domains.passwords-never-expire",
	"title": "User passwords are set to never expire",
	"severity": "low",
	"frameworks": [
		{"framework": "cisa-scuba", "reference": "MS.AAD.6.1v1"},
		{"framework": "cis-m365-v7", "reference": "1.3.1"},
	],
	"rationale": "Forced rotation pushes users to predictable passwords (Summer2025!) without stopping attackers; NIST and Microsoft advise against it when MFA is in place.",
	"remediation": "Microsoft 365 admin center > Settings > Org settings > Security & privacy > Password expiration policy: set passwords to never expire (or PATCH each domain's passwordValidityPeriodInDays to 2147483647).",
	"required_collections": ["domains"],
}

never := 2147483647

expiring := [lib.evidence("domain", d.id, d.id, sprintf("passwords expire after %v days", [d.passwordValidityPeriodInDays])) |
	some d in lib.items("domains")
	d.isVerified == true
	d.authenticationType == "Managed"
	is_number(d.passwordValidityPeriodInDays)
	d.passwordValidityPeriodInDays != never
]

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := lib.result("fail", sprintf("%d verified managed domains force password expiry", [count(expiring)]), expiring) if {
	count(expiring) > 0
} else := lib.result("pass", "passwords of verified managed domains never expire", [])
