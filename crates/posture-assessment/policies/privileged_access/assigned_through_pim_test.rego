package posture.controls.assigned_through_pim_test

import data.posture.controls.assigned_through_pim as control
import data.posture.testing

schedule(id, principal, created_using, start) := {
	"id": id,
	"principalId": principal,
	"roleDefinitionId": testing.global_admin,
	"directoryScopeId": "/",
	"createdUsing": created_using,
	"createdDateTime": "2025-01-01T00:00:00Z",
	"status": "Provisioned",
	"memberType": "Direct",
	"assignmentType": "Assigned",
	"scheduleInfo": {"startDateTime": start, "recurrence": null, "expiration": {"type": "noExpiration", "endDateTime": null, "duration": null}},
}

with_schedules(list) := testing.doc({"role_assignment_schedules": testing.ok(list)})

test_assignments_made_through_pim_pass if {
	control.result.status == "pass" with input as with_schedules([schedule("s1", "u1", "req-1", "2025-01-01T00:00:00Z")])
}

test_assignment_without_a_pim_request_fails if {
	r := control.result with input as with_schedules([schedule("s1", "u1", null, "2025-01-01T00:00:00Z")])
	r.status == "fail"
	r.evidence[0].id == "s1"
	r.evidence[0].kind == "unifiedRoleAssignmentSchedule"
	contains(r.evidence[0].detail, "Global Administrator")
}

test_assignment_without_a_schedule_start_fails if {
	control.result.status == "fail" with input as with_schedules([schedule("s1", "u1", "req-1", null)])
}

test_emergency_accounts_are_not_exempt if {
	control.result.status == "fail" with input as with_schedules([schedule("s1", testing.emergency_accounts[0], null, null)])
}

test_unprivileged_roles_are_ignored if {
	s := object.union(schedule("s1", "u1", null, null), {"roleDefinitionId": "729827e3-9c14-49f7-bb1b-9608f156bbb8"})
	control.result.status == "pass" with input as with_schedules([s])
}

test_custom_definition_resolves_to_its_template if {
	s := object.union(schedule("s1", "u1", null, null), {"roleDefinitionId": "tenant-def"})
	doc := testing.doc({
		"role_assignment_schedules": testing.ok([s]),
		"role_definitions": testing.ok([{"id": "tenant-def", "templateId": testing.user_admin, "displayName": "User Administrator"}]),
	})
	control.result.status == "fail" with input as doc
}

test_without_p2_fails_requiring_p2 if {
	r := control.result with input as testing.doc_with(testing.without_p2)
	r.status == "fail"
	contains(r.reason, "requires Microsoft Entra ID P2")
}

test_unreadable_schedules_are_an_error if {
	r := control.result with input as testing.doc({"role_assignment_schedules": testing.missing("403 Authorization_RequestDenied: RoleAssignmentSchedule.Read.Directory not granted")})
	r.status == "error"
	contains(r.reason, "RoleAssignmentSchedule.Read.Directory")
}
