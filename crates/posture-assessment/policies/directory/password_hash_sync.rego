# Hybrid tenants synchronise password hashes (CIS 5.1.8.1): when organization.onPremisesSyncEnabled
# is true, the on-premises synchronization features have passwordSyncEnabled. Cloud-only tenants
# have nothing to synchronise.
package posture.controls.password_hash_sync

import data.posture.lib

metadata := {
	"id": "entra.hybrid.password-hash-sync",
	"title": "Password hash synchronisation is enabled for hybrid deployments",
	"severity": "medium",
	"frameworks": [{"framework": "cis-m365-v7", "reference": "5.1.8.1"}],
	"rationale": "With password hashes in Entra ID, leaked-credential detection covers on-premises passwords and users can still sign in to the cloud when the on-premises federation or pass-through agents are down.",
	"remediation": "In Microsoft Entra Connect (or Cloud Sync), turn on Password hash synchronization for every synchronised forest.",
	"required_collections": ["organization", "on_premises_synchronization"],
}

organization := o if {
	o := lib.singleton("organization")
	is_object(o)
} else := {}

hybrid if organization.onPremisesSyncEnabled == true

synchronizations := [s | some s in lib.items("on_premises_synchronization"); is_object(s)]

without_phs := [lib.evidence("onPremisesDirectorySynchronization", object.get(s, "id", "onPremisesSynchronization"), "On-premises directory synchronization", sprintf("features.passwordSyncEnabled is %v", [object.get(s, ["features", "passwordSyncEnabled"], null)])) |
	some s in synchronizations
	object.get(s, ["features", "passwordSyncEnabled"], null) != true
]

result := r if {
	r := lib.error_for(["organization"])
} else := r if {
	r := lib.singleton_missing("organization")
} else := lib.result("not_applicable", "the tenant is cloud-only (organization.onPremisesSyncEnabled is not true)", []) if {
	not hybrid
} else := r if {
	r := lib.error_for(metadata.required_collections)
} else := lib.result("fail", "the tenant synchronises from on-premises but no synchronization configuration was returned", [lib.evidence("organization", object.get(organization, "id", "organization"), object.get(organization, "displayName", "organization"), "onPremisesSyncEnabled is true")]) if {
	count(synchronizations) == 0
} else := lib.result("fail", "the tenant synchronises from on-premises without password hash synchronisation", without_phs) if {
	count(without_phs) > 0
} else := lib.result("pass", "password hashes are synchronised from on-premises", [])
