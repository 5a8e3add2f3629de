//! Where things are in a manifest's source: a span index from YAML parser events
//! maps every manifest path to the line, column and width of its key and value.

use std::collections::HashMap;
use std::ops::Range;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use crate::path::{append_segment, index, join, parent, segment_starts};

/// A position in the source: 1-based line and column (in characters) and how many
/// characters the token there spans on its line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Pos {
    pub line: usize,
    pub column: usize,
    pub width: usize,
}

impl Pos {
    pub fn new(line: usize, column: usize, width: usize) -> Self {
        Pos {
            line,
            column,
            width,
        }
    }
}

/// How a value is written, which decides how text inside it maps to columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    /// A plain, single- or double-quoted scalar.
    Plain,
    SingleQuoted,
    DoubleQuoted,
    /// A `|` block scalar; its position is that of its first content line.
    Literal,
    /// A `>` block scalar.
    Folded,
    /// `{…}` or `[…]`.
    Flow,
    /// An indented mapping or sequence; its position is that of its first entry.
    Block,
}

/// Where a node of the manifest is: its key and its value.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Span {
    /// The key (or, for a sequence item, the value).
    pub key: Option<Pos>,
    /// The value.
    pub value: Option<Pos>,
    /// How the value is written.
    pub style: Option<Style>,
}

/// Which position of a node a diagnostic points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum At {
    /// The key (a mapping's key, or a sequence item's start).
    Key,
    /// The value.
    Value,
}

/// Manifest path → where its key and value are in the source.
#[derive(Debug, Default)]
pub(crate) struct SpanIndex {
    spans: HashMap<String, Span>,
    /// Where each line of the source starts (byte offsets).
    line_starts: Vec<usize>,
    /// Keys that repeat within one mapping: their path and position.
    pub(crate) duplicates: Vec<(String, Pos)>,
    /// Aliases (`*name`): their path → the path of the node they refer to.
    aliases: HashMap<String, String>,
    /// Where a second YAML document starts, when the source has one.
    pub(crate) second_document: Option<Pos>,
}

