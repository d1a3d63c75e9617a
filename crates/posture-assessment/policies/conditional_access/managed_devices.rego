# Sign-ins require a managed device: compliant (Intune) or hybrid joined, either one (operator OR).
package posture.controls.managed_devices

import data.posture.lib

metadata := {
	"id": "entra.ca.managed-devices-required",
	"title": "Managed devices are required to sign in",
	"severity": "medium",
	"frameworks": [
		{"framework": "cisa-scuba", "reference": "MS.AAD.3.7v1"},
		{"framework": "cis-m365-v7", "reference": "5.2.2.9"},
	],
	"rationale": "Stolen credentials and tokens are useless from an attacker's own machine when only compliant or joined devices may sign in.",
	"remediation": "Create a Conditional Access policy for All users and All resources that grants access when the device is marked compliant OR is hybrid Microsoft Entra joined, excluding only the emergency-access accounts.",
	"required_collections": ["conditional_access_policies"],
}

# SCuBA's verdict is the control's; CIS judges on its own when it accepts what SCuBA does not
# (a compliant device alone) or reads exclusions as exceptions to review.
scuba := [p | some p in lib.ca_policies; lib.ca_broad(p); lib.ca_requires_managed_device_scuba(p)]

cis := [p | some p in lib.ca_policies; lib.ca_broad(p); lib.ca_requires_managed_device_cis(p)]

# Policies that ask for a managed device but fall short: not broad, another grant control beside
# the device ones, or not the two device options with OR.
near := [p | some p in lib.ca_policies; lib.ca_asks_managed_device(p); not p in scuba]

cis_near := [p | some p in lib.ca_policies; lib.ca_requires_managed_device_cis(p); not p in cis]

what := "requiring a managed device"

cis_result := lib.ca_result(cis, cis_near, what) if {
	count(cis) > 0
} else := lib.cis_exceptions_result(exempted, what) if {
	exempted := [p | some p in cis_near; lib.ca_broad_but_exclusions(p)]
	count(exempted) > 0
} else := lib.ca_result(cis, near, what)

scuba_result := lib.ca_result(scuba, near, what)

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := scuba_result if {
	cis_result.status == scuba_result.status
} else := lib.with_framework(scuba_result, lib.cis_framework, cis_result)
