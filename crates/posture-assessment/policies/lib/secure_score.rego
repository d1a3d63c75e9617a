# Secure Score history helpers shared by the Secure Score controls.
package posture.lib

# The synced daily scores with a parseable date and a numeric score.
secure_scores := [s |
	some s in items("secure_scores")
	ts(s.createdDateTime)
	is_number(s.currentScore)
]

# [time, index into secure_scores] pairs oldest first: one latest and one earlier score even if
# two share a date.
secure_scores_ordered := sort([[ts(s.createdDateTime), i] | some i, s in secure_scores])

secure_score_latest := secure_scores[secure_scores_ordered[count(secure_scores_ordered) - 1][1]] if {
	count(secure_scores_ordered) > 0
}
