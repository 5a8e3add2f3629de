//! Structured JSON Schemas as a tool's input and output: byte-level mutation of
//! a manifest rarely produces a schema that is valid enough to reach typify and
//! emission, so this target builds schemas from JSON Schema 2020-12 keywords
//! (nesting, combinators, `$ref`s into `$defs`, keywords typify cannot type, names
//! that are Rust keywords or collide once converted) and checks that generation
//! never panics.

#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value, json};

/// A name for a property, a `$defs` entry or an enum value.
#[derive(Arbitrary, Debug)]
enum Name {
    Plain(u8),
    Keyword(RustKeyword),
    /// Names that fold to the same Rust identifier.
    Folding(u8),
    Unicode,
    Empty,
    Digits,
    Long(u8),
    Any(String),
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum RustKeyword {
    Type,
    SelfLower,
    SelfUpper,
    Crate,
    Super,
    Underscore,
    Async,
    Fn,
    Match,
    Option,
    String,
}

impl Name {
    fn text(&self) -> String {
        match self {
            Name::Plain(n) => format!("field{}", n % 8),
            Name::Keyword(k) => match k {
                RustKeyword::Type => "type",
                RustKeyword::SelfLower => "self",
                RustKeyword::SelfUpper => "Self",
                RustKeyword::Crate => "crate",
                RustKeyword::Super => "super",
                RustKeyword::Underscore => "_",
                RustKeyword::Async => "async",
                RustKeyword::Fn => "fn",
                RustKeyword::Match => "match",
                RustKeyword::Option => "Option",
                RustKeyword::String => "String",
            }
            .to_owned(),
            Name::Folding(n) => [
                "fooBar", "foo_bar", "FooBar", "foo-bar", "foo.bar", "FOO_BAR",
            ][usize::from(*n) % 6]
                .to_owned(),
            Name::Unicode => "naïve-été_名前".to_owned(),
            Name::Empty => String::new(),
            Name::Digits => "123".to_owned(),
            Name::Long(n) => "x".repeat(usize::from(*n) * 4),
            Name::Any(s) => s.clone(),
        }
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Ty {
    Null,
    Boolean,
    Integer,
    Number,
    String,
    Array,
    Object,
}

impl Ty {
    fn name(self) -> &'static str {
        match self {
            Ty::Null => "null",
            Ty::Boolean => "boolean",
            Ty::Integer => "integer",
            Ty::Number => "number",
            Ty::String => "string",
            Ty::Array => "array",
            Ty::Object => "object",
        }
    }
}

/// A JSON value for `enum`, `const`, `default` and `examples`.
#[derive(Arbitrary, Debug)]
enum Literal {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Name),
    List(Vec<Literal>),
    Object(Vec<(Name, Literal)>),
}

impl Literal {
    fn value(&self) -> Value {
        match self {
            Literal::Null => Value::Null,
            Literal::Bool(b) => Value::Bool(*b),
            Literal::Int(i) => json!(i),
            Literal::Float(f) => {
                serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number)
            }
            Literal::Str(n) => Value::String(n.text()),
            Literal::List(items) => items.iter().map(Literal::value).collect(),
            Literal::Object(entries) => {
                Value::Object(entries.iter().map(|(k, v)| (k.text(), v.value())).collect())
            }
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Format {
    DateTime,
    Date,
    Uuid,
    Email,
    Uri,
    Ipv4,
    Int32,
    Unknown(Name),
}

#[derive(Arbitrary, Debug)]
enum Reference {
    Def(Name),
    Root,
    Pointer(String),
    Anchor(Name),
    Remote,
}

#[derive(Arbitrary, Debug)]
enum Schema {
    Bool(bool),
    Object(Vec<Keyword>),
}

impl Schema {
    fn value(&self) -> Value {
        match self {
            Schema::Bool(b) => Value::Bool(*b),
            Schema::Object(keywords) => Value::Object(object(keywords)),
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Keyword {
    Type(Ty),
    Types(Vec<Ty>),
    Nullable(Ty),
    Properties(Vec<(Name, Schema)>),
    Required(Vec<Name>),
    AdditionalProperties(Box<Schema>),
    PatternProperties(Vec<(Name, Schema)>),
    PropertyNames(Box<Schema>),
    Items(Box<Schema>),
    PrefixItems(Vec<Schema>),
    MinItems(u8),
    MaxItems(u8),
    UniqueItems(bool),
    Enum(Vec<Literal>),
    Const(Literal),
    Default(Literal),
    OneOf(Vec<Schema>),
    AnyOf(Vec<Schema>),
    AllOf(Vec<Schema>),
    Not(Box<Schema>),
    If(Box<Schema>),
    Then(Box<Schema>),
    Else(Box<Schema>),
    DependentSchemas(Vec<(Name, Schema)>),
    DependentRequired(Vec<(Name, Vec<Name>)>),
    Defs(Vec<(Name, Schema)>),
    Definitions(Vec<(Name, Schema)>),
    Ref(Reference),
    Anchor(Name),
    Format(Format),
    Minimum(i64),
    Maximum(i64),
    ExclusiveMinimum(f64),
    MultipleOf(u8),
    MinLength(u8),
    MaxLength(u8),
    Pattern(String),
    Title(String),
    Description(String),
    SchemaDialect(bool),
    Unknown(Name, Literal),
}

fn schemas(list: &[Schema]) -> Value {
    list.iter().map(Schema::value).collect()
}

fn schema_map(entries: &[(Name, Schema)]) -> Value {
    Value::Object(entries.iter().map(|(k, s)| (k.text(), s.value())).collect())
}

fn object(keywords: &[Keyword]) -> Map<String, Value> {
    let mut o = Map::new();
    for k in keywords {
        let (key, value) = match k {
            Keyword::Type(t) => ("type".to_owned(), json!(t.name())),
            Keyword::Types(ts) => ("type".to_owned(), ts.iter().map(|t| t.name()).collect()),
            Keyword::Nullable(t) => ("type".to_owned(), json!([t.name(), "null"])),
            Keyword::Properties(p) => ("properties".to_owned(), schema_map(p)),
            Keyword::Required(r) => ("required".to_owned(), r.iter().map(Name::text).collect()),
            Keyword::AdditionalProperties(s) => ("additionalProperties".to_owned(), s.value()),
            Keyword::PatternProperties(p) => ("patternProperties".to_owned(), schema_map(p)),
            Keyword::PropertyNames(s) => ("propertyNames".to_owned(), s.value()),
            Keyword::Items(s) => ("items".to_owned(), s.value()),
            Keyword::PrefixItems(l) => ("prefixItems".to_owned(), schemas(l)),
            Keyword::MinItems(n) => ("minItems".to_owned(), json!(n)),
            Keyword::MaxItems(n) => ("maxItems".to_owned(), json!(n)),
            Keyword::UniqueItems(b) => ("uniqueItems".to_owned(), json!(b)),
            Keyword::Enum(l) => ("enum".to_owned(), l.iter().map(Literal::value).collect()),
            Keyword::Const(l) => ("const".to_owned(), l.value()),
            Keyword::Default(l) => ("default".to_owned(), l.value()),
            Keyword::OneOf(l) => ("oneOf".to_owned(), schemas(l)),
            Keyword::AnyOf(l) => ("anyOf".to_owned(), schemas(l)),
            Keyword::AllOf(l) => ("allOf".to_owned(), schemas(l)),
            Keyword::Not(s) => ("not".to_owned(), s.value()),
            Keyword::If(s) => ("if".to_owned(), s.value()),
            Keyword::Then(s) => ("then".to_owned(), s.value()),
            Keyword::Else(s) => ("else".to_owned(), s.value()),
            Keyword::DependentSchemas(p) => ("dependentSchemas".to_owned(), schema_map(p)),
            Keyword::DependentRequired(d) => (
                "dependentRequired".to_owned(),
                Value::Object(
                    d.iter()
                        .map(|(k, names)| (k.text(), names.iter().map(Name::text).collect()))
                        .collect(),
                ),
            ),
            Keyword::Defs(p) => ("$defs".to_owned(), schema_map(p)),
            Keyword::Definitions(p) => ("definitions".to_owned(), schema_map(p)),
            Keyword::Ref(r) => (
                "$ref".to_owned(),
                json!(match r {
                    Reference::Def(n) => format!("#/$defs/{}", n.text()),
                    Reference::Root => "#".to_owned(),
                    Reference::Pointer(p) => p.clone(),
                    Reference::Anchor(n) => format!("#{}", n.text()),
                    Reference::Remote => "https://example.com/schema.json".to_owned(),
                }),
            ),
            Keyword::Anchor(n) => ("$anchor".to_owned(), json!(n.text())),
            Keyword::Format(f) => (
                "format".to_owned(),
                json!(match f {
                    Format::DateTime => "date-time".to_owned(),
                    Format::Date => "date".to_owned(),
                    Format::Uuid => "uuid".to_owned(),
                    Format::Email => "email".to_owned(),
                    Format::Uri => "uri".to_owned(),
                    Format::Ipv4 => "ipv4".to_owned(),
                    Format::Int32 => "int32".to_owned(),
                    Format::Unknown(n) => n.text(),
                }),
            ),
            Keyword::Minimum(n) => ("minimum".to_owned(), json!(n)),
            Keyword::Maximum(n) => ("maximum".to_owned(), json!(n)),
            Keyword::ExclusiveMinimum(f) => (
                "exclusiveMinimum".to_owned(),
                serde_json::Number::from_f64(*f).map_or(json!(0), Value::Number),
            ),
            Keyword::MultipleOf(n) => ("multipleOf".to_owned(), json!(n)),
            Keyword::MinLength(n) => ("minLength".to_owned(), json!(n)),
            Keyword::MaxLength(n) => ("maxLength".to_owned(), json!(n)),
            Keyword::Pattern(p) => ("pattern".to_owned(), json!(p)),
            Keyword::Title(t) => ("title".to_owned(), json!(t)),
            Keyword::Description(d) => ("description".to_owned(), json!(d)),
            Keyword::SchemaDialect(modern) => (
                "$schema".to_owned(),
                json!(if *modern {
                    "https://json-schema.org/draft/2020-12/schema"
                } else {
                    "http://json-schema.org/draft-07/schema#"
                }),
            ),
            Keyword::Unknown(n, l) => (n.text(), l.value()),
        };
        o.insert(key, value);
    }
    o
}

/// One tool whose input (and maybe output) schema is fuzzed. The root is forced to
/// `type: object` most of the time, so the schema gets past the root check and
/// reaches typify.
#[derive(Arbitrary, Debug)]
struct FuzzTool {
    name: Name,
    input: Vec<Keyword>,
    output: Option<Vec<Keyword>>,
    keep_root_type: bool,
}

fn root(keywords: &[Keyword], keep_root_type: bool) -> Value {
    let mut o = object(keywords);
    if !keep_root_type {
        o.insert("type".to_owned(), json!("object"));
    }
    Value::Object(o)
}

fuzz_target!(init: mcpgen_fuzz::install_panic_hook(), |tools: Vec<FuzzTool>| {
    let mut map = Map::new();
    for (i, t) in tools.iter().enumerate() {
        let mut tool = Map::new();
        tool.insert("description".to_owned(), json!("A fuzzed tool."));
        tool.insert("input".to_owned(), root(&t.input, t.keep_root_type));
        if let Some(output) = &t.output {
            tool.insert("output".to_owned(), root(output, t.keep_root_type));
        }
        // Mostly valid, distinct tool names; sometimes the fuzzed name.
        let name = if i % 4 == 3 { t.name.text() } else { format!("tool_{i}") };
        map.insert(name, Value::Object(tool));
    }
    let manifest = json!({
        "server": { "name": "fuzz", "version": "0.0.0" },
        "tools": map,
    });
    let text = serde_json::to_string_pretty(&manifest).unwrap_or_default();
    mcpgen_fuzz::generate("json", &text);
});
