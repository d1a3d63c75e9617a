# Service principals of the tenant's own or third-party apps holding high-privilege Microsoft Graph
# application permissions: each one can take over the tenant (directory, roles, app credentials) or
# read and change every mailbox or file without a signed-in user.
package posture.controls.apps_over_privileged

import data.posture.lib

metadata := {
	"id": "posture.apps.over-privileged",
	"title": "No app holds high-privilege Microsoft Graph application permissions",
	"severity": "high",
	"frameworks": [{"framework": "posture", "reference": "posture.apps.over-privileged"}],
	"rationale": "Application permissions act without a user and outside Conditional Access; an app with Directory.ReadWrite.All, RoleManagement.ReadWrite.Directory, Application.ReadWrite.All or AppRoleAssignment.ReadWrite.All can make itself Global Administrator, and one with Mail.ReadWrite or Files.ReadWrite.All reads and changes every mailbox or file. Its credential is then as valuable as a Global Administrator's.",
	"remediation": "For each app: confirm the permission is needed; replace it with a narrower one (Sites.Selected, an Exchange application access policy or RBAC for Applications scope, User.Read.All instead of Directory.ReadWrite.All), then remove the grant under Enterprise applications > the app > Permissions. Remove apps nobody needs.",
	"required_collections": ["service_principals", "graph_app_role_assignments"],
}

# The application permissions the pack treats as high privilege, by name.
high_privilege := {
	"Application.ReadWrite.All",
	"AppRoleAssignment.ReadWrite.All",
	"Directory.ReadWrite.All",
	"Domain.ReadWrite.All",
	"Files.ReadWrite.All",
	"Group.ReadWrite.All",
	"Mail.ReadWrite",
	"Mail.Send",
	"Policy.ReadWrite.ConditionalAccess",
	"RoleManagement.ReadWrite.Directory",
	"Sites.FullControl.All",
	"Sites.ReadWrite.All",
	"User.ReadWrite.All",
	"UserAuthenticationMethod.ReadWrite.All",
}

principals := {sp.id: sp | some sp in lib.items("service_principals")}

# Microsoft's own first-party service principals are out of scope: their grants are Microsoft's.
first_party(sp) if sp.appOwnerOrganizationId in lib.microsoft_tenants

publisher(sp) := "Microsoft" if {
	first_party(sp)
} else := "this tenant" if {
	sp.appOwnerOrganizationId == input.tenant.id
} else := sprintf("third party (tenant %s)", [sp.appOwnerOrganizationId]) if {
	is_string(sp.appOwnerOrganizationId)
} else := "unknown publisher"

grants := [{"principal": g.principalId, "name": n, "sp": object.get(principals, g.principalId, {})} |
	some g in lib.items("graph_app_role_assignments")
	object.get(g, "principalType", "ServicePrincipal") == "ServicePrincipal"
	n := lib.graph_permission_name(g.appRoleId)
	n in high_privilege
	not first_party(object.get(principals, g.principalId, {}))
]

findings := [lib.evidence("servicePrincipal", g.principal, label(g), sprintf("%s (Microsoft Graph application permission); publisher: %s", [g.name, publisher(g.sp)])) |
	some g in grants
]

label(g) := g.sp.displayName if is_string(g.sp.displayName) else := g.principal

apps := {g.principal | some g in grants}

result := r if {
	r := lib.error_for(metadata.required_collections)
} else := lib.result("fail", sprintf("%d apps hold %d high-privilege Microsoft Graph application permissions: %s", [count(apps), count(grants), concat(", ", sort({sprintf("%s (%s)", [label(g), g.name]) | some g in grants}))]), findings) if {
	count(grants) > 0
} else := lib.result("pass", sprintf("no app outside Microsoft's own holds a high-privilege Microsoft Graph application permission (%d granted permissions checked)", [count(lib.items("graph_app_role_assignments"))]), [])
