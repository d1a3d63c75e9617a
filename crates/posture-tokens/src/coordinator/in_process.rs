//! Coordination inside one process: leases with a TTL, the shared slot and change notification in
//! memory. Standalone runs use it; several brokers built on one instance behave like replicas.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use futures::StreamExt;
use futures::stream::BoxStream;
use posture_kit::ids::TenantId;
use tokio::sync::{broadcast, watch};

use super::{ChangeWaiter, CoordinatorError, RefreshCoordinator};
use crate::cached::CachedToken;
use crate::key::TokenKey;

#[derive(Debug, Default)]
struct State {
    leases: HashMap<TokenKey, (String, Instant)>,
    shared: HashMap<TokenKey, CachedToken>,
    changes: HashMap<TokenKey, watch::Sender<u64>>,
}

impl State {
    fn notify(&mut self, key: &TokenKey) {
        if let Some(sender) = self.changes.get(key) {
            sender.send_modify(|n| *n = n.wrapping_add(1));
        }
    }
}

#[derive(Debug, Clone)]
pub struct InProcessCoordinator {
    state: Arc<Mutex<State>>,
    forgotten: broadcast::Sender<TokenKey>,
    lease_ttl: Duration,
}

impl InProcessCoordinator {
    pub fn new(lease_ttl: Duration) -> InProcessCoordinator {
        let (forgotten, _) = broadcast::channel(1024);
        InProcessCoordinator {
            state: Arc::new(Mutex::new(State::default())),
            forgotten,
            lease_ttl,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Default for InProcessCoordinator {
    fn default() -> Self {
        InProcessCoordinator::new(Duration::from_secs(30))
    }
}

struct WatchWaiter(watch::Receiver<u64>);

#[async_trait]
impl ChangeWaiter for WatchWaiter {
    async fn wait(&mut self, timeout: Duration) {
        let _changed_or_timed_out = tokio::time::timeout(timeout, self.0.changed()).await;
    }
}

#[async_trait]
impl RefreshCoordinator for InProcessCoordinator {
    async fn try_lease(&self, key: &TokenKey, holder: &str) -> Result<bool, CoordinatorError> {
        let mut state = self.lock();
        let now = Instant::now();
        match state.leases.get(key) {
            Some((_, expires)) if *expires > now => Ok(false),
            _ => {
                state
                    .leases
                    .insert(key.clone(), (holder.to_owned(), now + self.lease_ttl));
                Ok(true)
            }
        }
    }

    async fn release(&self, key: &TokenKey, holder: &str) -> Result<(), CoordinatorError> {
        let mut state = self.lock();
        if state.leases.get(key).is_some_and(|(h, _)| h == holder) {
            state.leases.remove(key);
            state.notify(key);
        }
        Ok(())
    }

    async fn shared(&self, key: &TokenKey) -> Result<Option<CachedToken>, CoordinatorError> {
        Ok(self.lock().shared.get(key).cloned())
    }

    async fn share(&self, key: &TokenKey, token: &CachedToken) -> Result<(), CoordinatorError> {
        let mut state = self.lock();
        state.shared.insert(key.clone(), token.clone());
        state.notify(key);
        Ok(())
    }

    async fn watch(&self, key: &TokenKey) -> Result<Box<dyn ChangeWaiter>, CoordinatorError> {
        let mut state = self.lock();
        let sender = state
            .changes
            .entry(key.clone())
            .or_insert_with(|| watch::channel(0).0);
        Ok(Box::new(WatchWaiter(sender.subscribe())))
    }

    async fn forget_tenant(&self, tenant: &TenantId) -> Result<u32, CoordinatorError> {
        let dropped: Vec<TokenKey> = {
            let mut state = self.lock();
            let keys: Vec<TokenKey> = state
                .shared
                .keys()
                .filter(|k| &k.tenant == tenant)
                .cloned()
                .collect();
            for key in &keys {
                state.shared.remove(key);
                state.notify(key);
            }
            keys
        };
        for key in &dropped {
            // Nobody listening is fine: no replica holds a copy then.
            let _ = self.forgotten.send(key.clone());
        }
        Ok(u32::try_from(dropped.len()).unwrap_or(u32::MAX))
    }

    async fn forgotten(&self) -> Result<BoxStream<'static, TokenKey>, CoordinatorError> {
        let receiver = self.forgotten.subscribe();
        Ok(tokio_stream_from(receiver))
    }
}

/// Lagging receivers skip what they missed; a missed invalidation only means a replica keeps a
/// token until its refresh time, and 1024 buffered keys make that practically impossible.
fn tokio_stream_from(receiver: broadcast::Receiver<TokenKey>) -> BoxStream<'static, TokenKey> {
    futures::stream::unfold(receiver, |mut receiver| async move {
        loop {
            match receiver.recv().await {
                Ok(key) => return Some((key, receiver)),
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    })
    .boxed()
}
