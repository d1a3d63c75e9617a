//! Key rotation: every secret whose data key is wrapped by a key other than the active one is
//! re-wrapped (the ciphertext stays as it is), and so is every evidence signing key. [`rewrap_all`] does one pass, in batches, for the
//! background task and for a CLI command; once it reports nothing left, the old key can be retired.

use std::time::Duration;

use posture_kit::ids::TenantId;
use tokio_util::sync::CancellationToken;

use crate::envelope::{SecretBinding, WebhookBinding, rewrap, rewrap_role_key};
use crate::keyring::Keyring;
use crate::signing::sealed_name;
use crate::store::{CredentialStore, StoreError, WrappingSwap};

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RewrapReport {
    /// Secrets now wrapped by the active key.
    pub rewrapped: u64,
    /// Secrets replaced while the pass ran (already under the active key).
    pub skipped: u64,
    /// Secrets that could not be opened (key missing from the keyring, or tampered); they keep
    /// their old wrapping and block retiring that key.
    pub failed: u64,
}

impl RewrapReport {
    pub fn is_complete(&self) -> bool {
        self.failed == 0
    }
}

/// Re-wraps every secret not wrapped by `keyring`'s active key, `batch_size` rows at a time,
/// until done or `cancel` fires. Progress is logged per batch.
pub async fn rewrap_all(
    store: &CredentialStore,
    keyring: &Keyring,
    batch_size: u32,
    cancel: &CancellationToken,
) -> Result<RewrapReport, StoreError> {
    let active = keyring.active_id();
    let limit = i64::from(batch_size.max(1));
    let mut report = RewrapReport::default();
    let mut after: Option<TenantId> = None;
    loop {
        if cancel.is_cancelled() {
            tracing::info!(?report, "key rotation paused by shutdown");
            return Ok(report);
        }
        let batch = store
            .secrets_not_wrapped_by(active, after.as_ref(), limit)
            .await?;
        let Some(last) = batch.last() else {
            break;
        };
        after = Some(last.tenant_id);
        let mut swaps = Vec::with_capacity(batch.len());
        for row in &batch {
            let binding = SecretBinding {
                tenant_id: row.tenant_id,
                connection_id: row.connection_id,
                kind: row.kind,
            };
            match rewrap(keyring, binding, &row.sealed) {
                Ok(Some(new)) => swaps.push(WrappingSwap {
                    tenant_id: row.tenant_id,
                    old: &row.sealed,
                    new,
                }),
                Ok(None) => report.skipped += 1,
                Err(error) => {
                    report.failed += 1;
                    tracing::error!(tenant_id = %row.tenant_id, key_id = %row.sealed.key_id, %error, "secret could not be re-wrapped");
                }
            }
        }
        for swapped in store.swap_wrappings(&swaps).await? {
            if swapped {
                report.rewrapped += 1;
            } else {
                report.skipped += 1;
            }
        }
        tracing::info!(
            active_key = %active,
            rewrapped = report.rewrapped,
            skipped = report.skipped,
            failed = report.failed,
            "key rotation progress"
        );
    }
    rewrap_signing_keys(store, keyring, &mut report).await?;
    rewrap_webhook_secrets(store, keyring, &mut report).await?;
    Ok(report)
}

/// Re-wraps the scheduler's webhook signing secrets not wrapped by the active key.
async fn rewrap_webhook_secrets(
    store: &CredentialStore,
    keyring: &Keyring,
    report: &mut RewrapReport,
) -> Result<(), StoreError> {
    for (subscription_id, sealed) in store.webhook_secrets_not_wrapped_by(keyring.active_id()).await? {
        match rewrap(keyring, WebhookBinding { subscription_id }, &sealed) {
            Ok(Some(new)) => {
                if store
                    .rewrap_webhook_secret(subscription_id, &sealed, &new)
                    .await?
                {
                    report.rewrapped += 1;
                } else {
                    report.skipped += 1;
                }
            }
            Ok(None) => report.skipped += 1,
            Err(error) => {
                report.failed += 1;
                tracing::error!(%subscription_id, vault_key = %sealed.key_id, %error, "webhook secret could not be re-wrapped");
            }
        }
    }
    Ok(())
}

/// Re-wraps the evidence signing keys (a handful at most) not wrapped by the active key.
async fn rewrap_signing_keys(
    store: &CredentialStore,
    keyring: &Keyring,
    report: &mut RewrapReport,
) -> Result<(), StoreError> {
    let active = keyring.active_id();
    for key in store.signing_keys().await? {
        if &key.sealed.key_id == active {
            continue;
        }
        match rewrap_role_key(keyring, &sealed_name(&key.key_id), &key.sealed) {
            Ok(Some(new)) => {
                if store.rewrap_signing_key(&key.key_id, &key.sealed, &new).await? {
                    report.rewrapped += 1;
                } else {
                    report.skipped += 1;
                }
            }
            Ok(None) => report.skipped += 1,
            Err(error) => {
                report.failed += 1;
                tracing::error!(signing_key = %key.key_id, vault_key = %key.sealed.key_id, %error, "signing key could not be re-wrapped");
            }
        }
    }
    Ok(())
}

/// The background task: a pass at start and then every `interval` (replicas still running the
/// old configuration during a rolling restart may seal with the old key), until `shutdown`.
pub(crate) async fn run_rotation(
    store: CredentialStore,
    keyring: std::sync::Arc<Keyring>,
    batch_size: u32,
    interval: Duration,
    shutdown: CancellationToken,
) {
    loop {
        match rewrap_all(&store, &keyring, batch_size, &shutdown).await {
            Ok(report) if report.rewrapped > 0 || report.failed > 0 => {
                tracing::info!(active_key = %keyring.active_id(), ?report, "key rotation pass finished");
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "key rotation pass failed; retrying later"),
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(interval) => {}
        }
    }
}
