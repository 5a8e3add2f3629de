//! typify's output, fitted into the generated module: serde named through the
//! runtime's facade (generated code depends on the runtime alone), a
//! `#[serde(crate = …)]` next to every serde derive, and typify's error module
//! dropped when nothing uses it.
//!
//! The output is parsed once and edited as a tree: rewriting its tokens first and
//! stringifying items to search them cost more than typify itself.

use proc_macro2::{Delimiter, Group, Literal, Punct, Spacing, Span, TokenStream, TokenTree};
use quote::{ToTokens, quote};
use syn::visit::{self, Visit};
use syn::visit_mut::{self, VisitMut};

/// The runtime's facade, `<runtime>::codegen`, which generated code names serde
/// and serde_json through.
pub(super) struct Facade {
    /// The facade's tokens, for paths inside token streams.
    tokens: TokenStream,
    /// The facade as a path, when it is a plain one (no generic arguments).
    path: Option<syn::Path>,
    /// What a string literal naming the facade starts with: `"<runtime>::codegen`.
    quoted: String,
}

impl Facade {
    pub(super) fn new(runtime: &str) -> Facade {
        let text = format!("{runtime}::codegen");
        let path = syn::parse_str::<syn::Path>(&text)
            .ok()
            .filter(|p| p.segments.iter().all(|s| s.arguments.is_none()));
        Facade {
            tokens: text.parse().unwrap_or_default(),
            path,
            quoted: format!("\"{text}"),
        }
    }

    /// typify's items, parsed, naming serde through the facade, without typify's
    /// error module when no other item uses its `ConversionError`.
    pub(super) fn parse(&self, tokens: TokenStream) -> syn::Result<syn::File> {
        let mut trees: Vec<TokenTree> = tokens.into_iter().collect();
        let Some(error_module) = split_error_module(&mut trees) else {
            let mut file = self.parse_file(trees.into_iter().collect())?;
            if !uses_conversion_error(&file.items) {
                file.items.retain(|i| !is_error_module(i));
            }
            return Ok(file);
        };
        // Parsed only when used: most types convert nothing, and the module is a
        // good part of a small schema's output.
        let mut file = self.parse_file(trees.into_iter().collect())?;
        if uses_conversion_error(&file.items) {
            file.items.extend(self.parse_file(error_module)?.items);
        }
        Ok(file)
    }

    fn parse_file(&self, tokens: TokenStream) -> syn::Result<syn::File> {
        match &self.path {
            Some(path) => {
                let mut file: syn::File = syn::parse2(tokens)?;
                Rewriter { facade: self, path }.visit_file_mut(&mut file);
                Ok(file)
            }
            // A runtime path with generic arguments, which no module has: the
            // tokens are rewritten before parsing, as they always were.
            None => syn::parse2(self.rewrite_tokens(tokens)),
        }
    }

    /// `::serde…` and `::serde_json…` (in paths and in string literals) → the
    /// facade's.
    pub(super) fn rewrite_tokens(&self, tokens: TokenStream) -> TokenStream {
        let trees: Vec<TokenTree> = tokens.into_iter().collect();
        let mut out = Vec::with_capacity(trees.len());
        let mut i = 0;
        while i < trees.len() {
            if let (TokenTree::Punct(a), Some(TokenTree::Punct(b)), Some(TokenTree::Ident(id))) =
                (&trees[i], trees.get(i + 1), trees.get(i + 2))
                && a.as_char() == ':'
                && a.spacing() == Spacing::Joint
                && b.as_char() == ':'
                && is_serde(id)
            {
                out.extend(self.tokens.clone());
                let mut colon = Punct::new(':', Spacing::Joint);
                colon.set_span(Span::call_site());
                out.push(TokenTree::Punct(colon));
                out.push(TokenTree::Punct(Punct::new(':', Spacing::Alone)));
                out.push(TokenTree::Ident(id.clone()));
                i += 3;
                continue;
            }
            match &trees[i] {
                TokenTree::Group(g) => {
                    let mut group = Group::new(g.delimiter(), self.rewrite_tokens(g.stream()));
                    group.set_span(g.span());
                    out.push(TokenTree::Group(group));
                }
                TokenTree::Literal(lit) => out.push(TokenTree::Literal(
                    self.rewrite_literal(lit).unwrap_or_else(|| lit.clone()),
                )),
                other => out.push(other.clone()),
            }
            i += 1;
        }
        out.into_iter().collect()
    }

