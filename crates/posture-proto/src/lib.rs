//! Posture's contracts as Rust types: the public gRPC API (`v1`), the internal APIs between roles
//! (`internal::v1`) and the payloads that travel over the bus (`events::v1`), generated at build
//! time from the `.proto` files under the workspace's `proto/` folder.

mod redact;

/// The public API, package `posture.v1`: what the gateway serves.
pub mod v1 {
    include!(concat!(env!("OUT_DIR"), "/posture.v1.rs"));
}

/// APIs between roles, never exposed by the gateway.
pub mod internal {
    /// Package `posture.internal.v1`: the vault and the token broker.
    pub mod v1 {
        include!(concat!(env!("OUT_DIR"), "/posture.internal.v1.rs"));
    }
}

/// Bus payloads (jobs and events) published on NATS JetStream.
pub mod events {
    /// Package `posture.events.v1`.
    pub mod v1 {
        include!(concat!(env!("OUT_DIR"), "/posture.events.v1.rs"));
    }
}

/// Encoded `FileDescriptorSet` of every Posture package and its imports (source info included).
pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/posture_descriptor.bin"));

/// Encoded `FileDescriptorSet` of the public API (`posture.v1` and the well-known types it
/// imports) only: what the gateway registers with the reflection service, so internal services
/// and bus payloads cannot be discovered through it.
pub const PUBLIC_FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/posture_public_descriptor.bin"));

/// Fully qualified names of the public services, as the gateway mounts and lists them.
pub const PUBLIC_SERVICE_NAMES: &[&str] = &[
    "posture.v1.TenantConnectionService",
    "posture.v1.SyncService",
    "posture.v1.InventoryService",
    "posture.v1.AuditService",
    "posture.v1.ScheduleService",
    "posture.v1.AssessmentService",
    "posture.v1.ExceptionService",
    "posture.v1.DriftService",
    "posture.v1.ScoreService",
    "posture.v1.EvidenceService",
    "posture.v1.OverviewService",
    "posture.v1.ApiKeyService",
    "posture.v1.ActivityService",
    "posture.v1.NotificationService",
];

/// Fully qualified names of the internal services.
pub const INTERNAL_SERVICE_NAMES: &[&str] = &[
    "posture.internal.v1.VaultService",
    "posture.internal.v1.TokenBrokerService",
    "posture.internal.v1.SigningService",
    "posture.internal.v1.WebhookSecretService",
];
