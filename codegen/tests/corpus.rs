//! The adversarial corpus's generated manifests: `tests/corpus/many_tools.yaml`
//! (500 tools), `tests/corpus/deep_nesting.yaml` (schemas 32 levels deep) and
//! `tests/corpus/long_names.yaml` (names at and past every length limit) are
//! written by the functions below, and this test checks that the committed files
//! are exactly what they write (`MCPGEN_BLESS=1` rewrites them). Their generated
//! code is a golden like any other (`tests/goldens.rs`).

use std::fmt::Write as _;

use mcpgen_codegen::Builder;

/// How many tools `many_tools.yaml` has.
const TOOLS: usize = 500;
/// How deep `deep_nesting.yaml`'s schemas go.
const DEPTH: usize = 32;

const HEADER: &str = "# Written by `many_tools()` in codegen/tests/corpus.rs; run\n\
                      # `MCPGEN_BLESS=1 cargo test -p mcpgen-codegen --test corpus` to rewrite.\n";

/// 500 tools, in a mix of shapes: half with no input, four in ten with a small
/// input, one in ten with an enum, an array and an optional integer; and every
/// seventh with structured output.
fn many_tools() -> String {
    let mut out = String::from(HEADER);
    out.push_str("server:\n  name: many-tools\n  version: 1.0.0\n  description: Five hundred tools.\n\ntools:\n");
    for i in 0..TOOLS {
        let _ = writeln!(out, "  tool_{i:03}:");
        let _ = writeln!(out, "    description: Tool number {i}.");
        match i % 10 {
            1 | 3 | 5 | 7 => {
                let _ = writeln!(
                    out,
                    "    input:\n      type: object\n      properties:\n        \
                     text: {{ type: string, description: The text for tool {i}. }}\n      \
                     required: [text]"
                );
            }
            9 => {
                let _ = writeln!(
                    out,
                    "    input:\n      type: object\n      properties:\n        \
                     mode: {{ type: string, description: How., enum: [fast, careful, \"mode-{i}\"] }}\n        \
                     items: {{ type: array, description: What., items: {{ type: string }} }}\n        \
                     limit: {{ type: integer, description: At most., minimum: 0 }}\n      \
                     required: [mode, items]\n      additionalProperties: false"
                );
            }
            _ => {}
        }
        if i % 7 == 0 {
            let _ = writeln!(
                out,
                "    output:\n      type: object\n      properties:\n        \
                 count: {{ type: integer, description: How many. }}\n      required: [count]"
            );
        }
    }
    out
}

/// Nested objects, nested arrays, and objects and arrays alternating, each `DEPTH`
/// levels deep, in one tool's input; and an output nested as deep.
fn deep_nesting() -> String {
    let mut out = HEADER.replace("many_tools()", "deep_nesting()");
    out.push_str(
        "server:\n  name: deep-nesting\n  version: 1.0.0\n  description: Schemas nested deeper than anyone should.\n\n\
         tools:\n  deep:\n    description: Every shape of deep nesting.\n    input:\n",
    );
    let mut objects = "{ type: string, description: The bottom. }".to_owned();
    for level in (1..=DEPTH).rev() {
        objects = format!(
            "{{ type: object, description: Level {level}., properties: {{ level_{level:02}: {objects} }}, required: [level_{level:02}] }}"
        );
    }
    let mut arrays = "{ type: integer }".to_owned();
    for _ in 0..DEPTH {
        arrays = format!("{{ type: array, items: {arrays} }}");
    }
    let mut alternating = "{ type: boolean }".to_owned();
    for level in (1..=DEPTH).rev() {
        alternating = if level % 2 == 0 {
            format!("{{ type: array, items: {alternating} }}")
        } else {
            format!("{{ type: object, properties: {{ a{level}: {alternating} }} }}")
        };
    }
    let _ = writeln!(
        out,
        "      type: object\n      properties:\n        \
         objects: {objects}\n        \
         arrays: {{ description: Arrays of arrays., allOf: [{arrays}] }}\n        \
         alternating: {alternating}\n      \
         required: [objects]"
    );
    let mut output = "{ type: number }".to_owned();
    for level in (1..=DEPTH).rev() {
        output = format!("{{ type: object, properties: {{ n{level}: {output} }} }}");
    }
    let _ = writeln!(out, "    output: {output}");
    out
}

