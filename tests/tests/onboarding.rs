//! Onboarding from the CLI against a running standalone Posture: `posture tenants import FILE.csv`
//! with simulator tenants (each row is connected and tested, a bad row is reported without
//! stopping the others, no secret reaches the output, importing again leaves connected tenants
//! as they are), and API keys created, used, listed and revoked with `posture api-keys`.

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
        "{},{},Missing secret file,custom,nowhere.secret,2030-01-01,{base}login,{base}graph,{base}mde,{base}manage\n",
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

/// `posture` against the deployment's gateway with `key` instead of the admin key.
fn cli_with_key(world: &World, key: &str, args: &[&str]) -> anyhow::Result<std::process::Output> {
    Ok(std::process::Command::new(posture_tests::posture_binary()?)
        .args(args)
        .env("POSTURE_GATEWAY", world.deployment.gateway.url())
        .env("POSTURE_API_KEY", key)
        .env_remove("POSTURE_CA_CERT")
        .output()?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_keys_are_created_listed_used_and_revoked_from_the_cli() -> anyhow::Result<()> {
    let world = World::standalone_with_config("").await?;
    let tenant = world.sim.create_tenant(spec(41))?;
    let tenant_id = tenant.tenant_id.to_string();

    let refused = world
        .deployment
        .cli(&["api-keys", "create", "--name", "nothing", "--role", "viewer"])?;
    ensure!(!refused.status.success(), "a key needs a scope");

    let created = world.deployment.cli(&[
        "api-keys",
        "create",
        "--name",
        "dashboards",
        "--role",
        "viewer",
        "--tenant",
        &tenant_id,
    ])?;
    ensure!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let key = String::from_utf8(created.stdout)?.trim().to_owned();
    ensure!(
        key.starts_with("pst_"),
        "only the key is on standard output: {key:?}"
    );

    let listed = world.deployment.cli(&["api-keys", "list", "-o", "json"])?;
    let keys: Vec<serde_json::Value> = serde_json::from_slice(&listed.stdout)?;
    let dashboards = keys
        .iter()
        .find(|k| k["display_name"] == "dashboards")
        .context("the new key is listed")?;
    ensure!(dashboards["role"] == "viewer" && dashboards["tenant_ids"][0] == tenant_id.as_str());
    ensure!(
        !String::from_utf8_lossy(&listed.stdout).contains(&key),
        "list never shows a key"
    );
    let id = dashboards["api_key_id"].as_str().context("an id")?.to_owned();

    let read = cli_with_key(&world, &key, &["tenants", "list"])?;
    ensure!(
        read.status.success(),
        "a viewer reads: {}",
        String::from_utf8_lossy(&read.stderr)
    );
    let write = cli_with_key(&world, &key, &["api-keys", "list"])?;
    ensure!(!write.status.success(), "a viewer does not administer keys");

    let revoked = world.deployment.cli(&["api-keys", "revoke", &id])?;
    ensure!(
        revoked.status.success(),
        "{}",
        String::from_utf8_lossy(&revoked.stderr)
    );
    let after = cli_with_key(&world, &key, &["tenants", "list"])?;
    ensure!(!after.status.success(), "a revoked key is refused");
    let all = world
        .deployment
        .cli(&["api-keys", "list", "--all", "-o", "json"])?;
    let keys: Vec<serde_json::Value> = serde_json::from_slice(&all.stdout)?;
    ensure!(
        keys.iter()
            .any(|k| k["api_key_id"] == id.as_str() && !k["revoked_at"].is_null())
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_failing_its_first_test_is_kept_only_when_asked() -> anyhow::Result<()> {
    let world = World::standalone_with_config("").await?;
    let denied = world.sim.create_tenant(TenantSpec {
        permissions: Some(Vec::new()),
        ..spec(51)
    })?;
    let dir = tempfile::tempdir()?;
    let secret = dir.path().join("secret");
    std::fs::write(&secret, denied.client_secret.expose())?;
    let base = world.sim.base_url();
    let tenant_id = denied.tenant_id.to_string();
    let add = |extra: &[&str]| -> anyhow::Result<std::process::Output> {
        let mut args = vec![
            "tenants".to_owned(),
            "add".into(),
            "--tenant-id".into(),
            tenant_id.clone(),
            "--client-id".into(),
            denied.client_id.to_string(),
            "--name".into(),
            "Denied".into(),
            "--secret-file".into(),
            secret.display().to_string(),
            "--secret-expires".into(),
            denied.secret_expires_at.format("%Y-%m-%d").to_string(),
            "--cloud".into(),
            "custom".into(),
            "--authority-url".into(),
            format!("{base}login"),
            "--graph-url".into(),
            format!("{base}graph"),
            "--defender-url".into(),
            format!("{base}mde"),
            "--management-url".into(),
            format!("{base}manage"),
        ];
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        world.deployment.cli(&refs)
    };
    let dropped = add(&[])?;
    ensure!(dropped.status.code() == Some(3), "{dropped:?}");
    ensure!(String::from_utf8_lossy(&dropped.stderr).contains("--keep-on-failure"));
    let shown = world.deployment.cli(&["tenants", "show", &tenant_id])?;
    ensure!(
        !shown.status.success(),
        "the failing connection was removed again"
    );

    let kept = add(&["--keep-on-failure"])?;
    ensure!(kept.status.code() == Some(3), "{kept:?}");
    let shown = world
        .deployment
        .cli(&["tenants", "show", &tenant_id, "-o", "json"])?;
    ensure!(shown.status.success(), "kept when asked");
    Ok(())
}