impl SpanIndex {
    /// Indexes YAML (or JSON) text. Text that does not parse gives a partial index.
    pub fn build(source: &str) -> Self {
        let mut builder = IndexBuilder {
            lines: source.lines().map(|l| l.chars().collect()).collect(),
            ..IndexBuilder::default()
        };
        // Event by event: `Parser::load` recurses per nesting level, and deeply
        // nested input would overflow the stack.
        let mut parser = Parser::new_from_str(source);
        let mut second_document = None;
        while let Ok((event, mark)) = parser.next_token() {
            let end = matches!(event, Event::StreamEnd);
            let done = matches!(event, Event::DocumentEnd);
            builder.on_event(event, mark);
            if end {
                break;
            }
            if done {
                // Only the first document is indexed; another one is an error.
                if let Ok((Event::DocumentStart, mark)) = parser.next_token() {
                    let rest = builder.rest_of_line(mark);
                    let width = if rest.starts_with(&['-', '-', '-']) {
                        3
                    } else {
                        plain_token_width(rest)
                    };
                    second_document = Some(Pos::new(mark.line(), mark.col() + 1, width.max(1)));
                }
                break;
            }
        }
        let line_starts = std::iter::once(0)
            .chain(source.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        SpanIndex {
            spans: builder.spans,
            line_starts,
            duplicates: builder.duplicates,
            aliases: builder.aliases,
            second_document,
        }
    }

    /// The span of the node at `path`: its own, or, for a key that a YAML merge
    /// (`<<: *base`) or an alias brought in, that of the node it came from.
    fn span(&self, path: &str) -> Option<&Span> {
        if let Some(span) = self.spans.get(path) {
            return Some(span);
        }
        self.spans.get(self.resolve(path)?.as_str())
    }

    /// Like [`span`](Self::span), but an alias's is that of the node it refers to:
    /// how the value is written, not where it is used.
    fn value_span(&self, path: &str) -> Option<&Span> {
        let mut path = self.resolve(path)?;
        for _ in 0..MAX_LINKS {
            match self.aliases.get(&path) {
                Some(target) => path = target.clone(),
                None => break,
            }
        }
        self.spans.get(path.as_str())
    }

    /// The indexed path of the node at `path`, following aliases and merges on the
    /// way down: `tools.b.input.type`, where `b` is `{ <<: *a }`, is
    /// `tools.a.input.type`.
    fn resolve(&self, path: &str) -> Option<String> {
        if self.spans.contains_key(path) {
            return Some(path.to_owned());
        }
        let starts = segment_starts(path);
        let mut cur = String::new();
        let mut from = 0;
        for end in starts.iter().copied().chain(std::iter::once(path.len())) {
            let seg = path.get(from..end)?;
            from = end;
            if seg.is_empty() {
                continue;
            }
            for _ in 0..MAX_LINKS {
                match self.aliases.get(&cur) {
                    Some(target) => cur = target.clone(),
                    None => break,
                }
            }
            cur = self.child(&cur, seg, &mut Vec::new())?;
        }
        Some(cur)
    }

    /// The indexed path of segment `seg` (`.key`, `[2]`, or a first key) of the
    /// node at `parent`: its own, or one a merge brought in (earlier merges win).
    /// `seen` holds the maps already searched, so each is searched once.
    fn child(&self, parent: &str, seg: &str, seen: &mut Vec<String>) -> Option<String> {
        let direct = append_segment(parent, seg);
        if self.spans.contains_key(&direct) {
            return Some(direct);
        }
        if seen.len() >= MAX_LINKS * MAX_LINKS || seen.iter().any(|p| p == parent) {
            return None;
        }
        seen.push(parent.to_owned());
        self.merge_sources(parent)
            .into_iter()
            .find_map(|source| self.child(&source, seg, seen))
    }

    /// The indexed paths of the maps a `<<` key of the map at `path` merges in.
    fn merge_sources(&self, path: &str) -> Vec<String> {
        let key = join(path, MERGE_KEY);
        let target = |p: String| self.aliases.get(&p).cloned().unwrap_or(p);
        if !self.spans.contains_key(&key) {
            return Vec::new();
        }
        if self.aliases.contains_key(&key) || !self.spans.contains_key(&index(&key, 0)) {
            return vec![target(key)];
        }
        (0..)
            .map(|i| index(&key, i))
            .take_while(|p| self.spans.contains_key(p))
            .map(target)
            .collect()
    }

    /// The path whose value starts at `line` and `column`, when one does.
    pub(crate) fn path_at(&self, line: usize, column: usize) -> Option<&str> {
        self.spans
            .iter()
            .filter(|(_, s)| {
                s.value
                    .is_some_and(|p| p.line == line && p.column == column)
            })
            .map(|(p, _)| p.as_str())
            // Deterministic when several nodes start there: the innermost.
            .max_by_key(|p| (p.len(), *p))
    }

    /// Line `n` (1-based) of `source`, the text this index was built from, without
    /// its line break.
    pub fn line<'s>(&self, source: &'s str, n: usize) -> Option<&'s str> {
        let start = *self.line_starts.get(n.checked_sub(1)?)?;
        if start == source.len() && start > 0 {
            // After the final line break: no line, as `str::lines` counts them.
            return None;
        }
        let end = self
            .line_starts
            .get(n)
            .map_or(source.len(), |next| next - 1);
        let line = source.get(start..end)?;
        Some(line.strip_suffix('\r').unwrap_or(line))
    }

    /// The position of `path` (or of its nearest indexed ancestor).
    pub fn locate(&self, path: &str, at: At) -> Option<Pos> {
        let mut p = path;
        loop {
            if let Some(span) = self.span(p) {
                let pos = match at {
                    At::Key => span.key.or(span.value),
                    At::Value => span.value.or(span.key),
                };
                if pos.is_some() {
                    return pos;
                }
            }
            if p.is_empty() {
                return None;
            }
            p = parent(p);
        }
    }

    /// How the value at `path` is written, when it is indexed.
    pub fn style(&self, path: &str) -> Option<Style> {
        self.value_span(path).and_then(|s| s.style)
    }

    /// The position of bytes `range` of `text`, the string value at `path`, when
    /// the way the value is written lets its characters be mapped to columns.
    pub fn locate_in_value(
        &self,
        source: &str,
        path: &str,
        text: &str,
        range: Range<usize>,
    ) -> Option<Pos> {
        let span = self.value_span(path)?;
        let start = span.value?;
        let before = text.get(..range.start)?;
        let inside = text.get(range)?;
        let line = |n: usize| self.line(source, n);
        match span.style? {
            style @ (Style::Plain | Style::SingleQuoted | Style::DoubleQuoted) => {
                if text.contains('\n') {
                    return None;
                }
                let line: Vec<char> = line(start.line)?.chars().collect();
                let quoted = style != Style::Plain;
                let columns =
                    scalar_columns(&line, start.column - 1 + usize::from(quoted), text, style)?;
                let from = *columns.get(before.chars().count())?;
                let to = *columns.get(before.chars().count() + inside.chars().count())?;
                Some(Pos::new(start.line, from + 1, to.saturating_sub(from)))
            }
            Style::Literal => {
                // Content line k of a `|` block is source line `start.line + k`,
                // indented by the block's indentation.
                let k = before.matches('\n').count();
                let offset = before
                    .rsplit('\n')
                    .next()
                    .unwrap_or_default()
                    .chars()
                    .count();
                let text_line = text.split('\n').nth(k)?;
                let source_line = line(start.line + k)?;
                let indent = start.column - 1;
                let content: String = source_line.chars().skip(indent).collect();
                if !content.starts_with(text_line) {
                    return None;
                }
                let rest = text_line.chars().count().saturating_sub(offset);
                let width = inside
                    .split('\n')
                    .next()
                    .unwrap_or_default()
                    .chars()
                    .count();
                Some(Pos::new(
                    start.line + k,
                    indent + offset + 1,
                    width.min(rest).max(1),
                ))
            }
            _ => None,
        }
    }

    /// The source text of the value at `path` (its whole token, quotes included).
    pub fn value_text<'s>(&self, source: &'s str, path: &str) -> Option<&'s str> {
        let pos = self.value_span(path)?.value?;
        let line = self.line(source, pos.line)?;
        let start = line.char_indices().nth(pos.column - 1)?.0;
        let end = line
            .char_indices()
            .nth(pos.column - 1 + pos.width)
            .map_or(line.len(), |(i, _)| i);
        line.get(start..end)
    }
}

