package posture.controls.sharepoint_sharing_test

import data.posture.controls.onedrive_sync_unmanaged_blocked as sync
import data.posture.controls.sharepoint_external_sharing_restricted as sharing
import data.posture.controls.sharepoint_guest_resharing_blocked as resharing
import data.posture.controls.sharepoint_sharing_domains_allow_list as domains
import data.posture.testing

with_settings(s) := testing.doc({"sharepoint_settings": testing.ok([s])})

scuba(r) := f if {
	some f in r.by_framework
	f.framework == "cisa-scuba"
}

# --- 7.2.3 / MS.SHAREPOINT.1.1v1 ------------------------------------------------------------------

test_anyone_links_fail_both_frameworks if {
	r := sharing.result with input as with_settings({"sharingCapability": "externalUserAndGuestSharing"})
	r.status == "fail"
	r.evidence[0].id == "admin/sharepoint/settings"
	contains(r.evidence[0].detail, "externalUserAndGuestSharing")
	scuba(r).status == "fail"
}

test_new_and_existing_guests_pass_cis_but_fail_scuba if {
	r := sharing.result with input as with_settings({"sharingCapability": "externalUserSharingOnly"})
	r.status == "pass"
	scuba(r).status == "fail"
	contains(scuba(r).reason, "externalUserSharingOnly")
}

test_existing_guests_only_pass_both if {
	r := sharing.result with input as with_settings({"sharingCapability": "existingExternalUserSharingOnly"})
	r.status == "pass"
	scuba(r).status == "pass"
}

test_sharing_disabled_passes_both if {
	r := sharing.result with input as with_settings({"value": {"sharingCapability": "disabled"}})
	r.status == "pass"
	scuba(r).status == "pass"
}

test_absent_capability_fails if {
	r := sharing.result with input as with_settings({})
	r.status == "fail"
	contains(r.evidence[0].detail, "absent")
}

test_unreadable_settings_are_an_error if {
	r := sharing.result with input as testing.doc({"sharepoint_settings": testing.missing("403 accessDenied: SharePointTenantSettings.Read.All not granted")})
	r.status == "error"
	contains(r.reason, "SharePointTenantSettings.Read.All")
}

test_settings_synced_empty_are_an_error if {
	r := resharing.result with input as testing.doc({"sharepoint_settings": testing.ok([])})
	r.status == "error"
}

# --- 7.2.5 ----------------------------------------------------------------------------------------

test_resharing_off_passes if {
	resharing.result.status == "pass" with input as with_settings({"isResharingByExternalUsersEnabled": false})
}

test_resharing_on_fails if {
	r := resharing.result with input as with_settings({"isResharingByExternalUsersEnabled": true})
	r.status == "fail"
	contains(r.evidence[0].detail, "true")
}

test_resharing_absent_fails if {
	resharing.result.status == "fail" with input as with_settings({"sharingCapability": "disabled"})
}

# --- 7.2.6 ----------------------------------------------------------------------------------------

test_allow_list_with_domains_passes if {
	r := domains.result with input as with_settings({"sharingDomainRestrictionMode": "allowList", "sharingAllowedDomainList": ["partner.example"]})
	r.status == "pass"
	contains(r.reason, "partner.example")
}

test_empty_allow_list_fails if {
	domains.result.status == "fail" with input as with_settings({"sharingDomainRestrictionMode": "allowList", "sharingAllowedDomainList": []})
}

test_block_list_is_not_an_allow_list if {
	r := domains.result with input as with_settings({"sharingDomainRestrictionMode": "blockList", "sharingBlockedDomainList": ["evil.example"]})
	r.status == "fail"
	contains(r.evidence[0].detail, "blockList")
}

test_no_domain_restriction_fails if {
	domains.result.status == "fail" with input as with_settings({"sharingDomainRestrictionMode": "none"})
}

# --- 7.3.2 ----------------------------------------------------------------------------------------

test_sync_limited_to_joined_computers_passes if {
	sync.result.status == "pass" with input as with_settings({"isUnmanagedSyncAppForTenantRestricted": true, "allowedDomainGuidsForSyncApp": ["6b3a4f4e-9a5d-4c1b-8f8e-0a9d2f1c7e55"]})
}

test_sync_restricted_without_domains_fails if {
	sync.result.status == "fail" with input as with_settings({"isUnmanagedSyncAppForTenantRestricted": true, "allowedDomainGuidsForSyncApp": []})
}

test_sync_unrestricted_fails if {
	r := sync.result with input as with_settings({"isUnmanagedSyncAppForTenantRestricted": false})
	r.status == "fail"
	r.evidence[0].kind == "sharepointSettings"
}
