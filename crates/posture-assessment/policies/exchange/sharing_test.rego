package posture.controls.exchange_sharing_test

import data.posture.controls.exchange_calendar_not_shared as calendar
import data.posture.controls.exchange_contacts_not_shared as contacts
import data.posture.testing

scuba(r) := f if {
	some f in r.by_framework
	f.framework == "cisa-scuba"
}

policy(enabled, domains) := {"Guid": "sp-1", "Name": "Default Sharing Policy", "Default": true, "Enabled": enabled, "Domains": domains}

doc(p) := testing.doc({"exo_sharing_policies": testing.ok([p])})

free_busy := ["Anonymous:CalendarSharingFreeBusyReviewer", "*:CalendarSharingFreeBusySimple"]

wide := ["*:CalendarSharingFreeBusyReviewer, ContactsSharing"]

test_disabled_default_policy_passes_everything if {
	r := calendar.result with input as doc(policy(false, wide))
	r.status == "pass"
	scuba(r).status == "pass"
	c := contacts.result with input as doc(policy(false, wide))
	c.status == "pass"
}

test_free_busy_with_everyone_passes_scuba_but_fails_cis if {
	r := calendar.result with input as doc(policy(true, free_busy))
	r.status == "fail"
	r.evidence[0].id == "sp-1"
	scuba(r).status == "pass"
	c := contacts.result with input as doc(policy(true, free_busy))
	c.status == "pass"
}

test_details_and_contacts_with_everyone_fail_both if {
	r := calendar.result with input as doc(policy(true, wide))
	scuba(r).status == "fail"
	contains(scuba(r).evidence[0].detail, "CalendarSharingFreeBusyReviewer")
	c := contacts.result with input as doc(policy(true, wide))
	c.status == "fail"
	c.evidence[0].id == "sp-1"
}

test_details_shared_with_one_partner_domain_only_passes_scuba if {
	r := calendar.result with input as doc(policy(true, ["fabrikam.com:CalendarSharingFreeBusyDetail, ContactsSharing"]))
	scuba(r).status == "pass"
	c := contacts.result with input as doc(policy(true, ["fabrikam.com:ContactsSharing"]))
	c.status == "pass"
}

test_unreadable_sharing_policies_are_an_error if {
	r := contacts.result with input as testing.doc({"exo_sharing_policies": testing.missing("no Exchange role")})
	r.status == "error"
}
