//! The configuration loader: layer order (defaults < file < env < flags), validation messages,
//! rejection of unknown keys, and secrets kept out of Debug and the rendered view.

use std::io::Write as _;

use posture_kit::ServiceRole;
use posture_kit::config::{BusKind, ConfigError, ConfigLoader, LogFormat};
use secrecy::ExposeSecret as _;

fn file(contents: &str) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::with_suffix(".toml").expect("temp file");
    file.write_all(contents.as_bytes()).expect("write");
    file
}

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn problems(result: Result<posture_kit::PostureConfig, ConfigError>) -> String {
    match result {
        Ok(_) => panic!("configuration was accepted"),
        Err(err) => err.to_string(),
    }
}

#[test]
fn built_in_defaults_describe_a_standalone_process() {
    let config = ConfigLoader::new().load().expect("defaults are valid");
    assert_eq!(config.services, ServiceRole::all());
    assert_eq!(config.grpc.listen.to_string(), "127.0.0.1:7600");
    assert_eq!(config.health.listen.to_string(), "127.0.0.1:7601");
    assert_eq!(config.gateway.listen.to_string(), "127.0.0.1:7700");
    assert_eq!(config.bus.kind, BusKind::Memory);
    assert_eq!(config.bus.prefix, "posture");
    assert!(config.database.url.expose_secret().starts_with("sqlite://"));
    assert_eq!(
        config.scheduler.daily_time().map(|t| t.to_string()),
        Some("03:00:00".to_owned())
    );
    assert_eq!(
        config.endpoints.for_role(ServiceRole::Tokens),
        Some("https://127.0.0.1:7600")
    );
}

#[test]
fn file_overrides_defaults_and_keeps_the_rest() {
    let toml = file("[grpc]\nrequest_timeout_secs = 9\n[sync]\nbatch_size = 42\n");
    let config = ConfigLoader::new().file(toml.path()).load().expect("valid");
    assert_eq!(config.grpc.request_timeout_secs, 9);
    assert_eq!(config.sync.batch_size, 42);
    assert_eq!(
        config.grpc.listen.to_string(),
        "127.0.0.1:7600",
        "untouched keys keep defaults"
    );
    assert_eq!(config.sync.concurrency, 4);
}

#[test]
fn extra_packs_are_a_list_in_the_file_and_comma_separated_in_the_environment() {
    let toml = file("[assessment]\nextra_packs = [\"/packs/a\", \"/packs/b\"]\n");
    let config = ConfigLoader::new().file(toml.path()).load().expect("valid");
    assert_eq!(
        config.assessment.extra_packs,
        [std::path::PathBuf::from("/packs/a"), "/packs/b".into()]
    );
    let config = ConfigLoader::new()
        .file(toml.path())
        .env_vars(env(&[("POSTURE__ASSESSMENT__EXTRA_PACKS", " /packs/c , ")]))
        .load()
        .expect("valid");
    assert_eq!(
        config.assessment.extra_packs,
        [std::path::PathBuf::from("/packs/c")]
    );
    assert!(
        ConfigLoader::new()
            .load()
            .expect("defaults")
            .assessment
            .extra_packs
            .is_empty(),
        "only the built-in pack by default"
    );
}

#[test]
fn environment_overrides_the_file() {
    let toml = file("[sync]\nbatch_size = 42\nconcurrency = 2\n[telemetry]\nlog_format = \"pretty\"\n");
    let config = ConfigLoader::new()
        .file(toml.path())
        .env_vars(env(&[
            ("POSTURE__SYNC__BATCH_SIZE", "77"),
            ("POSTURE__TELEMETRY__LOG_FORMAT", "json"),
            ("POSTURE__SERVICES", "credentials,tokens"),
            ("POSTURE__DATABASE__URL", "postgres://posture:pw@db:5432/posture"),
            ("PATH", "/usr/bin"),
            ("POSTURE_TEST_DATABASE_URL", "postgres://ignored"),
        ]))
        .load()
        .expect("valid");
    assert_eq!(config.sync.batch_size, 77);
    assert_eq!(
        config.sync.concurrency, 2,
        "file value survives where env is silent"
    );
    assert_eq!(config.telemetry.log_format, LogFormat::Json);
    assert_eq!(
        config.services,
        vec![ServiceRole::Credentials, ServiceRole::Tokens]
    );
    assert_eq!(
        config.database.url.expose_secret(),
        "postgres://posture:pw@db:5432/posture"
    );
}

