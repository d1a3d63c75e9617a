//! One control module prepared for evaluation: its own regorus engine holding the shared library
//! and the control, so a module that fails to parse or evaluate only ever affects its own result.

use std::num::NonZeroU32;
use std::time::Duration;

use regorus::utils::limits::ExecutionTimerConfig;

use crate::metadata::ControlMetadata;

/// Folder (relative to a pack's root) holding library modules rather than controls.
pub(crate) const LIBRARY_DIR: &str = "lib/";

/// A runaway policy (e.g. a cross product over 100,000 users) is stopped after this long and
/// reported as that control's error.
const EVALUATION_LIMIT: Duration = Duration::from_secs(60);

#[derive(Debug, Clone)]
pub(crate) enum ControlModule {
    Ready {
        metadata: ControlMetadata,
        source_path: String,
        /// `data.<package>.result`
        result_rule: String,
        engine: Box<regorus::Engine>,
    },
    Broken {
        id: String,
        source_path: String,
        error: String,
    },
}

impl ControlModule {
    pub(crate) fn id(&self) -> &str {
        match self {
            ControlModule::Ready { metadata, .. } => &metadata.id,
            ControlModule::Broken { id, .. } => id,
        }
    }

    pub(crate) fn metadata(&self) -> Option<&ControlMetadata> {
        match self {
            ControlModule::Ready { metadata, .. } => Some(metadata),
            ControlModule::Broken { .. } => None,
        }
    }

    pub(crate) fn broken(&self) -> Option<(&str, &str)> {
        match self {
            ControlModule::Ready { .. } => None,
            ControlModule::Broken {
                source_path, error, ..
            } => Some((source_path, error)),
        }
    }
}

fn base_engine(library: &[(String, String)]) -> Result<regorus::Engine, String> {
    let mut engine = regorus::Engine::new();
    engine.set_execution_timer_config(ExecutionTimerConfig {
        limit: EVALUATION_LIMIT,
        check_interval: NonZeroU32::MIN.saturating_add(999),
    });
    for (path, source) in library {
        engine
            .add_policy(path.clone(), source.clone())
            .map_err(|e| format!("library module {path} does not load: {e}"))?;
    }
    Ok(engine)
}

/// An id for a module whose metadata could not be read: stable, and recognisably not a real one.
fn fallback_id(path: &str) -> String {
    format!("module:{}", path.trim_end_matches(".rego"))
}

pub(crate) fn load_controls(
    library: &[(String, String)],
    controls: Vec<(String, String)>,
) -> Vec<ControlModule> {
    let base = base_engine(library);
    let mut loaded: Vec<ControlModule> = Vec::with_capacity(controls.len());
    for (path, source) in controls {
        let module = match &base {
            Ok(base) => load_control(base, &path, source),
            Err(error) => ControlModule::Broken {
                id: fallback_id(&path),
                source_path: path,
                error: error.clone(),
            },
        };
        let module = match loaded.iter().find(|m| m.id() == module.id()) {
            Some(first) => ControlModule::Broken {
                id: fallback_id(&path_of(&module)),
                error: format!(
                    "control id {} is already declared by {}",
                    module.id(),
                    path_of(first)
                ),
                source_path: path_of(&module),
            },
            None => module,
        };
        if let ControlModule::Broken {
            error, source_path, ..
        } = &module
        {
            tracing::warn!(module = %source_path, %error, "policy module not loaded");
        }
        loaded.push(module);
    }
    loaded
}

fn path_of(module: &ControlModule) -> String {
    match module {
        ControlModule::Ready { source_path, .. } | ControlModule::Broken { source_path, .. } => {
            source_path.clone()
        }
    }
}

fn load_control(base: &regorus::Engine, path: &str, source: String) -> ControlModule {
    let broken = |error: String| ControlModule::Broken {
        id: fallback_id(path),
        source_path: path.to_string(),
        error,
    };
    let mut engine = base.clone();
    let package = match engine.add_policy(path.to_string(), source) {
        Ok(package) => package,
        Err(e) => return broken(format!("module does not parse: {e}")),
    };
    let metadata = match engine.eval_rule(format!("{package}.metadata")) {
        Ok(regorus::Value::Undefined) => {
            return broken(format!("module has no `metadata` rule ({package})"));
        }
        Ok(value) => value,
        Err(e) => return broken(format!("metadata does not evaluate: {e}")),
    };
    let metadata: ControlMetadata = match serde_json::to_value(&metadata)
        .map_err(|e| e.to_string())
        .and_then(|json| serde_json::from_value(json).map_err(|e| e.to_string()))
    {
        Ok(metadata) => metadata,
        Err(e) => return broken(format!("metadata is malformed: {e}")),
    };
    ControlModule::Ready {
        metadata,
        source_path: path.to_string(),
        result_rule: format!("{package}.result"),
        engine: Box::new(engine),
    }
}
