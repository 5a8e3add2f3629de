//! Diagnostics: every problem found in a manifest, with where it is and what to do.

use std::fmt;
use std::path::{Path, PathBuf};

/// How bad a [`Diagnostic`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Generation fails.
    Error,
    /// Printed; generation goes on.
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// One problem in a manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// The manifest (or the file it references) the problem is in.
    pub file: PathBuf,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
    /// Where in the manifest, e.g. `tools.get_forecast.input.properties.days`.
    pub path: String,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub hint: Option<String>,
    /// The source line the position points into, for rendering.
    pub(crate) source_line: Option<String>,
}

impl Diagnostic {
    /// Renders the diagnostic the way rustc does, without colors.
    ///
    /// ```text
    /// error: unknown field `descripton`
    ///   --> specs/weather.yaml:12:5
    ///    |
    /// 12 |     descripton: Forecast for a city
    ///    |     ^
    ///    = path: tools.get_forecast
    ///    = hint: did you mean `description`?
    /// ```
    pub fn render(&self) -> String {
        let mut out = format!("{}: {}\n", self.severity, self.message);
        let line_no = self.line.map(|l| l.to_string()).unwrap_or_default();
        let gutter = " ".repeat(line_no.len().max(1));
        let file = self.file.display();
        match (self.line, self.column) {
            (Some(l), Some(c)) => out.push_str(&format!("{gutter}--> {file}:{l}:{c}\n")),
            (Some(l), None) => out.push_str(&format!("{gutter}--> {file}:{l}\n")),
            _ => out.push_str(&format!("{gutter}--> {file}\n")),
        }
        if let (Some(src), Some(col)) = (&self.source_line, self.column) {
            let src = src.trim_end();
            out.push_str(&format!("{gutter} |\n"));
            out.push_str(&format!("{line_no} | {src}\n"));
            // Columns count characters; tabs are kept so the caret lines up.
            let pad: String = src
                .chars()
                .take(col.saturating_sub(1))
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            out.push_str(&format!("{gutter} | {pad}^\n"));
        }
        if !self.path.is_empty() {
            out.push_str(&format!("{gutter} = path: {}\n", self.path));
        }
        if let Some(hint) = &self.hint {
            out.push_str(&format!("{gutter} = hint: {hint}\n"));
        }
        out
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}

/// All the problems found, errors and warnings, in the order found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    /// Every diagnostic.
    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter()
    }
    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.items.iter().any(|d| d.severity == Severity::Error)
    }
    /// The errors.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter().filter(|d| d.severity == Severity::Error)
    }
    /// The warnings.
    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items
            .iter()
            .filter(|d| d.severity == Severity::Warning)
    }
    /// Whether there are no diagnostics at all.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
    /// How many diagnostics there are.
    pub fn len(&self) -> usize {
        self.items.len()
    }
    /// Renders every diagnostic, followed by a summary line when there are errors.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for d in &self.items {
            out.push_str(&d.render());
            out.push('\n');
        }
        let errors = self.errors().count();
        if errors > 0 {
            let warnings = self.warnings().count();
            out.push_str(&format!(
                "error: manifest has {errors} error{}{}\n",
                if errors == 1 { "" } else { "s" },
                if warnings > 0 {
                    format!(
                        " and {warnings} warning{}",
                        if warnings == 1 { "" } else { "s" }
                    )
                } else {
                    String::new()
                }
            ));
        }
        out
    }
    pub(crate) fn push(&mut self, d: Diagnostic) {
        self.items.push(d);
    }
    pub(crate) fn extend(&mut self, other: Diagnostics) {
        self.items.extend(other.items);
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}

impl std::error::Error for Diagnostics {}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

/// Where a node of the manifest is: its key and its value.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Span {
    /// 1-based line and column of the key (or of the value for sequence items).
    pub key: Option<(usize, usize)>,
    /// 1-based line and column of the value.
    pub value: Option<(usize, usize)>,
}

/// Collects diagnostics for one manifest and locates them in its source.
pub(crate) struct Reporter<'a> {
    pub file: &'a Path,
    pub source: &'a str,
    pub index: &'a crate::load::SpanIndex,
    pub diags: Diagnostics,
}

/// Which position of a node a diagnostic points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum At {
    /// The key (a mapping's key, or a sequence item's start).
    Key,
    /// The value.
    Value,
}

impl<'a> Reporter<'a> {
    pub fn new(file: &'a Path, source: &'a str, index: &'a crate::load::SpanIndex) -> Self {
        Reporter {
            file,
            source,
            index,
            diags: Diagnostics::default(),
        }
    }

    /// A diagnostic at an explicit position.
    pub fn at_pos(
        &mut self,
        severity: Severity,
        pos: Option<(usize, usize)>,
        path: &str,
        message: impl Into<String>,
        hint: Option<String>,
    ) {
        let source_line = pos
            .and_then(|(l, _)| l.checked_sub(1))
            .and_then(|l| self.source.lines().nth(l).map(str::to_owned));
        self.diags.push(Diagnostic {
            severity,
            file: self.file.to_owned(),
            line: pos.map(|p| p.0),
            column: pos.map(|p| p.1),
            path: path.to_owned(),
            message: message.into(),
            hint,
            source_line,
        });
    }

    /// A diagnostic at a manifest path; falls back to the nearest located ancestor.
    pub fn report(
        &mut self,
        severity: Severity,
        at: At,
        path: &str,
        message: impl Into<String>,
        hint: Option<String>,
    ) {
        let pos = self.index.locate(path, at);
        self.at_pos(severity, pos, path, message, hint);
    }

    pub fn error(&mut self, path: &str, message: impl Into<String>) {
        self.report(Severity::Error, At::Key, path, message, None);
    }

    pub fn error_hint(&mut self, path: &str, message: impl Into<String>, hint: impl Into<String>) {
        self.report(Severity::Error, At::Key, path, message, Some(hint.into()));
    }

    pub fn error_value(&mut self, path: &str, message: impl Into<String>, hint: Option<String>) {
        self.report(Severity::Error, At::Value, path, message, hint);
    }

    pub fn warning(&mut self, path: &str, message: impl Into<String>, hint: Option<String>) {
        self.report(Severity::Warning, At::Key, path, message, hint);
    }
}
