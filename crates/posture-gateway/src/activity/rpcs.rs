//! Which rpcs the activity log records: every one that may change something. The rule is by verb
//! (the first word of the method name), so a new rpc is classified without editing a list; a
//! test holds every public rpc against the two verb lists, so a new verb needs a decision.

/// Verbs of rpcs that only read; every other public rpc is recorded.
pub const READ_VERBS: [&str; 5] = ["Get", "List", "Watch", "Export", "Search"];

/// Verbs of the rpcs that change state today (documentation and the classification test).
pub const MUTATING_VERBS: [&str; 8] = [
    "Create", "Update", "Delete", "Start", "Cancel", "Test", "Apply", "Revoke",
];

/// The method name of a gRPC path (`/posture.v1.SyncService/StartSync` → `StartSync`).
fn method(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// The first word of a CamelCase method name (`StartSync` → `Start`).
pub fn verb(path: &str) -> &str {
    let method = method(path);
    let end = method
        .char_indices()
        .skip(1)
        .find(|(_, c)| c.is_ascii_uppercase())
        .map_or(method.len(), |(i, _)| i);
    &method[..end]
}

/// Whether a call to `path` goes into the activity log.
pub fn is_mutating(path: &str) -> bool {
    !READ_VERBS.contains(&verb(path))
}

/// How an rpc is named in the log and its filter: the path without its leading `/`.
pub fn rpc_name(path: &str) -> &str {
    path.strip_prefix('/').unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::policy::RPC_ROLES;

    #[test]
    fn verbs_are_the_first_word_of_the_method() {
        assert_eq!(verb("/posture.v1.SyncService/StartSync"), "Start");
        assert_eq!(verb("/posture.v1.ApiKeyService/RevokeApiKey"), "Revoke");
        assert_eq!(verb("/posture.v1.InventoryService/ListEntityKinds"), "List");
        assert_eq!(verb("/x.Y/Z"), "Z");
        assert!(is_mutating("/posture.v1.TenantConnectionService/TestConnection"));
        assert!(!is_mutating("/posture.v1.EvidenceService/ExportEvidenceBundle"));
        assert_eq!(
            rpc_name("/posture.v1.SyncService/StartSync"),
            "posture.v1.SyncService/StartSync"
        );
    }

    #[test]
    fn every_public_rpc_is_classified_by_a_known_verb() {
        let mut mutating = 0;
        for (path, _) in RPC_ROLES {
            let verb = verb(path);
            assert!(
                READ_VERBS.contains(&verb) || MUTATING_VERBS.contains(&verb),
                "{path}: the verb `{verb}` is neither a read nor a known change; decide whether \
                 the activity log records it and add it to READ_VERBS or MUTATING_VERBS"
            );
            if is_mutating(path) {
                mutating += 1;
            }
        }
        assert!(mutating >= 15, "only {mutating} mutating rpcs found");
    }
}
