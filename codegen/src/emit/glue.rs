//! The server's own part of the generated module: the handler trait and
//! `server()`.

use proc_macro2::{Ident, Literal, TokenStream};
use quote::quote;
use serde_json::{Map, Value};

use super::json::{cache_lit, icons_json, json_lit, put, string};
use crate::docs::doc_attrs;
use crate::model::ServerInfo;

/// The server's own part of the module: the handler trait and `server()`, which
/// builds the server and registers every item.
pub(super) struct Glue<'a> {
    trait_name: &'a Ident,
    trait_doc: Vec<TokenStream>,
    server_doc: Vec<TokenStream>,
    /// `serverInfo`, as `ServerBuilder::new` reads it.
    info: Literal,
    instructions: Option<TokenStream>,
    cache: Option<TokenStream>,
}

impl<'a> Glue<'a> {
    pub(super) fn new(server: &ServerInfo, trait_name: &'a Ident, file_name: &str) -> Self {
        let mut info = Map::new();
        info.insert("name".into(), Value::String(server.name.clone()));
        info.insert("version".into(), Value::String(server.version.clone()));
        put(&mut info, "title", string(&server.title));
        put(&mut info, "description", string(&server.description));
        put(&mut info, "websiteUrl", string(&server.website_url));
        put(&mut info, "icons", icons_json(&server.icons));
        Glue {
            trait_name,
            trait_doc: doc_attrs(&format!(
                "The handlers of the `{}` server: one method per tool, dynamic resource, coded \
                 resource template, coded prompt and coded completion of `{file_name}`.\n\n\
                 Implement it with `async fn`s and pass the implementation to [`server`].",
                server.name
            )),
            server_doc: doc_attrs(&format!(
                "Builds the `{}` server from `{file_name}`, calling `handler` for everything dynamic.",
                server.name
            )),
            info: json_lit(&Value::Object(info)),
            instructions: server
                .instructions
                .as_ref()
                .map(|i| quote!(b.instructions(#i);)),
            cache: server.cache.as_ref().map(|c| {
                let c = cache_lit(c);
                quote!(b.cache(#c);)
            }),
        }
    }

    /// The trait: the tools' methods, then the other items'.
    pub(super) fn handler_trait(
        &self,
        tool_methods: TokenStream,
        methods: &[TokenStream],
    ) -> TokenStream {
        let (trait_doc, trait_name) = (&self.trait_doc, self.trait_name);
        quote! {
            #(#trait_doc)*
            pub trait #trait_name: Send + Sync + 'static {
                #tool_methods
                #(#methods)*
            }
        }
    }

    /// `server()`: the tools' registrations, then the other items'. Only what
    /// the body uses is bound, so that no lint about unused bindings fires.
    pub(super) fn server_fn(
        &self,
        tool_registrations: TokenStream,
        registrations: &[TokenStream],
        has_methods: bool,
        has_registrations: bool,
    ) -> TokenStream {
        let (server_doc, trait_name, info) = (&self.server_doc, self.trait_name, &self.info);
        let (instructions, cache) = (&self.instructions, &self.cache);
        let server_fn = if !has_registrations && instructions.is_none() && cache.is_none() {
            quote! {
                pub fn server(_handler: impl #trait_name) -> Server {
                    ServerBuilder::new(#info).build()
                }
            }
        } else {
            let handler = has_methods.then(|| quote!(let handler = Arc::new(handler);));
            let param = if has_methods {
                quote!(handler)
            } else {
                quote!(_handler)
            };
            quote! {
                pub fn server(#param: impl #trait_name) -> Server {
                    #handler
                    let mut b = ServerBuilder::new(#info);
                    #instructions
                    #cache
                    #tool_registrations
                    #(#registrations)*
                    b.build()
                }
            }
        };
        quote! {
            #(#server_doc)*
            #server_fn
        }
    }
}
