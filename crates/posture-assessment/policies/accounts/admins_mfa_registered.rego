# Every enabled privileged user has a strong authentication method registered, so MFA policies can
# actually challenge them (and nobody else can register one first).
package posture.controls.admins_mfa_registered

import data.posture.grouplib
import data.posture.lib

metadata := {
	"id": "posture.mfa.admins-registered",
	"title": "Privileged users have MFA registered",
	"severity": "high",
	"frameworks": [{"framework": "posture", "reference": "posture.mfa.admins-registered"}],
	"rationale": "An admin without a registered method is either locked out by an MFA policy or, worse, can be enrolled by whoever next knows the password.",
	"remediation": "Have each listed administrator register a phishing-resistant method (FIDO2 key, Windows Hello for Business) or at least Microsoft Authenticator; use a Temporary Access Pass for the first registration.",
	"required_collections": ["role_assignments", "user_registration_details"],
	"reads_items": [],
}

enabled(p) if not p.user.accountEnabled == false

unregistered := [lib.evidence("user", id, label(p), detail(p)) |
	some id, p in lib.privileged_users
	enabled(p)
	not registered(p)
]

registered(p) if p.registration.isMfaRegistered == true

label(p) := lib.user_label(p.user) if is_object(p.user) else := p.registration.userPrincipalName if {
	is_object(p.registration)
} else := p.id

detail(p) := "no registration details for this user" if not is_object(p.registration) else := "no strong authentication method registered"

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := r if {
	r := lib.eligibility_error
} else := r if {
	r := grouplib.group_expansion_error
} else := lib.result("fail", sprintf("%d of %d privileged users have no MFA method registered", [count(unregistered), count(lib.privileged_users)]), unregistered) if {
	count(unregistered) > 0
} else := lib.result("pass", sprintf("all %d privileged users have MFA registered", [count(lib.privileged_users)]), [])
