//! Secret material in the contracts: public responses and bus payloads never carry it, and secrets
//! accepted in requests are documented write-only.

mod descriptors;

use std::collections::BTreeSet;

use descriptors::*;
use posture_proto::FILE_DESCRIPTOR_SET;

#[test]
fn public_responses_never_carry_secret_material() {
    let set = decode(FILE_DESCRIPTOR_SET);
    let index = Index::new(&set);
    let responses = index.reachable(rpc_types(&set, "posture.v1", true));
    // The walk must reach nested shapes, or the check below proves nothing.
    assert!(responses.contains(".posture.v1.CredentialMetadata"));
    assert!(responses.contains(".posture.v1.PermissionCheck"));
    for (name, ..) in index.secret_fields(&responses) {
        assert!(
            ONE_TIME_SECRETS.contains(&name.as_str()),
            "response field {name} looks like a secret"
        );
    }
    for message in [".posture.v1.Credential", ".posture.v1.ClientSecretCredential"] {
        assert!(
            !responses.contains(message),
            "{message} is reachable from a public response"
        );
    }
}

#[test]
fn secret_request_fields_are_documented_write_only() {
    let set = decode(FILE_DESCRIPTOR_SET);
    let index = Index::new(&set);
    let requests = index.reachable(rpc_types(&set, "posture.v1", false));
    let all_public: BTreeSet<String> = index
        .messages
        .keys()
        .filter(|name| name.starts_with(".posture.v1."))
        .cloned()
        .collect();
    let mut checked = BTreeSet::new();
    for (name, _, path, file) in index.secret_fields(&all_public) {
        if ONE_TIME_SECRETS.contains(&name.as_str()) {
            continue;
        }
        let message = name
            .rsplit_once('.')
            .map(|(message, _)| message)
            .unwrap_or_default();
        assert!(requests.contains(message), "{name} is not part of any request");
        let comment = leading_comments(file).remove(&path).unwrap_or_default();
        assert!(
            comment.contains("Write-only"),
            "{name} must be documented `Write-only.`"
        );
        checked.insert(name);
    }
    for expected in [
        ".posture.v1.ClientSecretCredential.secret_value",
        ".posture.v1.CertificateCredential.private_key_pem",
        ".posture.v1.Credential.client_secret",
    ] {
        assert!(
            checked.contains(expected),
            "{expected} was not recognised as secret material"
        );
    }
}

#[test]
fn bus_payloads_never_carry_secret_material() {
    let set = decode(FILE_DESCRIPTOR_SET);
    let index = Index::new(&set);
    let payloads: Vec<String> = index
        .messages
        .keys()
        .filter(|name| name.starts_with(".posture.events.v1."))
        .cloned()
        .collect();
    assert!(
        payloads.len() >= 8,
        "expected every bus payload, found {payloads:?}"
    );
    let reachable = index.reachable(payloads);
    assert!(reachable.contains(".posture.v1.ConnectionHealth"));
    let secrets = index.secret_fields(&reachable);
    assert!(
        secrets.is_empty(),
        "bus payload fields look like secrets: {:?}",
        secrets.iter().map(|s| &s.0).collect::<Vec<_>>()
    );
}