#[test]
fn flags_override_the_environment() {
    let toml = file("services = [\"sync\"]\n[sync]\nbatch_size = 42\n");
    let config = ConfigLoader::new()
        .file(toml.path())
        .env_vars(env(&[
            ("POSTURE__SYNC__BATCH_SIZE", "77"),
            ("POSTURE__SERVICES", "scheduler"),
        ]))
        .set("sync.batch_size", "99")
        .set("services", "gateway,assessment")
        .load()
        .expect("valid");
    assert_eq!(config.sync.batch_size, 99);
    assert_eq!(
        config.services,
        vec![ServiceRole::Gateway, ServiceRole::Assessment]
    );
}

#[test]
fn unknown_keys_are_rejected_wherever_they_come_from() {
    let typo_in_file = file("[grpc]\nlisten_addr = \"0.0.0.0:7600\"\n");
    let message = problems(ConfigLoader::new().file(typo_in_file.path()).load());
    assert!(message.contains("listen_addr"), "{message}");

    let unknown_section = file("[grcp]\nlisten = \"0.0.0.0:7600\"\n");
    let message = problems(ConfigLoader::new().file(unknown_section.path()).load());
    assert!(message.contains("grcp"), "{message}");

    let message = problems(
        ConfigLoader::new()
            .env_vars(env(&[("POSTURE__BUS__NATSURL", "nats://x")]))
            .load(),
    );
    assert!(message.contains("natsurl"), "{message}");
}

#[test]
fn key_material_cannot_be_written_into_the_file() {
    let literal = file("[vault]\nactive_key = \"k1\"\nkeys = [{ id = \"k1\", material = \"c2VjcmV0\" }]\n");
    let message = problems(ConfigLoader::new().file(literal.path()).load());
    assert!(message.contains("material"), "{message}");
    assert!(!message.contains("c2VjcmV0"), "{message}");
}

#[test]
fn unknown_role_names_are_rejected_with_the_valid_names() {
    let message = problems(ConfigLoader::new().set("services", "sync,tokenz").load());
    assert!(message.contains("`tokenz`"), "{message}");
    assert!(message.contains("credentials, tokens, sync"), "{message}");
}

#[test]
fn validation_reports_every_problem_with_the_key_to_fix() {
    let toml = file(
        "[database]\nurl = \"mysql://db/posture\"\n[bus]\nkind = \"nats\"\n[tokens]\nrefresh_ahead_secs = 30\njitter_secs = 60\n\
         [scheduler]\ndaily_at = \"25:00\"\n[endpoints]\nsync = \"posture-sync:7600\"\n\
         [vault]\nactive_key = \"k9\"\nkeys = [{ id = \"k1\", env = \"K1\", file = \"/k1\" }]\n",
    );
    let message = problems(ConfigLoader::new().file(toml.path()).load());
    for expected in [
        "database.url must start with postgres:// or sqlite://",
        "bus.kind = nats requires bus.nats_url",
        "tokens.jitter_secs must be smaller than tokens.refresh_ahead_secs",
        "scheduler.daily_at must be a UTC time as HH:MM",
        "endpoints.sync must start with http:// or https:// (got `posture-sync:7600`)",
        "vault.keys: key `k1` needs exactly one of env or file",
        "vault.active_key `k9` is not one of vault.keys",
    ] {
        assert!(message.contains(expected), "missing `{expected}` in:\n{message}");
    }
}

