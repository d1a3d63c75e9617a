# Enrolling a device in Intune always asks for a fresh multifactor sign-in (CIS 5.2.2.11): an enabled
# policy for all users targeting Microsoft Intune Enrollment (or all resources) requires MFA with the
# sign-in frequency set to every time.
package posture.controls.intune_enrollment_reauthentication

import data.posture.lib

metadata := {
	"id": "entra.ca.intune-enrollment-reauthentication",
	"title": "Sign-in frequency for Intune enrollment is every time",
	"severity": "medium",
	"frameworks": [{"framework": "cis-m365-v7", "reference": "5.2.2.11"}],
	"rationale": "A device enrolled with a stolen session becomes a compliant, trusted device for the attacker; a fresh multifactor sign-in at enrollment prevents reusing an existing token.",
	"remediation": "Create a Conditional Access policy for All users with the target resource 'Microsoft Intune Enrollment', grant access requiring multifactor authentication, set the session control 'Sign-in frequency' to Every time, exclude only the emergency-access accounts, and turn it On.",
	"required_collections": ["conditional_access_policies"],
}

# The first-party application Microsoft Intune Enrollment.
intune_enrollment := "d4ebce55-015a-49b5-a083-c84d1797ae8c"

targets_enrollment(p) if intune_enrollment in lib.list(p, ["conditions", "applications", "includeApplications"])

targets_enrollment(p) if lib.ca_all_apps(p)

every_time(p) if lib.session(p).signInFrequency.frequencyInterval == "everyTime"

applies_to_everyone(p) if {
	lib.ca_enabled(p)
	lib.ca_all_users(p)
	lib.ca_no_excluded_roles(p)
	lib.ca_no_excluded_guests(p)
	lib.ca_exclusions_only_emergency(p)
	lib.ca_all_platforms(p)
	not intune_enrollment in lib.list(p, ["conditions", "applications", "excludeApplications"])
}

candidates := [p | some p in lib.ca_policies; targets_enrollment(p); lib.sign_in_frequency_enabled(p)]

matching := [p | some p in candidates; applies_to_everyone(p); every_time(p); lib.ca_requires_mfa(p)]

near := [p | some p in candidates; not p in matching]

gaps(p) := concat("; ", [g | some g in [
	lib.gap_state(p), lib.gap_users(p), lib.gap_roles(p), lib.gap_guests(p), lib.gap_exclusions(p), lib.gap_platforms(p),
	frequency_gap(p), mfa_gap(p),
]; g != ""])

frequency_gap(p) := "" if every_time(p) else := "sign-in frequency is not every time"

mfa_gap(p) := "" if lib.ca_requires_mfa(p) else := "does not require multifactor authentication"

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := lib.result("pass", sprintf("Intune enrollment requires a fresh multifactor sign-in every time (%s)", [concat(", ", sort([object.get(p, "displayName", p.id) | some p in matching]))]), [lib.ca_evidence(p, "enforcing policy") | some p in matching]) if {
	count(matching) > 0
} else := lib.result("fail", sprintf("no enabled Conditional Access policy for all users asks for multifactor authentication every time a device enrolls in Intune (%d other policies set a sign-in frequency for it, see evidence)", [count(near)]), [lib.ca_evidence(p, gaps(p)) | some p in near])
