//! `posture tenants import FILE.csv`: connect many tenants at once. One row per tenant; secrets
//! and certificates are read from the files the rows name (never from the CSV itself), relative
//! paths from the CSV's folder. Every row is checked before anything is sent, a failing row does
//! not stop the others, and the table says what happened to each.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, ValueEnum};
use posture_proto::v1::tenant_connection_service_client::TenantConnectionServiceClient;
use posture_proto::v1::{ConnectionState, CreateConnectionRequest, TestConnectionRequest};
use serde::Deserialize;

use super::output::{OutputFormat, Table, print_json};
use super::tenants::{AddArgs, CloudArg, CredentialArgs, EndpointArgs, custom_endpoints, read_credential};
use super::{AuthedChannel, health};

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// CSV with a header row: tenant_id, client_id, name, and either secret_file with
    /// secret_expires (YYYY-MM-DD) or certificate with private_key; optional: cloud
    /// (global, gcc, gcc-high, dod, china, custom) and, for custom, authority_url, graph_url,
    /// defender_url, management_url, exchange_url.
    pub file: PathBuf,
    /// Check every row and read every credential file, without connecting anything.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not test each connection after saving it.
    #[arg(long)]
    pub no_test: bool,
}

/// One CSV row as written; every column but the three ids is optional.
#[derive(Debug, Deserialize)]
struct Row {
    tenant_id: String,
    client_id: String,
    name: String,
    #[serde(default)]
    cloud: Option<String>,
    #[serde(default)]
    secret_file: Option<String>,
    #[serde(default)]
    secret_expires: Option<String>,
    #[serde(default)]
    certificate: Option<String>,
    #[serde(default)]
    private_key: Option<String>,
    #[serde(default)]
    authority_url: Option<String>,
    #[serde(default)]
    graph_url: Option<String>,
    #[serde(default)]
    defender_url: Option<String>,
    #[serde(default)]
    management_url: Option<String>,
    #[serde(default)]
    exchange_url: Option<String>,
}

/// A row turned into the arguments of `tenants add`, or why it cannot be.
struct Planned {
    line: u64,
    tenant_id: String,
    name: String,
    add: Result<AddArgs, String>,
}

