//! Manifest paths (`tools.get_forecast.input.properties.city`, `resources[0]`,
//! `tools["bad name"]`): how diagnostics and the span index name a node.

/// Whether a map key can be written bare in a manifest path.
pub(crate) fn plain_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| !c.is_whitespace() && !c.is_control() && !matches!(c, '.' | '[' | ']' | '"'))
}

/// Joins a manifest path and a map key: `tools` + `get_forecast` →
/// `tools.get_forecast`; keys that are not plain words are quoted:
/// `tools["bad name"]`.
pub(crate) fn join(path: &str, key: &str) -> String {
    if !plain_key(key) {
        let quoted = serde_json::to_string(key).unwrap_or_default();
        format!("{path}[{quoted}]")
    } else if path.is_empty() {
        key.to_owned()
    } else {
        // Not `format!`: the span index joins once per node of the manifest.
        let mut joined = String::with_capacity(path.len() + 1 + key.len());
        joined.push_str(path);
        joined.push('.');
        joined.push_str(key);
        joined
    }
}

/// Joins a manifest path and a sequence index.
pub(crate) fn index(path: &str, i: usize) -> String {
    let mut indexed = String::with_capacity(path.len() + 8);
    indexed.push_str(path);
    indexed.push('[');
    indexed.push_str(&i.to_string());
    indexed.push(']');
    indexed
}

/// Where each segment of a manifest path starts (its `.` or `[`).
pub(crate) fn segment_starts(path: &str) -> Vec<usize> {
    let bytes = path.as_bytes();
    let mut starts = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'.' => {
                starts.push(i);
                i += 1;
            }
            b'[' => {
                starts.push(i);
                i += 1;
                if bytes.get(i) == Some(&b'"') {
                    // A quoted key: skip to its closing quote, past escapes.
                    i += 1;
                    while i < bytes.len() && bytes[i] != b'"' {
                        i += if bytes[i] == b'\\' { 2 } else { 1 };
                    }
                }
                while i < bytes.len() && bytes[i] != b']' {
                    i += 1;
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    starts
}

/// The parent of a manifest path: `a.b[2]` → `a.b` → `a` → ``.
pub(crate) fn parent(path: &str) -> &str {
    let cut = segment_starts(path).last().copied().unwrap_or(0);
    path.get(..cut).unwrap_or_default()
}

/// `parent` and one segment of a manifest path (`.key`, `[2]`, `["a b"]`, or a
/// path's first key, without its dot).
pub(crate) fn append_segment(parent: &str, seg: &str) -> String {
    match (parent.is_empty(), seg.strip_prefix('.')) {
        (true, Some(key)) => key.to_owned(),
        (false, None) if !seg.starts_with('[') => format!("{parent}.{seg}"),
        _ => format!("{parent}{seg}"),
    }
}

/// The field a value at `path` belongs to: its key, or for a list item the
/// list's key (`tools.t.requires[0]` → `requires`).
pub(crate) fn field_name(path: &str) -> String {
    let mut path = path;
    while path.ends_with(']') && !path.ends_with("\"]") {
        path = parent(path);
    }
    last_key(path)
}

/// The last map key of a path (`tools.get_forecast` → `get_forecast`), unquoted.
pub(crate) fn last_key(path: &str) -> String {
    let start = segment_starts(path).last().copied().unwrap_or(0);
    let seg = path.get(start..).unwrap_or_default();
    if let Some(quoted) = seg.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
        serde_json::from_str(quoted).unwrap_or_else(|_| quoted.to_owned())
    } else {
        seg.trim_start_matches('.').to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_items_are_named_by_their_list() {
        assert_eq!(field_name("tools.t.requires[0]"), "requires");
        assert_eq!(field_name("a.b[1][2]"), "b");
        assert_eq!(field_name("tools[\"a b\"]"), "a b");
        assert_eq!(field_name("server.cache.scope"), "scope");
    }

    #[test]
    fn paths() {
        assert_eq!(join("tools", "get_forecast"), "tools.get_forecast");
        assert_eq!(join("tools", "get.forecast"), "tools[\"get.forecast\"]");
        assert_eq!(join("", "bad tool!"), "[\"bad tool!\"]");
        assert_eq!(parent("a.b[2]"), "a.b");
        assert_eq!(parent("a.b"), "a");
        assert_eq!(parent("a"), "");
        assert_eq!(parent("tools[\"x.]y\"].input"), "tools[\"x.]y\"]");
        assert_eq!(parent("tools[\"x.]y\"]"), "tools");
        assert_eq!(last_key("tools[\"a \\\"b\"]"), "a \"b");
        assert_eq!(last_key("tools.get_forecast"), "get_forecast");
    }
}
