//! The generated module as syntax trees: each part is parsed once, where it is
//! made, and the parts are spliced into one `syn::File` for prettyplease.
//!
//! Parsing the whole file from tokens again was a quarter of generation time, and
//! typify's output was parsed twice (once to edit it, once to format it). A part
//! that does not parse keeps its tokens: the file then falls back, as before, to
//! one parse of all the parts' tokens (or, failing that, to their text).

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, TokenStreamExt};
use syn::parse::{ParseStream, Parser};

/// A part of the generated module: items, or tokens that do not parse as items.
pub(crate) enum Part {
    /// Parsed items.
    Items(Vec<syn::Item>),
    /// Tokens that did not parse as items.
    Tokens(TokenStream),
}

impl Part {
    /// The items `tokens` hold, or the tokens themselves when they do not parse.
    pub(crate) fn parse(tokens: TokenStream) -> Part {
        match parse_items(tokens.clone()) {
            Ok(items) => Part::Items(items),
            Err(_) => Part::Tokens(tokens),
        }
    }

    /// The items of the parsed parts.
    fn into_items(parts: Vec<Part>) -> Vec<syn::Item> {
        let mut items = Vec::new();
        for part in parts {
            if let Part::Items(more) = part {
                items.extend(more);
            }
        }
        items
    }
}

impl ToTokens for Part {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        match self {
            Part::Items(items) => tokens.append_all(items),
            Part::Tokens(t) => t.to_tokens(tokens),
        }
    }
}

/// `tokens` as a sequence of items: what they become inside a module's braces.
pub(crate) fn parse_items(tokens: TokenStream) -> syn::Result<Vec<syn::Item>> {
    let items = |input: ParseStream<'_>| {
        let mut items = Vec::new();
        while !input.is_empty() {
            items.push(input.parse()?);
        }
        Ok(items)
    };
    items.parse2(tokens)
}

/// `mod <name> { <items> }`, as syn parses it: `attrs` are the module's inner
/// attributes (those of a `syn::File` whose items these are).
pub(crate) fn module(
    name: syn::Ident,
    attrs: Vec<syn::Attribute>,
    items: Vec<syn::Item>,
) -> syn::Item {
    syn::Item::Mod(syn::ItemMod {
        attrs,
        vis: syn::Visibility::Inherited,
        unsafety: None,
        mod_token: Default::default(),
        ident: name,
        content: Some((Default::default(), items)),
        semi: None,
    })
}

/// The file `mod <name> { <parts> } <after>` as a tree, spliced from the parts'
/// trees when every part parsed; otherwise its tokens.
pub(crate) fn file(
    name: syn::Ident,
    parts: Vec<Part>,
    after: Part,
) -> Result<syn::File, TokenStream> {
    if parts
        .iter()
        .chain([&after])
        .any(|p| matches!(p, Part::Tokens(_)))
    {
        let mut tokens = quote::quote!(mod #name { #(#parts)* });
        after.to_tokens(&mut tokens);
        return Err(tokens);
    }
    let mut items = vec![module(name, Vec::new(), Part::into_items(parts))];
    items.extend(Part::into_items(vec![after]));
    Ok(syn::File {
        shebang: None,
        attrs: Vec::new(),
        items,
    })
}

/// `#[doc = "<line>"]`, the tree `syn::parse_quote!` would make of it.
pub(crate) fn doc_attribute(line: &str) -> syn::Attribute {
    syn::Attribute {
        pound_token: Default::default(),
        style: syn::AttrStyle::Outer,
        bracket_token: Default::default(),
        meta: syn::Meta::NameValue(syn::MetaNameValue {
            path: syn::Ident::new("doc", Span::call_site()).into(),
            eq_token: Default::default(),
            value: syn::Expr::Lit(syn::ExprLit {
                attrs: Vec::new(),
                lit: syn::Lit::Str(syn::LitStr::new(line, Span::call_site())),
            }),
        }),
    }
}