    /// A string literal starting with `"::serde`, made to start with the facade
    /// (`None` for any other literal).
    fn rewrite_literal(&self, lit: &Literal) -> Option<Literal> {
        let text = lit.to_string();
        let rest = text
            .strip_prefix('"')
            .filter(|r| r.starts_with("::serde"))?;
        format!("{}{rest}", self.quoted).parse().ok()
    }
}

fn is_serde(ident: &proc_macro2::Ident) -> bool {
    ident == "serde" || ident == "serde_json"
}

/// Names serde through the facade everywhere in a tree, as
/// [`Facade::rewrite_tokens`] does in its tokens: paths starting with `::serde` or
/// `::serde_json` (typify writes them nowhere else in a path; qualified paths keep
/// their `<… as …>` split where it was), string literals, and the tokens of
/// attributes, macros and verbatim syntax.
struct Rewriter<'a> {
    facade: &'a Facade,
    /// The facade as a path.
    path: &'a syn::Path,
}

impl Rewriter<'_> {
    fn tokens(&self, tokens: &mut TokenStream) {
        *tokens = self.facade.rewrite_tokens(std::mem::take(tokens));
    }
}

impl VisitMut for Rewriter<'_> {
    fn visit_path_mut(&mut self, path: &mut syn::Path) {
        visit_mut::visit_path_mut(self, path);
        let from_serde = path.leading_colon.is_some()
            && path.segments.first().is_some_and(|s| is_serde(&s.ident));
        if from_serde {
            let rest = std::mem::take(&mut path.segments);
            path.leading_colon = self.path.leading_colon;
            path.segments = self.path.segments.clone();
            path.segments.extend(rest);
        }
    }

    fn visit_type_path_mut(&mut self, node: &mut syn::TypePath) {
        let before = node.path.segments.len();
        visit_mut::visit_type_path_mut(self, node);
        shift(&mut node.qself, before, &node.path);
    }

    fn visit_expr_path_mut(&mut self, node: &mut syn::ExprPath) {
        let before = node.path.segments.len();
        visit_mut::visit_expr_path_mut(self, node);
        shift(&mut node.qself, before, &node.path);
    }

    fn visit_expr_struct_mut(&mut self, node: &mut syn::ExprStruct) {
        let before = node.path.segments.len();
        visit_mut::visit_expr_struct_mut(self, node);
        shift(&mut node.qself, before, &node.path);
    }

    fn visit_pat_struct_mut(&mut self, node: &mut syn::PatStruct) {
        let before = node.path.segments.len();
        visit_mut::visit_pat_struct_mut(self, node);
        shift(&mut node.qself, before, &node.path);
    }

    fn visit_pat_tuple_struct_mut(&mut self, node: &mut syn::PatTupleStruct) {
        let before = node.path.segments.len();
        visit_mut::visit_pat_tuple_struct_mut(self, node);
        shift(&mut node.qself, before, &node.path);
    }

    fn visit_item_use_mut(&mut self, node: &mut syn::ItemUse) {
        visit_mut::visit_item_use_mut(self, node);
        let from_serde = node.leading_colon.is_some()
            && matches!(&node.tree, syn::UseTree::Path(p) if is_serde(&p.ident));
        if from_serde {
            let placeholder = syn::UseTree::Glob(syn::UseGlob {
                star_token: Default::default(),
            });
            let mut tree = std::mem::replace(&mut node.tree, placeholder);
            for segment in self.path.segments.iter().rev() {
                tree = syn::UseTree::Path(syn::UsePath {
                    ident: segment.ident.clone(),
                    colon2_token: Default::default(),
                    tree: Box::new(tree),
                });
            }
            node.leading_colon = self.path.leading_colon;
            node.tree = tree;
        }
    }

    fn visit_lit_mut(&mut self, lit: &mut syn::Lit) {
        match lit {
            syn::Lit::Str(s) => {
                if let Some(new) = self.facade.rewrite_literal(&s.token()) {
                    *lit = syn::Lit::new(new);
                }
            }
            syn::Lit::Verbatim(l) => {
                if let Some(new) = self.facade.rewrite_literal(l) {
                    *l = new;
                }
            }
            _ => {}
        }
    }

    fn visit_meta_list_mut(&mut self, node: &mut syn::MetaList) {
        visit_mut::visit_meta_list_mut(self, node);
        self.tokens(&mut node.tokens);
    }

    fn visit_macro_mut(&mut self, node: &mut syn::Macro) {
        visit_mut::visit_macro_mut(self, node);
        self.tokens(&mut node.tokens);
    }

    fn visit_item_mut(&mut self, node: &mut syn::Item) {
        match node {
            syn::Item::Verbatim(tokens) => self.tokens(tokens),
            _ => visit_mut::visit_item_mut(self, node),
        }
    }

    fn visit_impl_item_mut(&mut self, node: &mut syn::ImplItem) {
        match node {
            syn::ImplItem::Verbatim(tokens) => self.tokens(tokens),
            _ => visit_mut::visit_impl_item_mut(self, node),
        }
    }

    fn visit_trait_item_mut(&mut self, node: &mut syn::TraitItem) {
        match node {
            syn::TraitItem::Verbatim(tokens) => self.tokens(tokens),
            _ => visit_mut::visit_trait_item_mut(self, node),
        }
    }

    fn visit_foreign_item_mut(&mut self, node: &mut syn::ForeignItem) {
        match node {
            syn::ForeignItem::Verbatim(tokens) => self.tokens(tokens),
            _ => visit_mut::visit_foreign_item_mut(self, node),
        }
    }

    fn visit_expr_mut(&mut self, node: &mut syn::Expr) {
        match node {
            syn::Expr::Verbatim(tokens) => self.tokens(tokens),
            _ => visit_mut::visit_expr_mut(self, node),
        }
    }

    fn visit_type_mut(&mut self, node: &mut syn::Type) {
        match node {
            syn::Type::Verbatim(tokens) => self.tokens(tokens),
            _ => visit_mut::visit_type_mut(self, node),
        }
    }

    fn visit_pat_mut(&mut self, node: &mut syn::Pat) {
        match node {
            syn::Pat::Verbatim(tokens) => self.tokens(tokens),
            _ => visit_mut::visit_pat_mut(self, node),
        }
    }

    fn visit_type_param_bound_mut(&mut self, node: &mut syn::TypeParamBound) {
        match node {
            syn::TypeParamBound::Verbatim(tokens) => self.tokens(tokens),
            _ => visit_mut::visit_type_param_bound_mut(self, node),
        }
    }
}

