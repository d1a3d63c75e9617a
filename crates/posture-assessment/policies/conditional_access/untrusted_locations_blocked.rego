# Sign-ins from locations the organisation does not operate in are blocked (the CIS 5.2.2.15 reading
# of the catalog): a broad enabled policy with a location condition (named locations, or all
# locations but the trusted ones) grants Block access.
package posture.controls.untrusted_locations_blocked

import data.posture.lib

metadata := {
	"id": "entra.ca.untrusted-locations-blocked",
	"title": "Sign-ins from untrusted locations are blocked",
	"severity": "medium",
	"frameworks": [{"framework": "cis-m365-v7", "reference": "5.2.2.15"}],
	"rationale": "Most password spraying and token replay comes from countries an organisation never works from; blocking them removes that traffic before any credential is tried.",
	"remediation": "Create a named location of the countries (or networks) to refuse, then a Conditional Access policy for All users and All resources whose location condition includes it (or includes all locations and excludes the trusted ones), grant Block access, exclude only the emergency-access accounts, and turn it On.",
	"required_collections": ["conditional_access_policies", "named_locations"],
}

included(p) := lib.list(p, ["conditions", "locations", "includeLocations"])

excluded(p) := lib.list(p, ["conditions", "locations", "excludeLocations"])

location_ids := {l.id | some l in lib.items("named_locations"); is_object(l)}

# Named locations refused outright, or everywhere but the trusted locations.
limits_locations(p) if {
	some id in included(p)
	id in location_ids
}

limits_locations(p) if {
	"All" in included(p)
	count(excluded(p)) > 0
}

matching := [p | some p in lib.ca_policies; lib.ca_broad(p); limits_locations(p); lib.ca_blocks(p)]

near := [p | some p in lib.ca_policies; limits_locations(p); lib.ca_blocks(p); not lib.ca_broad(p)]

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := lib.cis_ca_result(matching, near, "blocking sign-ins from untrusted locations")
