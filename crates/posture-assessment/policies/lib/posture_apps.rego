# Loaded after posture.rego (file order): regorus resolves some rules of posture.lib wrongly when
# another module of the package comes first (global_admin_count_test shows it).
# Shared rules of the app registration and service principal controls: credentials with their
# lifetimes and days left, Graph application permissions resolved to names, app management policy
# restrictions and ISO 8601 durations.
package posture.lib

# Microsoft Graph's appId, the resource of every application permission the pack names.
graph_app_id := "00000003-0000-0000-c000-000000000000"

# Tenants that own Microsoft's first-party service principals.
microsoft_tenants := {"f8cdef31-a31e-4b4a-93e4-5f571e91255a", "72f988bf-86f1-41af-91ab-2d7cd011db47"}

app_label(a) := a.displayName if {
	is_string(a.displayName)
} else := a.appId if {
	is_string(a.appId)
} else := a.id

# Each secret (passwordCredentials) and certificate (keyCredentials) of an app registration or
# service principal, with a label naming it by display name, hint and keyId (never a value).
app_credentials(a) := array.concat(
	[credential("secret", c) | some c in list(a, ["passwordCredentials"])],
	[credential("certificate", c) | some c in list(a, ["keyCredentials"])],
)

credential(kind, c) := {
	"type": kind,
	"key_id": str(c, ["keyId"]),
	"label": credential_label(kind, c),
	"start": object.get(c, "startDateTime", null),
	"end": object.get(c, "endDateTime", null),
}

credential_label(kind, c) := sprintf("%s '%s' (hint %s…, keyId %s)", [kind, credential_name(c), c.hint, str(c, ["keyId"])]) if {
	kind == "secret"
	is_string(c.hint)
} else := sprintf("%s '%s' (keyId %s)", [kind, credential_name(c), str(c, ["keyId"])])

credential_name(c) := c.displayName if {
	is_string(c.displayName)
	c.displayName != ""
} else := "unnamed"

# Whole days from now until a credential ends (negative once expired); undefined without a date.
days_left(c) := floor((ts(c.end) - now_ns) / day_ns)

# Whole days between a credential's start and end; undefined without both dates.
lifetime_days(c) := floor((ts(c.end) - ts(c.start)) / day_ns)

# --- Graph application permissions ---------------------------------------------------------------

graph_service_principal := sp if {
	some sp in items("service_principals")
	sp.appId == graph_app_id
}

# Published ids of the application permissions the pack names, for tenants whose Graph service
# principal (and its appRoles) was not read.
graph_permission_ids := {
	"1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9": "Application.ReadWrite.All",
	"06b708a9-e830-4db3-a914-8e69da51d44f": "AppRoleAssignment.ReadWrite.All",
	"19dbc75e-c2e2-444c-a770-ec69d8559fc7": "Directory.ReadWrite.All",
	"7e05723c-0bb0-42da-be95-ae9f08a6e53c": "Domain.ReadWrite.All",
	"75359482-378d-4052-8f01-80520e7db3cd": "Files.ReadWrite.All",
	"62a82d76-70ea-41e2-9197-370581804d09": "Group.ReadWrite.All",
	"e2a3a72e-5f79-4c64-b1b1-878b674786c9": "Mail.ReadWrite",
	"b633e1c5-b582-4048-a93e-9f11b44c7e96": "Mail.Send",
	"01c0a623-fc9b-48e9-b794-0756f8e8f067": "Policy.ReadWrite.ConditionalAccess",
	"9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8": "RoleManagement.ReadWrite.Directory",
	"a82116e5-55eb-4c41-a434-62fe8a61c773": "Sites.FullControl.All",
	"9492366f-7969-46a4-8d15-ed1a20078fff": "Sites.ReadWrite.All",
	"50483e42-d915-4231-9639-7fdb7fd190e5": "UserAuthenticationMethod.ReadWrite.All",
	"741f803b-c850-494e-b5df-cde7c675a1ca": "User.ReadWrite.All",
}

# The name of a Graph app role: from Graph's service principal as synced, else the pack's table,
# else the id itself.
graph_permission_name(role_id) := n if {
	some r in list(graph_service_principal, ["appRoles"])
	r.id == role_id
	n := r.value
	is_string(n)
} else := graph_permission_ids[role_id] if {
	graph_permission_ids[role_id]
} else := role_id

# --- app management policy -----------------------------------------------------------------------

app_policy := singleton("default_app_management_policy")

app_policy_enabled if app_policy.isEnabled == true

# The application restriction of `type` (passwordAddition, passwordLifetime, asymmetricKeyLifetime...)
# under `credentials` (passwordCredentials or keyCredentials), when the policy is on and it is enabled.
app_restriction(credentials, type) := r if {
	app_policy_enabled
	some r in list(app_policy, ["applicationRestrictions", credentials])
	r.restrictionType == type
	r.state == "enabled"
}

app_policy_evidence(detail) := evidence(
	"tenantAppManagementPolicy",
	object.get(app_policy, "id", "defaultAppManagementPolicy"),
	object.get(app_policy, "displayName", "Default app management tenant policy"),
	detail,
)

# Days in an ISO 8601 duration (P180D, P1Y, P4DT12H30M5S); years count 365 days and months 30.
# Undefined for anything else.
duration_days(s) := d if {
	is_string(s)
	m := regex.find_all_string_submatch_n(`^P(?:([0-9]+)Y)?(?:([0-9]+)M)?(?:([0-9]+)W)?(?:([0-9]+)D)?(?:T(?:([0-9]+)H)?(?:([0-9]+)M)?(?:([0-9.]+)S)?)?$`, s, 1)
	count(m) == 1
	g := m[0]
	s != "P"
	whole := (((duration_part(g, 1) * 365) + (duration_part(g, 2) * 30)) + (duration_part(g, 3) * 7)) + duration_part(g, 4)
	d := ((whole + (duration_part(g, 5) / 24)) + (duration_part(g, 6) / 1440)) + (duration_part(g, 7) / 86400)
}

duration_part(g, i) := 0 if {
	count(g) <= i
} else := 0 if {
	g[i] == ""
} else := to_number(g[i])