/// Moves a qualified path's `<… as …>` split past the segments the facade added in
/// front of its trait.
fn shift(qself: &mut Option<syn::QSelf>, before: usize, path: &syn::Path) {
    if let Some(qself) = qself {
        qself.position += path.segments.len() - before;
    }
}

/// Takes typify's error module, `#[doc = …] pub mod error { … }`, off the end of
/// its top-level tokens, where typify writes it.
fn split_error_module(trees: &mut Vec<TokenTree>) -> Option<TokenStream> {
    let start = trees.len().checked_sub(6)?;
    let ends_item = |t: &TokenTree| match t {
        TokenTree::Group(g) => g.delimiter() == Delimiter::Brace,
        TokenTree::Punct(p) => p.as_char() == ';',
        _ => false,
    };
    let is_error_module = matches!(
        &trees[start..],
        [
            TokenTree::Punct(pound),
            TokenTree::Group(attr),
            TokenTree::Ident(vis),
            TokenTree::Ident(keyword),
            TokenTree::Ident(name),
            TokenTree::Group(body),
        ] if pound.as_char() == '#'
            && attr.delimiter() == Delimiter::Bracket
            && vis == "pub"
            && keyword == "mod"
            && name == "error"
            && body.delimiter() == Delimiter::Brace
    ) && (start == 0 || ends_item(&trees[start - 1]));
    is_error_module.then(|| trees.drain(start..).collect())
}

