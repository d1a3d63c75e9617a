# Microsoft Authenticator push notifications show the application being signed in to and the
# geographic location of the request, for all users (CIS 5.2.3.1, SCuBA MS.AAD.3.3v2). Both read the
# same: "if Microsoft Authenticator is enabled, it SHALL be configured to show login context
# information" (SCuBA's v1 asked only while phishing-resistant MFA was not enforced; v2 dropped that
# stopgap). Authenticator disabled is not applicable for both.
package posture.controls.authenticator_context

import data.posture.lib

metadata := {
	"id": "entra.methods.authenticator-context",
	"title": "Microsoft Authenticator shows the application name and location",
	"severity": "medium",
	"frameworks": [
		{"framework": "cis-m365-v7", "reference": "5.2.3.1"},
		{"framework": "cisa-scuba", "reference": "MS.AAD.3.3v2"},
	],
	"rationale": "A push that names the application and the place of the sign-in lets users recognise a request they did not start, which blunts MFA fatigue and relayed prompts.",
	"remediation": "Entra admin center > Entra ID > Authentication methods > Policies > Microsoft Authenticator > Configure: set 'Show application name in push and passwordless notifications' and 'Show geographic location in push and passwordless notifications' to Enabled for All users, with no exclusions.",
	"required_collections": ["authentication_methods_policy"],
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

judged := lib.result("not_applicable", "Microsoft Authenticator is not enabled", []) if {
	not authenticator_enabled
} else := lib.result("pass", "Microsoft Authenticator shows the application name and geographic location to all users", []) if {
	count(gaps) == 0
} else := lib.result(
	"fail",
	sprintf("Microsoft Authenticator does not show sign-in context to all users: %s", [concat("; ", sort(gaps))]),
	[lib.evidence("authenticationMethodConfiguration", "MicrosoftAuthenticator", "Microsoft Authenticator", concat("; ", sort(gaps)))],
)

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := r if {
	r := lib.singleton_missing("authentication_methods_policy")
} else := judged
