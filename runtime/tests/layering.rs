//! Keeps the runtime's modules layered: data flows one way, so no module may reach
//! (through `crate::…` paths, directly or not) a module that reaches back to it.
//!
//! The graph is read from the source, not from rustc: each top-level module of
//! `runtime/src` is one node (`x.rs`, or a directory `x/` with its submodules:
//! `server/*` and `transport/*` count as `server` and `transport`, since a
//! module's own files share its private items). An edge is any `crate::m` path
//! (also inside grouped `use crate::{a::X, b}` imports) or a name `lib.rs`
//! re-exports from `m` (`crate::Server`). `super::` stays inside a module and
//! adds no edge. Skipped: comments, `#[cfg(test)]` items (tests may look
//! anywhere), `lib.rs` (the root that assembles everything) and
//! `bench_internals` (a hook for benchmarks, above everything).
//!
//! The layering itself is in ARCHITECTURE.md ("Runtime modules").

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type Graph = BTreeMap<String, BTreeSet<String>>;

#[test]
fn runtime_modules_form_no_cycle() {
    let graph = module_graph();
    if let Some(cycle) = find_cycle(&graph) {
        panic!(
            "the runtime's modules form a cycle: {}\n\nthe graph:\n{}",
            cycle.join(" -> "),
            describe(&graph)
        );
    }
}

#[test]
fn transports_sit_above_the_server() {
    let graph = module_graph();
    // The transports call the server and read sessions; nothing below them
    // may name a transport.
    for low in ["server", "session", "context", "events", "jsonrpc", "error"] {
        let reach = reachable(&graph, low);
        assert!(
            !reach.contains("transport"),
            "`{low}` reaches `transport`\n\nthe graph:\n{}",
            describe(&graph)
        );
    }
    assert!(reachable(&graph, "transport").contains("server"));
}

/// The layers of ARCHITECTURE.md ("Runtime modules"), from the bottom: a module
/// may import only modules of lower layers.
const LAYERS: &[&[&str]] = &[
    &[
        "protocol",
        "method",
        "seal",
        "uri_template",
        "metrics",
        "limits",
        "client_tls",
    ],
    &["error", "downgrade", "otel", "auth"],
    &["jsonrpc", "parts", "access"],
    &["drain"],
    &["session"],
    &["events", "tasks", "replay", "operator_log", "middleware"],
    &["context"],
    &["registry"],
    &["modern"],
    &["listen"],
    &["server"],
    &["transport"],
    &["cli", "codegen"],
];

#[test]
fn imports_only_go_down() {
    let graph = module_graph();
    let layer = |m: &str| LAYERS.iter().position(|l| l.contains(&m));
    for (module, edges) in &graph {
        let Some(own) = layer(module) else {
            panic!("`{module}` has no layer: add it to LAYERS here and to ARCHITECTURE.md");
        };
        for target in edges {
            let theirs = layer(target).unwrap_or(usize::MAX);
            assert!(
                theirs < own,
                "`{module}` (layer {own}) imports `{target}` (layer {theirs}); \
                 imports go down only (see ARCHITECTURE.md)"
            );
        }
    }
}

