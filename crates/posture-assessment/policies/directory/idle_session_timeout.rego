# Idle web sessions on unmanaged devices end after three hours or less (CIS 1.3.2). The Microsoft 365
# admin center setting writes an activity-based timeout policy (WebSessionIdleTimeout); CIS also asks
# for a Conditional Access policy with app-enforced restrictions so SharePoint and Exchange apply the
# timeout on unmanaged devices.
package posture.controls.idle_session_timeout

import data.posture.lib

metadata := {
	"id": "m365.sessions.idle-timeout",
	"title": "Idle sessions on unmanaged devices time out after three hours or less",
	"severity": "medium",
	"frameworks": [{"framework": "cis-m365-v7", "reference": "1.3.2"}],
	"rationale": "A browser left signed in on a shared or personal computer is an open door to mail and files; an idle timeout closes it.",
	"remediation": "Microsoft 365 admin center > Settings > Org settings > Security & privacy > Idle session timeout: turn it on with 3 hours or less, and create a Conditional Access policy for All users and Office 365 (or All resources) with the session control 'Use app enforced restrictions'.",
	"required_collections": ["activity_based_timeout_policies", "conditional_access_policies"],
}

limit_seconds := lib.param("idle_session_timeout_hours", 3) * 3600

timeouts := lib.activity_timeouts

seconds(t) := lib.timespan_seconds(t.timeout)

too_long := [t | some t in timeouts; seconds(t) > limit_seconds]

unreadable := [t | some t in timeouts; not seconds(t)]

timeout_evidence(t, detail) := lib.evidence("activityBasedTimeoutPolicy", object.get(t.policy, "id", "activityBasedTimeoutPolicy"), object.get(t.policy, "displayName", "Activity-based timeout policy"), detail)

# The policy that makes SharePoint and Exchange enforce the timeout on unmanaged devices.
restricting := [p | some p in lib.ca_policies; app_restrictions_policy(p)]

app_restrictions_policy(p) if {
	lib.ca_enabled(p)
	lib.ca_all_users(p)
	some app in lib.list(p, ["conditions", "applications", "includeApplications"])
	app in {"All", "Office365"}
	lib.app_enforced_restrictions(p)
}

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := lib.result("fail", "no idle session timeout is configured", [lib.evidence("activityBasedTimeoutPolicy", "activityBasedTimeoutPolicies", "Idle session timeout", "no activity-based timeout policy")]) if {
	count(timeouts) == 0
} else := lib.result("fail", sprintf("idle sessions time out after more than %d hours", [limit_seconds / 3600]), [timeout_evidence(t, sprintf("%v for %v", [t.timeout, t.application])) | some t in too_long]) if {
	count(too_long) > 0
} else := lib.result("fail", "an idle session timeout cannot be read", [timeout_evidence(t, sprintf("WebSessionIdleTimeout %v is not a time span", [t.timeout])) | some t in unreadable]) if {
	count(unreadable) > 0
} else := lib.result("fail", "the idle timeout is set, but no enabled Conditional Access policy for all users applies app-enforced restrictions, so SharePoint and Exchange do not enforce it on unmanaged devices", []) if {
	count(restricting) == 0
} else := lib.result("pass", sprintf("idle sessions time out within %d hours, enforced through %s", [limit_seconds / 3600, concat(", ", sort([object.get(p, "displayName", p.id) | some p in restricting]))]), [lib.ca_evidence(p, "app-enforced restrictions") | some p in restricting])