/// `len` characters of `words` joined by `_`, cut to length and ending in a letter.
fn long_name(words: &str, len: usize) -> String {
    let mut name = String::new();
    while name.len() < len {
        if !name.is_empty() {
            name.push('_');
        }
        name.push_str(words);
    }
    name.truncate(len - 1);
    name.push('z');
    name
}

/// Names as long as MCP allows (128-character tool names) or longer (properties,
/// enum values, prompts, resources, forms have no limit), and a long description.
fn long_names() -> String {
    let mut out = HEADER.replace("many_tools()", "long_names()");
    let tool = long_name("a_tool_name_at_the_limit", 128);
    let over_64 = long_name("a_tool_name_just_over_sixty_four", 65);
    let property = long_name("a_property_name_nobody_should_write", 200);
    let value = long_name("an enum value that goes on", 300);
    let item = long_name("item-name", 150);
    let argument = long_name("argument", 120);
    let description = "A description that repeats itself. ".repeat(120);
    let _ = write!(
        out,
        "server:\n  name: long-names\n  version: 1.0.0\n  description: {description}\n\n\
         tools:\n  \
         {tool}:\n    description: {description}\n    input:\n      type: object\n      \
         properties:\n        {property}: {{ type: string, description: A long property. }}\n        \
         choice: {{ type: string, description: A long value., enum: [\"{value}\", short] }}\n      \
         required: [{property}]\n    \
         output:\n      type: object\n      properties:\n        \
         {property}: {{ type: integer, description: A long property. }}\n  \
         {over_64}:\n    description: A name over 64 characters, which some clients reject.\n\n\
         resources:\n  - uri: long://{item}\n    name: {item}\n    description: A dynamic resource.\n\n\
         resource_templates:\n  - uri_template: \"long://{item}/{{{argument}}}\"\n    name: {item}-template\n    \
         description: A coded template.\n    variables:\n      {argument}: {{ type: string, description: A long variable. }}\n\n\
         prompts:\n  {item}:\n    description: A coded prompt.\n    arguments:\n      \
         {argument}: {{ description: A long argument., required: true }}\n\n\
         elicitations:\n  {item}:\n    message: A form with a long name.\n    schema:\n      type: object\n      \
         properties:\n        {property}: {{ type: string, description: A long field. }}\n\n\
         completions:\n  - prompt: {item}\n    argument: {argument}\n    coded: true\n"
    );
    out
}

#[test]
fn generated_corpus_manifests_are_what_their_functions_write() {
    let bless = std::env::var_os("MCPGEN_BLESS").is_some();
    for (file, text) in [
        ("tests/corpus/many_tools.yaml", many_tools()),
        ("tests/corpus/deep_nesting.yaml", deep_nesting()),
        ("tests/corpus/long_names.yaml", long_names()),
    ] {
        if bless {
            std::fs::write(file, &text).expect("corpus file");
        }
        let committed = std::fs::read_to_string(file).unwrap_or_default();
        assert!(
            committed == text,
            "{file} is not what its function writes; rerun with MCPGEN_BLESS=1"
        );
    }
}

#[test]
fn many_tools_generate_every_tool() {
    let out = Builder::new()
        .manifest("tests/corpus/many_tools.yaml")
        .render()
        .unwrap_or_else(|d| panic!("{d}"));
    let code = &out[0].1;
    let methods = code
        .lines()
        .filter(|l| l.trim_start().starts_with("fn tool_"))
        .count();
    assert_eq!(methods, TOOLS);
    assert_eq!(code.matches("b.tool(").count(), TOOLS);
    assert!(code.contains("fn tool_499("));
}

#[test]
fn deep_nesting_gets_precise_types_all_the_way_down() {
    let diagnostics = Builder::new()
        .manifest("tests/corpus/deep_nesting.yaml")
        .check();
    assert!(diagnostics.is_empty(), "{diagnostics}");
    let out = Builder::new()
        .manifest("tests/corpus/deep_nesting.yaml")
        .render()
        .unwrap_or_else(|d| panic!("{d}"));
    let code = &out[0].1;
    // 32 nested `Vec`s around the integer.
    let arrays = format!(
        "{}i64{}",
        "::std::vec::Vec<".repeat(DEPTH),
        ">".repeat(DEPTH)
    );
    // prettyplease breaks the type over lines, with trailing commas.
    let flat: String = code
        .split_whitespace()
        .collect::<String>()
        .replace(",>", ">");
    assert!(flat.contains(&arrays), "no {DEPTH}-deep Vec");
    // The bottom of the object chain is a typed field.
    assert!(code.contains(&format!("pub level_{DEPTH:02}: ::std::string::String")));
}
