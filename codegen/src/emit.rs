//! Emission: a validated manifest → one formatted Rust file (types, the handler
//! trait, `server()`), plus the tools' JSON Schemas.

mod glue;
mod json;
mod tools;

use std::collections::HashSet;

use indexmap::IndexMap;
use proc_macro2::{Ident, Literal, TokenStream};
use quote::{format_ident, quote};
use serde_json::{Map, Value};

use crate::diag::Reporter;
use crate::docs::{doc_attrs, doc_lines, document};
use crate::items::Part;
use crate::model::{Definitions, Manifest, ServerInfo, VarType};
use crate::names::{FACADE_NAMES, camel, ident, snake};
use crate::path::join;
use crate::types::{Role, Target, schema_types};
use crate::validate::{FieldType, FormField, Plan, ResourceBody};
use glue::Glue;
use json::{
    access_rules, annotations_json, cache_lit, icons_json, json_lit, put, string, tool_definition,
    tool_policy,
};

/// What emission produces for one manifest.
pub(crate) struct Emitted {
    /// The formatted Rust file, without the `@generated` header (the caller adds it:
    /// it hashes the inputs).
    pub code: String,
    /// `(file name, JSON text)` of each tool's input and output schema.
    pub schemas: Vec<(String, String)>,
}

fn var_type(t: VarType) -> (TokenStream, TokenStream) {
    match t {
        VarType::String => (quote!(VarType::String), quote!(String)),
        VarType::Integer => (quote!(VarType::Integer), quote!(i64)),
        VarType::Number => (quote!(VarType::Number), quote!(f64)),
        VarType::Boolean => (quote!(VarType::Boolean), quote!(bool)),
    }
}

struct Field<'a> {
    name: &'a str,
    ty: TokenStream,
    optional: bool,
    doc: Option<&'a str>,
}