fn non_empty(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

fn plan_row(row: Row, base: &Path) -> Result<AddArgs, String> {
    let path = |v: Option<String>| non_empty(v).map(|p| base.join(p));
    let cloud = match non_empty(row.cloud) {
        Some(c) => CloudArg::from_str(&c, true).map_err(|_| format!("unknown cloud {c:?}"))?,
        None => CloudArg::Global,
    };
    let secret_expires = match non_empty(row.secret_expires) {
        Some(d) => Some(
            chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d")
                .map_err(|_| format!("secret_expires {d:?} is not YYYY-MM-DD"))?,
        ),
        None => None,
    };
    let credential = CredentialArgs {
        secret_file: path(row.secret_file),
        secret_expires,
        certificate: path(row.certificate),
        private_key: path(row.private_key),
    };
    match (
        &credential.secret_file,
        &credential.certificate,
        &credential.private_key,
    ) {
        (Some(_), None, None) | (None, Some(_), Some(_)) => {}
        (None, None, None) => return Err("no secret_file, and no certificate with private_key".into()),
        _ => return Err("give either secret_file or certificate with private_key".into()),
    }
    let tenant_id = row.tenant_id.trim().to_owned();
    let client_id = row.client_id.trim().to_owned();
    for (value, column) in [(&tenant_id, "tenant_id"), (&client_id, "client_id")] {
        if uuid::Uuid::parse_str(value).is_err() {
            return Err(format!("{column} {value:?} is not a GUID"));
        }
    }
    let add = AddArgs {
        tenant_id,
        client_id,
        name: row.name.trim().to_owned(),
        cloud,
        urls: EndpointArgs {
            authority_url: non_empty(row.authority_url),
            graph_url: non_empty(row.graph_url),
            defender_url: non_empty(row.defender_url),
            management_url: non_empty(row.management_url),
            exchange_url: non_empty(row.exchange_url),
        },
        credential,
        no_test: false,
        keep_on_failure: true,
        tags: Vec::new(),
    };
    if add.name.is_empty() {
        return Err("name is empty".into());
    }
    custom_endpoints(&add).map_err(|e| e.to_string())?;
    // Read the files now, so a missing one is reported before anything is connected.
    read_credential(&add.credential).map_err(|e| format!("{e:#}"))?;
    Ok(add)
}

fn plan(file: &Path) -> anyhow::Result<Vec<Planned>> {
    let base = file.parent().unwrap_or(Path::new("."));
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(file)
        .with_context(|| format!("cannot read {}", file.display()))?;
    let headers = reader
        .headers()
        .with_context(|| format!("{} has no header row", file.display()))?
        .clone();
    for required in ["tenant_id", "client_id", "name"] {
        anyhow::ensure!(
            headers.iter().any(|h| h == required),
            "{} has no {required} column (header: {})",
            file.display(),
            headers.iter().collect::<Vec<_>>().join(",")
        );
    }
    let mut planned = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for record in reader.records() {
        let record = record.with_context(|| format!("{} is not valid CSV", file.display()))?;
        let line = record.position().map_or(0, csv::Position::line);
        let (tenant_id, name) = (
            record
                .get(
                    headers
                        .iter()
                        .position(|h| h == "tenant_id")
                        .unwrap_or(usize::MAX),
                )
                .unwrap_or("")
                .to_owned(),
            record
                .get(headers.iter().position(|h| h == "name").unwrap_or(usize::MAX))
                .unwrap_or("")
                .to_owned(),
        );
        let add = record
            .deserialize::<Row>(Some(&headers))
            .map_err(|e| format!("{e}"))
            .and_then(|row| plan_row(row, base))
            .and_then(|add| {
                if seen.insert(add.tenant_id.to_ascii_lowercase()) {
                    Ok(add)
                } else {
                    Err("the tenant is listed twice".into())
                }
            });
        planned.push(Planned {
            line,
            tenant_id,
            name,
            add,
        });
    }
    anyhow::ensure!(
        !planned.is_empty(),
        "{} has no rows below its header",
        file.display()
    );
    Ok(planned)
}

/// What happened to one row.
struct Outcome {
    line: u64,
    tenant_id: String,
    name: String,
    result: String,
    ok: bool,
}

pub async fn run(
    args: &ImportArgs,
    connect: impl std::future::Future<Output = anyhow::Result<TenantConnectionServiceClient<AuthedChannel>>>,
    format: OutputFormat,
) -> anyhow::Result<i32> {
    let planned = plan(&args.file)?;
    let mut outcomes = Vec::with_capacity(planned.len());
    let mut client = if args.dry_run || planned.iter().all(|p| p.add.is_err()) {
        None
    } else {
        Some(connect.await?)
    };
    for p in planned {
        let (result, ok) = match (&p.add, client.as_mut()) {
            (Err(why), _) => (format!("invalid: {why}"), false),
            (Ok(_), None) => ("ready".to_owned(), true),
            (Ok(add), Some(client)) => connect_one(client, add, args.no_test).await,
        };
        outcomes.push(Outcome {
            line: p.line,
            tenant_id: p.tenant_id,
            name: p.name,
            result,
            ok,
        });
    }
    let failed = outcomes.iter().filter(|o| !o.ok).count();
    match format {
        OutputFormat::Json => print_json(&serde_json::json!(
            outcomes
                .iter()
                .map(|o| serde_json::json!({
                    "line": o.line, "tenant_id": o.tenant_id, "name": o.name, "ok": o.ok, "result": o.result,
                }))
                .collect::<Vec<_>>()
        ))?,
        OutputFormat::Table => {
            let mut table = Table::new(vec!["LINE", "TENANT", "NAME", "RESULT"]);
            for o in &outcomes {
                table.row(vec![
                    o.line.to_string(),
                    o.tenant_id.clone(),
                    o.name.clone(),
                    o.result.clone(),
                ]);
            }
            outln!("{}", table.render().trim_end());
            outln!(
                "{} of {} rows {}",
                outcomes.len() - failed,
                outcomes.len(),
                if args.dry_run {
                    "are ready to import (dry run: nothing sent)"
                } else {
                    "succeeded"
                }
            );
        }
    }
    Ok(if failed == 0 {
        0
    } else {
        super::tenants::EXIT_NOT_CONNECTED
    })
}

async fn connect_one(
    client: &mut TenantConnectionServiceClient<AuthedChannel>,
    add: &AddArgs,
    no_test: bool,
) -> (String, bool) {
    let request = match (read_credential(&add.credential), custom_endpoints(add)) {
        (Ok(credential), Ok(endpoints)) => CreateConnectionRequest {
            tenant_id: add.tenant_id.clone(),
            display_name: add.name.clone(),
            client_id: add.client_id.clone(),
            cloud: posture_proto::v1::Cloud::from(add.cloud) as i32,
            endpoints,
            credential: Some(credential),
            tags: Vec::new(),
        },
        (Err(e), _) | (_, Err(e)) => return (format!("invalid: {e:#}"), false),
    };
    if let Err(status) = client.create_connection(request).await {
        return match status.code() {
            tonic::Code::AlreadyExists => ("already connected (left as it is)".to_owned(), true),
            _ => (format!("not added: {}", status.message()), false),
        };
    }
    if no_test {
        return ("added (not tested)".to_owned(), true);
    }
    match client
        .test_connection(TestConnectionRequest {
            tenant_id: add.tenant_id.clone(),
        })
        .await
    {
        Ok(reply) => {
            let health = reply.into_inner().health.unwrap_or_default();
            let connected = health.state == ConnectionState::Connected as i32;
            (format!("added: {}", health::summary(Some(&health))), connected)
        }
        Err(status) => (format!("added, test failed: {}", status.message()), false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).expect("write");
        path
    }

    #[test]
    fn rows_are_checked_before_anything_is_sent() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), "contoso.secret", "s3cret\n");
        let csv = write(
            dir.path(),
            "tenants.csv",
            "tenant_id,client_id,name,secret_file,secret_expires,cloud\n\
             11111111-1111-1111-1111-111111111111,22222222-2222-2222-2222-222222222222,Contoso,contoso.secret,2027-06-01,\n\
             33333333-3333-3333-3333-333333333333,22222222-2222-2222-2222-222222222222,Fabrikam,missing.secret,2027-06-01,\n\
             not-a-guid,22222222-2222-2222-2222-222222222222,Bad,contoso.secret,2027-06-01,\n\
             44444444-4444-4444-4444-444444444444,22222222-2222-2222-2222-222222222222,Gov,contoso.secret,2027-06-01,gcc-high\n\
             55555555-5555-5555-5555-555555555555,22222222-2222-2222-2222-222222222222,NoSecret,,,\n\
             11111111-1111-1111-1111-111111111111,22222222-2222-2222-2222-222222222222,Twice,contoso.secret,2027-06-01,\n\
             66666666-6666-6666-6666-666666666666,22222222-2222-2222-2222-222222222222,Moon,contoso.secret,2027-06-01,moon\n",
        );
        let planned = plan(&csv).expect("readable");
        let results: Vec<(&str, Result<(), String>)> = planned
            .iter()
            .map(|p| (p.name.as_str(), p.add.as_ref().map(|_| ()).map_err(Clone::clone)))
            .collect();
        assert!(results[0].1.is_ok(), "{results:?}");
        assert!(
            results[1]
                .1
                .as_ref()
                .err()
                .is_some_and(|e| e.contains("missing.secret")),
            "{results:?}"
        );
        assert!(
            results[2]
                .1
                .as_ref()
                .err()
                .is_some_and(|e| e.contains("tenant_id")),
            "{results:?}"
        );
        assert!(results[3].1.is_ok(), "{results:?}");
        assert!(
            results[4]
                .1
                .as_ref()
                .err()
                .is_some_and(|e| e.contains("no secret_file")),
            "{results:?}"
        );
        assert!(
            results[5].1.as_ref().err().is_some_and(|e| e.contains("twice")),
            "{results:?}"
        );
        assert!(
            results[6]
                .1
                .as_ref()
                .err()
                .is_some_and(|e| e.contains("unknown cloud")),
            "{results:?}"
        );
        assert_eq!(planned[0].line, 2, "lines count the header");
        assert!(
            planned
                .iter()
                .all(|p| p.add.as_ref().err().is_none_or(|e| !e.contains("s3cret"))),
            "no secret in any message"
        );
    }

    #[test]
    fn an_empty_file_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let csv = write(dir.path(), "t.csv", "tenant_id,client_id,name\n");
        assert!(plan(&csv).is_err());
    }
}
