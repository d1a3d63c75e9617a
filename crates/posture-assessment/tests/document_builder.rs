//! The tenant document builder: licences from service plans, privileged principals expanded through
//! role-assignable groups, emergency-access groups, and collection statuses.

mod common;

use chrono::{TimeZone, Utc};
use common::*;
use posture_assessment::{Collection, CollectionKind, TenantDocument, TenantDocumentBuilder};
use serde_json::{Value, json};

fn builder() -> TenantDocumentBuilder {
    TenantDocumentBuilder::new("tenant-1", "Contoso").now(
        Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0)
            .single()
            .expect("valid instant"),
    )
}

fn licences(skus: Vec<Value>) -> Value {
    let document = builder()
        .collection(CollectionKind::SubscribedSkus, Collection::ok(skus))
        .build();
    document.as_json()["tenant"]["licences"].clone()
}

#[test]
fn p2_service_plan_grants_both_p1_and_p2() {
    let licences = licences(vec![sku("EMSPREMIUM", "Enabled", &[AAD_PREMIUM_P2, INTUNE_A])]);
    assert_eq!(
        licences,
        json!({"known": true, "p1": true, "p2": true, "intune": true, "defender": false})
    );
}

#[test]
fn suspended_subscriptions_grant_nothing_but_warning_ones_still_do() {
    let licences = licences(vec![
        sku("AAD_PREMIUM_P2", "Suspended", &[AAD_PREMIUM_P2]),
        sku("AAD_PREMIUM", "Warning", &[AAD_PREMIUM_P1]),
        sku("MDATP_XPLAT", "Enabled", &[MDE_P1]),
    ]);
    assert_eq!(
        licences,
        json!({"known": true, "p1": true, "p2": false, "intune": false, "defender": true})
    );
}

#[test]
fn disabled_service_plan_inside_an_active_sku_does_not_count() {
    let mut sku = sku("SPE_E5", "Enabled", &[AAD_PREMIUM_P2]);
    sku["servicePlans"][0]["provisioningStatus"] = json!("Disabled");
    assert_eq!(licences(vec![sku])["p2"], json!(false));
}

#[test]
fn licences_are_unknown_when_subscribed_skus_could_not_be_read() {
    let document = builder()
        .collection(
            CollectionKind::SubscribedSkus,
            Collection::missing("403 Authorization_RequestDenied: Organization.Read.All not granted"),
        )
        .build();
    let json = document.as_json();
    assert_eq!(json["tenant"]["licences"]["known"], json!(false));
    assert_eq!(json["collections"]["subscribed_skus"]["status"], json!("missing"));
    assert_eq!(
        json["collections"]["subscribed_skus"]["reason"],
        json!("403 Authorization_RequestDenied: Organization.Read.All not granted")
    );
}

#[test]
fn kinds_never_collected_are_missing_as_not_synced() {
    let document = builder().build();
    for kind in CollectionKind::ALL {
        let collection = &document.as_json()["collections"][kind.key()];
        assert_eq!(collection["status"], json!("missing"), "{}", kind.key());
        assert_eq!(collection["reason"], json!("not synced"), "{}", kind.key());
        assert_eq!(CollectionKind::from_key(kind.key()), Some(kind));
    }
}

fn privileged_document() -> TenantDocument {
    privileged_builder().build()
}

fn privileged_builder() -> TenantDocumentBuilder {
    builder()
        .collection(
            CollectionKind::Users,
            Collection::ok(vec![
                user("alice", "2026-05-30T00:00:00Z"),
                user("bob", "2026-05-30T00:00:00Z"),
                user("carol", "2026-05-30T00:00:00Z"),
                user("dave", "2026-05-30T00:00:00Z"),
            ]),
        )
        .collection(
            CollectionKind::UserRegistrationDetails,
            Collection::ok(vec![registration("alice", true), registration("bob", false)]),
        )
        .collection(
            CollectionKind::Groups,
            Collection::ok(vec![
                role_assignable_group("grp-global-admins", &["bob", "carol"]),
                json!({"id": "grp-unsynced", "displayName": "Tier 0", "isAssignableToRole": true}),
            ]),
        )
        .collection(
            CollectionKind::RoleDefinitions,
            Collection::ok(vec![json!({
                "id": "custom-def-1", "templateId": USER_ADMIN, "displayName": "User Administrator", "isBuiltIn": true,
            })]),
        )
        .collection(
            CollectionKind::RoleAssignments,
            Collection::ok(vec![
                role_assignment("ra-1", "alice", GLOBAL_ADMIN),
                role_assignment("ra-2", "grp-global-admins", GLOBAL_ADMIN),
                role_assignment("ra-3", "grp-unsynced", GLOBAL_ADMIN),
                role_assignment("ra-4", "dave", "custom-def-1"),
            ]),
        )
        .collection(
            CollectionKind::RoleEligibilityInstances,
            Collection::ok(vec![eligibility("re-1", "alice", GLOBAL_ADMIN)]),
        )
}

