# Only administrators and users in the Guest Inviter role can invite guests.
package posture.controls.guest_invitations_restricted

import data.posture.lib

metadata := {
	"id": "entra.guests.invitations-restricted",
	"title": "Only admins and guest inviters can invite guests",
	"severity": "medium",
	"frameworks": [
		{"framework": "cisa-scuba", "reference": "MS.AAD.8.2v1"},
		{"framework": "cis-m365-v7", "reference": "5.1.6.3"},
	],
	"rationale": "When anyone can invite, external accounts enter the directory without review and stay there long after the collaboration ends.",
	"remediation": "Entra admin center > External Identities > External collaboration settings: set guest invite settings to 'Only users assigned to specific admin roles can invite guest users' (or stricter).",
	"required_collections": ["authorization_policy"],
}

allowed := {"adminsAndGuestInviters", "none"}

setting := lib.str(lib.authorization_policy, ["allowInvitesFrom"])

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := r if {
	r := lib.singleton_missing("authorization_policy")
} else := lib.result("pass", sprintf("guest invitations are limited (allowInvitesFrom %s)", [setting]), []) if {
	setting in allowed
} else := lib.result("fail", sprintf("guest invitations are open to more than admins and guest inviters (allowInvitesFrom %q)", [setting]), [lib.authorization_evidence(sprintf("allowInvitesFrom is %q", [setting]))])
