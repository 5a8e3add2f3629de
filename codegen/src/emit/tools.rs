//! Each tool's handler method and registration, as syntax trees made from
//! templates: quoting and parsing a thousand registrations took several times
//! longer than cloning a parsed one and filling in its names.
//!
//! A template is the code a tool of one shape (with or without arguments, with or
//! without a structured result) gets, with holes: the identifiers
//! `__mcpgen_method`, `__mcpgen_input` and `__mcpgen_output`, and the string
//! literal `"__mcpgen_definition"`. The trait and `server()` are quoted with the
//! statement `__mcpgen_tools!();` where the tools go, and the filled trees are
//! spliced in there after parsing.

use proc_macro2::{Ident, Literal, TokenStream};
use quote::quote;
use syn::visit_mut::VisitMut;

/// What the trait and `server()` hold where the tools' code goes.
pub(super) fn marker() -> TokenStream {
    quote!(__mcpgen_tools!();)
}

/// One tool: its names and its definition.
pub(super) struct Tool<'a> {
    /// The handler method.
    pub method: Ident,
    /// The arguments' type, when the tool has arguments.
    pub input: Option<Ident>,
    /// The structured result's type, when the tool has one.
    pub output: Option<Ident>,
    /// The JSON definition served for `tools/list`.
    pub definition: Literal,
    /// The method's doc lines.
    pub docs: &'a [String],
    /// The tool's name.
    pub name: &'a str,
    /// Its 2026-07-28 policy JSON, when it declares one.
    pub policy: Option<Literal>,
}

/// The tools' methods and registrations, in order, from templates parsed once per
/// shape.
#[derive(Default)]
pub(super) struct Tools {
    /// Templates by shape: `[input as usize][output as usize]`.
    templates: [[Option<Template>; 2]; 2],
    pub methods: Vec<syn::TraitItem>,
    pub registrations: Vec<syn::Stmt>,
}

struct Template {
    method: syn::TraitItem,
    registration: syn::Stmt,
}

