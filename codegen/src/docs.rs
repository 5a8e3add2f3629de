//! Doc comments of the generated module: every description, typify's included,
//! passes through one Markdown rewrite that keeps rustdoc and clippy's doc lints
//! quiet for any text.

use proc_macro2::TokenStream;
use quote::quote;

use crate::items::doc_attribute;
use crate::names::wire_name;

/// `#[doc = "…"]` attributes, one per line of `text` (see [`doc_lines`]).
pub(crate) fn doc_attrs(text: &str) -> Vec<TokenStream> {
    doc_lines(text)
        .into_iter()
        .map(|line| quote!(#[doc = #line]))
        .collect()
}

/// The lines of a doc comment for `text`, each with the customary leading space.
///
/// Descriptions are written for MCP clients, not rustdoc, so code in them must not
/// become doctests of the user's crate: fenced blocks without a language (or marked
/// `rust`) are marked `text`, and other lines keep at most three spaces of
/// indentation (four make an indented code block). A bare carriage return (not
/// allowed in a doc comment) ends a line; runs of blank lines become one.
///
/// The Markdown is also made clippy-clean without changing what it means (see
/// [`markdown`]): tabs become spaces (to the next multiple of four), list items
/// start with their marker and one space at their parent's content column, every
/// other line in a list item (lazy continuations included) sits exactly at the
/// item's content column, and lazy continuations of block quotes get their `>`.
pub(crate) fn doc_lines(text: &str) -> Vec<String> {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let lines: Vec<String> = text.trim().lines().map(expand_tabs).collect();
    let mut lines: Vec<String> = markdown(&lines)
        .into_iter()
        .map(|line| {
            if line.trim().is_empty() {
                String::new()
            } else {
                format!(" {line}")
            }
        })
        .collect();
    lines.dedup_by(|a, b| a.is_empty() && b.is_empty());
    lines
}

/// Tabs → spaces, to the next multiple of four (Markdown's tab stops).
fn expand_tabs(line: &str) -> String {
    if !line.contains('\t') {
        return line.to_owned();
    }
    let mut out = String::with_capacity(line.len() + 8);
    let mut column = 0;
    for c in line.chars() {
        if c == '\t' {
            let n = 4 - column % 4;
            out.extend(std::iter::repeat_n(' ', n));
            column += n;
        } else {
            out.push(c);
            column += 1;
        }
    }
    out
}

/// What a line (without its indentation) starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Block<'a> {
    /// A code fence: its marker (three characters) and info string.
    Fence(&'a str, &'a str),
    /// A block quote line.
    Quote,
    /// An ATX heading, a thematic break or an HTML line: never continued lazily.
    Other,
    /// A list item: its marker, and its text after the marker's spaces, with how
    /// many spaces there were.
    Item(&'a str, &'a str, usize),
    /// Paragraph text.
    Text,
}

fn block(trimmed: &str) -> Block<'_> {
    if let Some(info) = trimmed
        .strip_prefix("```")
        .or_else(|| trimmed.strip_prefix("~~~"))
    {
        return Block::Fence(&trimmed[..3], info);
    }
    if trimmed.starts_with('>') {
        return Block::Quote;
    }
    let thematic = trimmed
        .chars()
        .next()
        .filter(|c| matches!(c, '-' | '*' | '_'))
        .is_some_and(|first| {
            trimmed.chars().all(|c| c == first || c == ' ')
                && trimmed.chars().filter(|&c| c == first).count() >= 3
        });
    let heading = trimmed.starts_with('#')
        && trimmed
            .trim_start_matches('#')
            .chars()
            .next()
            .is_none_or(|c| c == ' ')
        && trimmed.chars().take_while(|&c| c == '#').count() <= 6;
    if thematic || heading {
        return Block::Other;
    }
    let marker_len = if trimmed.starts_with(['-', '*', '+']) {
        1
    } else {
        let digits = trimmed.chars().take_while(char::is_ascii_digit).count();
        if (1..=9).contains(&digits) && trimmed[digits..].starts_with(['.', ')']) {
            digits + 1
        } else {
            0
        }
    };
    if marker_len > 0 {
        let after = &trimmed[marker_len..];
        let rest = after.trim_start_matches(' ');
        let spaces = after.len() - rest.len();
        if after.is_empty() || spaces > 0 {
            return Block::Item(&trimmed[..marker_len], rest, spaces);
        }
    }
    Block::Text
}

