# Users must not grant applications access to organisation data on their own: the default user role
# gets no "ManagePermissionGrantsForSelf.*" permission grant policy.
package posture.controls.user_consent_blocked

import data.posture.lib

metadata := {
	"id": "entra.apps.user-consent-blocked",
	"title": "Users cannot consent to applications",
	"severity": "high",
	"frameworks": [
		{"framework": "cisa-scuba", "reference": "MS.AAD.5.2v1"},
		{"framework": "cis-m365-v7", "reference": "5.1.5.1"},
	],
	"rationale": "Consent phishing gets a malicious app long-lived access to mail and files without any password; admin review stops it.",
	"remediation": "Entra admin center > Enterprise applications > Consent and permissions: set 'User consent for applications' to 'Do not allow user consent' and enable the admin consent workflow.",
	"required_collections": ["authorization_policy"],
	"reads_items": ["authorization_policy", "delegated_permission_classifications"],
}

# v1.0 carries the assigned policies under defaultUserRolePermissions; the beta property name is
# read too, for inventories synced from beta.
assigned := array.concat(
	lib.list(lib.authorization_policy, ["defaultUserRolePermissions", "permissionGrantPoliciesAssigned"]),
	lib.list(lib.authorization_policy, ["permissionGrantPolicyIdsAssignedToDefaultUserRole"]),
)

self_consent := sort({p | some p in assigned; startswith(p, "ManagePermissionGrantsForSelf.")})

# "Allow user consent for apps from verified publishers, for selected permissions": the permissions
# an administrator classified low impact.
low_impact := "ManagePermissionGrantsForSelf.microsoft-user-default-low"

only_low_impact if self_consent == [low_impact]

# Sign-in and basic profile: the permissions Microsoft names as the minimum to classify low. Any
# other permission classified low lets a verified publisher's app read organisation data unreviewed.
basic_permissions := {"openid", "profile", "email", "offline_access", "User.Read"}

classifications_synced if lib.collection_ok("delegated_permission_classifications")

risky_low := [c |
	some c in lib.items("delegated_permission_classifications")
	lower(lib.str(c, ["classification"])) == "low"
	not lib.str(c, ["permissionName"]) in basic_permissions
]

consent_evidence := [lib.authorization_evidence(sprintf("default user role has %s", [concat(", ", self_consent)]))]

# CIS 5.1.5.1 allows no user consent at all; it is the control's verdict.
cis_result := lib.result("fail", sprintf("users may consent to applications under: %s", [concat(", ", self_consent)]), consent_evidence) if {
	count(self_consent) > 0
} else := lib.result("pass", "the default user role has no permission grant policy for self-consent", [])

# SCuBA MS.AAD.5.2 accepts consent for low-impact permissions from verified publishers when no
# risky permission is classified low; legacy consent (anyone consents to anything) fails.
scuba_result := lib.result("fail", "users may consent only for verified publishers and low-impact permissions, but risky permissions are classified low impact", [lib.evidence("delegatedPermissionClassification", object.get(c, "id", lib.str(c, ["permissionName"])), lib.str(c, ["permissionName"]), sprintf("%s classified low impact", [lib.str(c, ["permissionName"])])) | some c in risky_low]) if {
	only_low_impact
	classifications_synced
	count(risky_low) > 0
} else := lib.result("pass", "users may consent only for verified publishers and permissions classified low impact, and only sign-in and basic profile permissions are classified low", []) if {
	only_low_impact
	classifications_synced
} else := lib.result("fail", sprintf("users may consent for verified publishers and permissions classified low impact, and no synced classifications show that no risky permission is classified low (%s)", [lib.missing_reason("delegated_permission_classifications")]), consent_evidence) if {
	only_low_impact
} else := cis_result

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := r if {
	r := lib.singleton_missing("authorization_policy")
} else := cis_result if {
	cis_result == scuba_result
} else := {
	"status": cis_result.status,
	"reason": sprintf("%s; SCuBA: %s", [cis_result.reason, scuba_result.reason]),
	"evidence": array.concat(cis_result.evidence, [e | some e in scuba_result.evidence; e.kind != "authorizationPolicy"]),
} if {
	cis_result.status == scuba_result.status
} else := lib.with_framework(cis_result, lib.scuba_framework, scuba_result)
