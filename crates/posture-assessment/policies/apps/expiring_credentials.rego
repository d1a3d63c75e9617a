# App registration secrets and certificates that expired or expire within `app_credential_expiry_days`
# (default 30): an expired credential breaks the app that uses it, or lingers unused; one about to
# expire needs rotating now.
package posture.controls.apps_expiring_credentials

import data.posture.lib

metadata := {
	"id": "posture.apps.expiring-credentials",
	"title": "No app registration secret or certificate is expired or about to expire",
	"severity": "medium",
	"frameworks": [{"framework": "posture", "reference": "posture.apps.expiring-credentials"}],
	"rationale": "An expiring credential stops the integration that uses it without warning; expired ones left in place hide which credentials are really in use and are often replaced in a hurry by longer-lived ones.",
	"remediation": "Entra admin center > App registrations > the app > Certificates & secrets: add a new credential (a certificate or managed identity where the app allows), deploy it, then delete the expiring or expired one.",
	"required_collections": ["applications"],
}

days := lib.param("app_credential_expiry_days", 30)

findings := [lib.evidence("application", a.id, lib.app_label(a), detail(c, left)) |
	some a in lib.items("applications")
	some c in lib.app_credentials(a)
	left := lib.days_left(c)
	left <= days
]

detail(c, left) := sprintf("%s expired %d days ago (%s)", [c.label, 0 - left, c.end]) if {
	left < 0
} else := sprintf("%s expires in %d days (%s)", [c.label, left, c.end])

credential_count := count([c | some a in lib.items("applications"); some c in lib.app_credentials(a)])

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := lib.result("not_applicable", "no app registration has a secret or certificate", []) if {
	credential_count == 0
} else := lib.result("fail", sprintf("%d app registration credentials expired or expire within %d days", [count(findings), days]), findings) if {
	count(findings) > 0
} else := lib.result("pass", sprintf("none of %d app registration credentials expires within %d days", [credential_count, days]), [])
