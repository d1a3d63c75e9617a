//! How fast the active scheduler works through a night's due slots, and how evenly the spread
//! offsets place tenants: 10,000 tenants on SQLite with the in-process bus, all due at once (the
//! worst case: the scheduler was down over the whole window). Prints a table and writes
//! target/bench-results/fire_due.json.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use chrono::{Duration, TimeZone, Utc};
use posture_bus::{Bus, MemoryBus};
use posture_kit::clock::ManualClock;
use posture_kit::config::SchedulerConfig;
use posture_kit::db::test_support::TestDatabase;
use posture_kit::ids::TenantId;
use posture_scheduler::cadence::spread_offset;
use posture_scheduler::store::{SCHEMA, ScheduleStore};
use posture_scheduler::{ScheduleDefaults, Scheduler};

const TENANTS: u32 = 10_000;
const BATCH: u32 = 500;

fn tenant(n: u32) -> TenantId {
    // A v5 UUID carries its version bits, so it is never the nil GUID.
    TenantId::from_uuid(uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, &n.to_be_bytes()))
        .expect("a v5 GUID is not nil")
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Test runners list targets with `--list`; a benchmark has no tests to offer them.
    if std::env::args().any(|arg| arg == "--list") {
        return Ok(());
    }
    let defaults = ScheduleDefaults::from_config(&SchedulerConfig::default())?;

    // Spread: the most tenants starting in any one second and any one minute of the window.
    let mut per_second: HashMap<i64, u32> = HashMap::new();
    let mut per_minute: HashMap<i64, u32> = HashMap::new();
    for n in 0..TENANTS {
        let offset = spread_offset(&tenant(n), defaults.window).num_seconds();
        *per_second.entry(offset).or_default() += 1;
        *per_minute.entry(offset / 60).or_default() += 1;
    }
    let max_per_second = per_second.values().copied().max().unwrap_or(0);
    let max_per_minute = per_minute.values().copied().max().unwrap_or(0);
    let even_per_minute = f64::from(TENANTS) / defaults.window.num_minutes() as f64;

    let db = TestDatabase::sqlite()?;
    let store = ScheduleStore::new(db.connect(SCHEMA).await?);
    store.migrate().await?;
    let start = Utc
        .with_ymd_and_hms(2026, 3, 10, 1, 0, 0)
        .single()
        .ok_or("bad start")?;
    let clock = ManualClock::new(start);
    let bus: Arc<dyn Bus> = Arc::new(MemoryBus::default());
    let scheduler = Scheduler {
        store,
        bus,
        clock: Arc::new(clock.clone()),
        defaults,
    };
    let created = Instant::now();
    for n in 0..TENANTS {
        scheduler.ensure_schedule(&tenant(n)).await?;
    }
    let create_secs = created.elapsed().as_secs_f64();

    clock.advance(Duration::hours(6));
    let firing = Instant::now();
    let mut fired = 0;
    let mut ticks = 0;
    loop {
        let now = scheduler.fire_due(BATCH).await?;
        ticks += 1;
        if now == 0 {
            break;
        }
        fired += now;
    }
    let fire_secs = firing.elapsed().as_secs_f64();
    let idle = Instant::now();
    scheduler.fire_due(BATCH).await?;
    let idle_tick_ms = idle.elapsed().as_secs_f64() * 1000.0;

    let fired_per_sec = f64::from(fired) / fire_secs;
    println!("scheduler fire_due, {TENANTS} tenants, SQLite, in-process bus, batch {BATCH}");
    println!("{:<44} {:>12}", "metric", "value");
    println!(
        "{:<44} {:>12.0}",
        "schedules created per second",
        f64::from(TENANTS) / create_secs
    );
    println!("{:<44} {:>12}", "slots fired (all due at once)", fired);
    println!("{:<44} {:>12.0}", "slots fired per second", fired_per_sec);
    println!("{:<44} {:>12}", "ticks to drain the backlog", ticks);
    println!("{:<44} {:>12.2}", "idle tick (nothing due), ms", idle_tick_ms);
    println!(
        "{:<44} {:>12}",
        "most tenants starting in one second", max_per_second
    );
    println!(
        "{:<44} {:>12}",
        "most tenants starting in one minute", max_per_minute
    );
    println!(
        "{:<44} {:>12.1}",
        "even share per minute (2 h window)", even_per_minute
    );

    let json = format!(
        "{{\n  \"tenants\": {TENANTS},\n  \"batch\": {BATCH},\n  \"create_per_sec\": {:.1},\n  \"fired\": {fired},\n  \
         \"fired_per_sec\": {fired_per_sec:.1},\n  \"ticks\": {ticks},\n  \"idle_tick_ms\": {idle_tick_ms:.3},\n  \
         \"max_starts_per_second\": {max_per_second},\n  \"max_starts_per_minute\": {max_per_minute},\n  \
         \"even_starts_per_minute\": {even_per_minute:.1}\n}}\n",
        f64::from(TENANTS) / create_secs
    );
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-results");
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("fire_due.json"), json)?;
    if fired != TENANTS {
        return Err(format!("fired {fired} slots for {TENANTS} due tenants").into());
    }
    Ok(())
}
