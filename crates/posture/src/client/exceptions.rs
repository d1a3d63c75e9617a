//! `posture exceptions …`: record, list and withdraw risk acceptances for failing controls.

use anyhow::Context;
use clap::{Args, Subcommand};
use posture_proto::v1::exception_service_client::ExceptionServiceClient;
use posture_proto::v1::{
    ControlException, CreateExceptionRequest, DeleteExceptionRequest, ExceptionState, ListExceptionsRequest,
};
use serde_json::json;

use super::output::{OutputFormat, Table, print_json};
use super::progress::{explain_missing, shorten, timestamp_json, ts_opt};
use super::{GatewayArgs, status::explain};

#[derive(Subcommand, Debug)]
pub enum ExceptionsCommand {
    /// Accept the risk of a failing control, for the whole control or some objects, until a date.
    Add(AddArgs),
    /// List a tenant's exceptions, soonest expiry first.
    List {
        tenant_id: String,
        /// Also list expired exceptions.
        #[arg(long)]
        include_expired: bool,
    },
    /// Withdraw an exception; later assessments no longer mark its findings accepted.
    Remove {
        tenant_id: String,
        exception_id: String,
        /// Why, for the audit record.
        #[arg(long, default_value = "")]
        reason: String,
    },
}

#[derive(Args, Debug)]
pub struct AddArgs {
    pub tenant_id: String,
    /// Control id as `posture assess show` lists it, e.g. `entra.ca.mfa-all-users`.
    #[arg(long)]
    pub control: String,
    /// Why the risk is accepted.
    #[arg(long)]
    pub reason: String,
    /// Who answers for the decision (person or team).
    #[arg(long)]
    pub owner: String,
    /// Last day of the acceptance (YYYY-MM-DD); it ends at the end of that day, UTC.
    #[arg(long)]
    pub expires: chrono::NaiveDate,
    /// Cover only this object (repeatable); without it the whole control is accepted.
    #[arg(long = "object")]
    pub objects: Vec<String>,
}

pub async fn run(command: ExceptionsCommand, gateway: &GatewayArgs) -> anyhow::Result<i32> {
    let mut client = ExceptionServiceClient::new(gateway.connect().await?);
    let format = gateway.output;
    match command {
        ExceptionsCommand::Add(args) => {
            let request = create_request(args)?;
            let created = client
                .create_exception(request)
                .await
                .map_err(|s| {
                    explain_missing("recording the exception", s, "posture assess show <tenant-id>")
                })?
                .into_inner()
                .exception
                .context("the server returned no exception")?;
            match format {
                OutputFormat::Json => print_json(&exception_json(&created))?,
                OutputFormat::Table => outln!(
                    "Recorded exception {} for {} until {}",
                    created.exception_id,
                    created.control_id,
                    ts_opt(created.expires_at.as_ref())
                ),
            }
            Ok(0)
        }
        ExceptionsCommand::List {
            tenant_id,
            include_expired,
        } => {
            let mut exceptions = Vec::new();
            let mut page_token = String::new();
            loop {
                let page = client
                    .list_exceptions(ListExceptionsRequest {
                        tenant_id: tenant_id.clone(),
                        include_expired,
                        page_size: 500,
                        page_token,
                        ..Default::default()
                    })
                    .await
                    .map_err(|s| explain("listing exceptions", s))?
                    .into_inner();
                exceptions.extend(page.exceptions);
                if page.next_page_token.is_empty() {
                    break;
                }
                page_token = page.next_page_token;
            }
            match format {
                OutputFormat::Json => {
                    print_json(&json!(exceptions.iter().map(exception_json).collect::<Vec<_>>()))?;
                }
                OutputFormat::Table => out!("{}", exceptions_table(&exceptions)),
            }
            Ok(0)
        }
        ExceptionsCommand::Remove {
            tenant_id,
            exception_id,
            reason,
        } => {
            client
                .delete_exception(DeleteExceptionRequest {
                    tenant_id: tenant_id.clone(),
                    exception_id: exception_id.clone(),
                    reason,
                })
                .await
                .map_err(|s| {
                    let list = format!("posture exceptions list {tenant_id}");
                    explain_missing("withdrawing the exception", s, &list)
                })?;
            match format {
                OutputFormat::Json => print_json(&json!({"exception_id": exception_id, "removed": true}))?,
                OutputFormat::Table => outln!("Withdrew exception {exception_id}"),
            }
            Ok(0)
        }
    }
}

/// Checks what can be checked here (empty text) and turns the date into the end of that day, so
/// "expires 2027-03-31" still covers the 31st.
pub fn create_request(args: AddArgs) -> anyhow::Result<CreateExceptionRequest> {
    if args.reason.trim().is_empty() {
        anyhow::bail!("--reason is empty: say why the risk is accepted (it goes into the audit record)");
    }
    if args.owner.trim().is_empty() {
        anyhow::bail!("--owner is empty: name the person or team who answers for the decision");
    }
    let end_of_day = args
        .expires
        .and_hms_opt(23, 59, 59)
        .context("--expires is not a valid date")?
        .and_utc();
    Ok(CreateExceptionRequest {
        tenant_id: args.tenant_id,
        control_id: args.control,
        object_ids: args.objects,
        reason: args.reason.trim().to_owned(),
        owner: args.owner.trim().to_owned(),
        expires_at: Some(prost_types::Timestamp {
            seconds: end_of_day.timestamp(),
            nanos: 0,
        }),
    })
}