/// The 0-based source column of each character of `text` (and one past its end),
/// written as a one-line scalar of `style` starting at column `from` of `line`;
/// `None` when the source does not spell `text` there.
fn scalar_columns(line: &[char], from: usize, text: &str, style: Style) -> Option<Vec<usize>> {
    let mut columns = Vec::with_capacity(text.len() + 1);
    let mut i = from;
    for ch in text.chars() {
        columns.push(i);
        let at = *line.get(i)?;
        let step = match style {
            Style::SingleQuoted if ch == '\'' => {
                (at == '\'' && line.get(i + 1) == Some(&'\'')).then_some(2)
            }
            Style::DoubleQuoted if at == '\\' => match line.get(i + 1)? {
                'x' => Some(4),
                'u' => Some(6),
                'U' => Some(10),
                _ => Some(2),
            },
            _ => (at == ch).then_some(1),
        };
        i += step?;
    }
    columns.push(i);
    Some(columns)
}

/// The YAML merge key.
pub(crate) const MERGE_KEY: &str = "<<";

/// How many aliases and merges a lookup follows (anchors cannot refer to
/// themselves; this only bounds the work).
const MAX_LINKS: usize = 16;

enum Frame {
    Map {
        path: String,
        key: Option<(String, Pos)>,
        keys: Vec<String>,
    },
    Seq {
        path: String,
        next: usize,
    },
    /// A complex key (a mapping or sequence used as a key): ignored.
    Skip,
}

/// How deep the index goes: past serde's recursion limit (128) the manifest is
/// refused anyway, and deeper paths would only cost time and memory.
const MAX_DEPTH: usize = 130;

#[derive(Default)]
struct IndexBuilder {
    /// The source, line by line, as characters (columns count characters).
    lines: Vec<Vec<char>>,
    stack: Vec<Frame>,
    spans: HashMap<String, Span>,
    pub(crate) duplicates: Vec<(String, Pos)>,
    /// Anchor id → the path of the node it names.
    anchors: HashMap<usize, String>,
    aliases: HashMap<String, String>,
}

