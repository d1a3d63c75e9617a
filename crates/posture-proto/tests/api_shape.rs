//! The shape of the contracts: every service is present, the public descriptor set holds nothing
//! internal, every element is documented, bus payloads share one envelope and list calls page alike.

mod descriptors;

use std::collections::{BTreeSet, HashSet};

use descriptors::*;
use posture_proto::{
    FILE_DESCRIPTOR_SET, INTERNAL_SERVICE_NAMES, PUBLIC_FILE_DESCRIPTOR_SET, PUBLIC_SERVICE_NAMES,
};
use prost_types::DescriptorProto;
use prost_types::field_descriptor_proto::{Label, Type};

#[test]
fn every_public_and_internal_service_is_in_the_descriptor_set() {
    let set = decode(FILE_DESCRIPTOR_SET);
    let expected: BTreeSet<String> = PUBLIC_SERVICE_NAMES.iter().map(|s| s.to_string()).collect();
    assert_eq!(service_names(&set, "posture.v1"), expected);
    let expected: BTreeSet<String> = INTERNAL_SERVICE_NAMES.iter().map(|s| s.to_string()).collect();
    assert_eq!(service_names(&set, "posture.internal.v1"), expected);
    assert!(
        service_names(&set, "posture.events.v1").is_empty(),
        "bus payloads define no services"
    );
}

#[test]
fn public_descriptor_set_exposes_nothing_internal_and_resolves_its_imports() {
    let set = decode(PUBLIC_FILE_DESCRIPTOR_SET);
    let names: HashSet<&str> = set.file.iter().map(|file| file.name()).collect();
    for file in &set.file {
        assert!(
            matches!(file.package(), "posture.v1" | "google.protobuf"),
            "{} of package {} must not be in the public set",
            file.name(),
            file.package()
        );
        for dependency in &file.dependency {
            assert!(
                names.contains(dependency.as_str()),
                "{} imports missing {dependency}",
                file.name()
            );
        }
    }
    let expected: BTreeSet<String> = PUBLIC_SERVICE_NAMES.iter().map(|s| s.to_string()).collect();
    assert_eq!(service_names(&set, "posture.v1"), expected);
}
#[test]
fn every_bus_payload_starts_with_event_id_occurred_at_and_tenant() {
    let set = decode(FILE_DESCRIPTOR_SET);
    for file in files_of(&set, "posture.events.v1") {
        for message in &file.message_type {
            let head: Vec<(&str, i32)> = message
                .field
                .iter()
                .take(3)
                .map(|field| (field.name(), field.number()))
                .collect();
            assert_eq!(
                head,
                [("event_id", 1), ("occurred_at", 2), ("tenant_id", 3)],
                "{} does not start with the event envelope",
                message.name()
            );
        }
    }
}

#[test]
fn every_contract_element_is_documented() {
    let set = decode(FILE_DESCRIPTOR_SET);
    let mut missing = Vec::new();
    for file in set
        .file
        .iter()
        .filter(|file| file.package().starts_with("posture."))
    {
        let comments = leading_comments(file);
        let mut need = |path: Vec<i32>, what: String| {
            if !comments.contains_key(&path) {
                missing.push(format!("{}: {what}", file.name()));
            }
        };
        for (s, service) in file.service.iter().enumerate() {
            need(vec![FILE_SERVICE, s as i32], service.name().to_owned());
            for (m, method) in service.method.iter().enumerate() {
                need(
                    vec![FILE_SERVICE, s as i32, SERVICE_METHOD, m as i32],
                    method.name().to_owned(),
                );
            }
        }
        for (e, enumeration) in file.enum_type.iter().enumerate() {
            need(vec![FILE_ENUM, e as i32], enumeration.name().to_owned());
            for (v, value) in enumeration.value.iter().enumerate() {
                need(
                    vec![FILE_ENUM, e as i32, ENUM_VALUE, v as i32],
                    value.name().to_owned(),
                );
            }
        }
        let mut stack: Vec<(Vec<i32>, &DescriptorProto)> = file
            .message_type
            .iter()
            .enumerate()
            .map(|(i, m)| (vec![FILE_MESSAGE, i as i32], m))
            .collect();
        while let Some((path, message)) = stack.pop() {
            // `map<K, V>` fields get a synthetic `…Entry` message that cannot carry a comment; the
            // map field itself is documented.
            if message.options.as_ref().is_some_and(|o| o.map_entry()) {
                continue;
            }
            need(path.clone(), message.name().to_owned());
            let at = |kind: i32, i: usize| [path.as_slice(), &[kind, i as i32]].concat();
            for (f, field) in message.field.iter().enumerate() {
                need(
                    at(MESSAGE_FIELD, f),
                    format!("{}.{}", message.name(), field.name()),
                );
            }
            for (o, oneof) in message.oneof_decl.iter().enumerate() {
                // proto3 `optional` fields get a synthetic oneof that cannot carry a comment.
                if !oneof.name().starts_with('_') {
                    need(
                        at(MESSAGE_ONEOF, o),
                        format!("{}.{}", message.name(), oneof.name()),
                    );
                }
            }
            for (e, enumeration) in message.enum_type.iter().enumerate() {
                need(
                    at(MESSAGE_ENUM, e),
                    format!("{}.{}", message.name(), enumeration.name()),
                );
                for (v, value) in enumeration.value.iter().enumerate() {
                    let value_path = [at(MESSAGE_ENUM, e).as_slice(), &[ENUM_VALUE, v as i32]].concat();
                    need(value_path, value.name().to_owned());
                }
            }
            stack.extend(
                message
                    .nested_type
                    .iter()
                    .enumerate()
                    .map(|(n, nested)| (at(MESSAGE_NESTED, n), nested)),
            );
        }
    }
    assert!(
        missing.is_empty(),
        "undocumented elements:\n{}",
        missing.join("\n")
    );
}

#[test]
fn list_calls_page_with_size_token_and_next_token() {
    let set = decode(FILE_DESCRIPTOR_SET);
    let index = Index::new(&set);
    // The entity kinds, a tenant's audit streams (eight) and the evidence signing keys (one per
    // rotation) are short catalogues, returned whole.
    let unpaged = ["ListEntityKinds", "ListAuditStreams", "ListSigningKeys"];
    let methods = files_of(&set, "posture.v1")
        .into_iter()
        .flat_map(|file| file.service.iter())
        .flat_map(|service| service.method.iter())
        .filter(|method| method.name().starts_with("List") && !unpaged.contains(&method.name()));
    let mut count = 0;
    for method in methods {
        count += 1;
        let field = |message: &str, name: &str| {
            index
                .message(message)
                .message
                .field
                .iter()
                .find(|f| f.name() == name)
                .map(|f| (f.r#type(), f.label()))
        };
        let request = method.input_type();
        let response = method.output_type();
        assert_eq!(
            field(request, "page_size"),
            Some((Type::Int32, Label::Optional)),
            "{request}.page_size"
        );
        assert_eq!(
            field(request, "page_token"),
            Some((Type::String, Label::Optional)),
            "{request}.page_token"
        );
        assert_eq!(
            field(response, "next_page_token"),
            Some((Type::String, Label::Optional)),
            "{response}.next_page_token"
        );
        let repeated = index
            .message(response)
            .message
            .field
            .iter()
            .any(|f| f.label() == Label::Repeated);
        assert!(repeated, "{response} returns no list");
    }
    assert!(count >= 15, "expected the paged list calls, found {count}");
}