/// An opening fence, marked `text` when it names no language or Rust.
fn fence_line(marker: &str, info: &str) -> String {
    let lang = info.split([',', ' ']).next().unwrap_or_default().trim();
    if lang.is_empty() || lang == "rust" {
        format!("{marker}text")
    } else {
        format!("{marker}{info}")
    }
}

/// A quote line without its first `>` and the one space after it.
fn strip_quote(trimmed: &str) -> &str {
    let rest = trimmed.strip_prefix('>').unwrap_or(trimmed);
    rest.strip_prefix(' ').unwrap_or(rest)
}

/// One open list item: where its content starts in the author's text and in ours.
struct Item {
    from: usize,
    to: usize,
}

/// Rewrites Markdown lines (see [`doc_lines`]); the lines returned have no leading
/// doc space.
fn markdown(lines: &[String]) -> Vec<String> {
    let mut out = Vec::with_capacity(lines.len());
    let mut items: Vec<Item> = Vec::new();
    // An open fence: its marker and how many spaces its lines are moved by.
    let mut fence: Option<(&str, isize)> = None;
    // The previous line was paragraph text, which a line of text continues lazily.
    let mut paragraph = false;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].as_str();
        i += 1;
        let trimmed = line.trim_start();
        let indent = line.chars().count() - trimmed.chars().count();
        if let Some((marker, shift)) = fence {
            let closes = trimmed.starts_with(marker)
                && trimmed.trim_start_matches(&marker[..1]).trim().is_empty();
            if closes {
                fence = None;
                let column = (indent as isize + shift).max(0) as usize;
                out.push(format!("{}{trimmed}", " ".repeat(column)));
            } else {
                out.push(line.to_owned());
            }
            continue;
        }
        if trimmed.is_empty() {
            out.push(String::new());
            paragraph = false;
            continue;
        }
        let kind = block(trimmed);
        if !(paragraph && kind == Block::Text) {
            while items.last().is_some_and(|item| item.from > indent) {
                items.pop();
            }
        }
        let column = match items.last() {
            Some(item) => item.to,
            None => indent.min(3),
        };
        let pad = " ".repeat(column);
        paragraph = false;
        match kind {
            Block::Fence(marker, info) => {
                fence = Some((marker, column as isize - indent as isize));
                out.push(format!("{pad}{}", fence_line(marker, info)));
            }
            Block::Quote => {
                // The quote's lines (and its lazy continuations), without one
                // level of `>`, rewritten as a document of their own.
                let mut inner = vec![strip_quote(trimmed).to_owned()];
                let mut text = matches!(block(inner[0].trim_start()), Block::Text);
                while let Some(next) = lines.get(i) {
                    let t = next.trim_start();
                    if t.starts_with('>') {
                        inner.push(strip_quote(t).to_owned());
                    } else if text && !t.is_empty() && block(t) == Block::Text {
                        inner.push(t.to_owned());
                    } else {
                        break;
                    }
                    let last = inner[inner.len() - 1].trim_start();
                    text = !last.is_empty() && block(last) == Block::Text;
                    i += 1;
                }
                for l in markdown(&inner) {
                    out.push(if l.is_empty() {
                        format!("{pad}>")
                    } else {
                        format!("{pad}> {l}")
                    });
                }
            }
            Block::Other => out.push(format!("{pad}{trimmed}")),
            Block::Item(..) => {
                // At the parent item's content column, or the margin; nested
                // items on one line (`- - a`) open one item each.
                let start = if items.is_empty() { 0 } else { column };
                let mut text = " ".repeat(start);
                let (mut from, mut to) = (indent, start);
                let mut rest = trimmed;
                while let Block::Item(marker, after, spaces) = block(rest) {
                    let gap = if (1..=4).contains(&spaces) && !after.is_empty() {
                        spaces
                    } else {
                        1
                    };
                    text.push_str(marker);
                    text.push(' ');
                    from += marker.len() + gap;
                    to += marker.len() + 1;
                    items.push(Item { from, to });
                    rest = after;
                    if rest.is_empty() {
                        break;
                    }
                }
                match block(rest) {
                    Block::Fence(marker, info) => {
                        fence = Some((marker, to as isize - from as isize));
                        text.push_str(&fence_line(marker, info));
                    }
                    kind => {
                        paragraph = kind == Block::Text && !rest.is_empty();
                        text.push_str(rest);
                    }
                }
                out.push(text.trim_end().to_owned());
            }
            Block::Text => {
                paragraph = true;
                out.push(format!("{pad}{trimmed}"));
            }
        }
    }
    out
}