impl IndexBuilder {
    fn anchor(&mut self, id: usize, path: &str) {
        if id > 0 {
            self.anchors.insert(id, path.to_owned());
        }
    }

    /// The source line of a marker, from its column on.
    fn rest_of_line(&self, mark: Marker) -> &[char] {
        self.lines
            .get(mark.line().saturating_sub(1))
            .and_then(|l| l.get(mark.col()..))
            .unwrap_or_default()
    }

    /// The position of a scalar and how many characters it spans on its line.
    fn scalar_pos(&self, mark: Marker, text: &str, style: TScalarStyle) -> Pos {
        let col = mark.col();
        let rest = self.rest_of_line(mark);
        let width = match style {
            TScalarStyle::Plain => {
                let first = text.split('\n').next().unwrap_or_default();
                if rest
                    .iter()
                    .take(first.chars().count())
                    .copied()
                    .eq(first.chars())
                {
                    first.chars().count()
                } else {
                    plain_token_width(rest)
                }
            }
            TScalarStyle::SingleQuoted | TScalarStyle::DoubleQuoted => {
                let quote = if style == TScalarStyle::SingleQuoted {
                    '\''
                } else {
                    '"'
                };
                quoted_width(rest, quote)
            }
            // A block scalar's position is its first content line.
            _ => rest.iter().collect::<String>().trim_end().chars().count(),
        };
        Pos::new(mark.line(), col + 1, width.max(1))
    }

    /// Where the next value goes: its path and its key's position. `None` when the
    /// next node is a mapping key.
    fn next_value(&mut self) -> Option<(String, Option<Pos>)> {
        match self.stack.last_mut() {
            None => Some((String::new(), None)),
            Some(Frame::Map { path, key, .. }) => {
                key.take().map(|(k, kpos)| (join(path, &k), Some(kpos)))
            }
            Some(Frame::Seq { path, next }) => {
                let p = index(path, *next);
                *next += 1;
                Some((p, None))
            }
            Some(Frame::Skip) => Some((String::from("\u{0}"), None)),
        }
    }

    /// Gives the block collections that have no position yet (those this node is
    /// the first entry of, innermost first) the position of this node.
    fn settle_block_parent(&mut self, pos: Pos) {
        for frame in self.stack.iter().rev() {
            let path = match frame {
                Frame::Map { path, .. } | Frame::Seq { path, .. } => path,
                Frame::Skip => return,
            };
            match self.spans.get_mut(path.as_str()) {
                Some(span) if span.value.is_none() => {
                    span.value = Some(pos);
                    span.key = span.key.or(Some(pos));
                }
                _ => return,
            }
        }
    }

    fn record(&mut self, path: String, key: Option<Pos>, value: Option<Pos>, style: Style) {
        // The first occurrence wins; later duplicates are reported separately.
        self.spans.entry(path).or_insert(Span {
            key: key.or(value),
            value,
            style: Some(style),
        });
    }
}

/// The width of a plain token that is not spelled as its parsed text: up to a
/// comment or the end of the line.
fn plain_token_width(rest: &[char]) -> usize {
    let text: String = rest.iter().collect();
    let end = text.find(" #").unwrap_or(text.len());
    text[..end].trim_end().chars().count()
}

/// The width of a quoted scalar from its opening quote to its closing one, or to
/// the end of the line when it continues on the next.
fn quoted_width(rest: &[char], quote: char) -> usize {
    let mut i = 1;
    while i < rest.len() {
        match rest[i] {
            '\\' if quote == '"' => i += 2,
            c if c == quote => {
                if quote == '\'' && rest.get(i + 1) == Some(&'\'') {
                    i += 2;
                } else {
                    return i + 1;
                }
            }
            _ => i += 1,
        }
    }
    rest.len()
}

/// The width of a flow collection from its opening bracket to the matching
/// closing one, or 1 when it does not close on the same line.
fn flow_width(rest: &[char]) -> usize {
    let mut depth = 0usize;
    let mut i = 0;
    while i < rest.len() {
        match rest[i] {
            '{' | '[' => depth += 1,
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i + 1;
                }
            }
            q @ ('"' | '\'') => i += quoted_width(&rest[i..], q).saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    1
}

