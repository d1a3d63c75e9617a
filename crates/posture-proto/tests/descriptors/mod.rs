//! Reading the compiled descriptor sets: an index of every message by name, reachability through
//! message-typed fields, rpc types per package and the leading comments of source info.

// Each test binary uses part of this module.
#![allow(dead_code)]

use std::collections::{BTreeSet, HashMap};

use prost::Message;
use prost_types::field_descriptor_proto::Type;
use prost_types::{DescriptorProto, FieldDescriptorProto, FileDescriptorProto, FileDescriptorSet};

// Field numbers of FileDescriptorProto / DescriptorProto / ... used in source-info paths.
pub const FILE_MESSAGE: i32 = 4;
pub const FILE_ENUM: i32 = 5;
pub const FILE_SERVICE: i32 = 6;
pub const MESSAGE_FIELD: i32 = 2;
pub const MESSAGE_NESTED: i32 = 3;
pub const MESSAGE_ENUM: i32 = 4;
pub const MESSAGE_ONEOF: i32 = 8;
pub const ENUM_VALUE: i32 = 2;
pub const SERVICE_METHOD: i32 = 2;

/// The one public response field allowed to carry a credential: the API key, shown once.
pub const ONE_TIME_SECRETS: &[&str] = &[
    ".posture.v1.CreateApiKeyResponse.key",
    ".posture.v1.CreateSubscriptionResponse.secret",
];

/// A field name that suggests secret material.
pub fn is_secret_name(name: &str) -> bool {
    const WORDS: &[&str] = &["secret", "password", "passphrase"];
    const PHRASES: &[&str] = &["private_key", "access_token", "refresh_token", "client_assertion"];
    name == "key"
        || name.split('_').any(|word| WORDS.contains(&word))
        || PHRASES.iter().any(|phrase| name.contains(phrase))
}

/// One message with the file it is declared in and its source-info path.
pub struct MessageEntry<'a> {
    pub file: &'a FileDescriptorProto,
    pub path: Vec<i32>,
    pub message: &'a DescriptorProto,
}

/// Every message of a descriptor set by fully qualified name (`.package.Outer.Inner`).
pub struct Index<'a> {
    pub messages: HashMap<String, MessageEntry<'a>>,
}

impl<'a> Index<'a> {
    pub fn new(set: &'a FileDescriptorSet) -> Self {
        let mut messages = HashMap::new();
        for file in &set.file {
            let prefix = format!(".{}", file.package());
            for (i, message) in file.message_type.iter().enumerate() {
                add_message(
                    &mut messages,
                    file,
                    &prefix,
                    vec![FILE_MESSAGE, i as i32],
                    message,
                );
            }
        }
        Index { messages }
    }

    pub fn message(&self, name: &str) -> &MessageEntry<'a> {
        self.messages
            .get(name)
            .unwrap_or_else(|| panic!("message {name} is not in the descriptor set"))
    }

    /// Every message reachable from `roots` through message-typed fields, roots included.
    pub fn reachable(&self, roots: impl IntoIterator<Item = String>) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<String> = roots.into_iter().collect();
        while let Some(name) = stack.pop() {
            if !seen.insert(name.clone()) {
                continue;
            }
            for field in &self.message(&name).message.field {
                if field.r#type() == Type::Message {
                    stack.push(field.type_name().to_owned());
                }
            }
        }
        seen
    }

    /// Fields with secret-like names in the given messages, as `(message.field, field, entry)`.
    pub fn secret_fields(
        &self,
        names: &BTreeSet<String>,
    ) -> Vec<(
        String,
        &'a FieldDescriptorProto,
        Vec<i32>,
        &'a FileDescriptorProto,
    )> {
        let mut found = Vec::new();
        for name in names {
            let entry = self.message(name);
            // A map's synthetic entry names its fields `key` and `value`; the map field itself is
            // judged by its own name on the message that holds it.
            if entry.message.options.as_ref().is_some_and(|o| o.map_entry()) {
                continue;
            }
            for (i, field) in entry.message.field.iter().enumerate() {
                if is_secret_name(field.name()) {
                    let mut path = entry.path.clone();
                    path.extend([MESSAGE_FIELD, i as i32]);
                    found.push((format!("{name}.{}", field.name()), field, path, entry.file));
                }
            }
        }
        found
    }
}

fn add_message<'a>(
    messages: &mut HashMap<String, MessageEntry<'a>>,
    file: &'a FileDescriptorProto,
    prefix: &str,
    path: Vec<i32>,
    message: &'a DescriptorProto,
) {
    let name = format!("{prefix}.{}", message.name());
    for (i, nested) in message.nested_type.iter().enumerate() {
        let mut nested_path = path.clone();
        nested_path.extend([MESSAGE_NESTED, i as i32]);
        add_message(messages, file, &name, nested_path, nested);
    }
    messages.insert(name, MessageEntry { file, path, message });
}

pub fn decode(bytes: &[u8]) -> FileDescriptorSet {
    FileDescriptorSet::decode(bytes).expect("the built-in descriptor set decodes")
}

pub fn files_of<'a>(set: &'a FileDescriptorSet, package: &str) -> Vec<&'a FileDescriptorProto> {
    set.file.iter().filter(|file| file.package() == package).collect()
}

pub fn service_names(set: &FileDescriptorSet, package: &str) -> BTreeSet<String> {
    files_of(set, package)
        .iter()
        .flat_map(|file| {
            file.service
                .iter()
                .map(move |s| format!("{package}.{}", s.name()))
        })
        .collect()
}

/// Input or output types of every rpc of a package.
pub fn rpc_types(set: &FileDescriptorSet, package: &str, output: bool) -> Vec<String> {
    files_of(set, package)
        .iter()
        .flat_map(|file| file.service.iter())
        .flat_map(|service| service.method.iter())
        .map(|method| {
            if output {
                method.output_type()
            } else {
                method.input_type()
            }
            .to_owned()
        })
        .collect()
}

pub fn leading_comments(file: &FileDescriptorProto) -> HashMap<Vec<i32>, String> {
    file.source_code_info
        .iter()
        .flat_map(|info| info.location.iter())
        .filter(|location| !location.leading_comments().trim().is_empty())
        .map(|location| (location.path.clone(), location.leading_comments().to_owned()))
        .collect()
}
