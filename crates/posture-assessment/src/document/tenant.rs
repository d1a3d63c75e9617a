//! A built tenant document: the JSON the policies receive as `input`, with the tenant it
//! describes.

use serde_json::Value;

use crate::error::AssessmentError;

/// A built tenant document, ready to evaluate.
#[derive(Debug, Clone, PartialEq)]
pub struct TenantDocument {
    pub(super) tenant_id: String,
    pub(super) value: Value,
}

impl TenantDocument {
    /// Accepts a document built elsewhere (stored, or hand-written for a custom pack's tests). It
    /// must be a JSON object with `tenant.id`; everything else is the policies' business.
    pub fn from_json(value: Value) -> Result<Self, AssessmentError> {
        let tenant_id = value
            .pointer("/tenant/id")
            .and_then(Value::as_str)
            .ok_or_else(|| AssessmentError::Document {
                tenant_id: "<unknown>".to_string(),
                message: "document has no string tenant.id".to_string(),
            })?
            .to_string();
        Ok(TenantDocument { tenant_id, value })
    }

    pub fn tenant_id(&self) -> &str {
        &self.tenant_id
    }

    pub fn as_json(&self) -> &Value {
        &self.value
    }

    pub fn into_json(self) -> Value {
        self.value
    }
}
