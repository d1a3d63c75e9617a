package posture.controls.access_reviews_test

import data.posture.controls.guest_access_reviews as guests
import data.posture.controls.privileged_role_access_reviews as roles
import data.posture.testing

settings(pattern, interval, days, auto) := {
	"mailNotificationsEnabled": true,
	"reminderNotificationsEnabled": true,
	"justificationRequiredOnApproval": true,
	"defaultDecisionEnabled": auto,
	"defaultDecision": "Deny",
	"instanceDurationInDays": days,
	"autoApplyDecisionsEnabled": auto,
	"recurrence": {
		"pattern": {"type": pattern, "interval": interval},
		"range": {"type": "noEnd", "startDate": "2026-01-01"},
	},
}

guest_review(id, s) := {
	"id": id,
	"displayName": "Review guest access across Microsoft 365 groups",
	"status": "InProgress",
	"scope": {"@odata.type": "#microsoft.graph.accessReviewQueryScope", "query": "./members/microsoft.graph.user/?$count=true&$filter=(userType eq 'Guest')", "queryType": "MicrosoftGraph"},
	"instanceEnumerationScope": {"@odata.type": "#microsoft.graph.accessReviewQueryScope", "query": "/groups?$filter=(groupTypes/any(c:c+eq+'Unified'))&$count=true", "queryType": "MicrosoftGraph"},
	"reviewers": [{"query": "./owners", "queryType": "MicrosoftGraph"}],
	"settings": s,
}

role_review(id, role, s) := {
	"id": id,
	"displayName": sprintf("review of %s", [role]),
	"status": "InProgress",
	"scope": {
		"@odata.type": "#microsoft.graph.principalResourceMembershipsScope",
		"principalScopes": [{"query": "/users", "queryType": "MicrosoftGraph"}],
		"resourceScopes": [{"query": sprintf("/roleManagement/directory/roleDefinitions/%s", [role]), "queryType": "MicrosoftGraph"}],
	},
	"reviewers": [{"query": "/users/u-lead", "queryType": "MicrosoftGraph"}],
	"settings": s,
}

days(role) := 7 if role == testing.global_admin else := 4

reviews(list) := testing.doc({"access_review_definitions": testing.ok(list)})

cis_roles := [
	"62e90394-69f5-4237-9190-012177145e10",
	"29232cdf-9323-42fd-ade2-1d097af3e4de",
	"f28a1f50-f6e7-4571-818b-6a12f2af6b6c",
	"69091246-20e8-4a56-aa4d-066075b2a7a8",
	"194ae4cb-b126-40b2-bd5b-6091b380977d",
]

# --- 5.3.2 ----------------------------------------------------------------------------------------

test_monthly_guest_review_that_removes_access_passes if {
	guests.result.status == "pass" with input as reviews([guest_review("r1", settings("absoluteMonthly", 1, 3, true))])
}

test_weekly_guest_review_passes if {
	guests.result.status == "pass" with input as reviews([guest_review("r1", settings("weekly", 1, 3, true))])
}

test_quarterly_guest_review_fails_with_its_shortfalls if {
	r := guests.result with input as reviews([guest_review("r1", settings("absoluteMonthly", 3, 14, false))])
	r.status == "fail"
	r.evidence[0].id == "r1"
	contains(r.evidence[0].detail, "less often than monthly")
	contains(r.evidence[0].detail, "lasts 14 days")
	contains(r.evidence[0].detail, "Deny")
}

test_self_review_of_guests_fails if {
	g := object.union(guest_review("r1", settings("absoluteMonthly", 1, 3, true)), {"reviewers": []})
	r := guests.result with input as reviews([g])
	r.status == "fail"
	contains(r.evidence[0].detail, "self-review")
}

test_completed_review_does_not_count if {
	g := object.union(guest_review("r1", settings("absoluteMonthly", 1, 3, true)), {"status": "Completed"})
	r := guests.result with input as reviews([g])
	r.status == "fail"
	r.evidence == []
}

test_no_review_fails if {
	guests.result.status == "fail" with input as reviews([])
}

test_role_review_is_not_a_guest_review if {
	guests.result.status == "fail" with input as reviews([role_review("r1", testing.global_admin, settings("absoluteMonthly", 1, 3, true))])
}

test_guest_reviews_without_p2_fail_requiring_p2 if {
	r := guests.result with input as testing.doc_with(testing.without_p2)
	r.status == "fail"
	contains(r.reason, "requires Microsoft Entra ID P2")
}

test_unreadable_reviews_are_an_error if {
	r := guests.result with input as testing.doc({"access_review_definitions": testing.missing("403 Authorization_RequestDenied: AccessReview.Read.All not granted")})
	r.status == "error"
	contains(r.reason, "AccessReview.Read.All")
}

# --- 5.3.3 ----------------------------------------------------------------------------------------

test_monthly_reviews_of_the_five_roles_pass if {
	list := [role_review(sprintf("r-%s", [t]), t, settings("absoluteMonthly", 1, 4, true)) | some t in cis_roles]
	roles.result.status == "pass" with input as reviews(list)
}

test_global_admin_review_alone_fails_naming_the_other_roles if {
	r := roles.result with input as reviews([role_review("r1", testing.global_admin, settings("absoluteMonthly", 1, 4, true))])
	r.status == "fail"
	count(r.evidence) == 4
	ids := {e.id | some e in r.evidence}
	not testing.global_admin in ids
	"69091246-20e8-4a56-aa4d-066075b2a7a8" in ids
}

test_role_review_lasting_too_long_names_the_shortfall if {
	list := [role_review(sprintf("r-%s", [t]), t, settings("absoluteMonthly", 1, days(t), true)) | some t in cis_roles]
	r := roles.result with input as reviews(list)
	r.status == "fail"
	r.evidence[0].id == testing.global_admin
	contains(r.evidence[0].detail, "lasts 7 days")
}

test_no_role_reviews_fail_for_all_five if {
	r := roles.result with input as reviews([])
	r.status == "fail"
	count(r.evidence) == 5
}

test_role_reviews_without_p2_fail_requiring_p2 if {
	r := roles.result with input as testing.doc_with(testing.without_p2)
	r.status == "fail"
	contains(r.reason, "requires Microsoft Entra ID P2")
}
