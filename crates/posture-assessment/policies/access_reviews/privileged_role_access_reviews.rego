# The holders of the highly privileged roles CIS names are reviewed at least monthly (CIS 5.3.3;
# Entra ID P2 or ID Governance).
package posture.controls.privileged_role_access_reviews

import data.posture.lib

metadata := {
	"id": "entra.governance.privileged-role-access-reviews",
	"title": "Access reviews for privileged roles are configured",
	"severity": "medium",
	"frameworks": [{"framework": "cis-m365-v7", "reference": "5.3.3"}],
	"rationale": "Privileged role holders accumulate; a recurring review by someone other than the holder removes the assignments nobody needs any more.",
	"remediation": "PIM > Microsoft Entra roles > Access reviews > New: Global, Exchange, SharePoint, Teams and Security Administrator; monthly; duration at most 4 days; no end; all active and eligible assignments; reviewers other than self; auto apply results; require a reason, mail notifications and reminders.",
	"required_collections": ["subscribed_skus", "access_review_definitions"],
	"licence": "p2",
}

# CIS 5.3.3 names these at a minimum.
roles := [
	"62e90394-69f5-4237-9190-012177145e10",
	"29232cdf-9323-42fd-ade2-1d097af3e4de",
	"f28a1f50-f6e7-4571-818b-6a12f2af6b6c",
	"69091246-20e8-4a56-aa4d-066075b2a7a8",
	"194ae4cb-b126-40b2-bd5b-6091b380977d",
]

names := {
	"62e90394-69f5-4237-9190-012177145e10": "Global Administrator",
	"29232cdf-9323-42fd-ade2-1d097af3e4de": "Exchange Administrator",
	"f28a1f50-f6e7-4571-818b-6a12f2af6b6c": "SharePoint Administrator",
	"69091246-20e8-4a56-aa4d-066075b2a7a8": "Teams Administrator",
	"194ae4cb-b126-40b2-bd5b-6091b380977d": "Security Administrator",
}

reviews_of(t) := [d | some d in lib.access_reviews; lib.review_is_of_role(d, t)]

covered(t) if {
	some d in reviews_of(t)
	count(lib.review_gaps(d, 4)) == 0
}

detail(t) := "no access review of this role" if {
	count(reviews_of(t)) == 0
} else := concat(" | ", [sprintf("%s %s", [object.get(d, "displayName", d.id), concat("; ", lib.review_gaps(d, 4))]) | some d in reviews_of(t)])

uncovered := [t | some t in roles; not covered(t)]

result := r if {
	r := lib.licence_missing_fails("p2")
} else := r if {
	r := lib.error_for(metadata.required_collections)
} else := lib.result("pass", "Global, Exchange, SharePoint, Teams and Security Administrator are reviewed monthly", []) if {
	count(uncovered) == 0
} else := lib.result("fail", sprintf("no qualifying monthly access review for: %s", [concat(", ", [names[t] | some t in uncovered])]), [lib.evidence("directoryRole", t, names[t], detail(t)) | some t in uncovered])
