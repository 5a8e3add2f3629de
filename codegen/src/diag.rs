//! Diagnostics: every problem found in a manifest, with where it is and what to do.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::ser::{SerializeStruct, Serializer};

use crate::span::{At, Pos, SpanIndex};

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
    /// The manifest the problem is in, as the path was given.
    pub file: PathBuf,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column (in characters), when known.
    pub column: Option<usize>,
    /// 1-based column just past the end of the token the problem is about, on the
    /// same line, when known.
    pub end_column: Option<usize>,
    /// Where in the manifest, e.g. `tools.get_forecast.input.properties.days`; keys
    /// that are not plain words are quoted (`tools["bad name"]`); empty for the
    /// manifest as a whole.
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
    ///  --> specs/weather.yaml:6:5
    ///   |
    /// 6 |     descripton: Forecast for a city
    ///   |     ^^^^^^^^^^
    ///   = path: tools.get_forecast.descripton
    ///   = hint: did you mean `description`?
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
            // Columns count characters; tabs are kept so the carets line up.
            let len = src.chars().count();
            let mut pad: String = src
                .chars()
                .take(col.saturating_sub(1))
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            // A position just past the text (an unclosed bracket at the end of a
            // line) is still shown where it is.
            pad.extend(std::iter::repeat_n(' ', col.saturating_sub(1 + len)));
            let end = self.end_column.unwrap_or(col).min(len + 1);
            let width = end.saturating_sub(col).max(1);
            out.push_str(&format!("{gutter} | {pad}{}\n", "^".repeat(width)));
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

/// One diagnostic as a JSON object:
/// `{"severity", "file", "line", "column", "end_column", "path", "message", "hint"}`,
/// with `null` for an unknown position or an absent hint.
impl Serialize for Diagnostic {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Diagnostic", 8)?;
        s.serialize_field("severity", &self.severity.to_string())?;
        s.serialize_field("file", &self.file.to_string_lossy())?;
        s.serialize_field("line", &self.line)?;
        s.serialize_field("column", &self.column)?;
        s.serialize_field("end_column", &self.end_column)?;
        s.serialize_field("path", &self.path)?;
        s.serialize_field("message", &self.message)?;
        s.serialize_field("hint", &self.hint)?;
        s.end()
    }
}