/// Gives every public item, field and variant that lacks a doc comment one, so that
/// generated code passes `missing_docs` (typify leaves undescribed properties, enum
/// values and helper types bare), and passes every doc comment, typify's included,
/// through [`doc_lines`].
pub(crate) fn document(items: &mut [syn::Item]) {
    for item in items {
        match item {
            syn::Item::Struct(s) => {
                let name = s.ident.to_string();
                let public = is_pub(&s.vis);
                docs(&mut s.attrs, public.then(|| format!("`{name}`.")));
                for f in s.fields.iter_mut() {
                    let wire = wire_name(&f.attrs).or_else(|| {
                        f.ident
                            .as_ref()
                            .map(|i| i.to_string().trim_start_matches("r#").to_owned())
                    });
                    let fallback = wire
                        .filter(|_| public && is_pub(&f.vis))
                        .map(|wire| format!("The `{}` property.", wire.escape_debug()));
                    docs(&mut f.attrs, fallback);
                }
            }
            syn::Item::Enum(e) => {
                let name = e.ident.to_string();
                let public = is_pub(&e.vis);
                docs(&mut e.attrs, public.then(|| format!("`{name}`.")));
                for v in &mut e.variants {
                    let fallback = match (&v.fields, wire_name(&v.attrs)) {
                        (syn::Fields::Unit, Some(wire)) => {
                            format!("The value `{}`.", wire.escape_debug())
                        }
                        _ => format!("The `{}` case.", v.ident),
                    };
                    docs(&mut v.attrs, public.then_some(fallback));
                    for f in v.fields.iter_mut() {
                        docs(&mut f.attrs, None);
                    }
                }
            }
            syn::Item::Type(t) => {
                let name = t.ident.to_string();
                docs(&mut t.attrs, is_pub(&t.vis).then(|| format!("`{name}`.")));
            }
            syn::Item::Fn(f) => {
                let name = f.sig.ident.to_string();
                docs(&mut f.attrs, is_pub(&f.vis).then(|| format!("`{name}`.")));
            }
            syn::Item::Trait(t) => {
                let name = t.ident.to_string();
                docs(&mut t.attrs, is_pub(&t.vis).then(|| format!("`{name}`.")));
                for member in &mut t.items {
                    if let syn::TraitItem::Fn(f) = member {
                        let name = f.sig.ident.to_string();
                        docs(&mut f.attrs, Some(format!("`{name}`.")));
                    }
                }
            }
            syn::Item::Impl(i) => {
                docs(&mut i.attrs, None);
                for member in &mut i.items {
                    if let syn::ImplItem::Fn(f) = member {
                        let name = f.sig.ident.to_string();
                        docs(&mut f.attrs, is_pub(&f.vis).then(|| format!("`{name}`.")));
                    }
                }
            }
            syn::Item::Mod(m) => {
                let name = m.ident.to_string();
                docs(&mut m.attrs, is_pub(&m.vis).then(|| format!("`{name}`.")));
                if let Some((_, items)) = &mut m.content {
                    document(items);
                }
            }
            _ => {}
        }
    }
}