#[test]
fn collections_outside_items_read_drop_their_items_but_not_the_facts_derived_from_them() {
    let full = privileged_document().into_json();
    let lean = privileged_builder()
        .items_read(["role_assignments"])
        .build()
        .into_json();
    assert_eq!(lean["derived"], full["derived"]);
    assert_eq!(lean["tenant"], full["tenant"]);
    assert_eq!(lean["collections"]["users"]["items"], json!([]));
    assert_eq!(lean["collections"]["users"]["status"], json!("ok"));
    assert_eq!(
        lean["collections"]["user_registration_details"]["items"],
        json!([])
    );
    assert_eq!(
        lean["collections"]["role_assignments"],
        full["collections"]["role_assignments"]
    );
    assert_eq!(
        full["collections"]["users"]["items"].as_array().map(Vec::len),
        Some(4)
    );
}

#[test]
fn users_keep_only_the_documented_properties() {
    let mut synced = user("alice", "2026-05-30T00:00:00Z");
    synced["department"] = json!("Finance");
    synced["businessPhones"] = json!(["+1 555 0100"]);
    let document = builder()
        .collection(CollectionKind::Users, Collection::ok(vec![synced]))
        .build()
        .into_json();
    let kept = &document["collections"]["users"]["items"][0];
    assert!(kept.get("department").is_none() && kept.get("businessPhones").is_none());
    let fields = CollectionKind::Users.fields().expect("users are projected");
    let object = kept.as_object().expect("a user object");
    assert!(object.keys().all(|k| fields.contains(&k.as_str())));
    assert_eq!(kept["id"], json!("alice"));
    assert!(kept["signInActivity"].is_object());
}

fn members_for(document: &TenantDocument, principal: &str) -> Vec<Value> {
    document.as_json()["derived"]["role_members"]
        .as_array()
        .expect("role_members is an array")
        .iter()
        .filter(|m| m["principal_id"] == json!(principal))
        .cloned()
        .collect()
}

#[test]
fn members_of_role_assignable_groups_inherit_the_groups_role() {
    let document = privileged_document();
    let carol = members_for(&document, "carol");
    assert_eq!(carol.len(), 1);
    assert_eq!(carol[0]["role_template_id"], json!(GLOBAL_ADMIN));
    assert_eq!(carol[0]["role_display_name"], json!("Global Administrator"));
    assert_eq!(carol[0]["via_group"], json!("grp-global-admins"));
    assert_eq!(carol[0]["principal_type"], json!("user"));

    let group = members_for(&document, "grp-global-admins");
    assert_eq!(group[0]["principal_type"], json!("group"));
    assert_eq!(group[0]["members_known"], json!(true));
}

#[test]
fn group_without_synced_members_stays_the_principal_and_says_so() {
    let document = privileged_document();
    let group = members_for(&document, "grp-unsynced");
    assert_eq!(group.len(), 1);
    assert_eq!(group[0]["members_known"], json!(false));
}

#[test]
fn active_and_eligible_assignments_are_kept_apart() {
    let document = privileged_document();
    let mut kinds: Vec<String> = members_for(&document, "alice")
        .iter()
        .map(|m| m["assignment"].as_str().unwrap_or_default().to_string())
        .collect();
    kinds.sort();
    assert_eq!(kinds, ["active", "eligible"]);
}

#[test]
fn privileged_users_carry_their_raw_user_registration_and_roles() {
    let document = privileged_document();
    let privileged = &document.as_json()["derived"]["privileged_users"];
    let mut ids: Vec<&String> = privileged.as_object().expect("object").keys().collect();
    ids.sort();
    assert_eq!(ids, ["alice", "bob", "carol", "dave"]);

    assert_eq!(
        privileged["bob"]["user"]["userPrincipalName"],
        json!("bob@contoso.example")
    );
    assert_eq!(privileged["bob"]["registration"]["isMfaCapable"], json!(false));
    assert_eq!(privileged["carol"]["registration"], Value::Null);
    assert_eq!(privileged["alice"]["assignments"], json!(["active", "eligible"]));
    // The custom definition id resolves to the User Administrator template.
    assert_eq!(privileged["dave"]["roles"], json!([USER_ADMIN]));
}

#[test]
fn groups_holding_only_emergency_accounts_are_listed() {
    let document = builder()
        .emergency_access_accounts(["bg-1", "bg-2"])
        .collection(
            CollectionKind::Groups,
            Collection::ok(vec![
                role_assignable_group("grp-breakglass", &["bg-1", "bg-2"]),
                role_assignable_group("grp-mixed", &["bg-1", "someone"]),
                role_assignable_group("grp-empty", &[]),
            ]),
        )
        .build();
    assert_eq!(
        document.as_json()["derived"]["emergency_access_groups"],
        json!(["grp-breakglass"])
    );
}

