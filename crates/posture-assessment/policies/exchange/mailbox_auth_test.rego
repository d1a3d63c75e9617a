package posture.controls.exchange_mailbox_auth_test

import data.posture.controls.exchange_modern_auth_enabled as modern
import data.posture.controls.exchange_shared_mailbox_sign_in_blocked as shared
import data.posture.testing

mailbox(name, disabled) := {"Guid": name, "Name": name, "UserPrincipalName": sprintf("%s@contoso.com", [name]), "AccountDisabled": disabled}

# --- CIS 1.2.2 ------------------------------------------------------------------------------------

test_shared_mailboxes_with_sign_in_blocked_pass if {
	r := shared.result with input as testing.doc({"exo_shared_mailboxes": testing.ok([mailbox("info", true), mailbox("sales", true)])})
	r.status == "pass"
}

test_a_shared_mailbox_that_can_sign_in_fails_naming_it if {
	r := shared.result with input as testing.doc({"exo_shared_mailboxes": testing.ok([mailbox("info", true), mailbox("sales", false)])})
	r.status == "fail"
	[e.id | some e in r.evidence] == ["sales"]
	contains(r.evidence[0].detail, "sales@contoso.com")
}

# --- CIS 6.5.1 ------------------------------------------------------------------------------------

org(enabled) := {"Guid": "org-1", "Name": "contoso.onmicrosoft.com", "OAuth2ClientProfileEnabled": enabled}

test_modern_auth_on_passes if {
	r := modern.result with input as testing.doc({"exo_organization_config": testing.ok([org(true)])})
	r.status == "pass"
}

test_modern_auth_off_fails if {
	r := modern.result with input as testing.doc({"exo_organization_config": testing.ok([org(false)])})
	r.status == "fail"
	r.evidence[0].detail == "OAuth2ClientProfileEnabled is false"
}

test_modern_auth_without_the_organization_config_is_an_error if {
	r := modern.result with input as testing.doc({"exo_organization_config": testing.missing("no Exchange role")})
	r.status == "error"
}
