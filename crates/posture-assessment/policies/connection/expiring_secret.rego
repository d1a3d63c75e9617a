# The client secret or certificate Posture reads the tenant with expires within
# `connection_secret_expiry_days` (default 30, the credentials role's warning window) or has
# expired. The expiry is the one registered with the connection (Azure does not let an app read
# its own secret's expiry in a customer tenant), as `input.tenant.connection`.
package posture.controls.connection_expiring_secret

import data.posture.lib

metadata := {
	"id": "posture.connection.expiring-secret",
	"title": "The credential Posture reads the tenant with is not about to expire",
	"severity": "high",
	"frameworks": [{"framework": "posture", "reference": "posture.connection.expiring-secret"}],
	"rationale": "When the client secret or certificate of the app registration Posture uses expires, every sync fails with an authentication error and the tenant stops being assessed until someone notices.",
	"remediation": "Entra admin center > App registrations > the app Posture uses > Certificates & secrets: add a new certificate (preferred) or client secret, store it with `posture tenants update-credentials TENANT`, and delete the old one after the next successful sync.",
	"required_collections": [],
}

days := lib.param("connection_secret_expiry_days", 30)

connection := object.get(input.tenant, "connection", {"status": "missing", "reason": "the connection was not read"})

credential := connection.credential if connection.status == "ok"

label := "certificate" if {
	credential.type == "certificate"
} else := "client secret"

left := floor((lib.ts(credential.expires_at) - lib.now_ns) / lib.day_ns)

evidence := [lib.evidence("credential", object.get(credential, "id", "connection"), sprintf("the connection's %s", [label]), sprintf("expires %s", [credential.expires_at]))]

result := lib.result("error", sprintf("the connection could not be read: %s", [object.get(connection, "reason", "unknown")]), []) if {
	connection.status != "ok"
} else := lib.result("error", "the connection records no credential expiry", []) if {
	not credential.expires_at
} else := lib.result("fail", sprintf("the %s Posture uses expired %d days ago (%s): syncs fail until it is replaced", [label, 0 - left, credential.expires_at]), evidence) if {
	left < 0
} else := lib.result("fail", sprintf("the %s Posture uses expires in %d days (%s), within %d days", [label, left, credential.expires_at, days]), evidence) if {
	left <= days
} else := lib.result("pass", sprintf("the %s Posture uses expires in %d days (%s)", [label, left, credential.expires_at]), [])
