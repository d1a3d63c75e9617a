# Users who may not consent can ask an administrator instead: the consent policy directory setting
# has EnableAdminConsentRequests = true.
package posture.controls.admin_consent_workflow

import data.posture.lib

metadata := {
	"id": "entra.apps.admin-consent-workflow",
	"title": "The admin consent workflow is enabled",
	"severity": "low",
	"frameworks": [
		{"framework": "cisa-scuba", "reference": "MS.AAD.5.3v1"},
		{"framework": "cis-m365-v7", "reference": "5.1.5.2"},
	],
	"rationale": "Without a request path, blocked users look for workarounds; with it, every app request reaches a reviewer.",
	"remediation": "Entra admin center > Enterprise applications > Consent and permissions > Admin consent settings: set 'Users can request admin consent to apps they are unable to consent to' to Yes and name the reviewers.",
	"required_collections": ["directory_settings"],
}

enabled if {
	some setting in lib.items("directory_settings")
	some value in lib.list(setting, ["values"])
	value.name == "EnableAdminConsentRequests"
	lower(sprintf("%v", [value.value])) == "true"
}

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := lib.result("pass", "users can request admin consent", []) if {
	enabled
} else := lib.result("fail", "no directory setting enables admin consent requests (EnableAdminConsentRequests is not true)", consent_evidence)

# The consent policy setting object when it exists (its id is what an exception matches on); the
# template's name when the tenant never created one.
consent_settings := [lib.evidence("directorySetting", setting.id, object.get(setting, "displayName", "Consent Policy Settings"), "EnableAdminConsentRequests is false") |
	some setting in lib.items("directory_settings")
	some value in lib.list(setting, ["values"])
	value.name == "EnableAdminConsentRequests"
]

consent_evidence := consent_settings if {
	count(consent_settings) > 0
} else := [lib.evidence("directorySetting", "Consent Policy Settings", "Consent Policy Settings", "EnableAdminConsentRequests is absent")]
