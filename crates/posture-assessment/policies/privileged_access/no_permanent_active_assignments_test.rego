package posture.controls.no_permanent_active_assignments_test

import data.posture.controls.no_permanent_active_assignments as control
import data.posture.testing

instance(id, principal, assignment_type, end) := {
	"id": id,
	"principalId": principal,
	"roleDefinitionId": testing.global_admin,
	"directoryScopeId": "/",
	"assignmentType": assignment_type,
	"memberType": "Direct",
	"startDateTime": "2025-01-01T00:00:00Z",
	"endDateTime": end,
}

with_instances(list) := testing.doc({"role_assignment_instances": testing.ok(list)})

test_passes_when_admins_only_activate_time_bound if {
	control.result.status == "pass" with input as with_instances([instance("i1", "u1", "Activated", "2026-06-01T08:00:00Z")])
}

test_fails_for_permanent_active_assignment if {
	r := control.result with input as with_instances([instance("i1", "u1", "Assigned", null)])
	r.status == "fail"
	r.evidence[0].id == "i1"
	contains(r.evidence[0].detail, "Global Administrator")
}

test_time_bound_active_assignment_passes if {
	control.result.status == "pass" with input as with_instances([instance("i1", "u1", "Assigned", "2026-12-31T00:00:00Z")])
}

test_emergency_access_accounts_may_hold_permanent_assignments if {
	control.result.status == "pass" with input as with_instances([instance("i1", testing.emergency_accounts[0], "Assigned", null)])
}

test_custom_role_definition_resolves_to_its_template if {
	i := object.union(instance("i1", "u1", "Assigned", null), {"roleDefinitionId": "tenant-specific-def"})
	doc := testing.doc({
		"role_assignment_instances": testing.ok([i]),
		"role_definitions": testing.ok([{"id": "tenant-specific-def", "templateId": testing.user_admin, "displayName": "User Administrator"}]),
	})
	control.result.status == "fail" with input as doc
}

test_licence_missing_fails_requires_entra_id_p2 if {
	r := control.result with input as testing.doc_with(testing.without_p2)
	r.status == "fail"
	contains(r.reason, "requires Microsoft Entra ID P2")
}

test_error_when_instances_could_not_be_read if {
	r := control.result with input as testing.doc({"role_assignment_instances": testing.missing("403 Authorization_RequestDenied: RoleAssignmentSchedule.Read.Directory not granted")})
	r.status == "error"
	contains(r.reason, "RoleAssignmentSchedule.Read.Directory")
}
