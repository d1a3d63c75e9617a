# The latest Microsoft Secure Score is below `secure_score_min_percent` (default 50) percent of the
# tenant's maximum score.
package posture.controls.securescore_low

import data.posture.lib

metadata := {
	"id": "posture.securescore.low",
	"title": "Secure Score is at least half of its maximum",
	"severity": "low",
	"frameworks": [{"framework": "posture", "reference": "posture.securescore.low"}],
	"rationale": "Secure Score sums the protections Microsoft recommends for the services the tenant uses; a tenant below half of its maximum leaves most of them off.",
	"remediation": "Microsoft Defender portal > Exposure management > Secure Score > Recommended actions: work through the actions ranked highest, starting with identity (MFA, legacy authentication, admin roles).",
	"required_collections": ["secure_scores"],
}

min_percent := lib.param("secure_score_min_percent", 50)

latest := lib.secure_score_latest

percent := (latest.currentScore * 100) / latest.maxScore if {
	is_number(latest.maxScore)
	latest.maxScore > 0
}

shown := round(percent * 10) / 10

evidence := [lib.evidence("secureScore", latest.id, sprintf("Secure Score of %s", [substring(latest.createdDateTime, 0, 10)]), sprintf("%v of %v points (%v%%)", [latest.currentScore, latest.maxScore, shown]))]

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := lib.result("not_applicable", "Graph holds no Secure Score for the tenant yet", []) if {
	not percent
} else := lib.result("fail", sprintf("Secure Score is %v%% of its maximum, below %v%%", [shown, min_percent]), evidence) if {
	percent < min_percent
} else := lib.result("pass", sprintf("Secure Score is %v%% of its maximum (at least %v%%)", [shown, min_percent]), [])
