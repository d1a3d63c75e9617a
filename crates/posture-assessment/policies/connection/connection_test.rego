package posture.controls.connection_test

import data.posture.controls.connection_expiring_secret as secret
import data.posture.testing

# Fixtures' now: 2026-06-01.
with_credential(type, expires_at) := testing.doc_with({"tenant": {"connection": {
	"status": "ok",
	"credential": {"type": type, "id": "cred-1", "expires_at": expires_at},
}}})

test_a_credential_valid_beyond_the_window_passes if {
	r := secret.result with input as with_credential("client_secret", "2026-12-01T00:00:00Z")
	r.status == "pass"
	r.reason == "the client secret Posture uses expires in 183 days (2026-12-01T00:00:00Z)"
}

test_a_secret_expiring_within_thirty_days_fails_with_its_date if {
	r := secret.result with input as with_credential("client_secret", "2026-06-20T00:00:00Z")
	r.status == "fail"
	r.reason == "the client secret Posture uses expires in 19 days (2026-06-20T00:00:00Z), within 30 days"
	r.evidence[0].kind == "credential"
	r.evidence[0].id == "cred-1"
}

test_an_expired_certificate_fails_and_says_syncs_fail if {
	r := secret.result with input as with_credential("certificate", "2026-05-01T00:00:00Z")
	r.status == "fail"
	startswith(r.reason, "the certificate Posture uses expired 31 days ago")
}

test_the_window_is_a_parameter if {
	d := object.union(with_credential("client_secret", "2026-08-01T00:00:00Z"), {"parameters": {"connection_secret_expiry_days": 90}})
	secret.result.status == "fail" with input as d
	secret.result.status == "pass" with input as with_credential("client_secret", "2026-08-01T00:00:00Z")
}

test_an_unread_connection_is_an_error_with_the_reason if {
	d := testing.doc_with({"tenant": {"connection": {"status": "missing", "reason": "the credentials role is unavailable"}}})
	r := secret.result with input as d
	r.status == "error"
	contains(r.reason, "the credentials role is unavailable")
}

test_a_document_without_a_connection_is_an_error if {
	r := secret.result with input as testing.doc({})
	r.status == "error"
}
