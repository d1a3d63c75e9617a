//! The bus a process uses: NATS JetStream when configured, otherwise the in-process bus. On NATS
//! the process opens one connection and shares it: the bus, the token cache and the scheduler
//! lease all use it.

use std::sync::Arc;

use anyhow::Context;
use posture_bus::{Bus, MemoryBus, NatsBus, NatsBusConfig, Prefix, StreamSettings};
use posture_kit::PostureConfig;
use posture_kit::config::BusKind;
use secrecy::ExposeSecret;

/// The process's bus and, on NATS, its connection for the roles' key-value buckets.
pub struct ProcessBus {
    pub bus: Arc<dyn Bus>,
    pub nats: Option<(async_nats::Client, Prefix)>,
}

impl ProcessBus {
    /// The shared NATS connection and subject prefix; an error names the role that needs it.
    pub fn nats(&self, role: &str) -> anyhow::Result<(async_nats::Client, &Prefix)> {
        let (client, prefix) = self
            .nats
            .as_ref()
            .with_context(|| format!("{role}: bus.kind = nats but no NATS connection"))?;
        Ok((client.clone(), prefix))
    }
}

pub async fn connect(config: &PostureConfig) -> anyhow::Result<ProcessBus> {
    let prefix = Prefix::new(config.bus.prefix.clone())
        .with_context(|| format!("bus.prefix {:?} is not a valid subject token", config.bus.prefix))?;
    Ok(match config.bus.kind {
        BusKind::Memory => ProcessBus {
            bus: Arc::new(MemoryBus::new(prefix, StreamSettings::default())),
            nats: None,
        },
        BusKind::Nats => {
            let url = config
                .bus
                .nats_url
                .as_ref()
                .context("bus.kind = nats requires bus.nats_url")?;
            let defaults = NatsBusConfig::new(url.expose_secret());
            let client = async_nats::ConnectOptions::new()
                .name(format!("posture:{prefix}"))
                .connect(url.expose_secret())
                .await
                .context("cannot connect to NATS")?;
            let bus = NatsBus::with_client(
                client.clone(),
                prefix.clone(),
                &defaults.streams,
                defaults.pull_expiry,
            )
            .await
            .context("cannot set up the NATS streams")?;
            ProcessBus {
                bus: Arc::new(bus),
                nats: Some((client, prefix)),
            }
        }
    })
}