#[test]
fn parameters_default_and_can_be_overridden_per_tenant() {
    let document = builder().parameter("stale_days", 30).build();
    let parameters = &document.as_json()["parameters"];
    assert_eq!(parameters["stale_days"], json!(30));
    assert_eq!(parameters["mfa_coverage_threshold"], json!(0.95));
    assert_eq!(document.as_json()["now"], json!("2026-06-01T00:00:00Z"));
}

#[test]
fn document_from_json_requires_a_tenant_id() {
    assert!(TenantDocument::from_json(json!({"collections": {}})).is_err());
    let document = TenantDocument::from_json(json!({"tenant": {"id": "t-9"}})).expect("valid");
    assert_eq!(document.tenant_id(), "t-9");
}

fn accounts(users: Vec<Value>, registrations: Vec<Value>) -> Value {
    let document = builder()
        .collection(CollectionKind::Users, Collection::ok(users))
        .collection(
            CollectionKind::UserRegistrationDetails,
            Collection::ok(registrations),
        )
        .build();
    document.as_json()["derived"]["accounts"].clone()
}

#[test]
fn member_facts_take_the_latest_of_the_three_sign_in_timestamps() {
    let mut alice = user("alice", "2026-01-01T00:00:00Z");
    alice["signInActivity"]["lastNonInteractiveSignInDateTime"] = json!("2026-05-30T12:00:00.1234567Z");
    let facts = accounts(vec![alice], vec![registration("alice", true)]);
    let alice = &facts["members"][0];
    assert_eq!(alice["inactive_since_at"], json!("2026-05-30T12:00:00.1234567Z"));
    assert_eq!(alice["inactive_since"], json!(1_780_142_400));
    assert_eq!(alice["inactive_basis"], json!("last sign-in"));
    assert_eq!(alice["label"], json!("alice@contoso.example"));
    assert_eq!(alice["mfa_capable"], json!(true));
    assert_eq!(alice["emergency_access"], json!(false));
    assert!(
        alice.get("methods").is_none(),
        "methods are only kept for incapable members"
    );
    assert_eq!(facts["sign_in_activity_synced"], json!(true));
}

#[test]
fn member_who_never_signed_in_is_inactive_since_creation() {
    let mut frank = user("frank", "2026-01-01T00:00:00Z");
    frank["signInActivity"] = json!({"lastSignInDateTime": null, "lastNonInteractiveSignInDateTime": null});
    let facts = accounts(vec![frank], Vec::new());
    let frank = &facts["members"][0];
    assert_eq!(frank["inactive_since_at"], json!("2024-01-01T00:00:00Z"));
    assert_eq!(frank["inactive_basis"], json!("never signed in; created"));
}

#[test]
fn incapable_member_keeps_registered_methods_and_missing_row_is_unknown() {
    let mut sms_only = registration("bob", false);
    sms_only["methodsRegistered"] = json!(["mobilePhone"]);
    let facts = accounts(
        vec![
            user("bob", "2026-05-01T00:00:00Z"),
            user("carol", "2026-05-01T00:00:00Z"),
        ],
        vec![sms_only],
    );
    assert_eq!(facts["members"][0]["mfa_capable"], json!(false));
    assert_eq!(facts["members"][0]["methods"], json!(["mobilePhone"]));
    assert_eq!(facts["members"][1]["mfa_capable"], Value::Null);
}

#[test]
fn emergency_access_accounts_are_flagged() {
    let document = builder()
        .emergency_access_accounts(["bg-1"])
        .collection(
            CollectionKind::Users,
            Collection::ok(vec![
                user("bg-1", "2025-01-01T00:00:00Z"),
                user("alice", "2026-05-01T00:00:00Z"),
            ]),
        )
        .build();
    let members = &document.as_json()["derived"]["accounts"]["members"];
    assert_eq!(members[0]["emergency_access"], json!(true));
    assert_eq!(members[1]["emergency_access"], json!(false));
}

#[test]
fn disabled_accounts_get_no_facts_and_pending_guests_are_judged_on_the_invitation() {
    let mut disabled = user("carol", "2026-05-01T00:00:00Z");
    disabled["accountEnabled"] = json!(false);
    let mut guest = user("guest-1", "2026-05-01T00:00:00Z");
    guest["userType"] = json!("Guest");
    guest["externalUserState"] = json!("PendingAcceptance");
    guest["externalUserStateChangeDateTime"] = json!("2026-02-01T00:00:00Z");
    let facts = accounts(vec![disabled, guest], Vec::new());
    assert_eq!(facts["members"], json!([]));
    let guest = &facts["guests"][0];
    assert_eq!(guest["id"], json!("guest-1"));
    assert_eq!(guest["pending_since_at"], json!("2026-02-01T00:00:00Z"));
    assert!(guest.get("inactive_since").is_none());
}