#[test]
fn bad_values_name_their_key() {
    let message = problems(ConfigLoader::new().set("grpc.listen", "localhost").load());
    assert!(
        message.contains("grpc.listen") || message.contains("listen"),
        "{message}"
    );
    let message = problems(ConfigLoader::new().set("sync.batch_size", "lots").load());
    assert!(message.contains("batch_size"), "{message}");
    let message = problems(ConfigLoader::new().set("bus.kind", "kafka").load());
    assert!(message.contains("kafka"), "{message}");
}

#[test]
fn missing_config_file_is_an_error_naming_the_path() {
    let message = problems(ConfigLoader::new().file("/nonexistent/posture.toml").load());
    assert!(message.contains("/nonexistent/posture.toml"), "{message}");
}

#[test]
fn secrets_never_appear_in_debug_or_the_redacted_view() {
    let config = ConfigLoader::new()
        .env_vars(env(&[
            (
                "POSTURE__DATABASE__URL",
                "postgres://posture:hunter2@db:5432/posture",
            ),
            ("POSTURE__BUS__KIND", "nats"),
            ("POSTURE__BUS__NATS_URL", "nats://svc:natspass@nats:4222"),
            ("POSTURE__BACKUP__DESTINATION", "s3://backups/posture"),
            ("POSTURE__BACKUP__S3__SECRET_ACCESS_KEY", "s3keyvalue"),
        ]))
        .load()
        .expect("valid");
    let debug = format!("{config:?}");
    assert!(
        !debug.contains("hunter2") && !debug.contains("natspass") && !debug.contains("s3keyvalue"),
        "{debug}"
    );
    assert_eq!(
        config
            .backup
            .s3
            .secret_access_key
            .as_ref()
            .map(|k| k.expose_secret().to_owned()),
        Some("s3keyvalue".to_owned())
    );

    let shown = config.redacted().expect("render");
    assert!(
        !shown.contains("hunter2") && !shown.contains("natspass") && !shown.contains("s3keyvalue"),
        "{shown}"
    );
    assert!(shown.contains("secret_access_key = \"****\""), "{shown}");
    assert!(
        shown.contains("postgres://posture:****@db:5432/posture"),
        "{shown}"
    );
    assert!(shown.contains("nats://svc:****@nats:4222"), "{shown}");
}

#[test]
fn vault_keys_resolve_from_files_and_report_missing_sources() {
    let key_file = file("  c2VjcmV0LWtleS1tYXRlcmlhbA==\n");
    let toml = file(&format!(
        "[vault]\nactive_key = \"k1\"\nkeys = [{{ id = \"k1\", file = \"{}\" }}, {{ id = \"k2\", env = \"POSTURE_TEST_UNSET_KEY_7f3a\" }}]\n",
        key_file.path().display()
    ));
    let config = ConfigLoader::new().file(toml.path()).load().expect("valid");
    let k1 = config.vault.keys[0].resolve().expect("file key resolves");
    assert_eq!(k1.expose_secret(), "c2VjcmV0LWtleS1tYXRlcmlhbA==");
    let err = config.vault.keys[1].resolve().expect_err("unset env var");
    assert!(err.to_string().contains("POSTURE_TEST_UNSET_KEY_7f3a"), "{err}");
    assert!(!format!("{k1:?}").contains("c2VjcmV0"));
}

