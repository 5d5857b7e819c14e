//! The JSON report: the same content as the JUnit, in a stable shape documented in the README
//! (`schema_version` changes when a field is removed or changes meaning).

use crate::outcome::RunResult;
use crate::redact::Redactor;

pub const SCHEMA_VERSION: u32 = 1;

pub fn render(run: &RunResult, redactor: &Redactor) -> Result<String, String> {
    let value = serde_json::json!({
        "schema_version": SCHEMA_VERSION,
        "tool": concat!("shakedown ", env!("CARGO_PKG_VERSION")),
        "started": run.started_iso(),
        "duration": (run.duration.as_secs_f64() * 1000.0).round() / 1000.0,
        "interrupted": run.interrupted,
        "totals": run.totals(),
        "suites": run.suites,
    });
    let text = serde_json::to_string_pretty(&value).map_err(|e| format!("cannot serialise the JSON report: {e}"))?;
    Ok(redactor.redact(&text))
}

impl RunResult {
    fn started_iso(&self) -> String {
        crate::outcome::iso_time(self.started)
    }
}