#[test]
fn sign_in_activity_not_selected_leaves_inactivity_absent() {
    let mut dave = user("dave", "2026-05-01T00:00:00Z");
    if let Some(fields) = dave.as_object_mut() {
        fields.remove("signInActivity");
    }
    let facts = accounts(vec![dave], Vec::new());
    assert_eq!(facts["sign_in_activity_synced"], json!(false));
    assert!(facts["members"][0].get("inactive_since").is_none());
}

#[test]
fn unparsable_sign_in_timestamps_fall_back_to_creation() {
    let facts = accounts(vec![user("erin", "last tuesday")], Vec::new());
    assert_eq!(
        facts["members"][0]["inactive_basis"],
        json!("never signed in; created")
    );
}

#[test]
fn sign_in_activity_collection_is_merged_onto_users_by_id() {
    let users = vec![
        json!({"id": "u1", "accountEnabled": true, "userType": "Member", "userPrincipalName": "a@contoso.test"}),
        json!({"id": "u2", "accountEnabled": true, "userType": "Member", "userPrincipalName": "b@contoso.test"}),
    ];
    let activity =
        vec![json!({"id": "u1", "signInActivity": {"lastSignInDateTime": "2026-05-30T10:00:00Z"}})];
    let document = builder()
        .collection(CollectionKind::Users, Collection::ok(users))
        .collection(CollectionKind::UserSignInActivity, Collection::ok(activity))
        .build();
    let json = document.as_json();
    let users = json["collections"]["users"]["items"].as_array().expect("users");
    assert_eq!(
        users[0]["signInActivity"]["lastSignInDateTime"],
        json!("2026-05-30T10:00:00Z")
    );
    assert!(users[1].get("signInActivity").is_none());
    assert_eq!(
        json["collections"]["user_sign_in_activity"]["status"],
        json!("ok")
    );
    assert_eq!(json["collections"]["user_sign_in_activity"]["items"], json!([]));
    assert_eq!(
        json["derived"]["accounts"]["sign_in_activity_synced"],
        json!(true)
    );
}

#[test]
fn stale_accounts_error_names_why_sign_in_activity_is_missing() {
    let users = vec![json!({"id": "u1", "accountEnabled": true, "userType": "Member"})];
    let reason = "403 Authentication_RequestFromNonPremiumTenantOrB2CTenant: Entra ID P1 required";
    let document = builder()
        .collection(CollectionKind::Users, Collection::ok(users))
        .collection(CollectionKind::UserSignInActivity, Collection::missing(reason))
        .build();
    let assessment =
        posture_assessment::Engine::evaluate(&posture_assessment::PolicyPack::builtin(), &document);
    let stale = assessment
        .result("posture.accounts.stale")
        .expect("stale accounts evaluated");
    assert_eq!(stale.status, posture_assessment::Status::Error);
    assert!(stale.reason.contains(reason), "{}", stale.reason);
}

#[test]
fn every_synced_kind_has_a_collection_in_the_document() {
    for kind in posture_sync::kinds::ALL {
        assert!(
            CollectionKind::from_key(kind.name).is_some(),
            "{} is synced but the tenant document has no collection for it",
            kind.name
        );
    }
}

#[test]
fn configuration_singletons_are_one_element_lists_under_their_keys() {
    let default = json!({"id": "cross_tenant_access_default", "isServiceDefault": false,
        "inboundTrust": {"isMfaAccepted": true}});
    let device = json!({"id": "deviceRegistrationPolicy", "multiFactorAuthConfiguration": "required",
        "azureADJoin": {"localAdmins": {"enableGlobalAdmins": true}}});
    let document = builder()
        .collection(
            CollectionKind::CrossTenantAccessDefault,
            Collection::ok(vec![default.clone()]),
        )
        .collection(
            CollectionKind::DeviceRegistrationPolicy,
            Collection::ok(vec![device.clone()]),
        )
        .collection(
            CollectionKind::OnPremisesSynchronization,
            Collection::missing(
                "403 Authorization_RequestDenied: OnPremDirectorySynchronization.Read.All not granted",
            ),
        )
        .build();
    let collections = &document.as_json()["collections"];
    assert_eq!(
        collections["cross_tenant_access_default"]["items"],
        json!([default])
    );
    assert_eq!(
        collections["device_registration_policy"]["items"],
        json!([device])
    );
    assert_eq!(
        collections["on_premises_synchronization"]["status"],
        json!("missing")
    );
    assert_eq!(
        collections["delegated_permission_classifications"]["reason"],
        json!("not synced")
    );
}