/// All the problems found, errors and warnings, ordered by file (in the order the
/// files were given) and then by position.
///
/// `Debug` renders like `Display` (rustc's layout), so that `generate().unwrap()` or
/// `expect(..)` in a build script prints readable diagnostics, not a struct dump.
#[derive(Clone, Default, PartialEq, Eq)]
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
    /// Renders every diagnostic, each followed by a blank line, then a summary line
    /// (`error: manifest has 2 errors and 1 warning`) unless there is nothing to
    /// report.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for d in &self.items {
            out.push_str(&d.render());
            out.push('\n');
        }
        let errors = self.errors().count();
        let warnings = self.warnings().count();
        let mut files: Vec<&Path> = self.items.iter().map(|d| d.file.as_path()).collect();
        files.dedup();
        let subject = match files.len() {
            0 | 1 => "manifest has".to_owned(),
            n => format!("{n} manifests have"),
        };
        let count = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
        match (errors, warnings) {
            (0, 0) => {}
            (0, w) => out.push_str(&format!("warning: {subject} {}\n", count(w, "warning"))),
            (e, 0) => out.push_str(&format!("error: {subject} {}\n", count(e, "error"))),
            (e, w) => out.push_str(&format!(
                "error: {subject} {} and {}\n",
                count(e, "error"),
                count(w, "warning")
            )),
        }
        out
    }

    /// The diagnostics as one line of JSON, for editors and CI tools (`mcpgen check
    /// --format json` prints it):
    ///
    /// ```json
    /// {"diagnostics":[{"severity":"error","file":"specs/weather.yaml","line":6,
    ///   "column":5,"end_column":15,"path":"tools.get_forecast.descripton",
    ///   "message":"unknown field `descripton`","hint":"did you mean `description`?"}],
    ///  "errors":1,"warnings":0}
    /// ```
    ///
    /// `severity` is `"error"` or `"warning"`; `line`, `column` and `end_column` are
    /// 1-based (columns count characters) or `null` when unknown; `path` is `""` for
    /// the manifest as a whole; `hint` is `null` when there is none. The order is
    /// that of [`iter`](Self::iter).
    ///
    /// ```
    /// let d = mcpgen_codegen::Builder::new()
    ///     .manifest("no/such/manifest.yaml")
    ///     .check();
    /// let json: serde_json::Value = serde_json::from_str(&d.to_json()).unwrap();
    /// assert_eq!(json["errors"], 1);
    /// assert_eq!(json["diagnostics"][0]["severity"], "error");
    /// ```
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Adds a diagnostic in order: after every diagnostic of the same file at or
    /// before its position (positionless ones first), keeping files grouped.
    pub(crate) fn push(&mut self, d: Diagnostic) {
        let key = |x: &Diagnostic| (x.line.unwrap_or(0), x.column.unwrap_or(0));
        let same_file = |x: &Diagnostic| x.file.as_os_str() == d.file.as_os_str();
        // Most diagnostics come in order.
        if self
            .items
            .last()
            .is_some_and(|x| same_file(x) && key(x) <= key(&d))
        {
            self.items.push(d);
            return;
        }
        let Some(first) = self.items.iter().position(same_file) else {
            self.items.push(d);
            return;
        };
        let end = first
            + self.items[first..]
                .iter()
                .take_while(|x| same_file(x))
                .count();
        let at = (first..end)
            .rev()
            .find(|&i| key(&self.items[i]) <= key(&d))
            .map_or(first, |i| i + 1);
        self.items.insert(at, d);
    }
    /// Keeps only the diagnostics `keep` accepts.
    pub(crate) fn retain(&mut self, keep: impl FnMut(&Diagnostic) -> bool) {
        self.items.retain(keep);
    }
    pub(crate) fn extend(&mut self, other: Diagnostics) {
        for d in other.items {
            self.push(d);
        }
    }
}

/// `{"diagnostics": [...], "errors": n, "warnings": n}`; see
/// [`Diagnostics::to_json`].
impl Serialize for Diagnostics {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Diagnostics", 3)?;
        s.serialize_field("diagnostics", &self.items)?;
        s.serialize_field("errors", &self.errors().count())?;
        s.serialize_field("warnings", &self.warnings().count())?;
        s.end()
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}

impl fmt::Debug for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `unwrap` prints `called `Result::unwrap()` on an `Err` value: {:?}`: start
        // on a line of its own so the first diagnostic's layout is intact.
        f.write_str("\n")?;
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

/// Collects diagnostics for one manifest and locates them in its source.
pub(crate) struct Reporter<'a> {
    pub file: &'a Path,
    pub source: &'a str,
    pub index: &'a SpanIndex,
    pub diags: Diagnostics,
}

impl<'a> Reporter<'a> {
    pub fn new(file: &'a Path, source: &'a str, index: &'a SpanIndex) -> Self {
        Reporter {
            file,
            source,
            index,
            diags: Diagnostics::default(),
        }
    }

    /// A diagnostic at an explicit line and column, underlining one character.
    pub fn at_pos(
        &mut self,
        severity: Severity,
        pos: Option<(usize, usize)>,
        path: &str,
        message: impl Into<String>,
        hint: Option<String>,
    ) {
        let pos = pos.map(|(line, column)| Pos::new(line, column, 1));
        self.at(severity, pos, path, message, hint);
    }

