# App registrations with no owner: nobody answers for their credentials and permissions, and nobody
# is asked when they should go.
package posture.controls.apps_unowned

import data.posture.lib

metadata := {
	"id": "posture.apps.unowned",
	"title": "Every app registration has an owner",
	"severity": "low",
	"frameworks": [{"framework": "posture", "reference": "posture.apps.unowned"}],
	"rationale": "Unowned apps are not reviewed, their credentials are not rotated, and they outlive the project that needed them.",
	"remediation": "Entra admin center > App registrations > the app > Owners: add at least one accountable person (two for important apps), or delete the app if nobody needs it.",
	"required_collections": ["applications"],
}

apps := lib.items("applications")

# Owners are expanded onto each app by the sync; an app without the property was read without them.
owners_unknown := [a | some a in apps; not is_array(a.owners)]

findings := [lib.evidence("application", a.id, lib.app_label(a), "no owner") |
	some a in apps
	is_array(a.owners)
	count(a.owners) == 0
]

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := lib.result("not_applicable", "the tenant has no app registrations", []) if {
	count(apps) == 0
} else := lib.result("error", sprintf("owners were not synced for %d app registrations", [count(owners_unknown)]), []) if {
	count(owners_unknown) > 0
} else := lib.result("fail", sprintf("%d of %d app registrations have no owner", [count(findings), count(apps)]), findings) if {
	count(findings) > 0
} else := lib.result("pass", sprintf("all %d app registrations have an owner", [count(apps)]), [])
