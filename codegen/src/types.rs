//! Rust types for tool input and output schemas, generated with typify.
//!
//! typify reads a draft-07-like dialect, so a *copy* of the author's schema is
//! rewritten for it (`$defs` → `definitions`, validation-only keywords dropped); the
//! schema served on the wire is always the author's original. Schemas typify cannot
//! type, and any typify failure or panic, fall back to a JSON map.

use std::collections::HashSet;
use std::panic::{AssertUnwindSafe, catch_unwind};

use proc_macro2::{Group, Literal, Punct, Spacing, TokenStream, TokenTree};
use quote::{format_ident, quote};
use serde_json::{Map, Value};
use typify::{TypeDetails, TypeSpace, TypeSpaceSettings};

use crate::names::camel;

/// Keywords typify cannot turn into types faithfully.
const UNSUPPORTED: &[&str] = &[
    "if",
    "then",
    "else",
    "prefixItems",
    "dependentSchemas",
    "dependentRequired",
    "$anchor",
    "$dynamicRef",
    "$dynamicAnchor",
    "$recursiveRef",
    "$recursiveAnchor",
    "unevaluatedProperties",
    "unevaluatedItems",
    "contentSchema",
    "patternProperties",
];

/// Keywords whose value is a map of subschemas.
const SCHEMA_MAPS: &[&str] = &[
    "properties",
    "definitions",
    "$defs",
    "dependentSchemas",
    "patternProperties",
];
/// Keywords whose value is a subschema (or, for `items`, a list of them).
const SCHEMA_ONE: &[&str] = &[
    "items",
    "additionalItems",
    "additionalProperties",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "propertyNames",
    "unevaluatedProperties",
    "unevaluatedItems",
    "contentSchema",
];
/// Keywords whose value is a list of subschemas.
const SCHEMA_LISTS: &[&str] = &["allOf", "anyOf", "oneOf", "prefixItems"];
/// Keywords only validation cares about, dropped so types stay plain (and need no
/// crates beyond serde): the runtime validates arguments against the real schema.
const VALIDATION_ONLY: &[&str] = &[
    "format",
    "pattern",
    "minLength",
    "maxLength",
    "$comment",
    "$id",
    "examples",
];

/// The generated types of one schema.
pub(crate) struct SchemaTypes {
    /// A private module with every type, and `pub use` of the nameable ones.
    pub tokens: TokenStream,
}

/// Why a schema fell back to a JSON map.
pub(crate) type Fallback = String;

/// Generates `type_name` (and its helper types) for `schema`, or says why not.
///
/// `reserved` holds names already used in the generated module; helper types that
/// would clash are left unexported.
pub(crate) fn schema_types(
    schema: &Map<String, Value>,
    type_name: &str,
    doc: &str,
    module: &str,
    runtime: &str,
    reserved: &mut HashSet<String>,
) -> Result<SchemaTypes, Fallback> {
    let mut copy = schema.clone();
    if !copy.contains_key("description") {
        copy.insert("description".into(), Value::String(doc.to_owned()));
    }
    let copy = prepare(copy, type_name)?;
    let result = catch_unwind(AssertUnwindSafe(|| typify_one(copy, type_name)));
    let (items, names, alias) = match result {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => return Err(format!("typify could not type it ({e})")),
        Err(_) => return Err("typify panicked on it".to_owned()),
    };
    let items = rewrite_paths(items, runtime);
    let items = add_serde_crate(items, runtime)
        .map_err(|e| format!("typify produced code that does not parse ({e})"))?;
    unique_members(&items)?;

    let module = format_ident!("{}", module);
    let root = format_ident!("{}", type_name);
    let mut exports = vec![root.clone()];
    for name in names {
        if name != type_name && reserved.insert(name.clone()) {
            exports.push(format_ident!("{}", name));
        }
    }
    let alias = alias.map(|ty| {
        let ty = rewrite_paths(ty, runtime);
        let docs = crate::emit::doc_attrs(doc);
        quote! { #(#docs)* pub type #root = #ty; }
    });
    Ok(SchemaTypes {
        tokens: quote! {
            mod #module {
                #items
                #alias
            }
            pub use self::#module::{#(#exports),*};
        },
    })
}

