# Client secrets valid for more than `app_secret_max_lifetime_days` (default 180) and certificates for
# more than `app_certificate_max_lifetime_days` (default 365): the limits SCuBA asks the app
# management policy to enforce, checked on the credentials the tenant already has.
package posture.controls.apps_long_lived_secrets

import data.posture.lib

metadata := {
	"id": "posture.apps.long-lived-secrets",
	"title": "No app registration secret lives longer than 180 days or certificate longer than 365",
	"severity": "medium",
	"frameworks": [{"framework": "posture", "reference": "posture.apps.long-lived-secrets"}],
	"rationale": "A leaked secret works until it expires; multi-year secrets turn one leak into years of access as the app. Short lifetimes force rotation and bound the damage.",
	"remediation": "Replace each long-lived secret with a certificate (or a managed identity or federated credential), or with a secret of at most 180 days, then delete the old one; enforce the limits with the default app management policy.",
	"required_collections": ["applications"],
}

secret_days := lib.param("app_secret_max_lifetime_days", 180)

certificate_days := lib.param("app_certificate_max_lifetime_days", 365)

limit(c) := secret_days if c.type == "secret" else := certificate_days

findings := [lib.evidence("application", a.id, lib.app_label(a), sprintf("%s is valid for %d days (%s to %s), over %d", [c.label, life, c.start, c.end, limit(c)])) |
	some a in lib.items("applications")
	some c in lib.app_credentials(a)
	life := lib.lifetime_days(c)
	life > limit(c)
]

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := lib.result("fail", sprintf("%d app registration credentials outlive the limits (secrets %d days, certificates %d)", [count(findings), secret_days, certificate_days]), findings) if {
	count(findings) > 0
} else := lib.result("pass", sprintf("every app registration secret lives at most %d days and certificate at most %d", [secret_days, certificate_days]), [])
