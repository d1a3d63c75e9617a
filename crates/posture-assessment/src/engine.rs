//! Evaluates a pack over a tenant document. Each control runs in its own regorus engine against
//! the same input; whatever goes wrong in one module (parse error, runtime error, malformed result,
//! even a panic) becomes that control's `error` result and the others carry on.

use std::collections::HashSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::assessment::Assessment;
use crate::document::TenantDocument;
use crate::input::RegoInput;
use crate::metadata::ControlMetadata;
use crate::module::ControlModule;
use crate::pack::PolicyPack;
use crate::result::{ControlResult, Evidence, FrameworkResult, Status};
use crate::score::score;

/// The policy engine. Stateless: everything it needs is in the pack and the document.
#[derive(Debug, Clone, Copy, Default)]
pub struct Engine;

/// What a module's `result` rule must evaluate to.
#[derive(Debug, Deserialize)]
struct DecidedResult {
    status: Status,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    evidence: Vec<Evidence>,
    #[serde(default)]
    by_framework: Vec<FrameworkResult>,
}

impl Engine {
    /// Evaluates every control of `pack` over `document`, in pack order.
    pub fn evaluate(pack: &PolicyPack, document: &TenantDocument) -> Assessment {
        Self::evaluate_input(pack, document.tenant_id().to_string(), || {
            RegoInput::new(document)
        })
    }

    /// As [`Engine::evaluate`], consuming the document: each part is freed once converted for
    /// the policy engine, and the items of collections no control reads are freed unconverted,
    /// which lowers the peak memory of a large tenant's assessment.
    pub fn evaluate_owned(pack: &PolicyPack, document: TenantDocument) -> Assessment {
        let tenant_id = document.tenant_id().to_string();
        let read: HashSet<&str> = pack.collections_read().into_iter().collect();
        Self::evaluate_input(pack, tenant_id, move || RegoInput::owned(document, &read))
    }

    fn evaluate_input<'a>(
        pack: &PolicyPack,
        tenant_id: String,
        input: impl FnOnce() -> Result<RegoInput<'a>, String>,
    ) -> Assessment {
        let started = Instant::now();
        let span = tracing::info_span!("assessment", tenant_id = %tenant_id, controls = pack.len());
        let _entered = span.enter();

        let mut input = input();
        let results: Vec<ControlResult> = pack
            .controls
            .iter()
            .map(|control| {
                let control_input = match (&mut input, control.metadata()) {
                    (Ok(input), Some(metadata)) => input.for_control(metadata.collections_read()),
                    (Ok(_), None) => Ok(regorus::Value::Undefined),
                    (Err(e), _) => Err(format!("tenant document unusable: {e}")),
                };
                evaluate_control(control, control_input)
            })
            .collect();
        let scores = score(&results);
        let duration = started.elapsed();
        tracing::info!(duration_ms = duration.as_millis() as u64, "assessment evaluated");
        Assessment {
            tenant_id,
            results,
            scores,
            duration,
        }
    }
}

fn errored(control: &ControlModule, reason: String, duration: Duration) -> ControlResult {
    let metadata = control.metadata().cloned();
    ControlResult {
        control_id: control.id().to_string(),
        title: metadata.as_ref().map(|m| m.title.clone()).unwrap_or_default(),
        metadata,
        status: Status::Error,
        reason,
        evidence: Vec::new(),
        by_framework: Vec::new(),
        accepted: false,
        exceptions: Vec::new(),
        duration,
    }
}

fn evaluate_control(control: &ControlModule, input: Result<regorus::Value, String>) -> ControlResult {
    let started = Instant::now();
    let (metadata, result_rule, engine) = match control {
        ControlModule::Ready {
            metadata,
            result_rule,
            engine,
            ..
        } => (metadata, result_rule, engine),
        ControlModule::Broken { error, .. } => {
            return errored(
                control,
                format!("policy module did not load: {error}"),
                started.elapsed(),
            );
        }
    };
    let input = match input {
        Ok(input) => input,
        Err(e) => return errored(control, e, started.elapsed()),
    };

    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let mut engine = (**engine).clone();
        engine.set_input(input);
        engine.eval_rule(result_rule.clone())
    }));
    let decided = match outcome {
        Ok(Ok(regorus::Value::Undefined)) => {
            Err("policy decided no result (`result` is undefined)".to_string())
        }
        Ok(Ok(value)) => parse_result(&value, metadata),
        Ok(Err(e)) => Err(format!("policy evaluation failed: {e}")),
        Err(_) => Err("policy evaluation panicked".to_string()),
    };
    let duration = started.elapsed();
    match decided {
        Ok(decided) => ControlResult {
            control_id: metadata.id.clone(),
            title: metadata.title.clone(),
            metadata: Some(metadata.clone()),
            status: decided.status,
            reason: decided.reason,
            evidence: decided.evidence,
            by_framework: decided.by_framework,
            accepted: false,
            exceptions: Vec::new(),
            duration,
        },
        Err(reason) => {
            tracing::warn!(control_id = %metadata.id, %reason, "control could not be evaluated");
            errored(control, reason, duration)
        }
    }
}

fn parse_result(value: &regorus::Value, metadata: &ControlMetadata) -> Result<DecidedResult, String> {
    let mut decided: DecidedResult = serde_json::to_value(value)
        .and_then(serde_json::from_value)
        .map_err(|e| format!("policy returned a malformed result: {e}"))?;
    let mut seen = HashSet::new();
    for f in &decided.by_framework {
        if !metadata.frameworks.iter().any(|r| r.framework == f.framework) {
            return Err(format!(
                "policy returned a result for framework {}, which the control does not reference",
                f.framework
            ));
        }
        if !seen.insert(f.framework.as_str()) {
            return Err(format!(
                "policy returned two results for framework {}",
                f.framework
            ));
        }
    }
    // A framework that agrees with the control needs no entry of its own.
    let status = decided.status;
    decided.by_framework.retain(|f| f.status != status);
    // Acceptance is granted by risk exceptions only, never by the policy itself.
    let framework_evidence = decided
        .by_framework
        .iter_mut()
        .flat_map(|f| f.evidence.iter_mut());
    for item in decided.evidence.iter_mut().chain(framework_evidence) {
        item.accepted = false;
    }
    Ok(decided)
}