fn state_label(state: i32) -> &'static str {
    match ExceptionState::try_from(state).unwrap_or(ExceptionState::Unspecified) {
        ExceptionState::Active => "active",
        ExceptionState::Expired => "expired",
        ExceptionState::Unspecified => "unknown",
    }
}

fn scope_text(e: &ControlException) -> String {
    match e.object_ids.len() {
        0 => "whole control".into(),
        1 => e.object_ids.join(""),
        n => format!("{n} objects"),
    }
}

pub fn exceptions_table(exceptions: &[ControlException]) -> String {
    let mut table = Table::new(vec![
        "ID", "CONTROL", "SCOPE", "OWNER", "EXPIRES", "STATE", "REASON",
    ]);
    for e in exceptions {
        table.row(vec![
            e.exception_id.clone(),
            e.control_id.clone(),
            scope_text(e),
            e.owner.clone(),
            ts_opt(e.expires_at.as_ref()),
            state_label(e.state).into(),
            shorten(&e.reason, 40),
        ]);
    }
    table.render()
}

pub fn exception_json(e: &ControlException) -> serde_json::Value {
    json!({
        "exception_id": e.exception_id,
        "tenant_id": e.tenant_id,
        "control_id": e.control_id,
        "object_ids": e.object_ids,
        "reason": e.reason,
        "owner": e.owner,
        "state": state_label(e.state),
        "expires_at": timestamp_json(e.expires_at.as_ref()),
        "created_by": e.created_by,
        "created_at": timestamp_json(e.created_at.as_ref()),
    })
}

impl super::resolve::TenantArgument for ExceptionsCommand {
    fn tenant_argument(&mut self) -> Option<(&mut String, Option<&mut String>)> {
        match self {
            ExceptionsCommand::Add(args) => Some((&mut args.tenant_id, None)),
            ExceptionsCommand::List { tenant_id, .. } | ExceptionsCommand::Remove { tenant_id, .. } => {
                Some((tenant_id, None))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(reason: &str, owner: &str) -> AddArgs {
        AddArgs {
            tenant_id: "t1".into(),
            control: "MS.AAD.3.2v2".into(),
            reason: reason.into(),
            owner: owner.into(),
            expires: chrono::NaiveDate::from_ymd_opt(2027, 3, 31).unwrap_or_default(),
            objects: vec!["u1".into()],
        }
    }

    #[derive(clap::Parser, Debug)]
    struct Cli {
        #[command(subcommand)]
        command: ExceptionsCommand,
    }

    #[test]
    fn add_takes_repeated_objects_and_rejects_a_malformed_date() {
        use clap::{CommandFactory, Parser};
        Cli::command().debug_assert();
        let base = [
            "exceptions",
            "add",
            "t1",
            "--control",
            "MS.AAD.3.2v2",
            "--reason",
            "r",
            "--owner",
            "o",
        ];
        let cli = Cli::try_parse_from(base.iter().copied().chain([
            "--expires",
            "2027-03-31",
            "--object",
            "u1",
            "--object",
            "u2",
        ]));
        match cli.map(|c| c.command) {
            Ok(ExceptionsCommand::Add(args)) => assert_eq!(args.objects, ["u1", "u2"]),
            other => panic!("unexpected parse: {other:?}"),
        }
        assert!(Cli::try_parse_from(base.iter().copied().chain(["--expires", "31/03/2027"])).is_err());
    }

    #[test]
    fn expiry_date_covers_the_whole_last_day_in_utc() {
        let request = create_request(args(" break-glass accounts ", "IAM team")).map_err(|e| e.to_string());
        let request = request.as_ref().map_err(String::as_str);
        let expires = request.map(|r| r.expires_at.map(|t| t.seconds));
        assert_eq!(expires, Ok(Some(1_806_537_599)), "2027-03-31T23:59:59Z");
        assert_eq!(request.map(|r| r.reason.as_str()), Ok("break-glass accounts"));
        assert_eq!(request.map(|r| r.object_ids.clone()), Ok(vec!["u1".to_owned()]));
    }

    #[test]
    fn empty_reason_or_owner_is_refused_with_what_to_fill_in() {
        let err = create_request(args("  ", "IAM"))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("--reason"), "{err}");
        let err = create_request(args("why", ""))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("--owner"), "{err}");
    }

    #[test]
    fn table_shows_scope_and_state_and_json_keeps_every_object() {
        let e = ControlException {
            exception_id: "e1".into(),
            control_id: "MS.AAD.3.2v2".into(),
            object_ids: vec!["u1".into(), "u2".into()],
            reason: "Emergency access accounts are excluded from MFA by design and monitored".into(),
            owner: "IAM".into(),
            state: ExceptionState::Active as i32,
            expires_at: Some(prost_types::Timestamp {
                seconds: 1_806_537_599,
                nanos: 0,
            }),
            ..Default::default()
        };
        let whole = ControlException {
            exception_id: "e2".into(),
            state: ExceptionState::Expired as i32,
            ..Default::default()
        };
        let table = exceptions_table(&[e.clone(), whole]);
        let lines: Vec<_> = table.lines().collect();
        assert!(
            lines[1].contains("2 objects") && lines[1].contains("2027-03-31 23:59 UTC"),
            "{table}"
        );
        assert!(lines[1].contains("active") && lines[1].ends_with('…'), "{table}");
        assert!(
            lines[2].contains("whole control") && lines[2].contains("expired"),
            "{table}"
        );
        let value = exception_json(&e);
        assert_eq!(value["object_ids"], json!(["u1", "u2"]));
        assert_eq!(value["expires_at"], "2027-03-31T23:59:59+00:00");
        assert_eq!(value["created_at"], serde_json::Value::Null);
    }
}
