# CIS 1.1.4: administrative accounts use licences with a reduced application footprint: no licence,
# or Microsoft Entra ID P1 or P2 only, so the privileged identity has no mailbox, Teams or
# SharePoint to be phished or browsed through. Members of role-assignable groups count.
package posture.controls.admin_licence_footprint

import data.posture.grouplib
import data.posture.lib

metadata := {
	"id": "entra.roles.admin-licence-footprint",
	"title": "Administrative accounts have a reduced licence footprint",
	"severity": "medium",
	"frameworks": [{"framework": "cis-m365-v7", "reference": "1.1.4"}],
	"rationale": "An administrator licensed for mail, Teams and Office reads phishing mail and opens documents with the privileged identity; an account licensed for Microsoft Entra ID P1 or P2 alone (or unlicensed) keeps daily work on a separate account.",
	"remediation": "Remove productivity licences (Microsoft 365 or Office 365 suites, Exchange, Teams, SharePoint) from each listed administrative account; assign Microsoft Entra ID P1 or P2 where Conditional Access or PIM needs it, and give the person a separate licensed account for daily work.",
	"required_collections": ["users", "role_assignments", "subscribed_skus"],
	"reads_items": ["subscribed_skus"],
}

# Microsoft Entra ID P1 and P2 sold on their own.
reduced_footprint := {"AAD_PREMIUM", "AAD_PREMIUM_P2"}

sku_name(sku_id) := part if {
	some sku in lib.items("subscribed_skus")
	lower(lib.str(sku, ["skuId"])) == lower(sku_id)
	part := sku.skuPartNumber
	is_string(part)
} else := sprintf("unknown SKU %s", [sku_id])

allowed(sku_id) if {
	some sku in lib.items("subscribed_skus")
	lower(lib.str(sku, ["skuId"])) == lower(sku_id)
	upper(lib.str(sku, ["skuPartNumber"])) in reduced_footprint
}

broad_licences(user) := {sku_name(id) |
	some l in lib.list(user, ["assignedLicenses"])
	id := lib.str(l, ["skuId"])
	id != ""
	not allowed(id)
}

offenders := [lib.evidence("user", id, lib.user_label(p.user), sprintf("holds %s%s; licensed for %s", [roles, grouplib.held_through(p), concat(", ", sort(licences))])) |
	some id, p in lib.privileged_users
	is_object(p.user)
	licences := broad_licences(p.user)
	count(licences) > 0
	roles := concat(", ", sort([lib.role_name(r) | some r in p.roles]))
]

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := r if {
	r := lib.eligibility_error
} else := r if {
	r := grouplib.group_expansion_error
} else := lib.result("fail", sprintf("%d of %d privileged users hold licences beyond Microsoft Entra ID P1/P2", [count(offenders), count(lib.privileged_users)]), offenders) if {
	count(offenders) > 0
} else := lib.result("pass", sprintf("all %d privileged users are unlicensed or hold Microsoft Entra ID P1/P2 only", [count(lib.privileged_users)]), [])