#[test]
fn every_scalar_key_in_the_reference_has_a_working_environment_variable() {
    // (environment variable, value, dotted key) — the README's table, checked.
    let cases = [
        ("POSTURE__SERVICES", "tokens,sync", "services"),
        ("POSTURE__GRPC__LISTEN", "0.0.0.0:9600", "grpc.listen"),
        (
            "POSTURE__GRPC__MAX_MESSAGE_BYTES",
            "65536",
            "grpc.max_message_bytes",
        ),
        (
            "POSTURE__GRPC__REQUEST_TIMEOUT_SECS",
            "11",
            "grpc.request_timeout_secs",
        ),
        (
            "POSTURE__GRPC__CONNECT_TIMEOUT_SECS",
            "3",
            "grpc.connect_timeout_secs",
        ),
        ("POSTURE__HEALTH__LISTEN", "0.0.0.0:9601", "health.listen"),
        (
            "POSTURE__BACKUP__DESTINATION",
            "s3://bucket/posture",
            "backup.destination",
        ),
        ("POSTURE__BACKUP__INTERVAL_SECS", "3600", "backup.interval_secs"),
        ("POSTURE__BACKUP__RETENTION_DAYS", "14", "backup.retention_days"),
        ("POSTURE__BACKUP__RETENTION_COUNT", "5", "backup.retention_count"),
        (
            "POSTURE__BACKUP__S3__ENDPOINT",
            "http://minio:9000",
            "backup.s3.endpoint",
        ),
        ("POSTURE__BACKUP__S3__REGION", "eu-west-1", "backup.s3.region"),
        (
            "POSTURE__BACKUP__S3__ACCESS_KEY_ID",
            "AKIDEXAMPLE",
            "backup.s3.access_key_id",
        ),
        (
            "POSTURE__DATABASE__URL",
            "postgres://posture@db:5432/posture",
            "database.url",
        ),
        (
            "POSTURE__DATABASE__MAX_CONNECTIONS",
            "7",
            "database.max_connections",
        ),
        (
            "POSTURE__DATABASE__ACQUIRE_TIMEOUT_SECS",
            "4",
            "database.acquire_timeout_secs",
        ),
        ("POSTURE__BUS__KIND", "nats", "bus.kind"),
        ("POSTURE__BUS__NATS_URL", "nats://nats:4222", "bus.nats_url"),
        ("POSTURE__BUS__PREFIX", "posture-ci", "bus.prefix"),
        ("POSTURE__TELEMETRY__LOG_FORMAT", "json", "telemetry.log_format"),
        (
            "POSTURE__TELEMETRY__LOG_LEVEL",
            "warn,posture_sync=debug",
            "telemetry.log_level",
        ),
        (
            "POSTURE__TELEMETRY__OTLP_ENDPOINT",
            "http://collector:4317",
            "telemetry.otlp_endpoint",
        ),
        (
            "POSTURE__TELEMETRY__SERVICE_NAME",
            "posture-sync",
            "telemetry.service_name",
        ),
        (
            "POSTURE__TOKENS__REFRESH_AHEAD_SECS",
            "900",
            "tokens.refresh_ahead_secs",
        ),
        ("POSTURE__TOKENS__JITTER_SECS", "30", "tokens.jitter_secs"),
        ("POSTURE__SCHEDULER__DAILY_AT", "01:15", "scheduler.daily_at"),
        (
            "POSTURE__SCHEDULER__SPREAD_MINUTES",
            "45",
            "scheduler.spread_minutes",
        ),
        ("POSTURE__SYNC__BATCH_SIZE", "250", "sync.batch_size"),
        ("POSTURE__SYNC__CONCURRENCY", "16", "sync.concurrency"),
        (
            "POSTURE__SYNC__AUDIT_RETENTION_DAYS",
            "30",
            "sync.audit_retention_days",
        ),
        (
            "POSTURE__SYNC__AUDIT_INTERVAL_SECS",
            "60",
            "sync.audit_interval_secs",
        ),
        (
            "POSTURE__SYNC__AUDIT_AFTER_SYNC",
            "false",
            "sync.audit_after_sync",
        ),
        (
            "POSTURE__ASSESSMENT__EXTRA_PACKS",
            "/etc/posture/packs/msp,/etc/posture/packs/customer",
            "assessment.extra_packs",
        ),
        ("POSTURE__GATEWAY__LISTEN", "0.0.0.0:9700", "gateway.listen"),
        (
            "POSTURE__GRPC__TLS__CA_FILE",
            "/etc/posture/tls/ca.crt",
            "grpc.tls.ca_file",
        ),
        (
            "POSTURE__GRPC__TLS__CERT_FILE",
            "/etc/posture/tls/tls.crt",
            "grpc.tls.cert_file",
        ),
        (
            "POSTURE__GRPC__TLS__KEY_FILE",
            "/etc/posture/tls/tls.key",
            "grpc.tls.key_file",
        ),
        (
            "POSTURE__GATEWAY__TLS__CERT_FILE",
            "/etc/posture/edge/tls.crt",
            "gateway.tls.cert_file",
        ),
        (
            "POSTURE__GATEWAY__TLS__KEY_FILE",
            "/etc/posture/edge/tls.key",
            "gateway.tls.key_file",
        ),
        (
            "POSTURE__GATEWAY__TLS__CLIENT_CA_FILE",
            "/etc/posture/edge/clients.crt",
            "gateway.tls.client_ca_file",
        ),
        (
            "POSTURE__GATEWAY__ALLOW_PLAINTEXT",
            "true",
            "gateway.allow_plaintext",
        ),
        (
            "POSTURE__ENDPOINTS__CREDENTIALS",
            "https://credentials:7600",
            "endpoints.credentials",
        ),
        (
            "POSTURE__ENDPOINTS__TOKENS",
            "https://tokens:7600",
            "endpoints.tokens",
        ),
        ("POSTURE__ENDPOINTS__SYNC", "https://sync:7600", "endpoints.sync"),
        (
            "POSTURE__ENDPOINTS__SCHEDULER",
            "https://scheduler:7600",
            "endpoints.scheduler",
        ),
        (
            "POSTURE__ENDPOINTS__ASSESSMENT",
            "https://assessment:7600",
            "endpoints.assessment",
        ),
        (
            "POSTURE__CLOUD__ENVIRONMENT",
            "us-gov-gcc-high",
            "cloud.environment",
        ),
        ("POSTURE__CLOUD__LOGIN_URL", "http://sim:8080", "cloud.login_url"),
        ("POSTURE__CLOUD__GRAPH_URL", "http://sim:8081", "cloud.graph_url"),
        (
            "POSTURE__CLOUD__DEFENDER_URL",
            "http://sim:8082",
            "cloud.defender_url",
        ),
        (
            "POSTURE__CLOUD__MANAGEMENT_URL",
            "http://sim:8083",
            "cloud.management_url",
        ),
    ];
    let config = ConfigLoader::new()
        .env_vars(
            cases
                .iter()
                .map(|(var, value, _)| ((*var).to_owned(), (*value).to_owned())),
        )
        .load()
        .expect("every documented variable is accepted");
    let rendered: toml::Value = toml::from_str(&config.redacted().expect("render")).expect("parse");
    for (var, value, key) in cases {
        let mut node = &rendered;
        for part in key.split('.') {
            node = node
                .get(part)
                .unwrap_or_else(|| panic!("{key} missing from the rendered config"));
        }
        let shown = match node {
            toml::Value::String(s) => s.clone(),
            toml::Value::Array(items) => items
                .iter()
                .filter_map(|item| item.as_str())
                .collect::<Vec<_>>()
                .join(","),
            other => other.to_string(),
        };
        assert_eq!(shown, value, "{var} did not set {key}");
    }
}

#[test]
fn a_backup_destination_must_be_a_folder_or_bucket_url() {
    let message = problems(
        ConfigLoader::new()
            .env_vars(env(&[("POSTURE__BACKUP__DESTINATION", "/var/backups")]))
            .load(),
    );
    assert!(message.contains("backup.destination"), "{message}");
    for good in ["", "file:///var/backups/posture", "s3://bucket/prefix"] {
        ConfigLoader::new()
            .env_vars(env(&[("POSTURE__BACKUP__DESTINATION", good)]))
            .load()
            .unwrap_or_else(|e| panic!("{good}: {e}"));
    }
}
