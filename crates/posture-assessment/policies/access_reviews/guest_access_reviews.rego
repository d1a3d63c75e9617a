# Guests' access is reviewed at least monthly, by someone other than the guest, with unreviewed
# access removed (CIS 5.3.2; Entra ID P2 or ID Governance).
package posture.controls.guest_access_reviews

import data.posture.lib

metadata := {
	"id": "entra.governance.guest-access-reviews",
	"title": "Access reviews for guest users are configured",
	"severity": "medium",
	"frameworks": [{"framework": "cis-m365-v7", "reference": "5.3.2"}],
	"rationale": "Guests keep access to groups and applications long after the collaboration ends; a recurring review that removes unconfirmed access closes what nobody remembers granting.",
	"remediation": "Entra admin center > Identity governance > Access reviews > New access review: Teams + Groups, All Microsoft 365 groups with guest users, Guest users only; reviewers other than the guests; duration at most 3 days; monthly; no end; auto apply results; if reviewers don't respond: Remove access; require justification, mail notifications and reminders.",
	"required_collections": ["subscribed_skus", "access_review_definitions"],
	"licence": "p2",
}

guest_reviews := [d | some d in lib.access_reviews; lib.review_is_of_guests(d)]

gaps(d) := lib.review_gaps(d, 3) if {
	denies_by_default(d)
} else := array.concat(lib.review_gaps(d, 3), ["leaves access in place when reviewers do not respond (default decision is not Deny)"])

denies_by_default(d) if {
	lib.review_flag(d, "defaultDecisionEnabled")
	lib.review_settings(d).defaultDecision == "Deny"
}

compliant := [d | some d in guest_reviews; count(gaps(d)) == 0]

result := r if {
	r := lib.licence_missing_fails("p2")
} else := r if {
	r := lib.error_for(metadata.required_collections)
} else := lib.result("pass", sprintf("guest access is reviewed by: %s", [concat(", ", sort([object.get(d, "displayName", d.id) | some d in compliant]))]), []) if {
	count(compliant) > 0
} else := lib.result("fail", "no access review of guest users", []) if {
	count(guest_reviews) == 0
} else := lib.result("fail", sprintf("%d guest access reviews fall short of CIS 5.3.2 (see evidence)", [count(guest_reviews)]), [lib.review_evidence(d, concat("; ", gaps(d))) | some d in guest_reviews])
