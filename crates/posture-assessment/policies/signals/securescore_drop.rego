# Microsoft Secure Score fell by more than `secure_score_drop_points` points (default 5, in Secure
# Score points, not percent) between the latest daily score and the one `secure_score_drop_days`
# (default 7) before it: the newest score dated at least that many days before the latest one.
package posture.controls.securescore_drop

import data.posture.lib

metadata := {
	"id": "posture.securescore.drop",
	"title": "Secure Score has not dropped",
	"severity": "medium",
	"frameworks": [{"framework": "posture", "reference": "posture.securescore.drop"}],
	"rationale": "A sudden fall in Secure Score means a protection was switched off or a new gap appeared (a policy disabled, a setting relaxed); found within days it is a change to undo, found months later it is an incident.",
	"remediation": "Microsoft Defender portal > Exposure management > Secure Score > History: find the recommendations whose points fell between the two dates, and restore the setting or record why it changed.",
	"required_collections": ["secure_scores"],
}

drop_points := lib.param("secure_score_drop_points", 5)

drop_days := lib.param("secure_score_drop_days", 7)

scores := lib.secure_scores

ordered := lib.secure_scores_ordered

latest := lib.secure_score_latest

earlier := scores[before[count(before) - 1][1]] if {
	bound := lib.ts(latest.createdDateTime) - (drop_days * lib.day_ns)
	before := [p | some p in ordered; p[0] <= bound]
	count(before) > 0
}

score_evidence(s) := lib.evidence("secureScore", s.id, sprintf("Secure Score of %s", [substring(s.createdDateTime, 0, 10)]), sprintf("%v of %v points on %s", [s.currentScore, object.get(s, "maxScore", "?"), s.createdDateTime]))

fall := earlier.currentScore - latest.currentScore

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := lib.result("not_applicable", "Graph holds no Secure Score for the tenant yet", []) if {
	count(scores) == 0
} else := lib.result("not_applicable", sprintf("the Secure Score history is shorter than %d days", [drop_days]), []) if {
	not earlier
} else := lib.result("fail", sprintf("Secure Score fell %v points in %d days, from %v to %v", [round(fall * 100) / 100, drop_days, earlier.currentScore, latest.currentScore]), [score_evidence(earlier), score_evidence(latest)]) if {
	fall > drop_points
} else := lib.result("pass", sprintf("Secure Score is %v, a change of %v points in %d days (a fall of more than %v fails)", [latest.currentScore, round((latest.currentScore - earlier.currentScore) * 100) / 100, drop_days, drop_points]), [])