#[test]
fn the_scan_sees_grouped_imports() {
    let text = "use crate::{a::X, b::{Y, Z}, c};\nuse crate::d::{self, E};\n\
                // crate::ignored\nfn f() { crate::e::g(); }\n\
                #[cfg(test)]\nmod tests { use crate::hidden; }\n";
    let refs = references(&strip(text), &BTreeMap::new());
    let expected: BTreeSet<String> = ["a", "b", "c", "d", "e"].map(String::from).into();
    assert_eq!(refs, expected);
}

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn module_graph() -> Graph {
    let src = src_dir();
    let reexports = lib_reexports(&std::fs::read_to_string(src.join("lib.rs")).unwrap());
    let mut files = Vec::new();
    collect_files(&src, &mut files);
    let mut graph = Graph::new();
    for file in files {
        let rel = file.strip_prefix(&src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let module = first.trim_end_matches(".rs").to_owned();
        if module == "lib" || module == "main" || module == "bench_internals" {
            continue;
        }
        let text = strip(&std::fs::read_to_string(&file).unwrap());
        let edges = graph.entry(module.clone()).or_default();
        for target in references(&text, &reexports) {
            if target != module {
                edges.insert(target);
            }
        }
    }
    // Only the crate's own modules are nodes (`crate::codegen` re-exports
    // `serde`, which is not one of them).
    let nodes: BTreeSet<String> = graph.keys().cloned().collect();
    for edges in graph.values_mut() {
        edges.retain(|e| nodes.contains(e));
    }
    graph
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
}

/// Names `lib.rs` re-exports, mapped to the module they come from
/// (`pub use server::Server;` makes `crate::Server` an edge to `server`).
fn lib_reexports(lib: &str) -> BTreeMap<String, String> {
    let lib = strip(lib);
    let mut map = BTreeMap::new();
    for stmt in lib.split(';') {
        let stmt = stmt.trim();
        let Some(path) = stmt.strip_prefix("pub use ") else {
            continue;
        };
        let path = path.trim_start_matches("crate::");
        let Some((module, rest)) = path.split_once("::") else {
            continue;
        };
        for name in rest
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .filter(|n| !n.is_empty())
        {
            map.insert(name.to_owned(), module.to_owned());
        }
    }
    map
}

/// The source without comments, string literals and `#[cfg(test)]` items.
fn strip(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let rest = &text[i..];
        if rest.starts_with("//") {
            i += rest.find('\n').unwrap_or(rest.len());
        } else if rest.starts_with("/*") {
            i += rest.find("*/").map_or(rest.len(), |e| e + 2);
        } else if let Some(item) = rest.strip_prefix("#[cfg(test)]") {
            i += rest.len() - item.len() + skip_item(item);
        } else if let Some(raw) = rest.strip_prefix("r#\"") {
            i += raw.find("\"#").map_or(rest.len(), |e| e + 5);
        } else if let Some(body) = rest.strip_prefix('"') {
            i += 1 + string_end(body);
            out.push_str("\"\"");
        } else if rest.starts_with("'\"'") {
            // The one char literal that would open a string.
            i += 3;
        } else {
            let c = rest.chars().next().unwrap();
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// The length of a string literal's body and its closing quote.
fn string_end(text: &str) -> usize {
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        match c {
            '\\' if !escaped => escaped = true,
            '"' if !escaped => return i + 1,
            _ => escaped = false,
        }
    }
    text.len()
}

/// The length of the item that starts `text`: up to its first `;` or the end of
/// its first `{ … }` block, whichever comes first.
fn skip_item(text: &str) -> usize {
    let mut depth = 0usize;
    for (i, c) in text.char_indices() {
        match c {
            ';' if depth == 0 => return i + 1,
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
    }
    text.len()
}

/// The top-level modules `text` names through `crate::`.
fn references(text: &str, reexports: &BTreeMap<String, String>) -> BTreeSet<String> {
    let mut refs = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().next_back();
        rest = &rest[at + "crate::".len()..];
        // `$crate::` and `mcpgen_runtime_crate::`-like names are not this crate.
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let end = skip_item(rest).min(rest.len());
            for entry in top_level_entries(&group[..end.saturating_sub(2)]) {
                add(&mut refs, first_ident(entry), reexports);
            }
        } else {
            add(&mut refs, first_ident(rest), reexports);
        }
    }
    refs
}

fn add(refs: &mut BTreeSet<String>, name: &str, reexports: &BTreeMap<String, String>) {
    if name.is_empty() || name == "self" {
        return;
    }
    match reexports.get(name) {
        Some(module) => refs.insert(module.clone()),
        None => refs.insert(name.to_owned()),
    };
}

fn first_ident(text: &str) -> &str {
    let text = text.trim_start();
    let end = text
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    &text[..end]
}

/// `a::X, b::{Y, Z}, c` → `a::X`, `b::{Y, Z}`, `c`.
fn top_level_entries(group: &str) -> Vec<&str> {
    let mut entries = Vec::new();
    let (mut depth, mut start) = (0usize, 0);
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                entries.push(&group[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    entries.push(&group[start..]);
    entries
}

/// A cycle, as the modules along it (the first repeated at the end), if any.
fn find_cycle(graph: &Graph) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        OnPath,
        Done,
    }
    fn visit(
        node: &str,
        graph: &Graph,
        marks: &mut BTreeMap<String, Mark>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        marks.insert(node.to_owned(), Mark::OnPath);
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            match marks.get(next.as_str()).copied().unwrap_or(Mark::New) {
                Mark::OnPath => {
                    let from = path.iter().position(|n| n == next).unwrap();
                    let mut cycle = path[from..].to_vec();
                    cycle.push(next.clone());
                    return Some(cycle);
                }
                Mark::New => {
                    if let Some(cycle) = visit(next, graph, marks, path) {
                        return Some(cycle);
                    }
                }
                Mark::Done => {}
            }
        }
        path.pop();
        marks.insert(node.to_owned(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for node in graph.keys() {
        if marks.get(node).copied().unwrap_or(Mark::New) == Mark::New {
            if let Some(cycle) = visit(node, graph, &mut marks, &mut Vec::new()) {
                return Some(cycle);
            }
        }
    }
    None
}

fn reachable(graph: &Graph, from: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut stack = vec![from.to_owned()];
    while let Some(node) = stack.pop() {
        for next in graph.get(&node).into_iter().flatten() {
            if seen.insert(next.clone()) {
                stack.push(next.clone());
            }
        }
    }
    seen
}

fn describe(graph: &Graph) -> String {
    graph
        .iter()
        .map(|(m, edges)| {
            let edges: Vec<&str> = edges.iter().map(String::as_str).collect();
            format!("  {m} -> {}\n", edges.join(", "))
        })
        .collect()
}