/// Rewrites the doc attributes in `attrs` through [`doc_lines`], one attribute per
/// line where the first one was; adds `fallback` when there are none.
fn docs(attrs: &mut Vec<syn::Attribute>, fallback: Option<String>) {
    let doc_value = |a: &syn::Attribute| match &a.meta {
        syn::Meta::NameValue(nv) if nv.path.is_ident("doc") => match &nv.value {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) => Some(s.value()),
            _ => None,
        },
        _ => None,
    };
    // Each value is read once: reading one unescapes the literal.
    let values: Vec<(usize, String)> = attrs
        .iter()
        .enumerate()
        .filter_map(|(i, a)| doc_value(a).map(|v| (i, v)))
        .collect();
    // One leading space per line is the `/// ` convention, not indentation.
    let unprefixed = |values: &mut dyn Iterator<Item = &str>| {
        let lines: Vec<&str> = values
            .flat_map(|v| v.split('\n'))
            .map(|l| l.strip_prefix(' ').unwrap_or(l))
            .collect();
        doc_lines(&lines.join("\n"))
    };
    let (at, lines) = match values.first() {
        Some(&(first, _)) => {
            let mut lines = unprefixed(&mut values.iter().map(|(_, v)| v.as_str()));
            if lines.is_empty() {
                // A blank description documents nothing.
                lines = fallback.map(|f| doc_lines(&f)).unwrap_or_default();
            }
            (first, lines)
        }
        None => match fallback {
            Some(text) => (0, unprefixed(&mut std::iter::once(text.as_str()))),
            None => return,
        },
    };
    // Docs already written this way, one line per attribute (emit's own are) stay.
    let unchanged = values.len() == lines.len()
        && values
            .iter()
            .zip(&lines)
            .enumerate()
            .all(|(k, ((i, value), line))| *i == at + k && value == line);
    if !unchanged {
        let mut docs_at = values.iter().map(|(i, _)| *i).peekable();
        let mut index = 0;
        attrs.retain(|_| {
            let is_doc = docs_at.next_if_eq(&index).is_some();
            index += 1;
            !is_doc
        });
        attrs.splice(at..at, lines.iter().map(|line| doc_attribute(line)));
    }
}

fn is_pub(vis: &syn::Visibility) -> bool {
    matches!(vis, syn::Visibility::Public(_))
}

#[cfg(test)]
mod tests {
    use super::doc_lines;

    #[test]
    fn doc_lines_keep_code_in_descriptions_out_of_doctests() {
        let text = "Intro.\n\n```\nnot rust\n```\n\n    indented\n\n```rust,ignore\nx\n```\n```json\n{}\n```";
        assert_eq!(
            doc_lines(text),
            [
                " Intro.",
                "",
                " ```text",
                " not rust",
                " ```",
                "",
                "    indented",
                "",
                " ```text",
                " x",
                " ```",
                " ```json",
                " {}",
                " ```",
            ]
        );
    }

    #[test]
    fn doc_lines_indent_list_continuations_and_expand_tabs() {
        // Lazy continuations sit at their item's content column.
        assert_eq!(
            doc_lines(
                "Steps:\n- one\ncontinued\n- two\n  - nested\n  lazy\n\tafter tab\n1. first\n   ok"
            ),
            [
                " Steps:",
                " - one",
                "   continued",
                " - two",
                "   - nested",
                "     lazy",
                "     after tab",
                " 1. first",
                "    ok",
            ]
        );
        // Over-indented continuations are pulled back; a blank line ends an item
        // when what follows is not indented to its content (`-   wide` has its
        // content at column 4, so `  - nested` is a sibling).
        assert_eq!(
            doc_lines("-   wide\n        over\n\n  - nested\n\nafter\n   1) x\n      y"),
            [
                " - wide",
                "   over",
                "",
                " - nested",
                "",
                " after",
                " 1) x",
                "    y",
            ]
        );
        // Quotes get their `>` back on lazy lines; fences in items are text.
        assert_eq!(
            doc_lines("> quoted\nlazy\n> - a\n> b\n\n- ```\n  code\n  ```\n- x\tand\ty"),
            [
                " > quoted",
                " > lazy",
                " > - a",
                " >   b",
                "",
                " - ```text",
                "   code",
                "   ```",
                " - x and y",
            ]
        );
        // Headings and rules end an item's paragraph; they are not continued.
        assert_eq!(
            doc_lines("- a\n# Title\n- b\n---\nc"),
            [" - a", " # Title", " - b", " ---", " c"]
        );
    }

    #[test]
    fn doc_lines_end_lines_at_carriage_returns_and_collapse_blank_runs() {
        assert_eq!(
            doc_lines("a\r\nb\rc\n\n\n\nd\n   \t\ne"),
            [" a", " b", " c", "", " d", "", " e"]
        );
        // Indentation inside a fence is the code's own.
        assert_eq!(
            doc_lines("~~~\n        deep\n~~~"),
            [" ~~~text", "         deep", " ~~~"]
        );
        // Whitespace of any width counts by characters, never splitting one.
        assert_eq!(doc_lines("\u{3000}\u{3000}\u{3000}\u{3000}x"), [" x"]);
    }
}