    /// A diagnostic at a position, underlining the token there.
    pub fn at(
        &mut self,
        severity: Severity,
        pos: Option<Pos>,
        path: &str,
        message: impl Into<String>,
        hint: Option<String>,
    ) {
        let source_line = pos
            .and_then(|p| self.index.line(self.source, p.line))
            .map(str::to_owned);
        self.diags.push(Diagnostic {
            severity,
            file: self.file.to_owned(),
            line: pos.map(|p| p.line),
            column: pos.map(|p| p.column),
            end_column: pos.map(|p| p.column + p.width.max(1)),
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
        self.at(severity, pos, path, message, hint);
    }

    /// A diagnostic about part of a string value: `range` is a byte range of
    /// `text`, the value at `path` as parsed. Points into the source when the value
    /// is written so that its text maps to columns (a one-line scalar, or a `|`
    /// block), else at the whole value.
    pub fn report_in_value(
        &mut self,
        severity: Severity,
        path: &str,
        text: &str,
        range: std::ops::Range<usize>,
        message: impl Into<String>,
        hint: Option<String>,
    ) {
        let pos = self
            .index
            .locate_in_value(self.source, path, text, range)
            .or_else(|| self.index.locate(path, At::Value));
        self.at(severity, pos, path, message, hint);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn diag(line: usize, column: usize, end: usize, source: &str) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            file: PathBuf::from("m.yaml"),
            line: Some(line),
            column: Some(column),
            end_column: Some(end),
            path: "a.b".to_owned(),
            message: "bad".to_owned(),
            hint: Some("fix it".to_owned()),
            source_line: Some(source.to_owned()),
        }
    }

    #[test]
    fn underlines_the_whole_token() {
        assert_eq!(
            diag(3, 3, 6, "  abc: x").render(),
            "error: bad\n --> m.yaml:3:3\n  |\n3 |   abc: x\n  |   ^^^\n  = path: a.b\n  = hint: fix it\n"
        );
    }

    #[test]
    fn underlines_at_least_one_and_at_most_the_line() {
        let text = diag(10, 4, 40, "\tab: c").render();
        assert!(text.contains("\n   | \t  ^^^\n"), "{text}");
        let text = diag(1, 9, 9, "x: y").render();
        assert!(
            text.contains(&format!("\n  | {}^\n", " ".repeat(8))),
            "{text}"
        );
    }

    #[test]
    fn sorted_by_file_then_position() {
        let mut all = Diagnostics::default();
        all.push(diag(5, 1, 2, ""));
        all.push(diag(2, 7, 8, ""));
        all.push(diag(2, 3, 4, ""));
        let mut other = diag(1, 1, 2, "");
        other.file = PathBuf::from("n.yaml");
        all.push(other);
        all.push(diag(9, 1, 2, ""));
        let order: Vec<(String, usize, usize)> = all
            .iter()
            .map(|d| {
                (
                    d.file.display().to_string(),
                    d.line.unwrap_or(0),
                    d.column.unwrap_or(0),
                )
            })
            .collect();
        assert_eq!(
            order,
            [
                ("m.yaml".to_owned(), 2, 3),
                ("m.yaml".to_owned(), 2, 7),
                ("m.yaml".to_owned(), 5, 1),
                ("m.yaml".to_owned(), 9, 1),
                ("n.yaml".to_owned(), 1, 1),
            ]
        );
        assert!(all.render().ends_with("error: 2 manifests have 5 errors\n"));
    }

    #[test]
    fn json_shape() {
        let mut all = Diagnostics::default();
        all.push(diag(3, 3, 6, "  abc: x"));
        let mut w = diag(4, 1, 2, "");
        w.severity = Severity::Warning;
        w.hint = None;
        w.line = None;
        w.column = None;
        w.end_column = None;
        all.push(w);
        assert_eq!(
            all.to_json(),
            r#"{"diagnostics":[{"severity":"warning","file":"m.yaml","line":null,"column":null,"end_column":null,"path":"a.b","message":"bad","hint":null},{"severity":"error","file":"m.yaml","line":3,"column":3,"end_column":6,"path":"a.b","message":"bad","hint":"fix it"}],"errors":1,"warnings":1}"#
        );
    }
}
