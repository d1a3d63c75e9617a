package posture.controls.methods_test

import data.posture.controls.email_otp_disabled as email_otp
import data.posture.controls.methods_migration_complete as migration
import data.posture.controls.weak_methods_disabled as weak
import data.posture.testing

config(id, state) := {"@odata.type": sprintf("#microsoft.graph.%sAuthenticationMethodConfiguration", [lower(id)]), "id": id, "state": state}

methods_policy(migration_state, configurations) := testing.doc({"authentication_methods_policy": testing.ok([{
	"id": "authenticationMethodsPolicy",
	"displayName": "Authentication Methods Policy",
	"policyMigrationState": migration_state,
	"authenticationMethodConfigurations": configurations,
}])})

hardened := methods_policy("migrationComplete", [config("Sms", "disabled"), config("Voice", "disabled"), config("Email", "disabled"), config("Fido2", "enabled")])

test_hardened_methods_policy_passes if {
	weak.result.status == "pass" with input as hardened
	migration.result.status == "pass" with input as hardened
}

test_sms_still_enabled_fails_and_is_named if {
	r := weak.result with input as methods_policy("migrationComplete", [config("Sms", "enabled"), config("Voice", "disabled"), config("Email", "disabled")])
	r.status == "fail"
	[e.id | some e in r.evidence] == ["Sms"]
}

test_absent_configuration_counts_as_not_disabled if {
	r := weak.result with input as methods_policy("migrationComplete", [config("Sms", "disabled"), config("Voice", "disabled")])
	r.status == "fail"
	r.evidence[0].detail == "configuration not present in the policy"
}

test_migration_in_progress_fails if {
	migration.result.status == "fail" with input as methods_policy("migrationInProgress", [])
}

test_unreadable_policy_is_an_error if {
	d := testing.doc({"authentication_methods_policy": testing.missing("403 Authorization_RequestDenied: Policy.Read.All not granted")})
	weak.result.status == "error" with input as d
	migration.result.status == "error" with input as d
}

test_cis_5_2_3_5_is_sms_and_voice_only if {
	r := weak.result with input as methods_policy("migrationComplete", [config("Sms", "disabled"), config("Voice", "disabled"), config("Email", "enabled")])
	r.status == "fail"
	testing.framework_result(r, "cis-m365-v7").status == "pass"
}

test_cis_5_2_3_5_fails_on_voice_and_names_it if {
	r := weak.result with input as methods_policy("migrationComplete", [config("Sms", "disabled"), config("Voice", "enabled"), config("Email", "enabled")])
	r.status == "fail"
	not r.by_framework
	testing.status_for(r, "cis-m365-v7") == "fail"
}

test_cis_5_2_3_7_is_email_otp_disabled if {
	email_otp.result.status == "pass" with input as hardened
	r := email_otp.result with input as methods_policy("migrationComplete", [config("Sms", "enabled"), config("Email", "enabled")])
	r.status == "fail"
	r.evidence[0].id == "Email"
	email_otp.result.status == "fail" with input as methods_policy("migrationComplete", [config("Sms", "disabled")])
	{f.reference | some f in weak.metadata.frameworks} == {"MS.AAD.3.5v2", "5.2.3.5"}
}
