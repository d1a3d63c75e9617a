# Access review schedule definitions as CIS 5.3.2 / 5.3.3 read them.
package posture.lib

access_reviews := [d | some d in items("access_review_definitions"); object.get(d, "status", "") != "Completed"]

review_settings(d) := s if {
	s := d.settings
	is_object(s)
} else := {}

review_pattern(d) := object.get(review_settings(d), ["recurrence", "pattern"], {})

review_interval(d) := i if {
	i := review_pattern(d).interval
	is_number(i)
} else := 1

# Recurs monthly or more often.
review_monthly_or_more(d) if {
	review_pattern(d).type in {"absoluteMonthly", "relativeMonthly"}
	review_interval(d) <= 1
}

review_monthly_or_more(d) if {
	review_pattern(d).type == "weekly"
	review_interval(d) <= 4
}

review_monthly_or_more(d) if {
	review_pattern(d).type == "daily"
	review_interval(d) <= 28
}

review_recurrence(d) := sprintf("%s every %v", [object.get(review_pattern(d), "type", "once"), review_interval(d)])

# Every query string of a definition's scope (a query scope, or a principal/resource memberships scope).
review_scope_queries(d) := [q |
	some q in array.concat(
		[object.get(d, ["scope", "query"], "")],
		array.concat(
			[object.get(s, "query", "") | some s in list(d, ["scope", "principalScopes"])],
			[object.get(s, "query", "") | some s in list(d, ["scope", "resourceScopes"])],
		),
	)
	is_string(q)
	q != ""
]

review_is_of_guests(d) if {
	some q in review_scope_queries(d)
	contains(lower(q), "usertype eq 'guest'")
}

review_is_of_role(d, template) if {
	some s in list(d, ["scope", "resourceScopes"])
	endswith(lower(object.get(s, "query", "")), lower(sprintf("/roleDefinitions/%s", [template])))
}

review_flag(d, name) if review_settings(d)[name] == true

review_duration(d) := n if {
	n := review_settings(d).instanceDurationInDays
	is_number(n)
} else := 0

# The shortfalls common to both CIS recommendations: recurrence, end, duration, reviewers, settings.
review_gaps(d, max_days) := [g |
	some g in [
		review_gap_recurrence(d),
		review_gap_end(d),
		review_gap_duration(d, max_days),
		review_gap_reviewers(d),
		review_gap_flag(d, "autoApplyDecisionsEnabled", "does not apply results automatically"),
		review_gap_flag(d, "mailNotificationsEnabled", "sends no mail notifications"),
		review_gap_flag(d, "reminderNotificationsEnabled", "sends no reminders"),
		review_gap_flag(d, "justificationRequiredOnApproval", "does not require a reason on approval"),
	]
	g != ""
]

review_gap_recurrence(d) := "" if review_monthly_or_more(d) else := sprintf("recurs %s, less often than monthly", [review_recurrence(d)])

review_gap_end(d) := "" if object.get(review_settings(d), ["recurrence", "range", "type"], "") == "noEnd" else := "has an end date"

review_gap_duration(d, max_days) := "" if review_duration(d) <= max_days else := sprintf("lasts %v days (at most %d)", [review_duration(d), max_days])

review_gap_reviewers(d) := "" if count(list(d, ["reviewers"])) > 0 else := "is a self-review (no reviewers)"

review_gap_flag(d, name, text) := "" if review_flag(d, name) else := text

review_evidence(d, detail) := evidence("accessReviewScheduleDefinition", d.id, object.get(d, "displayName", d.id), detail)