/// A plain serde struct.
/// Fields without a description are documented as "The `<name>` <field_kind>.".
fn data_struct(
    name: &str,
    doc: &str,
    fields: &[Field<'_>],
    field_kind: &str,
    serde: &TokenStream,
    krate: &str,
) -> TokenStream {
    let name = format_ident!("{}", name);
    let docs = doc_attrs(doc);
    let fields = fields.iter().map(|f| {
        let id = ident(&snake(f.name));
        let serde_name = id.to_string();
        let serde_name = serde_name.strip_prefix("r#").unwrap_or(&serde_name);
        let rename = (serde_name != f.name).then(|| {
            let n = f.name;
            quote!(#[serde(rename = #n)])
        });
        let docs = match f.doc {
            Some(doc) if !doc.trim().is_empty() => doc_attrs(doc),
            _ => doc_attrs(&format!("The `{}` {field_kind}.", f.name.escape_debug())),
        };
        let ty = &f.ty;
        if f.optional {
            quote! {
                #(#docs)*
                #rename
                #[serde(default, skip_serializing_if = "Option::is_none")]
                pub #id: Option<#ty>,
            }
        } else {
            quote! { #(#docs)* #rename pub #id: #ty, }
        }
    });
    quote! {
        #(#docs)*
        #[derive(Debug, Clone, PartialEq, #serde::Serialize, #serde::Deserialize)]
        #[serde(crate = #krate)]
        pub struct #name { #(#fields)* }
    }
}

/// Generates the Rust file and the schema files for a validated manifest.
pub(crate) fn emit(
    plan: &Plan<'_>,
    used_definitions: &[String],
    stem: &str,
    file_name: &str,
    runtime: &str,
    rep: &mut Reporter<'_>,
) -> Emitted {
    let m = plan.manifest;
    let trait_name = format_ident!("{}Server", camel(stem));
    let mut module = Module::new(runtime, reserved_names(m, &trait_name));
    // The order of the calls is the order of the generated items.
    module.definitions(&m.definitions, used_definitions, rep);
    module.tools(m, rep);
    module.resources(m, &plan.resources);
    module.resource_templates(m, &plan.template_vars);
    module.prompts(m, &plan.prompt_messages);
    module.completions(m);
    module.forms(m, &plan.forms);
    if let Some(access) = access_rules(m) {
        let access = json_lit(&access);
        module.registrations.push(quote!(b.access(#access);));
    }
    let code = module.finish(&m.server, &trait_name, stem, file_name);
    Emitted {
        code,
        schemas: module.schemas,
    }
}

/// The Rust type names generated code takes before any schema is typed: the
/// facade's, the trait's, and those of each item's generated struct. A shared
/// definition or a schema type must not take one of them.
fn reserved_names(m: &Manifest, trait_name: &Ident) -> HashSet<String> {
    let mut reserved: HashSet<String> = FACADE_NAMES.iter().map(|s| (*s).to_owned()).collect();
    reserved.insert(trait_name.to_string());
    for (name, tool) in &m.tools {
        if tool.input.is_some() {
            reserved.insert(format!("{}Input", camel(name)));
        }
        if tool.output.is_some() {
            reserved.insert(format!("{}Output", camel(name)));
        }
    }
    for t in &m.resource_templates {
        if t.text.is_none() {
            reserved.insert(format!("{}Variables", camel(&t.name)));
        }
    }
    for (name, p) in &m.prompts {
        if p.messages.is_none() {
            reserved.insert(format!("{}Arguments", camel(name)));
        }
    }
    for name in m.elicitations.keys() {
        reserved.insert(camel(name));
    }
    reserved
}

/// The generated module as each kind of item adds to it: types, the trait's
/// methods and `server()`'s registrations, each in manifest order.
struct Module<'r> {
    /// The runtime's path as written (`::mcpgen_runtime`).
    runtime: &'r str,
    /// The runtime's path as tokens.
    rt: TokenStream,
    /// Rust type names already taken.
    reserved: HashSet<String>,
    /// The shared definitions that have a type: (manifest name, Rust name).
    shared: Vec<(String, String)>,
    types: Vec<Part>,
    /// Tools come first in the trait and in `server()`.
    tools: tools::Tools,
    methods: Vec<TokenStream>,
    registrations: Vec<TokenStream>,
    /// `(file name, JSON text)` of each tool's input and output schema.
    schemas: Vec<(String, String)>,
}

impl<'r> Module<'r> {
    fn new(runtime: &'r str, reserved: HashSet<String>) -> Self {
        Module {
            runtime,
            rt: runtime.parse().unwrap_or_else(|_| quote!(::mcpgen_runtime)),
            reserved,
            shared: Vec::new(),
            types: Vec::new(),
            tools: tools::Tools::default(),
            methods: Vec::new(),
            registrations: Vec::new(),
            schemas: Vec::new(),
        }
    }

    /// A plain serde struct named through the runtime's facade.
    fn data_struct(&mut self, name: &str, doc: &str, fields: &[Field<'_>], field_kind: &str) {
        let rt = &self.rt;
        let serde = quote!(#rt::codegen::serde);
        let krate = format!("{}::codegen::serde", self.runtime);
        self.types.push(Part::parse(data_struct(
            name, doc, fields, field_kind, &serde, &krate,
        )));
    }

    /// Shared definitions: one type each, which every tool's types name.
    fn definitions(&mut self, definitions: &Definitions, used: &[String], rep: &mut Reporter<'_>) {
        for name in used {
            let rust = camel(name);
            if !self.reserved.insert(rust.clone()) || self.shared.iter().any(|(_, r)| *r == rust) {
                rep.error_hint(
                    &join("definitions", name),
                    format!("the definition `{name}` would be the Rust type `{rust}`, a name generated code already uses"),
                    "rename the definition",
                );
                continue;
            }
            self.shared.push((name.clone(), rust));
        }
        for (name, rust) in &self.shared {
            let schema = crate::definitions::standalone(name, definitions);
            let doc = format!("The `{name}` definition, shared by the tools that use it.");
            let module = format!("__definition_{}", snake(name));
            let target = Target {
                type_name: rust,
                doc: &doc,
                module: &module,
                path: &join("definitions", name),
                role: Role::Input,
                shared: &self.shared,
            };
            self.types.extend(schema_types(
                &schema,
                &target,
                self.runtime,
                &mut self.reserved,
                rep,
            ));
        }
    }

    /// Tools: their input and output types and schema files, methods and
    /// registrations.
    fn tools(&mut self, m: &Manifest, rep: &mut Reporter<'_>) {
        for (name, tool) in &m.tools {
            let path = join("tools", name);
            for (kind, schema) in [("Input", &tool.input), ("Output", &tool.output)] {
                let Some(schema) = schema else { continue };
                let type_name = format!("{}{kind}", camel(name));
                let lower = kind.to_lowercase();
                self.schemas.push((
                    format!("{name}.{lower}.json"),
                    serde_json::to_string_pretty(&Value::Object(schema.clone()))
                        .unwrap_or_default()
                        + "\n",
                ));
                let doc = format!("The {lower} of the `{name}` tool.");
                let module = format!("__{}_{}", snake(name), lower);
                let target = Target {
                    type_name: &type_name,
                    doc: &doc,
                    module: &module,
                    path: &join(&path, &lower),
                    role: if kind == "Input" {
                        Role::Input
                    } else {
                        Role::Output
                    },
                    shared: &self.shared,
                };
                self.types.extend(schema_types(
                    schema,
                    &target,
                    self.runtime,
                    &mut self.reserved,
                    rep,
                ));
            }
            let docs = doc_lines(&format!(
                "{}\n\nThe `{name}` tool.",
                tool.description.as_deref().unwrap_or_default()
            ));
            self.tools.push(tools::Tool {
                method: ident(&snake(name)),
                input: tool
                    .input
                    .as_ref()
                    .map(|_| format_ident!("{}Input", camel(name))),
                output: tool
                    .output
                    .as_ref()
                    .map(|_| format_ident!("{}Output", camel(name))),
                definition: json_lit(&tool_definition(name, tool)),
                docs: &docs,
                name,
                policy: tool_policy(tool).map(|p| json_lit(&p)),
            });
        }
    }

    /// Resources with a fixed URI: embedded, or read by a method.
    fn resources(&mut self, m: &Manifest, bodies: &[(ResourceBody, Option<u64>)]) {
        for (r, (body, size)) in m.resources.iter().zip(bodies) {
            let mut def = Map::new();
            def.insert("uri".into(), Value::String(r.uri.clone()));
            def.insert("name".into(), Value::String(r.name.clone()));
            put(&mut def, "title", string(&r.title));
            put(&mut def, "description", string(&r.description));
            put(&mut def, "mimeType", string(&r.mime_type));
            put(&mut def, "size", size.map(Value::from));
            put(&mut def, "annotations", annotations_json(&r.annotations));
            put(&mut def, "icons", icons_json(&r.icons));
            let def = json_lit(&Value::Object(def));
            let source = match body {
                ResourceBody::Text(text) => quote!(ResourceSource::Text(#text)),
                ResourceBody::Blob(bytes) => {
                    let lit = Literal::byte_string(bytes);
                    quote!(ResourceSource::Blob(#lit))
                }
                ResourceBody::Dynamic => {
                    let method = format_ident!("read_{}", snake(&r.name));
                    let docs = doc_attrs(&format!(
                        "{}\n\nReads the resource `{}`.",
                        r.description.as_deref().unwrap_or_default(),
                        r.uri
                    ));
                    self.methods.push(quote! {
                        #(#docs)*
                        fn #method(&self, ctx: &Context, uri: &str) -> impl Future<Output = ResourceResult> + Send;
                    });
                    quote! {
                        ResourceSource::handler({
                            let h = handler.clone();
                            move |ctx: Context, uri: String| {
                                let h = h.clone();
                                async move { h.#method(&ctx, &uri).await }
                            }
                        })
                    }
                }
            };
            self.registrations.push(quote!(b.resource(#def, #source);));
            if let Some(cache) = &r.cache {
                let (uri, cache) = (&r.uri, cache_lit(cache));
                self.registrations
                    .push(quote!(b.resource_cache(#uri, #cache);));
            }
        }
    }

    /// Resource templates: embedded text, or read by a method taking the
    /// template's variables as a struct.
    fn resource_templates(&mut self, m: &Manifest, template_vars: &[Vec<(String, VarType)>]) {
        for (t, vars) in m.resource_templates.iter().zip(template_vars) {
            let mut def = Map::new();
            def.insert("uriTemplate".into(), Value::String(t.uri_template.clone()));
            def.insert("name".into(), Value::String(t.name.clone()));
            put(&mut def, "title", string(&t.title));
            put(&mut def, "description", string(&t.description));
            put(&mut def, "mimeType", string(&t.mime_type));
            put(&mut def, "annotations", annotations_json(&t.annotations));
            put(&mut def, "icons", icons_json(&t.icons));
            let def = json_lit(&Value::Object(def));
            let var_list = vars.iter().map(|(n, ty)| {
                let (vt, _) = var_type(*ty);
                quote!((#n, #vt))
            });
            let source = match &t.text {
                Some(text) => quote!(TemplateSource::Text(#text)),
                None => {
                    let method = format_ident!("read_{}", snake(&t.name));
                    let vars_ty = format!("{}Variables", camel(&t.name));
                    let declared = t.variables.clone().unwrap_or_default();
                    let descs: Vec<Option<String>> = vars
                        .iter()
                        .map(|(n, _)| declared.get(n).and_then(|v| v.description.clone()))
                        .collect();
                    let fields: Vec<Field<'_>> = vars
                        .iter()
                        .zip(&descs)
                        .map(|((n, ty), d)| Field {
                            name: n,
                            ty: var_type(*ty).1,
                            optional: false,
                            doc: d.as_deref(),
                        })
                        .collect();
                    self.data_struct(
                        &vars_ty,
                        &format!(
                            "The variables of the `{}` resource template (`{}`).",
                            t.name, t.uri_template
                        ),
                        &fields,
                        "variable",
                    );
                    let vars_ty = format_ident!("{}", vars_ty);
                    let docs = doc_attrs(&format!(
                        "{}\n\nReads a resource of the template `{}`.",
                        t.description.as_deref().unwrap_or_default(),
                        t.uri_template
                    ));
                    self.methods.push(quote! {
                        #(#docs)*
                        fn #method(&self, ctx: &Context, uri: &str, vars: #vars_ty) -> impl Future<Output = ResourceResult> + Send;
                    });
                    quote! {
                        TemplateSource::handler({
                            let h = handler.clone();
                            move |ctx: Context, uri: String, vars: Map<String, Value>| {
                                let h = h.clone();
                                async move {
                                    let vars: #vars_ty = template_variables(vars)?;
                                    h.#method(&ctx, &uri, vars).await
                                }
                            }
                        })
                    }
                }
            };
            self.registrations
                .push(quote!(b.resource_template(#def, &[#(#var_list),*], #source);));
            if let Some(cache) = &t.cache {
                let (template, cache) = (&t.uri_template, cache_lit(cache));
                self.registrations
                    .push(quote!(b.template_cache(#template, #cache);));
            }
        }
    }

    /// Prompts: templated messages, or composed by a method taking the prompt's
    /// arguments as a struct.
    fn prompts(&mut self, m: &Manifest, prompt_messages: &IndexMap<String, Value>) {
        for (name, p) in &m.prompts {
            let mut def = Map::new();
            def.insert("name".into(), Value::String(name.clone()));
            put(&mut def, "title", string(&p.title));
            put(&mut def, "description", string(&p.description));
            if let Some(args) = &p.arguments {
                let list = args
                    .iter()
                    .map(|(an, a)| {
                        let mut o = Map::new();
                        o.insert("name".into(), Value::String(an.clone()));
                        put(&mut o, "title", string(&a.title));
                        put(&mut o, "description", string(&a.description));
                        put(&mut o, "required", a.required.map(Value::Bool));
                        Value::Object(o)
                    })
                    .collect();
                def.insert("arguments".into(), Value::Array(list));
            }
            put(&mut def, "icons", icons_json(&p.icons));
            let def = json_lit(&Value::Object(def));
            let source = match prompt_messages.get(name) {
                Some(messages) => {
                    let lit = json_lit(messages);
                    quote!(PromptSource::Messages(#lit))
                }
                None => {
                    let method = format_ident!("prompt_{}", snake(name));
                    let args_ty = format!("{}Arguments", camel(name));
                    let fields: Vec<Field<'_>> = p
                        .arguments
                        .iter()
                        .flatten()
                        .map(|(an, a)| Field {
                            name: an,
                            ty: quote!(String),
                            optional: a.required != Some(true),
                            doc: a.description.as_deref(),
                        })
                        .collect();
                    self.data_struct(
                        &args_ty,
                        &format!("The arguments of the `{name}` prompt."),
                        &fields,
                        "argument",
                    );
                    let args_ty = format_ident!("{}", args_ty);
                    let docs = doc_attrs(&format!(
                        "{}\n\nComposes the `{name}` prompt.",
                        p.description.as_deref().unwrap_or_default()
                    ));
                    self.methods.push(quote! {
                        #(#docs)*
                        fn #method(&self, ctx: &Context, args: #args_ty) -> impl Future<Output = PromptResult> + Send;
                    });
                    quote! {
                        PromptSource::handler({
                            let h = handler.clone();
                            move |ctx: Context, args: Map<String, Value>| {
                                let h = h.clone();
                                async move {
                                    let args: #args_ty = prompt_arguments(args)?;
                                    h.#method(&ctx, args).await
                                }
                            }
                        })
                    }
                }
            };
            self.registrations.push(quote!(b.prompt(#def, #source);));
        }
    }

    /// Completions: a fixed list of values, or a method.
    fn completions(&mut self, m: &Manifest) {
        for c in &m.completions {
            let (target, owner, arg) = if let (Some(prompt), Some(argument)) =
                (&c.prompt, &c.argument)
            {
                (
                    quote!(CompletionTarget::PromptArgument { prompt: #prompt, argument: #argument }),
                    prompt.clone(),
                    argument.clone(),
                )
            } else if let (Some(template), Some(variable)) = (&c.template, &c.variable) {
                let owner = m
                    .resource_templates
                    .iter()
                    .find(|t| &t.uri_template == template)
                    .map(|t| t.name.clone())
                    .unwrap_or_default();
                (
                    quote!(CompletionTarget::TemplateVariable { uri_template: #template, variable: #variable }),
                    owner,
                    variable.clone(),
                )
            } else {
                continue;
            };
            let source = match &c.values {
                Some(values) if c.coded != Some(true) => {
                    quote!(CompletionSource::Values(&[#(#values),*]))
                }
                _ => {
                    let method = format_ident!("complete_{}_{}", snake(&owner), snake(&arg));
                    let docs = doc_attrs(&format!("Completes `{arg}` of `{owner}`."));
                    self.methods.push(quote! {
                        #(#docs)*
                        fn #method(&self, ctx: &Context, request: CompletionRequest) -> impl Future<Output = CompletionResult> + Send;
                    });
                    quote! {
                        CompletionSource::handler({
                            let h = handler.clone();
                            move |ctx: Context, request: CompletionRequest| {
                                let h = h.clone();
                                async move { h.#method(&ctx, request).await }
                            }
                        })
                    }
                }
            };
            self.registrations
                .push(quote!(b.completion(#target, #source);));
        }
    }

    /// Elicitation forms: a struct each, with its `ElicitationForm` impl.
    fn forms(&mut self, m: &Manifest, forms: &IndexMap<String, Vec<FormField>>) {
        for (name, e) in &m.elicitations {
            let fields = forms.get(name).map(Vec::as_slice).unwrap_or_default();
            let fields: Vec<Field<'_>> = fields
                .iter()
                .map(|f| Field {
                    name: &f.name,
                    ty: match f.ty {
                        FieldType::String => quote!(String),
                        FieldType::Integer => quote!(i64),
                        FieldType::Number => quote!(f64),
                        FieldType::Boolean => quote!(bool),
                        FieldType::StringList => quote!(Vec<String>),
                    },
                    optional: !f.required,
                    doc: f.description.as_deref(),
                })
                .collect();
            let ty = camel(name);
            self.data_struct(
                &ty,
                &format!("The `{name}` elicitation form: {}", e.message),
                &fields,
                "field",
            );
            let ty = format_ident!("{}", ty);
            let message = &e.message;
            let schema = json_lit(&Value::Object(e.schema.clone()));
            self.types.push(Part::parse(quote! {
                impl ElicitationForm for #ty {
                    const NAME: &'static str = #name;
                    const MESSAGE: &'static str = #message;
                    const SCHEMA: &'static str = #schema;
                }
            }));
        }
    }

    /// The whole file: the facade import, the types, the trait and `server()`,
    /// in a module re-exported whole, documented, formatted, under the lint
    /// allow-list.
    fn finish(
        &mut self,
        server: &ServerInfo,
        trait_name: &Ident,
        stem: &str,
        file_name: &str,
    ) -> String {
        let rt = &self.rt;
        let module = format_ident!("__mcpgen_{}", snake(stem));
        let glue = Glue::new(server, trait_name, file_name);
        let has_methods = !(self.tools.is_empty() && self.methods.is_empty());
        let has_registrations = !(self.tools.is_empty() && self.registrations.is_empty());
        let handlers = |tool_methods: TokenStream, tool_registrations: TokenStream| {
            let handler_trait = glue.handler_trait(tool_methods, &self.methods);
            let server_fn = glue.server_fn(
                tool_registrations,
                &self.registrations,
                has_methods,
                has_registrations,
            );
            quote!(#handler_trait #server_fn)
        };
        let mut parts = vec![Part::parse(quote!(use #rt::codegen::*;))];
        parts.append(&mut self.types);
        // The tools' code is spliced in as parsed trees where the markers are.
        let tools = std::mem::take(&mut self.tools);
        parts.push(
            match Part::parse(handlers(tools::marker(), tools::marker())) {
                Part::Items(mut items) => {
                    tools.splice_into(&mut items);
                    Part::Items(items)
                }
                Part::Tokens(_) => {
                    Part::Tokens(handlers(tools.method_tokens(), tools.registration_tokens()))
                }
            },
        );
        let reexport = Part::parse(quote! {
            #[allow(unreachable_pub)]
            pub use #module::*;
        });
        let file = crate::items::file(module, parts, reexport).or_else(|tokens| {
            syn::parse2::<syn::File>(tokens.clone()).map_err(|_| tokens.to_string())
        });
        let code = match file {
            Ok(mut file) => {
                document(&mut file.items);
                prettyplease::unparse(&file)
            }
            Err(text) => text,
        };
        with_lints(&code)
    }
}

/// The formatted code under the lint allow-list, with typify's doc comments
/// given the customary space after `///`.
fn with_lints(code: &str) -> String {
    let mut out = String::with_capacity(LINTS.len() + code.len() + code.len() / 64);
    out.push_str(LINTS);
    for line in code.lines() {
        let trimmed = line.trim_start();
        match trimmed.strip_prefix("///") {
            Some(rest) if !rest.is_empty() && !rest.starts_with([' ', '/']) => {
                out.push_str(&line[..line.len() - trimmed.len()]);
                out.push_str("/// ");
                out.push_str(rest);
            }
            _ => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

/// The lints the generated module allows, each with why: text rather than tokens,
/// for the comments. Everything else, `missing_docs` and clippy's default groups
/// included, is left on: generated code passes them.
const LINTS: &str = "\
#[allow(
    // Items are `pub` so that the file can be included in any module; typify's
    // helper items live in private modules.
    unreachable_pub,
    // typify writes one generic default helper per integer kind, used or not.
    dead_code,
    // typify implements `Default` by hand for enums with a default value.
    clippy::derivable_impls,
    // Types are as nested as the author's schemas (`Vec<Vec<…>>`).
    clippy::type_complexity,
    // Opt-in groups: a crate that enables them should not fail on code it did not
    // write (`server()` is one long function by design, typify's style is its own).
    clippy::pedantic,
    clippy::nursery,
    // Doc text comes from the manifest's descriptions, written for MCP clients
    // rather than rustdoc: URLs, brackets and HTML are taken as they are.
    rustdoc::bare_urls,
    rustdoc::broken_intra_doc_links,
    rustdoc::invalid_html_tags
)]
";
