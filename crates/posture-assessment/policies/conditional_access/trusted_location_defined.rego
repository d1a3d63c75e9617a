# A trusted named location describes the organisation's own network (the CIS 5.2.2.14 reading of the
# catalog): an IP named location marked trusted, with at least one range.
package posture.controls.trusted_location_defined

import data.posture.lib

metadata := {
	"id": "entra.ca.trusted-location-defined",
	"title": "A trusted named location is defined",
	"severity": "low",
	"frameworks": [{"framework": "cis-m365-v7", "reference": "5.2.2.14"}],
	"rationale": "Conditional Access and Identity Protection read sign-ins from the organisation's own egress addresses as lower risk; without a trusted location every sign-in looks alike and location-based policies cannot be written.",
	"remediation": "Entra admin center > Conditional Access > Named locations: add an IP ranges location with the organisation's public egress ranges and tick 'Mark as trusted location'.",
	"required_collections": ["named_locations"],
}

ip_location(l) if endswith(lower(lib.str(l, ["@odata.type"])), "ipnamedlocation")

trusted := [l | some l in lib.items("named_locations"); is_object(l); ip_location(l); l.isTrusted == true; count(lib.list(l, ["ipRanges"])) > 0]

untrusted := [l | some l in lib.items("named_locations"); is_object(l); ip_location(l); not l.isTrusted == true]

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := lib.result("pass", sprintf("trusted named locations: %s", [concat(", ", sort([object.get(l, "displayName", l.id) | some l in trusted]))]), [lib.evidence("namedLocation", l.id, object.get(l, "displayName", l.id), "trusted IP location") | some l in trusted]) if {
	count(trusted) > 0
} else := lib.result("fail", sprintf("no IP named location is marked trusted (%d untrusted IP locations)", [count(untrusted)]), [lib.evidence("namedLocation", l.id, object.get(l, "displayName", l.id), "IP location not marked trusted") | some l in untrusted])
