//! Onboarding many tenants: `posture tenants import FILE.csv` against a running standalone Posture
//! and simulator tenants. Each row is connected and tested, a bad row is reported without
//! stopping the others, no secret reaches the output, and importing again leaves connected
//! tenants as they are.

use anyhow::{Context, ensure};
use posture_graph_sim::{TenantSpec, ThrottleMode};
use posture_tests::scenario::World;

fn spec(seed: u64) -> TenantSpec {
    TenantSpec {
        seed,
        users: 30,
        throttling: ThrottleMode::Off,
        ..TenantSpec::default()
    }
}

// The CLI runs as a blocking child process while the simulator serves its tests from this runtime.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenants_import_connects_every_valid_row_and_names_the_others() -> anyhow::Result<()> {
    let world = World::standalone_with_config("").await?;
    let contoso = world.sim.create_tenant(spec(31))?;
    let fabrikam = world.sim.create_tenant(spec(32))?;
    let denied = world.sim.create_tenant(TenantSpec {
        permissions: Some(Vec::new()),
        ..spec(33)
    })?;
    let dir = tempfile::tempdir()?;
    let base = world.sim.base_url();
    let mut csv = String::from(
        "tenant_id,client_id,name,cloud,secret_file,secret_expires,authority_url,graph_url,defender_url,management_url\n",
    );
    for (i, tenant) in [&contoso, &fabrikam, &denied].iter().enumerate() {
        std::fs::write(
            dir.path().join(format!("{i}.secret")),
            tenant.client_secret.expose(),
        )?;
        csv.push_str(&format!(
            "{},{},\"{}\",custom,{i}.secret,{},{base}login,{base}graph,{base}mde,{base}manage\n",
            tenant.tenant_id,
            tenant.client_id,
            tenant.display_name,
            tenant.secret_expires_at.format("%Y-%m-%d"),
        ));
    }
    csv.push_str(&format!(
        "{},{},Missing secret file,custom,nowhere.secret,2030-01-01,{base}login,{base}graph,,\n",
        uuid::Uuid::new_v4(),
        contoso.client_id
    ));
    let file = dir.path().join("tenants.csv");
    std::fs::write(&file, &csv)?;
    let file = file.to_str().context("utf-8 path")?;

    let dry = world.deployment.cli(&["tenants", "import", file, "--dry-run"])?;
    let dry_out = String::from_utf8_lossy(&dry.stdout).into_owned();
    ensure!(dry_out.contains("3 of 4 rows are ready"), "{dry_out}");
    let listed = world.deployment.cli(&["tenants", "list", "-o", "json"])?;
    ensure!(
        serde_json::from_slice::<Vec<serde_json::Value>>(&listed.stdout)?.is_empty(),
        "a dry run connects nothing"
    );

    let output = world.deployment.cli(&["tenants", "import", file, "-o", "json"])?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    ensure!(
        output.status.code() == Some(3),
        "a failed row sets exit code 3: {text}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let rows: Vec<serde_json::Value> = serde_json::from_str(&text)?;
    ensure!(rows.len() == 4, "{text}");
    let ok: Vec<bool> = rows.iter().map(|r| r["ok"] == true).collect();
    ensure!(ok == [true, true, false, false], "{text}");
    ensure!(
        rows[0]["result"]
            .as_str()
            .is_some_and(|r| r.contains("Connected")),
        "{text}"
    );
    ensure!(
        rows[3]["result"]
            .as_str()
            .is_some_and(|r| r.contains("nowhere.secret")),
        "{text}"
    );
    for tenant in [&contoso, &fabrikam, &denied] {
        ensure!(
            !text.contains(tenant.client_secret.expose()),
            "a secret reached the output"
        );
    }
    let listed = world.deployment.cli(&["tenants", "list", "-o", "json"])?;
    let connections: Vec<serde_json::Value> = serde_json::from_slice(&listed.stdout)?;
    ensure!(
        connections.len() == 3,
        "the denied tenant is kept, with its health: {connections:?}"
    );

    let again = world
        .deployment
        .cli(&["tenants", "import", file, "-o", "json", "--no-test"])?;
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&again.stdout)?;
    ensure!(
        rows[..3].iter().all(|r| r["result"]
            .as_str()
            .is_some_and(|s| s.starts_with("already connected"))),
        "{rows:?}"
    );
    Ok(())
}
