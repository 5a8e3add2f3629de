//! Manifest names → Rust identifiers.

use heck::{ToSnakeCase, ToUpperCamelCase};
use proc_macro2::{Ident, Span};

/// Keywords that cannot be raw identifiers.
const NOT_RAW: &[&str] = &["self", "Self", "super", "crate", "_"];

fn sanitize(text: &str) -> String {
    let mut out: String = text
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

/// `get-forecast.v2` → `get_forecast_v2`.
pub(crate) fn snake(name: &str) -> String {
    sanitize(&name.to_snake_case())
}

/// `get-forecast.v2` → `GetForecastV2`.
pub(crate) fn camel(name: &str) -> String {
    sanitize(&name.to_upper_camel_case())
}

/// Keywords of recent editions that syn still parses as identifiers.
const EDITION_KEYWORDS: &[&str] = &["gen"];

/// An identifier for `text`, raw (`r#type`) when it is a keyword.
pub(crate) fn ident(text: &str) -> Ident {
    if NOT_RAW.contains(&text) {
        return Ident::new(&format!("{text}_"), Span::call_site());
    }
    if !EDITION_KEYWORDS.contains(&text) && syn::parse_str::<syn::Ident>(text).is_ok() {
        Ident::new(text, Span::call_site())
    } else {
        Ident::new_raw(text, Span::call_site())
    }
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
    }
}