fn is_error_module(item: &syn::Item) -> bool {
    matches!(item, syn::Item::Mod(m) if m.ident == "error")
}

/// Whether an item other than typify's error module names `ConversionError`.
fn uses_conversion_error(items: &[syn::Item]) -> bool {
    let mut finder = Finder {
        name: "ConversionError",
        found: false,
    };
    for item in items.iter().filter(|i| !is_error_module(i)) {
        finder.visit_item(item);
        if finder.found {
            return true;
        }
    }
    false
}

/// Adds `#[serde(crate = "<runtime>::codegen::serde")]` to every item that derives
/// a serde trait, so the derives work without a `serde` dependency.
pub(super) fn add_serde_crate(items: &mut [syn::Item], runtime: &str) {
    let krate = format!("{runtime}::codegen::serde");
    let attr: syn::Attribute = syn::parse_quote!(#[serde(crate = #krate)]);
    add_attribute(items, &attr);
}

fn add_attribute(items: &mut [syn::Item], attr: &syn::Attribute) {
    for item in items {
        let attrs = match item {
            syn::Item::Struct(s) => &mut s.attrs,
            syn::Item::Enum(e) => &mut e.attrs,
            syn::Item::Mod(m) => {
                if let Some((_, items)) = &mut m.content {
                    add_attribute(items, attr);
                }
                continue;
            }
            _ => continue,
        };
        let derives_serde = attrs
            .iter()
            .any(|a| a.path().is_ident("derive") && names_serde_trait(&a.meta));
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

/// Whether the text of `meta` contains `Serialize` or `Deserialize`.
fn names_serde_trait(meta: &syn::Meta) -> bool {
    fn any_token(tokens: TokenStream) -> bool {
        let names = |text: String| text.contains("Serialize") || text.contains("Deserialize");
        tokens.into_iter().any(|t| match t {
            TokenTree::Ident(i) => names(i.to_string()),
            TokenTree::Literal(l) => names(l.to_string()),
            TokenTree::Group(g) => any_token(g.stream()),
            TokenTree::Punct(_) => false,
        })
    }
    match meta {
        // `derive(…)`: no need to print it whole.
        syn::Meta::List(list) => any_token(list.tokens.clone()),
        other => any_token(quote!(#other)),
    }
}

/// Makes the fields of optional properties that admit `null` (`(struct,
/// property)` in `fields`, required in the typing copy so typify wrote their type
/// as one that holds `null`) `Option<T>` of that type: absent is `None`, and a
/// present value, `null` included, is `Some` (through the facade's `present`).
pub(super) fn add_presence(items: &mut [syn::Item], fields: &[(String, String)], runtime: &str) {
    if fields.is_empty() {
        return;
    }
    let present = format!("{runtime}::codegen::present");
    let attr: syn::Attribute = syn::parse_quote!(
        #[serde(
            default,
            deserialize_with = #present,
            skip_serializing_if = "::std::option::Option::is_none"
        )]
    );
    for item in items {
        let syn::Item::Struct(s) = item else { continue };
        let name = s.ident.to_string();
        for f in s.fields.iter_mut() {
            let wire = crate::names::wire_name(&f.attrs).or_else(|| {
                f.ident
                    .as_ref()
                    .map(|i| i.to_string().trim_start_matches("r#").to_owned())
            });
            let Some(wire) = wire else { continue };
            if fields.iter().any(|(s, p)| *s == name && *p == wire) {
                let ty = &f.ty;
                f.ty = syn::parse_quote!(::std::option::Option<#ty>);
                // typify's own `deserialize_with` (which makes a nullable field
                // required) gives way to `present`.
                f.attrs.retain(|a| {
                    !(a.path().is_ident("serde")
                        && mentions(a.meta.to_token_stream(), "deserialize_with"))
                });
                f.attrs.push(attr.clone());
            }
        }
    }
}

/// Writes the author's names back where typify wrote their stand-ins (string
/// literals: serde renames, `Display` and `FromStr` of enums).
pub(super) fn restore_names(file: &mut syn::File, renames: &[(String, String)]) {
    if !renames.is_empty() {
        Restorer { renames }.visit_file_mut(file);
    }
}

struct Restorer<'a> {
    renames: &'a [(String, String)],
}

impl Restorer<'_> {
    fn original(&self, value: &str) -> Option<&str> {
        self.renames
            .iter()
            .find(|(temp, _)| temp == value)
            .map(|(_, original)| original.as_str())
    }

    fn tokens(&self, tokens: TokenStream) -> TokenStream {
        tokens
            .into_iter()
            .map(|t| match t {
                TokenTree::Group(g) => {
                    let mut group = Group::new(g.delimiter(), self.tokens(g.stream()));
                    group.set_span(g.span());
                    TokenTree::Group(group)
                }
                TokenTree::Literal(lit) => {
                    let original =
                        syn::parse2::<syn::LitStr>(TokenTree::Literal(lit.clone()).into())
                            .ok()
                            .and_then(|s| self.original(&s.value()).map(Literal::string));
                    TokenTree::Literal(original.unwrap_or(lit))
                }
                other => other,
            })
            .collect()
    }
}

impl VisitMut for Restorer<'_> {
    fn visit_lit_str_mut(&mut self, lit: &mut syn::LitStr) {
        if let Some(original) = self.original(&lit.value()) {
            *lit = syn::LitStr::new(original, lit.span());
        }
    }

    fn visit_meta_list_mut(&mut self, node: &mut syn::MetaList) {
        node.tokens = self.tokens(std::mem::take(&mut node.tokens));
    }

    fn visit_macro_mut(&mut self, node: &mut syn::Macro) {
        node.tokens = self.tokens(std::mem::take(&mut node.tokens));
    }

    fn visit_item_mut(&mut self, node: &mut syn::Item) {
        match node {
            syn::Item::Verbatim(tokens) => *tokens = self.tokens(std::mem::take(tokens)),
            _ => visit_mut::visit_item_mut(self, node),
        }
    }
}

/// Looks for the identifier `name` anywhere in a tree, token streams included.
struct Finder {
    name: &'static str,
    found: bool,
}

impl Finder {
    fn tokens(&mut self, tokens: &TokenStream) {
        self.found |= mentions(tokens.clone(), self.name);
    }
}

/// Whether `tokens` contain the identifier `name`.
fn mentions(tokens: TokenStream, name: &str) -> bool {
    tokens.into_iter().any(|t| match t {
        TokenTree::Ident(i) => i == name,
        TokenTree::Group(g) => mentions(g.stream(), name),
        _ => false,
    })
}

impl<'ast> Visit<'ast> for Finder {
    fn visit_ident(&mut self, ident: &'ast proc_macro2::Ident) {
        self.found |= ident == self.name;
    }

    fn visit_meta_list(&mut self, node: &'ast syn::MetaList) {
        visit::visit_meta_list(self, node);
        self.tokens(&node.tokens);
    }

    fn visit_macro(&mut self, node: &'ast syn::Macro) {
        visit::visit_macro(self, node);
        self.tokens(&node.tokens);
    }

    fn visit_item(&mut self, node: &'ast syn::Item) {
        match node {
            syn::Item::Verbatim(tokens) => self.tokens(tokens),
            _ => visit::visit_item(self, node),
        }
    }

    fn visit_impl_item(&mut self, node: &'ast syn::ImplItem) {
        match node {
            syn::ImplItem::Verbatim(tokens) => self.tokens(tokens),
            _ => visit::visit_impl_item(self, node),
        }
    }

    fn visit_trait_item(&mut self, node: &'ast syn::TraitItem) {
        match node {
            syn::TraitItem::Verbatim(tokens) => self.tokens(tokens),
            _ => visit::visit_trait_item(self, node),
        }
    }

    fn visit_foreign_item(&mut self, node: &'ast syn::ForeignItem) {
        match node {
            syn::ForeignItem::Verbatim(tokens) => self.tokens(tokens),
            _ => visit::visit_foreign_item(self, node),
        }
    }

    fn visit_expr(&mut self, node: &'ast syn::Expr) {
        match node {
            syn::Expr::Verbatim(tokens) => self.tokens(tokens),
            _ => visit::visit_expr(self, node),
        }
    }

    fn visit_type(&mut self, node: &'ast syn::Type) {
        match node {
            syn::Type::Verbatim(tokens) => self.tokens(tokens),
            _ => visit::visit_type(self, node),
        }
    }

    fn visit_pat(&mut self, node: &'ast syn::Pat) {
        match node {
            syn::Pat::Verbatim(tokens) => self.tokens(tokens),
            _ => visit::visit_pat(self, node),
        }
    }

    fn visit_type_param_bound(&mut self, node: &'ast syn::TypeParamBound) {
        match node {
            syn::TypeParamBound::Verbatim(tokens) => self.tokens(tokens),
            _ => visit::visit_type_param_bound(self, node),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// typify-like output naming serde everywhere it can: derives, attributes,
    /// types, expressions, qualified paths, macros, `use`, string literals.
    fn sample() -> TokenStream {
        quote! {
            #[doc = "::serde_json in a doc string"]
            #[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
            #[serde(default = "::serde_json::Map::new")]
            pub struct Holder {
                pub value: ::std::vec::Vec<::serde_json::Value>,
                pub map: ::serde_json::Map<::std::string::String, ::serde_json::Value>,
            }
            impl<'de> ::serde::Deserialize<'de> for Wrapper {
                fn deserialize<D>(deserializer: D) -> ::std::result::Result<Self, D::Error>
                where
                    D: ::serde::Deserializer<'de>,
                {
                    let value = ::serde_json::from_str::<::serde_json::Value>("{}")
                        .map_err(|e| <D::Error as ::serde::de::Error>::custom(e.to_string()))?;
                    let _ = ::serde_json::json!({ "value": value });
                    let _: ::serde_json::Value = ::serde_json::Value::Null;
                    ::std::unimplemented!()
                }
            }
            use ::serde::de::Error as _;
        }
    }

    #[test]
    fn the_tree_is_rewritten_as_the_tokens_would_be() {
        for runtime in ["::mcpgen_runtime", "::mcpgen::runtime", "crate::rt"] {
            let facade = Facade::new(runtime);
            let from_tokens: syn::File =
                syn::parse2(facade.rewrite_tokens(sample())).expect("the rewritten tokens parse");
            let from_tree = facade.parse_file(sample()).expect("the sample parses");
            assert_eq!(
                prettyplease::unparse(&from_tree),
                prettyplease::unparse(&from_tokens),
                "runtime path {runtime}"
            );
            assert!(!prettyplease::unparse(&from_tree).contains(" ::serde"));
        }
    }

    fn with_error_module(uses_it: bool) -> TokenStream {
        let error = if uses_it {
            quote!(self::error::ConversionError)
        } else {
            quote!(::std::string::String)
        };
        quote! {
            pub struct Name(::std::string::String);
            impl ::std::str::FromStr for Name {
                type Err = #error;
                fn from_str(value: &str) -> ::std::result::Result<Self, Self::Err> {
                    ::std::result::Result::Ok(Self(value.into()))
                }
            }
            #[doc = " Error types."]
            pub mod error {
                pub struct ConversionError(::std::borrow::Cow<'static, str>);
            }
        }
    }

    #[test]
    fn the_error_module_is_kept_only_when_used() {
        let facade = Facade::new("::mcpgen_runtime");
        let names = |file: syn::File| -> Vec<String> {
            file.items
                .iter()
                .filter_map(|i| match i {
                    syn::Item::Struct(s) => Some(s.ident.to_string()),
                    syn::Item::Mod(m) => Some(m.ident.to_string()),
                    _ => None,
                })
                .collect()
        };
        let used = facade.parse(with_error_module(true)).expect("parses");
        assert_eq!(names(used), ["Name", "error"]);
        let unused = facade.parse(with_error_module(false)).expect("parses");
        assert_eq!(names(unused), ["Name"]);
        // Not where typify writes it: found by walking the parsed items.
        let mut first = with_error_module(false).into_iter().collect::<Vec<_>>();
        first.rotate_right(6);
        let unused = facade.parse(first.into_iter().collect()).expect("parses");
        assert_eq!(names(unused), ["Name"]);
    }
}
