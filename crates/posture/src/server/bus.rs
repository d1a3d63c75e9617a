//! The bus a process uses: NATS JetStream when configured, otherwise the in-process bus.

use std::sync::Arc;

use anyhow::Context;
use posture_bus::{Bus, MemoryBus, NatsBus, NatsBusConfig, Prefix, StreamSettings};
use posture_kit::PostureConfig;
use posture_kit::config::BusKind;
use secrecy::ExposeSecret;

pub async fn connect(config: &PostureConfig) -> anyhow::Result<Arc<dyn Bus>> {
    let prefix = Prefix::new(config.bus.prefix.clone())
        .with_context(|| format!("bus.prefix {:?} is not a valid subject token", config.bus.prefix))?;
    Ok(match config.bus.kind {
        BusKind::Memory => Arc::new(MemoryBus::new(prefix, StreamSettings::default())),
        BusKind::Nats => {
            let url = config
                .bus
                .nats_url
                .as_ref()
                .context("bus.kind = nats requires bus.nats_url")?;
            let mut nats = NatsBusConfig::new(url.expose_secret());
            nats.prefix = prefix;
            Arc::new(NatsBus::connect(nats).await.context("cannot connect to NATS")?)
        }
    })
}
