//! Manifest names → Rust identifiers.

use heck::{ToSnakeCase, ToUpperCamelCase};
use proc_macro2::{Ident, Span};
use quote::quote;

/// Keywords that cannot be raw identifiers.
const NOT_RAW: &[&str] = &["self", "Self", "super", "crate", "_"];

/// Every keyword of Rust 2024, strict and reserved: as a name it must be raw
/// (`r#type`), or, for [`NOT_RAW`], suffixed (`self_`).
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "Self", "static", "struct", "super", "trait", "true", "try", "type",
    "typeof", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Whether `text` is a Rust keyword (and so needs `r#` or a suffix as a name).
pub(crate) fn is_keyword(text: &str) -> bool {
    KEYWORDS.contains(&text)
}

/// Makes `text` an identifier: characters an identifier cannot hold become `_`,
/// and one that cannot start it gets a `_` before it.
fn sanitize(text: &str) -> String {
    let mut out: String = text
        .chars()
        .map(|c| {
            if unicode_ident::is_xid_continue(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if !out.starts_with(|c: char| c == '_' || unicode_ident::is_xid_start(c)) {
        out.insert(0, '_');
    }
    out
}

/// `get-forecast.v2` → `get_forecast_v2`.
pub(crate) fn snake(name: &str) -> String {
    sanitize(&name.to_snake_case())
}

/// `get-forecast.v2` → `GetForecastV2`. Never a keyword: `self` → `Self_`.
pub(crate) fn camel(name: &str) -> String {
    let out = sanitize(&name.to_upper_camel_case());
    if is_keyword(&out) {
        format!("{out}_")
    } else {
        out
    }
}

/// An identifier for `text`, raw (`r#type`) when it is a keyword, suffixed
/// (`self_`) when it cannot be raw; text that is no identifier is sanitized.
pub(crate) fn ident(text: &str) -> Ident {
    if NOT_RAW.contains(&text) {
        Ident::new(&format!("{text}_"), Span::call_site())
    } else if is_keyword(text) {
        Ident::new_raw(text, Span::call_site())
    } else if syn::parse_str::<syn::Ident>(text).is_ok() {
        Ident::new(text, Span::call_site())
    } else {
        Ident::new(&sanitize(text), Span::call_site())
    }
}

/// The method or field name [`ident`]`(`[`snake`]`(name))` declares, as rustc
/// compares names: `type` for `r#type`, `self_` for `self`.
pub(crate) fn member(name: &str) -> String {
    let id = ident(&snake(name)).to_string();
    match id.strip_prefix("r#") {
        Some(bare) => bare.to_owned(),
        None => id,
    }
}

/// Whether a name has something (a letter or digit) to make a Rust name from.
pub(crate) fn has_word(name: &str) -> bool {
    name.chars().any(char::is_alphanumeric)
}

/// Names the facade (`codegen::*`) and the prelude bring into the generated module,
/// and that generated code uses: no generated type may shadow them (validation
/// rejects elicitation forms named so; typify helper types stay unexported).
pub(crate) const FACADE_NAMES: &[&str] = &[
    "Self",
    "Send",
    "Sync",
    "Sized",
    "Result",
    "Ok",
    "Err",
    "Some",
    "None",
    "Box",
    "Default",
    "Future",
    "Arc",
    "serde",
    "serde_json",
    "Map",
    "Value",
    "Context",
    "ClientError",
    "CompletionResult",
    "PromptResult",
    "RequestError",
    "ResourceResult",
    "ToolError",
    "ToolResult",
    "CallToolResult",
    "Completion",
    "CompletionRequest",
    "Content",
    "Elicitation",
    "ElicitationForm",
    "GetPromptResult",
    "PromptMessage",
    "ReadResourceResult",
    "ResourceContents",
    "CompletionSource",
    "CompletionTarget",
    "PromptSource",
    "ResourceSource",
    "ServerBuilder",
    "TemplateSource",
    "VarType",
    "Server",
    "String",
    "Option",
    "Vec",
];

/// The name on the wire: the `rename` of a `#[serde(rename = "…")]` attribute.
pub(crate) fn wire_name(attrs: &[syn::Attribute]) -> Option<String> {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("serde"))
        .find_map(|a| {
            let syn::Meta::List(list) = &a.meta else {
                return None;
            };
            let tokens: Vec<proc_macro2::TokenTree> = list.tokens.clone().into_iter().collect();
            tokens.windows(3).find_map(|w| match w {
                [
                    proc_macro2::TokenTree::Ident(key),
                    proc_macro2::TokenTree::Punct(eq),
                    proc_macro2::TokenTree::Literal(lit),
                ] if key == "rename" && eq.as_char() == '=' => {
                    syn::parse2::<syn::LitStr>(quote!(#lit))
                        .ok()
                        .map(|l| l.value())
                }
                _ => None,
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions() {
        assert_eq!(
            snake("json_schema_2020_12_tool"),
            "json_schema_2020_12_tool"
        );
        assert_eq!(camel("json_schema_2020_12_tool"), "JsonSchema202012Tool");
        assert_eq!(snake("get-forecast.v2"), "get_forecast_v2");
        assert_eq!(camel("user_info"), "UserInfo");
        assert_eq!(snake("1click"), "_1click");
        assert_eq!(ident("type").to_string(), "r#type");
        assert_eq!(ident("gen").to_string(), "r#gen");
        assert_eq!(ident("self").to_string(), "self_");
        assert_eq!(ident("name").to_string(), "name");
        assert_eq!(camel("self"), "Self_");
    }

    #[test]
    fn any_text_makes_an_identifier() {
        for text in [
            "", "_", "-", "٣x", "x²", "天気", "a b", "🦀", "Self", "r#x", "\u{301}a",
        ] {
            let s = snake(text);
            let c = camel(text);
            assert!(
                syn::parse_str::<syn::Ident>(&format!("x{s}")).is_ok(),
                "{text:?} → {s:?}"
            );
            assert!(
                syn::parse_str::<syn::Ident>(&c).is_ok() || c == "_",
                "{text:?} → {c:?}"
            );
            assert!(
                syn::parse_str::<syn::Ident>(&format!("{c}Input")).is_ok(),
                "{text:?}"
            );
            // Must not panic, and must be usable as a field or method name.
            let id = ident(&s).to_string();
            assert!(!id.is_empty());
        }
    }

    #[test]
    fn members_compare_as_rustc_does() {
        assert_eq!(member("type"), "type");
        assert_eq!(member("self"), "self_");
        assert_eq!(member("getData"), member("get_data"));
        assert!(has_word("x-1"));
        assert!(!has_word("-_."));
    }
}
