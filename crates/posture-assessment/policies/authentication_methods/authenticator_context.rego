# Microsoft Authenticator push notifications show the application being signed in to and the
# geographic location of the request, for all users (CIS 5.2.3.1, SCuBA MS.AAD.3.3). SCuBA asks for
# it only while phishing-resistant MFA is not enforced for all users (MS.AAD.3.1) and Authenticator is
# enabled; otherwise SCuBA's verdict is not applicable.
package posture.controls.authenticator_context

import data.posture.lib

metadata := {
	"id": "entra.methods.authenticator-context",
	"title": "Microsoft Authenticator shows the application name and location",
	"severity": "medium",
	"frameworks": [
		{"framework": "cis-m365-v7", "reference": "5.2.3.1"},
		{"framework": "cisa-scuba", "reference": "MS.AAD.3.3v1"},
	],
	"rationale": "A push that names the application and the place of the sign-in lets users recognise a request they did not start, which blunts MFA fatigue and relayed prompts.",
	"remediation": "Entra admin center > Entra ID > Authentication methods > Policies > Microsoft Authenticator > Configure: set 'Show application name in push and passwordless notifications' and 'Show geographic location in push and passwordless notifications' to Enabled for All users, with no exclusions.",
	"required_collections": ["authentication_methods_policy"],
	"reads_items": ["authentication_methods_policy", "conditional_access_policies"],
}

features := {
	"displayAppInformationRequiredState": "application name",
	"displayLocationInformationRequiredState": "geographic location",
}

authenticator := lib.method_configuration("MicrosoftAuthenticator")

authenticator_enabled if lower(lib.str(authenticator, ["state"])) == "enabled"

# A feature is on for everyone: enabled, included for all users, nobody excluded (Graph writes "no
# exclusion" as the all-zero group id).
feature_gap(name) := sprintf("%s is %s", [features[name], state]) if {
	state := lower(lib.str(authenticator, ["featureSettings", name, "state"]))
	state != "enabled"
} else := sprintf("%s is shown only to %s", [features[name], target]) if {
	target := lib.str(authenticator, ["featureSettings", name, "includeTarget", "id"])
	target != "all_users"
} else := sprintf("%s excludes group %s", [features[name], excluded]) if {
	excluded := lib.str(authenticator, ["featureSettings", name, "excludeTarget", "id"])
	not excluded in {"", "00000000-0000-0000-0000-000000000000"}
}

gaps := [feature_gap(name) | some name, _ in features; feature_gap(name)]

cis_result := lib.result("not_applicable", "Microsoft Authenticator is not enabled", []) if {
	not authenticator_enabled
} else := lib.result("pass", "Microsoft Authenticator shows the application name and geographic location to all users", []) if {
	count(gaps) == 0
} else := lib.result(
	"fail",
	sprintf("Microsoft Authenticator does not show sign-in context to all users: %s", [concat("; ", sort(gaps))]),
	[lib.evidence("authenticationMethodConfiguration", "MicrosoftAuthenticator", "Microsoft Authenticator", concat("; ", sort(gaps)))],
)

phishing_resistant_enforced if {
	some p in lib.ca_policies
	lib.ca_broad(p)
	lib.strength_is_phishing_resistant(p)
}

# SCuBA MS.AAD.3.3v1 applies only while MS.AAD.3.1 is unmet and Authenticator is enabled.
scuba_result := lib.result("not_applicable", "phishing-resistant MFA is enforced for all users (MS.AAD.3.1), so SCuBA does not ask for Authenticator context", []) if {
	authenticator_enabled
	phishing_resistant_enforced
} else := r if {
	authenticator_enabled
	r := lib.error_for(["conditional_access_policies"])
} else := cis_result

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := r if {
	r := lib.singleton_missing("authentication_methods_policy")
} else := lib.with_framework(cis_result, lib.scuba_framework, scuba_result)
