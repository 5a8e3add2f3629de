//! The types generated for `codegen/tests/corpus/shared_definitions.yaml`: a
//! manifest definition is one Rust type that every tool's types name (so a value
//! passes from one tool's input to another's as it is), and the schema each tool
//! serves stands alone (the definitions it uses copied into its `$defs`).

use mcpgen_goldens::shared_definitions::*;
use mcpgen_runtime::codegen::tool_input;
use serde_json::{Value, json};

macro_rules! served {
    ($tool:literal, $kind:literal) => {
        serde_json::from_str::<Value>(include_str!(concat!(
            "../generated/shared_definitions.schemas/",
            $tool,
            ".",
            $kind,
            ".json"
        )))
        .expect("schema file is JSON")
    };
}

/// One tool's field given to another tool's input, and its output: compiles
/// only if all of them are the same Rust types.
fn convert_for(forecast: GetForecastInput, out: &GetForecastOutput) -> ConvertInput {
    let from: Unit = forecast.unit.unwrap_or(out.unit);
    let place: Place = forecast.place;
    ConvertInput {
        value: 20.0,
        from,
        to: place.unit.unwrap_or(Unit::Fahrenheit),
    }
}

fn decode<T: mcpgen_runtime::codegen::serde::de::DeserializeOwned>(
    schema: &Value,
    instance: Value,
) -> T {
    // The served schema stands alone: no reference leaves it.
    let validator = jsonschema::validator_for(schema).expect("the served schema compiles");
    assert!(validator.is_valid(&instance), "{instance} is valid");
    let Value::Object(args) = instance else {
        panic!("arguments are objects")
    };
    tool_input(args).unwrap_or_else(|e| panic!("valid arguments deserialize: {e:?}"))
}

#[test]
fn tools_share_the_types_of_their_definitions() {
    let forecast: GetForecastInput = decode(
        &served!("get_forecast", "input"),
        json!({
            "place": { "city": "Oslo", "unit": "celsius", "near": { "city": "Bergen" } },
            "unit": "fahrenheit",
        }),
    );
    let near: &Place = forecast.place.near.as_deref().expect("near given");
    assert_eq!(near.city, "Bergen");
    let out = GetForecastOutput {
        unit: Unit::Celsius,
        temperatures: vec![1.0],
    };
    let convert = convert_for(forecast, &out);
    assert_eq!(
        (convert.from, convert.to),
        (Unit::Fahrenheit, Unit::Celsius)
    );
    let back = serde_json::to_value(&convert).expect("serializes");
    assert_eq!(
        back,
        json!({ "from": "fahrenheit", "to": "celsius", "value": 20.0 })
    );
    let again: ConvertInput = decode(&served!("convert", "input"), back);
    assert_eq!(again.to, Unit::Celsius);
}

#[test]
fn served_schemas_carry_the_definitions_they_use() {
    let schema = served!("get_forecast", "input");
    assert_eq!(schema["properties"]["place"]["$ref"], "#/$defs/place");
    let defs = schema["$defs"].as_object().expect("$defs");
    assert_eq!(defs.keys().collect::<Vec<_>>(), ["place", "unit"]);
    assert_eq!(defs["place"]["properties"]["near"]["$ref"], "#/$defs/place");
    // Only what the tool uses.
    let convert = served!("convert", "input");
    let defs = convert["$defs"].as_object().expect("$defs");
    assert_eq!(defs.keys().collect::<Vec<_>>(), ["unit"]);
    let validator = jsonschema::validator_for(&convert).expect("compiles");
    assert!(!validator.is_valid(&json!({ "value": 1, "from": "kelvin", "to": "celsius" })));
    // A schema with `definitions` of its own keeps them.
    let own = served!("own_definitions", "input");
    assert_eq!(own["properties"]["count"]["$ref"], "#/definitions/unit");
    assert!(own.get("$defs").is_none());
}
