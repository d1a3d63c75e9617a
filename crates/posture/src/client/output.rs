//! Tables for people, JSON for scripts.

use std::fmt::Write as _;

use clap::ValueEnum;

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    Table,
    Json,
}

/// A plain aligned table; no borders so it pastes cleanly into tickets and chats.
pub struct Table {
    headers: Vec<&'static str>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(headers: Vec<&'static str>) -> Self {
        Self {
            headers,
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub fn render(&self) -> String {
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate() {
                if let Some(w) = widths.get_mut(i) {
                    *w = (*w).max(cell.chars().count());
                }
            }
        }
        let mut out = String::new();
        let line = |cells: &mut dyn Iterator<Item = &str>, out: &mut String| {
            let mut parts = Vec::new();
            for (i, cell) in cells.enumerate() {
                let width = widths.get(i).copied().unwrap_or(0);
                parts.push(format!("{cell:<width$}"));
            }
            let _ = writeln!(out, "{}", parts.join("  ").trim_end());
        };
        line(&mut self.headers.iter().copied(), &mut out);
        for row in &self.rows {
            line(&mut row.iter().map(String::as_str), &mut out);
        }
        out
    }
}

/// A framework as a person reads it in a narrow column: `cis-m365-v7` is `CIS`, `cisa-scuba`
/// `SCuBA`; Posture's own and custom frameworks as they are.
pub fn framework_short(framework: &str) -> &str {
    if framework.starts_with("cis-") {
        "CIS"
    } else if framework.contains("scuba") {
        "SCuBA"
    } else {
        framework
    }
}

/// Key-value lines for one object (`posture tenants show`).
pub fn details(pairs: &[(&str, String)]) -> String {
    let width = pairs.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    let mut out = String::new();
    for (key, value) in pairs {
        let _ = writeln!(out, "{key:<width$}  {value}");
    }
    out
}

pub fn print_json(value: &serde_json::Value) -> anyhow::Result<()> {
    outln!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// Writes command output; when the reader has gone away the command has nothing left to do.
pub fn write_stdout(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    if let Err(err) = stdout.write_fmt(args).and_then(|()| stdout.flush()) {
        if err.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: cannot write to standard output: {err}");
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frameworks_are_named_as_people_know_them() {
        assert_eq!(framework_short("cis-m365-v7"), "CIS");
        assert_eq!(framework_short("cis-m365"), "CIS");
        assert_eq!(framework_short("cisa-scuba"), "SCuBA");
        assert_eq!(framework_short("acme"), "acme");
    }

    #[test]
    fn table_aligns_columns_to_the_widest_cell() {
        let mut t = Table::new(vec!["TENANT", "STATE"]);
        t.row(vec!["contoso".into(), "Connected".into()]);
        t.row(vec!["a".into(), "Pending".into()]);
        assert_eq!(
            t.render(),
            "TENANT   STATE\ncontoso  Connected\na        Pending\n"
        );
    }
}
