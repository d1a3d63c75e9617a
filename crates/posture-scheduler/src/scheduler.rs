//! Firing due slots. A due slot becomes one `SyncRequested` whose event id (the `Nats-Msg-Id`) and
//! run id are derived from (tenant, slot). Publishing first and recording the slot second makes the
//! request at least once: a failed publish records nothing, so the slot stays due and the next tick
//! publishes again; a crash after publishing republishes the same message, which the bus drops as
//! a duplicate and the sync role treats as the same run. The conditional record keeps two
//! schedulers from both advancing.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use posture_bus::topics::SYNC_REQUESTED;
use posture_bus::{Bus, BusExt, MessageId};
use posture_kit::clock::SharedClock;
use posture_kit::ids::{RunId, TenantId};
use posture_kit::time::timestamp;
use posture_proto::events::v1::SyncRequested;
use posture_proto::v1::SyncTrigger;
use uuid::Uuid;

use crate::error::SchedulerError;
use crate::lease::SchedulerLease;
use crate::settings::ScheduleDefaults;
use crate::store::{ScheduleRecord, ScheduleStore};

/// `requested_by` of scheduled runs.
pub const REQUESTED_BY: &str = "scheduler";

/// Namespace of the ids derived from (tenant, slot); fixed forever, or restarts would re-fire.
const SLOT_NAMESPACE: Uuid = Uuid::from_u128(0x5c4e_d01e_7a3b_4c8e_9f1d_2b6a_0e3c_7d51);

/// The run id the schedule asks for at `slot`: the same on every replica and after any restart.
pub fn scheduled_run_id(tenant_id: &TenantId, slot: DateTime<Utc>) -> RunId {
    let id = Uuid::new_v5(
        &SLOT_NAMESPACE,
        format!("run/{tenant_id}/{}", slot.timestamp()).as_bytes(),
    );
    // Not outside input: a v5 UUID carries its version bits, so it is never the nil GUID.
    RunId::from_uuid(id).expect("a v5 UUID is never nil")
}

/// The event id (and `Nats-Msg-Id`) of the request for `slot`.
pub fn scheduled_event_id(tenant_id: &TenantId, slot: DateTime<Utc>) -> Uuid {
    Uuid::new_v5(
        &SLOT_NAMESPACE,
        format!("event/{tenant_id}/{}", slot.timestamp()).as_bytes(),
    )
}

/// What one tick did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TickOutcome {
    /// Another scheduler holds the lease; nothing was fired.
    Standby,
    /// This scheduler holds the lease and fired `fired` slots.
    Active { fired: u32 },
}

#[derive(Clone)]
pub struct Scheduler {
    pub store: ScheduleStore,
    pub bus: Arc<dyn Bus>,
    pub clock: SharedClock,
    pub defaults: ScheduleDefaults,
}

impl Scheduler {
    /// Gives a newly connected tenant the default schedule; an existing schedule is kept.
    pub async fn ensure_schedule(&self, tenant_id: &TenantId) -> Result<bool, SchedulerError> {
        let record = ScheduleRecord::new(
            *tenant_id,
            self.defaults.cadence,
            self.defaults.window,
            self.clock.now(),
        );
        let created = self.store.insert_if_absent(&record).await?;
        if created {
            tracing::info!(%tenant_id, next_run_at = %record.next_run_at, "schedule created");
        }
        Ok(created)
    }

    /// Drops a disconnected tenant's schedule.
    pub async fn remove_schedule(&self, tenant_id: &TenantId) -> Result<bool, SchedulerError> {
        let removed = self.store.delete(tenant_id).await?;
        if removed {
            tracing::info!(%tenant_id, "schedule removed");
        }
        Ok(removed)
    }

    /// Takes or renews the lease as `holder`, and fires due slots when it holds it.
    pub async fn tick(
        &self,
        lease: &dyn SchedulerLease,
        holder: &str,
        batch: u32,
    ) -> Result<TickOutcome, SchedulerError> {
        if !lease.acquire(holder).await? {
            return Ok(TickOutcome::Standby);
        }
        let fired = self.fire_due(batch).await?;
        Ok(TickOutcome::Active { fired })
    }

    /// Fires every schedule due now (up to `batch`); returns how many slots this call recorded.
    pub async fn fire_due(&self, batch: u32) -> Result<u32, SchedulerError> {
        let now = self.clock.now();
        let mut fired = 0;
        for record in self.store.due(now, batch).await? {
            let Some(slot) = record.due_slot(now) else {
                continue;
            };
            match self.fire(&record, slot, now).await {
                Ok(true) => fired += 1,
                Ok(false) => {}
                // One tenant's failure must not hold up the others; it stays due for the next tick.
                Err(error) => {
                    tracing::warn!(tenant_id = %record.tenant_id, %error, "firing a due schedule failed")
                }
            }
        }
        Ok(fired)
    }

    async fn fire(
        &self,
        record: &ScheduleRecord,
        slot: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, SchedulerError> {
        let tenant_id = &record.tenant_id;
        let run_id = scheduled_run_id(tenant_id, slot);
        let event_id = scheduled_event_id(tenant_id, slot).to_string();
        let request = SyncRequested {
            event_id: event_id.clone(),
            occurred_at: Some(timestamp(now)),
            tenant_id: tenant_id.to_string(),
            run_id: run_id.to_string(),
            entity_kinds: record.entity_kinds.clone(),
            trigger: SyncTrigger::Scheduled as i32,
            requested_by: REQUESTED_BY.to_owned(),
        };
        let bus_error = |context| move |source| SchedulerError::Bus { context, source };
        let id = MessageId::new(event_id).map_err(bus_error("naming the sync request"))?;
        // On failure nothing is recorded: the slot stays due and the next tick publishes again.
        let receipt = self
            .bus
            .publish_message(SYNC_REQUESTED.subject(tenant_id), id, &request)
            .await
            .map_err(bus_error("publishing a sync request"))?;
        let recorded = self.store.record_fired(record, slot, now, &run_id).await?;
        tracing::info!(
            %tenant_id,
            %slot,
            %run_id,
            duplicate = receipt.duplicate,
            recorded,
            "scheduled sync requested"
        );
        Ok(recorded)
    }
}