/// typify on one prepared schema: its items, the names of the types it defines,
/// and, when the root is not a named type, the root's type (for an alias).
fn typify_one(
    schema: Value,
    type_name: &str,
) -> Result<(TokenStream, Vec<String>, Option<TokenStream>), String> {
    let root: schemars::schema::RootSchema =
        serde_json::from_value(schema).map_err(|e| e.to_string())?;
    let mut settings = TypeSpaceSettings::default();
    settings.with_struct_builder(false);
    let mut space = TypeSpace::new(&settings);
    space
        .add_ref_types(root.definitions)
        .map_err(|e| e.to_string())?;
    let id = space
        .add_type_with_name(
            &schemars::schema::Schema::Object(root.schema),
            Some(type_name.to_owned()),
        )
        .map_err(|e| e.to_string())?;
    if space.uses_chrono() || space.uses_uuid() || space.uses_regress() {
        return Err("it needs crates beyond serde".to_owned());
    }
    let ty = space.get_type(&id).map_err(|e| e.to_string())?;
    let alias = (ty.name() != type_name).then(|| ty.ident());
    let names = space
        .iter_types()
        .filter(|t| {
            matches!(
                t.details(),
                TypeDetails::Struct(_) | TypeDetails::Enum(_) | TypeDetails::Newtype(_)
            )
        })
        .map(|t| t.name())
        .collect();
    Ok((space.to_stream(), names, alias))
}

/// Rewrites the typing copy: unsupported keywords fail, `$defs` become prefixed
/// `definitions`, validation-only keywords go.
fn prepare(mut schema: Map<String, Value>, prefix: &str) -> Result<Value, Fallback> {
    let mut renames = Vec::new();
    let mut definitions = Map::new();
    for key in ["$defs", "definitions"] {
        if let Some(Value::Object(defs)) = schema.remove(key) {
            for (name, def) in defs {
                let new = format!("{prefix}{}", camel(&name));
                renames.push((format!("#/{key}/{name}"), format!("#/definitions/{new}")));
                definitions.insert(new, def);
            }
        }
    }
    let mut root = Value::Object(schema);
    walk(&mut root, &renames, true)?;
    let mut defs = Value::Object(definitions);
    if let Value::Object(map) = &mut defs {
        for def in map.values_mut() {
            walk(def, &renames, false)?;
        }
    }
    if let Value::Object(map) = &mut root {
        map.remove("$schema");
        map.insert("definitions".into(), defs);
    }
    Ok(root)
}

fn walk(schema: &mut Value, renames: &[(String, String)], is_root: bool) -> Result<(), Fallback> {
    let Value::Object(map) = schema else {
        return Ok(());
    };
    for key in UNSUPPORTED {
        if map.contains_key(*key) {
            return Err(format!("it uses `{key}`, which typify cannot type"));
        }
    }
    if !is_root && (map.contains_key("$defs") || map.contains_key("definitions")) {
        return Err("it nests `$defs` below the root".to_owned());
    }
    if let Some(r) = map.get_mut("$ref") {
        let target = r.as_str().unwrap_or_default();
        match renames.iter().find(|(from, _)| from == target) {
            Some((_, to)) => *r = Value::String(to.clone()),
            None => {
                return Err(format!(
                    "it uses `$ref: {target}`, which typify cannot follow"
                ));
            }
        }
    }
    for key in VALIDATION_ONLY {
        map.remove(*key);
    }
    for (key, value) in map.iter_mut() {
        let key = key.as_str();
        if SCHEMA_MAPS.contains(&key) {
            if let Value::Object(subs) = value {
                for sub in subs.values_mut() {
                    walk(sub, renames, false)?;
                }
            }
        } else if SCHEMA_ONE.contains(&key) {
            match value {
                Value::Array(subs) => {
                    for sub in subs {
                        walk(sub, renames, false)?;
                    }
                }
                sub => walk(sub, renames, false)?,
            }
        } else if SCHEMA_LISTS.contains(&key) {
            if let Value::Array(subs) = value {
                for sub in subs {
                    walk(sub, renames, false)?;
                }
            }
        }
    }
    Ok(())
}

/// `::serde…` and `::serde_json…` (in paths and in string attributes) → the facade's.
fn rewrite_paths(tokens: TokenStream, runtime: &str) -> TokenStream {
    let facade: TokenStream = format!("{runtime}::codegen").parse().unwrap_or_default();
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    let mut out = Vec::with_capacity(trees.len());
    let mut i = 0;
    while i < trees.len() {
        let is_crate_path = matches!(
            (&trees[i], trees.get(i + 1), trees.get(i + 2)),
            (TokenTree::Punct(a), Some(TokenTree::Punct(b)), Some(TokenTree::Ident(id)))
                if a.as_char() == ':' && a.spacing() == Spacing::Joint && b.as_char() == ':'
                    && (id == "serde" || id == "serde_json")
        );
        if is_crate_path {
            out.extend(facade.clone());
            let mut colon = Punct::new(':', Spacing::Joint);
            colon.set_span(proc_macro2::Span::call_site());
            out.push(TokenTree::Punct(colon));
            out.push(TokenTree::Punct(Punct::new(':', Spacing::Alone)));
            out.push(trees[i + 2].clone());
            i += 3;
            continue;
        }
        match &trees[i] {
            TokenTree::Group(g) => {
                let mut group = Group::new(g.delimiter(), rewrite_paths(g.stream(), runtime));
                group.set_span(g.span());
                out.push(TokenTree::Group(group));
            }
            TokenTree::Literal(lit) => {
                let text = lit.to_string();
                if text.starts_with("\"::serde") {
                    let new = format!("\"{runtime}::codegen{}", &text[1..]);
                    out.push(TokenTree::Literal(
                        new.parse::<Literal>().unwrap_or_else(|_| lit.clone()),
                    ));
                } else {
                    out.push(trees[i].clone());
                }
            }
            other => out.push(other.clone()),
        }
        i += 1;
    }
    out.into_iter().collect()
}