impl MarkedEventReceiver for IndexBuilder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        match ev {
            Event::Scalar(text, style, anchor, _) => {
                let pos = self.scalar_pos(mark, &text, style);
                // An empty value (`name:`) is a null whose mark is the next token;
                // it has no position of its own, and points at its key.
                let implicit_null = style == TScalarStyle::Plain && text.is_empty();
                if implicit_null {
                    if let Some((path, kpos)) = self.next_value() {
                        self.record(path, kpos, None, Style::Plain);
                    }
                    return;
                }
                self.settle_block_parent(pos);
                if let Some(Frame::Map { key, keys, path }) = self.stack.last_mut() {
                    if key.is_none() {
                        if keys.contains(&text) {
                            self.duplicates.push((join(path, &text), pos));
                        }
                        keys.push(text.clone());
                        *key = Some((text, pos));
                        return;
                    }
                }
                let style = match style {
                    TScalarStyle::Plain => Style::Plain,
                    TScalarStyle::SingleQuoted => Style::SingleQuoted,
                    TScalarStyle::DoubleQuoted => Style::DoubleQuoted,
                    TScalarStyle::Literal => Style::Literal,
                    TScalarStyle::Folded => Style::Folded,
                };
                if let Some((path, kpos)) = self.next_value() {
                    self.anchor(anchor, &path);
                    self.record(path, kpos, Some(pos), style);
                }
            }
            Event::Alias(id) => {
                let width = plain_token_width(self.rest_of_line(mark));
                let pos = Pos::new(mark.line(), mark.col() + 1, width.max(1));
                self.settle_block_parent(pos);
                if let Some((path, kpos)) = self.next_value() {
                    if let Some(target) = self.anchors.get(&id) {
                        self.aliases.insert(path.clone(), target.clone());
                    }
                    self.record(path, kpos, Some(pos), Style::Plain);
                }
            }
            Event::MappingStart(anchor, _) | Event::SequenceStart(anchor, _) => {
                let is_map = matches!(ev, Event::MappingStart(..));
                if self.stack.len() >= MAX_DEPTH {
                    self.stack.push(Frame::Skip);
                    return;
                }
                let rest = self.rest_of_line(mark);
                // A flow collection starts at its bracket; a block one's mark is
                // elsewhere, and it takes the position of its first entry.
                let flow = matches!(rest.first(), Some('{' | '['));
                let pos = Pos::new(mark.line(), mark.col() + 1, flow_width(rest));
                if flow {
                    self.settle_block_parent(pos);
                }
                let frame = if matches!(self.stack.last(), Some(Frame::Map { key: None, .. })) {
                    // A complex key; give it an unused key so its value is skipped.
                    if let Some(Frame::Map { key, .. }) = self.stack.last_mut() {
                        *key = Some(("\u{0}".to_owned(), pos));
                    }
                    Frame::Skip
                } else if let Some((path, kpos)) = self.next_value() {
                    self.anchor(anchor, &path);
                    if flow {
                        self.record(path.clone(), kpos, Some(pos), Style::Flow);
                    } else {
                        self.record(path.clone(), kpos, None, Style::Block);
                    }
                    if is_map {
                        Frame::Map {
                            path,
                            key: None,
                            keys: Vec::new(),
                        }
                    } else {
                        Frame::Seq { path, next: 0 }
                    }
                } else {
                    Frame::Skip
                };
                self.stack.push(frame);
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(idx: &SpanIndex, path: &str, at: At) -> Option<(usize, usize, usize)> {
        idx.locate(path, at).map(|p| (p.line, p.column, p.width))
    }

    #[test]
    fn index_positions() {
        let src = "server:\n  name: x\ntools:\n  a:\n    input: { type: object }\nlist:\n  - one\n  - k: v\n";
        let idx = SpanIndex::build(src);
        assert_eq!(at(&idx, "server.name", At::Key), Some((2, 3, 4)));
        assert_eq!(at(&idx, "server.name", At::Value), Some((2, 9, 1)));
        assert_eq!(at(&idx, "tools.a.input", At::Value), Some((5, 12, 16)));
        assert_eq!(at(&idx, "tools.a.input.type", At::Value), Some((5, 20, 6)));
        assert_eq!(at(&idx, "list[1].k", At::Key), Some((8, 5, 1)));
        assert_eq!(at(&idx, "list[0]", At::Value), Some((7, 5, 3)));
        assert_eq!(at(&idx, "tools.a.nope", At::Key), Some((4, 3, 1)));
        // A block collection takes the position of its first entry.
        assert_eq!(at(&idx, "server", At::Key), Some((1, 1, 6)));
        assert_eq!(at(&idx, "server", At::Value), Some((2, 3, 4)));
        assert_eq!(at(&idx, "list[1]", At::Key), Some((8, 5, 1)));
    }

    #[test]
    fn lines_by_number() {
        let src = "a: 1\r\nb: 2\n\nc";
        let idx = SpanIndex::build(src);
        let lines: Vec<Option<&str>> = (0..=5).map(|n| idx.line(src, n)).collect();
        assert_eq!(
            lines,
            [None, Some("a: 1"), Some("b: 2"), Some(""), Some("c"), None]
        );
        assert_eq!(at(&idx, "b", At::Value), Some((2, 4, 1)));
    }

    #[test]
    fn empty_values_point_at_their_key() {
        let src = "a:\n  name:\n  version: 1\nb: [x, ]\n";
        let idx = SpanIndex::build(src);
        assert_eq!(at(&idx, "a.name", At::Value), Some((2, 3, 4)));
        assert_eq!(at(&idx, "a.version", At::Value), Some((3, 12, 1)));
    }

    #[test]
    fn quoted_keys_and_values() {
        let src = "a:\n  \"b.c\": 'it''s'\n  d: \"x\\\"y\" # note\n";
        let idx = SpanIndex::build(src);
        assert_eq!(at(&idx, "a[\"b.c\"]", At::Key), Some((2, 3, 5)));
        assert_eq!(at(&idx, "a[\"b.c\"]", At::Value), Some((2, 10, 7)));
        assert_eq!(at(&idx, "a.d", At::Value), Some((3, 6, 6)));
        assert_eq!(idx.value_text(src, "a.d"), Some("\"x\\\"y\""));
    }

    #[test]
    fn positions_inside_values() {
        let src = "a: \"x{{ nmae }}\"\nb: |\n  line one\n  {{ oops\nc: 'it''s {x'\n";
        let idx = SpanIndex::build(src);
        let inside = |path: &str, text: &str, needle: &str| {
            let start = text.find(needle).unwrap();
            idx.locate_in_value(src, path, text, start..start + needle.len())
                .map(|p| (p.line, p.column, p.width))
        };
        assert_eq!(inside("a", "x{{ nmae }}", "nmae"), Some((1, 9, 4)));
        assert_eq!(inside("b", "line one\n{{ oops\n", "oops"), Some((4, 6, 4)));
        assert_eq!(inside("c", "it's {x", "{x"), Some((5, 11, 2)));
    }

    #[test]
    fn merged_keys_are_located_where_written() {
        let src = "base: &base\n  x: 1\n  deep: { k: v }\nmore: &more { y: 2, x: 9 }\nuse: &use\n  <<: [*base, *more]\n  z: 3\nagain:\n  <<: *use\nalias: *base\n";
        let idx = SpanIndex::build(src);
        assert_eq!(at(&idx, "use.x", At::Value), Some((2, 6, 1)));
        assert_eq!(at(&idx, "use.y", At::Key), Some((4, 15, 1)));
        assert_eq!(at(&idx, "use.z", At::Value), Some((7, 6, 1)));
        assert_eq!(at(&idx, "use.deep.k", At::Value), Some((3, 14, 1)));
        // A merge of a merge.
        assert_eq!(at(&idx, "again.y", At::Value), Some((4, 18, 1)));
        assert_eq!(at(&idx, "again.deep.k", At::Key), Some((3, 11, 1)));
        // Under an alias: where the value is written; the alias itself where used.
        assert_eq!(at(&idx, "alias.deep.k", At::Value), Some((3, 14, 1)));
        assert_eq!(at(&idx, "alias", At::Value), Some((10, 8, 5)));
        assert_eq!(idx.value_text(src, "again.deep.k"), Some("v"));
        // What is nowhere falls back to the nearest ancestor, as before.
        assert_eq!(at(&idx, "use.nope", At::Key), Some((5, 1, 3)));
    }
}
