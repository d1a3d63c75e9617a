# Guests get limited or restricted directory access, never the same access as members.
package posture.controls.guest_access_restricted

import data.posture.lib

metadata := {
	"id": "entra.guests.access-restricted",
	"title": "Guest users have limited or restricted directory access",
	"severity": "medium",
	"frameworks": [
		{"framework": "cisa-scuba", "reference": "MS.AAD.8.1v1"},
		{"framework": "cis-m365-v7", "reference": "5.1.6.2"},
	],
	"rationale": "With member-level access a guest can enumerate every user, group and application, which is a reconnaissance map for an attacker who compromises any partner account.",
	"remediation": "Entra admin center > External Identities > External collaboration settings: set guest user access to 'limited access' or 'restricted to properties and memberships of their own directory objects'.",
	"required_collections": ["authorization_policy"],
}

# guestUserRoleId values: the member role, the default guest role, the restricted guest role.
same_as_members := "a0b1b346-4d3e-4e8b-98f8-753987be4970"

limited := "10dae51f-b6af-4016-8d66-8c2a99b929b3"

restricted := "2af84b1e-32c8-42b7-82bc-daa82404023b"

role := lib.str(lib.authorization_policy, ["guestUserRoleId"])

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := r if {
	r := lib.singleton_missing("authorization_policy")
} else := lib.result("pass", "guests have restricted access to their own directory objects", []) if {
	role == restricted
} else := lib.result("pass", "guests have limited access to directory objects", []) if {
	role == limited
} else := lib.result("fail", "guests have the same directory access as members", [lib.authorization_evidence(sprintf("guestUserRoleId is %s", [role]))]) if {
	role == same_as_members
} else := lib.result("fail", sprintf("guest access level is unrecognised (guestUserRoleId %q)", [role]), [lib.authorization_evidence(sprintf("guestUserRoleId is %q", [role]))])