/// Adds `#[serde(crate = "<runtime>::codegen::serde")]` to every item that derives
/// a serde trait, so the derives work without a `serde` dependency.
fn add_serde_crate(tokens: TokenStream, runtime: &str) -> Result<TokenStream, syn::Error> {
    let mut file: syn::File = syn::parse2(tokens)?;
    let krate = format!("{runtime}::codegen::serde");
    let attr: syn::Attribute = syn::parse_quote!(#[serde(crate = #krate)]);
    fn visit(items: &mut [syn::Item], attr: &syn::Attribute) {
        for item in items {
            let attrs = match item {
                syn::Item::Struct(s) => &mut s.attrs,
                syn::Item::Enum(e) => &mut e.attrs,
                syn::Item::Mod(m) => {
                    if let Some((_, items)) = &mut m.content {
                        visit(items, attr);
                    }
                    continue;
                }
                _ => continue,
            };
            let derives_serde = attrs.iter().any(|a| {
                a.path().is_ident("derive") && {
                    let text = a.meta.to_token_stream_string();
                    text.contains("Serialize") || text.contains("Deserialize")
                }
            });
            if derives_serde {
                // After the derive, so the helper attribute is in scope.
                let pos = attrs
                    .iter()
                    .rposition(|a| a.path().is_ident("derive"))
                    .map_or(attrs.len(), |p| p + 1);
                attrs.insert(pos, attr.clone());
            }
        }
    }
    visit(&mut file.items, &attr);
    // typify always emits its conversion error type; drop it when nothing uses it.
    let uses_error = file
        .items
        .iter()
        .filter(|i| !matches!(i, syn::Item::Mod(m) if m.ident == "error"))
        .any(|i| quote!(#i).to_string().contains("ConversionError"));
    if !uses_error {
        file.items
            .retain(|i| !matches!(i, syn::Item::Mod(m) if m.ident == "error"));
    }
    Ok(quote!(#file))
}

trait MetaText {
    fn to_token_stream_string(&self) -> String;
}

impl MetaText for syn::Meta {
    fn to_token_stream_string(&self) -> String {
        quote!(#self).to_string()
    }
}

/// typify names fields and variants without checking that two names stay apart once
/// they are Rust identifiers (`self` and `Self` both become `self_`; `_` and `__`
/// both `x`), which would not compile: such a schema falls back instead.
fn unique_members(items: &TokenStream) -> Result<(), Fallback> {
    fn check(items: &[syn::Item]) -> Result<(), Fallback> {
        for item in items {
            let (owner, members): (String, Vec<(String, &[syn::Attribute])>) = match item {
                syn::Item::Struct(s) => (
                    s.ident.to_string(),
                    s.fields
                        .iter()
                        .filter_map(|f| f.ident.as_ref().map(|i| (i.to_string(), &f.attrs[..])))
                        .collect(),
                ),
                syn::Item::Enum(e) => (
                    e.ident.to_string(),
                    e.variants
                        .iter()
                        .map(|v| (v.ident.to_string(), &v.attrs[..]))
                        .collect(),
                ),
                syn::Item::Mod(m) => {
                    if let Some((_, items)) = &m.content {
                        check(items)?;
                    }
                    continue;
                }
                _ => continue,
            };
            let mut seen: HashSet<&str> = HashSet::new();
            for (name, _) in &members {
                if !seen.insert(name) {
                    let wires: Vec<String> = members
                        .iter()
                        .filter(|(n, _)| n == name)
                        .map(|(n, attrs)| format!("`{}`", serde_rename(attrs).unwrap_or(n.clone())))
                        .collect();
                    return Err(format!(
                        "{} {} become `{name}` in the Rust type `{owner}`",
                        wires.join(" and "),
                        if wires.len() == 2 { "both" } else { "all" }
                    ));
                }
            }
        }
        Ok(())
    }
    let file: syn::File = syn::parse2(items.clone())
        .map_err(|e| format!("typify produced code that does not parse ({e})"))?;
    check(&file.items)
}

/// The value of a `#[serde(rename = "…")]` attribute.
fn serde_rename(attrs: &[syn::Attribute]) -> Option<String> {
    let mut found = None;
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") {
                let lit: syn::LitStr = meta.value()?.parse()?;
                found = Some(lit.value());
            } else if meta.input.peek(syn::Token![=]) {
                let _: syn::Expr = meta.value()?.parse()?;
            }
            Ok(())
        });
    }
    found
}
