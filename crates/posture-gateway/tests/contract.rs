//! The per-rpc role table agrees with the contract: every public rpc has exactly one entry, and
//! its role is the one the rpc's comment in `proto/` names ("Role: operator.").

use posture_gateway::AccessRole;
use posture_gateway::auth::policy::RPC_ROLES;
use prost::Message;
use prost_types::FileDescriptorSet;

/// `SourceCodeInfo` path components: `FileDescriptorProto.service` and `ServiceDescriptorProto.method`.
const SERVICE_FIELD: i32 = 6;
const METHOD_FIELD: i32 = 2;

fn role_named_in(comment: &str) -> Option<AccessRole> {
    let (_, after) = comment.split_once("Role:")?;
    let word = after.split_whitespace().next()?.trim_end_matches(['.', ',']);
    AccessRole::parse(word)
}

#[test]
fn every_public_rpc_has_the_role_its_contract_names() {
    let set = FileDescriptorSet::decode(posture_proto::FILE_DESCRIPTOR_SET).expect("descriptor set");
    let mut contract = Vec::new();
    for file in set.file.iter().filter(|f| f.package() == "posture.v1") {
        let locations = file
            .source_code_info
            .as_ref()
            .map(|info| info.location.as_slice())
            .unwrap_or(&[]);
        for (s, service) in file.service.iter().enumerate() {
            for (m, method) in service.method.iter().enumerate() {
                let path = [SERVICE_FIELD, s as i32, METHOD_FIELD, m as i32];
                let comment = locations
                    .iter()
                    .find(|location| location.path == path)
                    .map(|location| location.leading_comments().to_owned())
                    .unwrap_or_default();
                let role = role_named_in(&comment).unwrap_or_else(|| {
                    panic!("{}.{} names no role: {comment:?}", service.name(), method.name())
                });
                contract.push((format!("/posture.v1.{}/{}", service.name(), method.name()), role));
            }
        }
    }
    assert!(contract.len() > 40, "found only {} rpcs", contract.len());
    for (path, role) in &contract {
        let entries: Vec<_> = RPC_ROLES.iter().filter(|(known, _)| known == path).collect();
        assert_eq!(
            entries.len(),
            1,
            "{path} must appear exactly once in the role table"
        );
        assert_eq!(entries[0].1, *role, "{path}");
    }
    assert_eq!(
        RPC_ROLES.len(),
        contract.len(),
        "the table lists rpcs the contract does not have"
    );
}

#[test]
fn the_role_table_names_no_internal_service() {
    for (path, _) in RPC_ROLES {
        assert!(path.starts_with("/posture.v1."), "{path}");
        let service = path.trim_start_matches('/').split('/').next().unwrap_or_default();
        assert!(posture_proto::PUBLIC_SERVICE_NAMES.contains(&service), "{path}");
    }
}
