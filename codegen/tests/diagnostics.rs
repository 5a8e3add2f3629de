//! Bad manifests: every problem reported, each with its position, rendered like
//! rustc.

use mcpgen_codegen::{Builder, Diagnostics};

fn check(fixture: &str) -> Diagnostics {
    Builder::new()
        .manifest(format!("tests/fixtures/{fixture}"))
        .check()
}

#[test]
fn unknown_field_suggests_the_right_one() {
    let d = check("unknown_field.yaml");
    assert!(d.has_errors());
    assert_eq!(
        d.render(),
        "\
error: unknown field `descripton`
 --> tests/fixtures/unknown_field.yaml:6:5
  |
6 |     descripton: Forecast for a city
  |     ^
  = path: tools.get_forecast.descripton
  = hint: did you mean `description`?

error: manifest has 1 error
"
    );
}

#[test]
fn yaml_syntax_errors_have_a_position() {
    let d = check("syntax_error.yaml");
    let text = d.render();
    assert!(
        text.starts_with(
            "error: found unexpected end of stream\n --> tests/fixtures/syntax_error.yaml:8:1\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("= hint: a quote or bracket opened earlier is not closed"),
        "{text}"
    );
}

#[test]
fn duplicate_keys_point_at_the_second() {
    let d = check("duplicate_tool.yaml");
    assert_eq!(
        d.render(),
        "\
error: duplicate key `get_forecast`
 --> tests/fixtures/duplicate_tool.yaml:5:3
  |
5 |   get_forecast:
  |   ^
  = path: tools.get_forecast
  = hint: `get_forecast` is first defined on line 3; names in a map must be unique

error: manifest has 1 error
"
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let d = check("many_errors.yaml");
    let text = d.render();
    let expected = [
        (
            "error: invalid tool name `bad tool!`",
            "many_errors.yaml:5:3",
        ),
        (
            "warning: tool `get_forecast` has no description",
            "many_errors.yaml:7:3",
        ),
        (
            "error: the input schema's root must be `type: object`",
            "many_errors.yaml:8:5",
        ),
        (
            "error: the input schema is not valid JSON Schema 2020-12: \"one\" is not of type \"number\"",
            "many_errors.yaml:15:41",
        ),
        (
            "error: resource `both` has both `text` and `file`",
            "many_errors.yaml:20:5",
        ),
        (
            "error: cannot read `does-not-exist.png`",
            "many_errors.yaml:23:11",
        ),
        (
            "error: malformed URI template `test://items/{n`",
            "many_errors.yaml:25:19",
        ),
        (
            "warning: variable `tab` of `test://users/{id}/{tab}` has no declared type",
            "many_errors.yaml:27:5",
        ),
        (
            "error: template uses `nmae`, which is not a declared argument",
            "many_errors.yaml:38:15",
        ),
        (
            "error: type `object` is outside the restricted elicitation schema",
            "many_errors.yaml:45:9",
        ),
        (
            "error: no prompt is named `greting`",
            "many_errors.yaml:50:13",
        ),
        (
            "error: a completion needs `values` or `coded: true`",
            "many_errors.yaml:53:5",
        ),
    ];
    let mut last = 0;
    for (message, at) in expected {
        let pos = text[last..]
            .find(message)
            .unwrap_or_else(|| panic!("missing (or out of order) `{message}` in:\n{text}"))
            + last;
        let location = text[pos..].lines().nth(1).unwrap_or_default();
        assert!(
            location.ends_with(at),
            "`{message}` at `{location}`, expected `{at}`"
        );
        last = pos;
    }
    assert_eq!(d.errors().count(), 10, "{text}");
    assert_eq!(d.warnings().count(), 2, "{text}");
    assert!(
        text.ends_with("error: manifest has 10 errors and 2 warnings\n"),
        "{text}"
    );
    assert!(text.contains("= hint: did you mean `greet`?"), "{text}");
    assert!(
        text.contains("= path: tools.schedule.input.properties.days.minimum"),
        "{text}"
    );
}

#[test]
fn semantic_problems_are_all_reported() {
    let d = check("semantic_errors.yaml");
    let text = d.render();
    for needle in [
        "error: missing field `version`",
        "error: unknown value `asistant`",
        "did you mean `assistant`?",
        "error: unknown top-level key `tool`",
        "did you mean `tools`?",
    ] {
        assert!(text.contains(needle), "missing `{needle}` in:\n{text}");
    }
}

#[test]
fn identifier_collisions_are_errors() {
    let d = check("collisions.yaml");
    let text = d.render();
    assert!(
        text.contains("error: tool `get.forecast` becomes the Rust name `get_forecast`, which `tools.get-forecast` already uses"),
        "{text}"
    );
    assert!(text.contains("collisions.yaml:6:3"), "{text}");
    assert!(
        text.contains("error: a completion has either `values` or `coded: true`, not both"),
        "{text}"
    );
    assert!(
        text.contains("error: `minimum` is outside the restricted elicitation schema")
            || text.contains("is outside the restricted elicitation schema"),
        "{text}"
    );
}

#[test]
fn missing_manifest_is_an_error() {
    let d = check("nope.yaml");
    assert!(d.has_errors());
    assert!(
        d.render().starts_with("error: cannot read the manifest"),
        "{}",
        d.render()
    );
}