impl Tools {
    /// Adds a tool's method and registration.
    pub(super) fn push(&mut self, tool: Tool<'_>) {
        let template = self.templates[usize::from(tool.input.is_some())]
            [usize::from(tool.output.is_some())]
        .get_or_insert_with(|| Template::new(tool.input.is_some(), tool.output.is_some()));
        let mut holes = Holes(&tool);
        let mut method = template.method.clone();
        holes.visit_trait_item_mut(&mut method);
        if let syn::TraitItem::Fn(f) = &mut method {
            f.attrs = tool
                .docs
                .iter()
                .map(|line| crate::items::doc_attribute(line))
                .collect();
        }
        let mut registration = template.registration.clone();
        holes.visit_stmt_mut(&mut registration);
        self.methods.push(method);
        self.registrations.push(registration);
        if let Some(policy) = &tool.policy {
            let name = tool.name;
            self.registrations
                .push(syn::parse_quote!(b.tool_policy(#name, #policy);));
        }
    }

    /// Whether there are no tools.
    pub(super) fn is_empty(&self) -> bool {
        self.methods.is_empty()
    }

    /// The tools' code as tokens, for a trait or `server()` that did not parse.
    pub(super) fn method_tokens(&self) -> TokenStream {
        let methods = &self.methods;
        quote!(#(#methods)*)
    }

    /// See [`method_tokens`](Self::method_tokens).
    pub(super) fn registration_tokens(&self) -> TokenStream {
        let registrations = &self.registrations;
        quote!(#(#registrations)*)
    }

    /// Puts the methods and registrations where the marker stands in the trait and
    /// in `server()`.
    pub(super) fn splice_into(self, items: &mut [syn::Item]) {
        let is_marker = |m: &syn::Macro| m.path.is_ident("__mcpgen_tools");
        let (mut methods, mut registrations) = (Some(self.methods), Some(self.registrations));
        for item in items {
            match item {
                syn::Item::Trait(t) => {
                    let at = t
                        .items
                        .iter()
                        .position(|i| matches!(i, syn::TraitItem::Macro(m) if is_marker(&m.mac)));
                    if let (Some(at), Some(methods)) = (at, methods.take()) {
                        t.items.splice(at..=at, methods);
                    }
                }
                syn::Item::Fn(f) => {
                    let at = f
                        .block
                        .stmts
                        .iter()
                        .position(|s| matches!(s, syn::Stmt::Macro(m) if is_marker(&m.mac)));
                    if let (Some(at), Some(registrations)) = (at, registrations.take()) {
                        f.block.stmts.splice(at..=at, registrations);
                    }
                }
                _ => {}
            }
        }
    }
}

impl Template {
    /// The code of a tool of this shape, as `emit` writes it.
    fn new(input: bool, output: bool) -> Template {
        let (input_param, input_arg, args_name, input_decode) = if input {
            (
                quote!(, input: __mcpgen_input),
                quote!(, input),
                quote!(args),
                quote! {
                    let input: __mcpgen_input = match tool_input(args) {
                        Ok(input) => input,
                        Err(result) => return Ok(result),
                    };
                },
            )
        } else {
            (quote!(), quote!(), quote!(_args), quote!())
        };
        let (ret, finish) = if output {
            (
                quote!(ToolResult<__mcpgen_output>),
                quote!(tool_structured_output),
            )
        } else {
            (quote!(ToolResult), quote!(tool_output))
        };
        // Constant code around identifiers: it always parses.
        Template {
            method: syn::parse_quote! {
                fn __mcpgen_method(&self, ctx: &Context #input_param) -> impl Future<Output = #ret> + Send;
            },
            registration: syn::parse_quote! {
                b.tool("__mcpgen_definition", {
                    let h = handler.clone();
                    move |ctx: Context, #args_name: Map<String, Value>| {
                        let h = h.clone();
                        async move {
                            #input_decode
                            #finish(h.__mcpgen_method(&ctx #input_arg).await)
                        }
                    }
                });
            },
        }
    }
}

/// Fills a template's holes with a tool's names and definition.
struct Holes<'a>(&'a Tool<'a>);

impl VisitMut for Holes<'_> {
    fn visit_ident_mut(&mut self, ident: &mut Ident) {
        let filling = if ident == "__mcpgen_method" {
            Some(&self.0.method)
        } else if ident == "__mcpgen_input" {
            self.0.input.as_ref()
        } else if ident == "__mcpgen_output" {
            self.0.output.as_ref()
        } else {
            None
        };
        if let Some(filling) = filling {
            *ident = filling.clone();
        }
    }

    fn visit_lit_mut(&mut self, lit: &mut syn::Lit) {
        if matches!(lit, syn::Lit::Str(s) if s.value() == "__mcpgen_definition") {
            *lit = syn::Lit::new(self.0.definition.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::{ToTokens, format_ident};

    #[test]
    fn every_hole_is_filled_for_every_shape() {
        let docs = vec![" Does it.".to_owned()];
        let mut tools = Tools::default();
        for (input, output) in [(false, false), (true, false), (false, true), (true, true)] {
            tools.push(Tool {
                method: format_ident!("act"),
                input: input.then(|| format_ident!("ActInput")),
                output: output.then(|| format_ident!("ActOutput")),
                definition: Literal::string("{}"),
                docs: &docs,
                name: "act",
                policy: input.then(|| Literal::string("{}")),
            });
        }
        let code = format!("{} {}", tools.method_tokens(), tools.registration_tokens());
        assert!(!code.contains("__mcpgen"), "{code}");
        assert_eq!(code.matches("ActInput").count(), 4);
        assert_eq!(code.matches("ActOutput").count(), 2);
        assert_eq!(code.matches("fn act").count(), 4);
        assert_eq!(code.matches("b . tool_policy (\"act\"").count(), 2);
        let first = tools.registrations[0].to_token_stream().to_string();
        assert!(first.starts_with("b . tool (\"{}\""), "{first}");
    }
}
