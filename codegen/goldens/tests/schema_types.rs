//! The types generated for `codegen/tests/corpus/schemas.yaml`: precise where the
//! generator promises it (checked by naming the types: a change fails to compile),
//! and sound: example instances, each first checked valid under the schema the
//! server serves, deserialize the way generated code does (`tool_input`) and
//! serialize back to an equal JSON value.

use std::collections::HashMap;
use std::num::{NonZeroU8, NonZeroU16, NonZeroU64};

use mcpgen_goldens::schemas::*;
use mcpgen_runtime::codegen::serde::{Serialize, de::DeserializeOwned};
use mcpgen_runtime::codegen::tool_input;
use serde_json::{Map, Value, json};

/// The schema served for `<tool>.<kind>` (the golden schema file, which
/// `codegen/tests/schema_corpus.rs` shows is the manifest's, verbatim).
macro_rules! served {
    ($tool:literal, $kind:literal) => {
        serde_json::from_str::<Value>(include_str!(concat!(
            "../generated/schemas.schemas/",
            $tool,
            ".",
            $kind,
            ".json"
        )))
        .expect("schema file is JSON")
    };
}

/// JSON equality as JSON Schema sees it: `1` and `1.0` are the same number.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

fn assert_valid(schema: &Value, instance: &Value) {
    let validator = jsonschema::validator_for(schema).expect("the served schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "example {instance} is not valid under the served schema: {errors:?}"
    );
}

/// `instance` is valid, deserializes into `T` as tool arguments do, and
/// serializes back to `expected` (which is valid too).
fn decode_as<T>(schema: &Value, instance: Value, expected: &Value) -> T
where
    T: DeserializeOwned + Serialize,
{
    assert_valid(schema, &instance);
    let Value::Object(args) = instance.clone() else {
        panic!("tool arguments are objects: {instance}")
    };
    let typed: T =
        tool_input(args).unwrap_or_else(|e| panic!("valid {instance} does not deserialize: {e:?}"));
    let back = serde_json::to_value(&typed).expect("serializes");
    assert!(
        same(&back, expected),
        "{instance} came back as {back}, expected {expected}"
    );
    assert_valid(schema, &back);
    typed
}

/// [`decode_as`] with the instance itself expected back.
fn round_trip<T>(schema: &Value, instance: Value) -> T
where
    T: DeserializeOwned + Serialize,
{
    let expected = instance.clone();
    decode_as(schema, instance, &expected)
}

/// Outputs are read by clients with plain serde.
fn output_round_trip<T>(schema: &Value, instance: Value) -> T
where
    T: DeserializeOwned + Serialize,
{
    assert_valid(schema, &instance);
    let typed: T = serde_json::from_value(instance.clone())
        .unwrap_or_else(|e| panic!("valid {instance} does not deserialize: {e}"));
    let back = serde_json::to_value(&typed).expect("serializes");
    assert!(same(&back, &instance), "{instance} came back as {back}");
    typed
}

#[test]
fn nested_objects_are_structs_all_the_way_down() {
    let schema = served!("nested_objects", "input");
    let input: NestedObjectsInput = round_trip(
        &schema,
        json!({ "recipient": { "name": "Ada", "address": { "street": "1 rue Lamarck",
                "city": "Paris", "geo": { "lat": 48.88, "lon": 2.34 } } }, "note": "fragile" }),
    );
    let address: NestedObjectsInputRecipientAddress = input.recipient.address;
    let geo: NestedObjectsInputRecipientAddressGeo = address.geo.expect("geo given");
    assert_eq!((geo.lat, geo.lon), (48.88, 2.34));
    let _: String = address.city;

    let minimal: NestedObjectsInput = round_trip(
        &schema,
        json!({ "recipient": { "name": "Ada", "address": { "city": "Paris" } } }),
    );
    assert!(minimal.note.is_none() && minimal.recipient.address.street.is_none());

    let output: NestedObjectsOutput = output_round_trip(
        &served!("nested_objects", "output"),
        json!({ "tracking": { "id": "XY12", "carrier": "post" } }),
    );
    let tracking: NestedObjectsOutputTracking = output.tracking;
    assert_eq!(tracking.id, "XY12");
}

#[test]
fn arrays_are_vecs_tuples_and_fixed_arrays() {
    let schema = served!("arrays", "input");
    let input: ArraysInput = round_trip(
        &schema,
        json!({ "tags": ["a", "b"], "points": [{ "x": 1.5, "y": 2 }], "matrix": [[1, 2], [3]],
                "anything": [1, "a", null, { "k": [] }], "rgb": [255, 0, 10],
                "unique_ids": [1, 2, 3] }),
    );
    let _: Vec<String> = input.tags;
    let point: &ArraysInputPointsItem = &input.points[0];
    assert_eq!(point.y, 2.0);
    let _: Vec<Vec<f64>> = input.matrix;
    let anything: Vec<Value> = input.anything;
    assert_eq!(anything[2], Value::Null);
    let rgb: [u8; 3] = input.rgb.expect("rgb given");
    assert_eq!(rgb, [255, 0, 10]);
    let _: Vec<i64> = input.unique_ids;

    // An optional array that is empty and one that is absent are the same value.
    let _: ArraysInput = decode_as(
        &schema,
        json!({ "tags": [], "points": [] }),
        &json!({ "tags": [] }),
    );
}

#[test]
fn maps_have_typed_values() {
    let schema = served!("maps", "input");
    let input: MapsInput = round_trip(
        &schema,
        json!({ "scores": { "ada": 3, "bob": 5 },
                "people": { "p1": { "name": "Ada", "age": 36 } },
                "labels": { "x": [1], "y": "z" },
                "headers": { "content-type": "text/plain", "x-trace": "abc" } }),
    );
    let scores: HashMap<String, i64> = input.scores;
    assert_eq!(scores["bob"], 5);
    let person: &MapsInputPeopleValue = &input.people["p1"];
    let age: u64 = person.age.expect("age given");
    assert_eq!(age, 36);
    let _: Map<String, Value> = input.labels;
    let headers: MapsInputHeaders = input.headers.expect("headers given");
    assert_eq!(headers.content_type.as_deref(), Some("text/plain"));
    let extra: HashMap<String, String> = headers.extra;
    assert_eq!(extra["x-trace"], "abc");
}

#[test]
fn string_enums_have_their_variants_and_null_is_none() {
    let schema = served!("string_enums", "input");
    let input: StringEnumsInput = round_trip(
        &schema,
        json!({ "color": "green", "size": null, "mode": "read-only" }),
    );
    // Exhaustive matches: a variant more or less fails to compile.
    match input.color {
        StringEnumsInputColor::Red | StringEnumsInputColor::Blue => panic!("green expected"),
        StringEnumsInputColor::Green => {}
    }
    assert!(input.size.is_none());
    match input.mode.expect("mode given") {
        StringEnumsInputMode::ReadOnly => {}
        StringEnumsInputMode::ReadWrite => panic!("read-only expected"),
    }
    let sized: StringEnumsInput = round_trip(&schema, json!({ "color": "red", "size": "large" }));
    match sized.size.expect("size given") {
        StringEnumsInputSize::Large => {}
        StringEnumsInputSize::Small | StringEnumsInputSize::Medium => panic!("large expected"),
    }
}

#[test]
fn constants_are_single_value_types() {
    let schema = served!("constants", "input");
    let input: ConstantsInput = round_trip(
        &schema,
        json!({ "version": "v2", "answer": 42, "enabled": true, "origin": { "x": 0, "y": 0 } }),
    );
    match input.version {
        ConstantsInputVersion::V2 => {}
    }
    let answer: ConstantsInputAnswer = input.answer.expect("answer given");
    assert_eq!(*answer, 42);
    let _: bool = input.enabled.expect("enabled given");
    // An object constant has no Rust type: a JSON map (with a warning).
    let origin: Map<String, Value> = input.origin;
    assert_eq!(origin["x"], 0);
}

#[test]
fn a_discriminated_one_of_is_an_internally_tagged_enum() {
    let schema = served!("tagged_union", "input");
    let circle: TaggedUnionInput = round_trip(
        &schema,
        json!({ "shape": { "kind": "circle", "radius": 2.0 } }),
    );
    match circle.shape {
        TaggedUnionInputShape::Circle { radius } => assert_eq!(radius, 2.0),
        TaggedUnionInputShape::Rectangle { .. } => panic!("circle expected"),
    }
    let rectangle: TaggedUnionInput = round_trip(
        &schema,
        json!({ "shape": { "kind": "rectangle", "width": 3, "height": 4 } }),
    );
    assert!(matches!(
        rectangle.shape,
        TaggedUnionInputShape::Rectangle {
            width: 3.0,
            height: 4.0
        }
    ));

    // A tag plus at most one other property reads as adjacently tagged to typify,
    // which would refuse undeclared properties the schema allows: untagged here.
    let output_schema = served!("tagged_union", "output");
    let dot: TaggedUnionOutput = output_round_trip(
        &output_schema,
        json!({ "area": 0, "shape": { "type": "dot" } }),
    );
    assert!(matches!(dot.shape, TaggedUnionOutputShape::Dot { .. }));
    let blob: TaggedUnionOutput = output_round_trip(
        &output_schema,
        json!({ "area": 2.5, "shape": { "type": "blob", "size": 3 } }),
    );
    assert!(matches!(blob.shape, TaggedUnionOutputShape::Blob { size, .. } if size == 3.0));
    let open = json!({ "area": 0, "shape": { "type": "dot", "size": 5 } });
    assert_valid(&output_schema, &open);
    let open: TaggedUnionOutput =
        serde_json::from_value(open).expect("undeclared property accepted");
    assert!(matches!(open.shape, TaggedUnionOutputShape::Dot { .. }));
}

#[test]
fn an_undiscriminated_one_of_is_an_untagged_enum() {
    let schema = served!("untagged_union", "input");
    for (value, expected) in [
        (json!("x"), "string"),
        (json!(3), "integer"),
        (json!(["a"]), "array"),
    ] {
        let input: UntaggedUnionInput = round_trip(&schema, json!({ "value": value }));
        let got = match input.value {
            UntaggedUnionInputValue::String(_) => "string",
            UntaggedUnionInputValue::Integer(_) => "integer",
            UntaggedUnionInputValue::Array(_) => "array",
        };
        assert_eq!(got, expected);
    }
    let phone: UntaggedUnionInput = round_trip(
        &schema,
        json!({ "value": 1, "contact": { "phone": "555", "extension": "12" } }),
    );
    assert!(matches!(
        phone.contact,
        Some(UntaggedUnionInputContact::Variant1 { .. })
    ));
    let email: UntaggedUnionInput = round_trip(
        &schema,
        json!({ "value": 1, "contact": { "email": "a@b.c" } }),
    );
    assert!(matches!(
        email.contact,
        Some(UntaggedUnionInputContact::Variant0 { .. })
    ));

    // Single-property branches that allow other properties: an externally tagged
    // enum would refuse this valid instance.
    let open = json!({ "value": 1, "single_key": { "name": "n", "note": "extra" } });
    let input: UntaggedUnionInput = decode_as(
        &schema,
        open,
        &json!({ "value": 1, "single_key": { "name": "n" } }),
    );
    assert!(matches!(
        input.single_key,
        Some(UntaggedUnionInputSingleKey::Variant0 { .. })
    ));
}

#[test]
fn any_of_accepts_instances_matching_several_branches() {
    let schema = served!("any_of_union", "input");
    let user: AnyOfUnionInput =
        round_trip(&schema, json!({ "target": { "user": "ada" }, "limit": 5 }));
    assert!(matches!(
        user.target,
        AnyOfUnionInputTarget::Variant0 { .. }
    ));
    assert!(matches!(user.limit, Some(AnyOfUnionInputLimit::Integer(5))));
    let group: AnyOfUnionInput = round_trip(
        &schema,
        json!({ "target": { "group": "ops" }, "limit": "all" }),
    );
    assert!(matches!(
        group.target,
        AnyOfUnionInputTarget::Variant1 { .. }
    ));
    assert!(matches!(
        group.limit,
        Some(AnyOfUnionInputLimit::String(
            AnyOfUnionInputLimitString::All
        ))
    ));
    // Both branches match: the first variant that accepts it wins.
    let both: AnyOfUnionInput = decode_as(
        &schema,
        json!({ "target": { "user": "ada", "group": "ops" } }),
        &json!({ "target": { "user": "ada" } }),
    );
    assert!(matches!(
        both.target,
        AnyOfUnionInputTarget::Variant0 { .. }
    ));
}

#[test]
fn all_of_merges_into_one_struct() {
    let schema = served!("all_of_merge", "input");
    let input: AllOfMergeInput = round_trip(
        &schema,
        json!({ "event": { "id": "e1", "at": "yesterday", "payload": "boom" },
                "window": { "from": "a", "to": "b" } }),
    );
    let event: AllOfMergeInputEvent = input.event;
    let (id, payload): (String, String) = (event.id, event.payload);
    assert_eq!((id.as_str(), payload.as_str()), ("e1", "boom"));
    // `allOf: [{required: [from]}, {required: [to]}]` makes both fields required.
    let window: AllOfMergeInputWindow = input.window.expect("window given");
    let (_, _): (String, String) = (window.from, window.to);
}

#[test]
fn nullable_values_are_options() {
    let schema = served!("nullable_values", "input");
    let input: NullableValuesInput = round_trip(
        &schema,
        json!({ "nickname": "Ada", "location": { "x": 1, "y": 2 }, "count": 3, "parent": { "a": 1 } }),
    );
    let _: Option<String> = input.nickname;
    let location: NullableValuesInputPoint = input.location.expect("location given");
    assert_eq!(location.y, 2.0);
    let _: Option<Option<i64>> = input.count;
    let _: Option<Option<Map<String, Value>>> = input.parent;

    // Null stays null, optional properties included; absent stays absent.
    let nulls: NullableValuesInput = round_trip(
        &schema,
        json!({ "nickname": null, "location": null, "count": null, "parent": null }),
    );
    assert_eq!((nulls.count, nulls.parent), (Some(None), Some(None)));
    let absent: NullableValuesInput =
        round_trip(&schema, json!({ "nickname": null, "location": null }));
    assert_eq!((absent.count, absent.parent), (None, None));
}

#[test]
fn optional_nullable_properties_keep_null_and_absent_apart() {
    let schema = served!("null_or_absent", "input");
    let full: NullOrAbsentInput = round_trip(
        &schema,
        json!({
            "note": "n", "tags": ["a"], "color": "red", "anything": [1, {}],
            "limit": 3, "child": { "name": "c" },
        }),
    );
    assert_eq!(full.note, Some(Some("n".to_owned())));
    assert_eq!(full.tags, Some(Some(vec!["a".to_owned()])));
    assert_eq!(full.color, Some(Some(NullOrAbsentInputColor::Red)));
    assert_eq!(full.anything, Some(json!([1, {}])));
    assert_eq!(full.child.name, Some(Some("c".to_owned())));

    let nulls: NullOrAbsentInput = decode_as(
        &schema,
        json!({
            "note": null, "tags": null, "color": null, "anything": null,
            "limit": null, "child": { "name": null },
        }),
        // A property with a default keeps its null too (absent takes the default).
        &json!({
            "note": null, "tags": null, "color": null, "anything": null,
            "limit": null, "child": { "name": null },
        }),
    );
    assert_eq!(
        (nulls.note, nulls.tags, nulls.color),
        (Some(None), Some(None), Some(None))
    );
    assert_eq!(nulls.anything, Some(Value::Null));
    assert_eq!(nulls.child.name, Some(None));

    let absent: NullOrAbsentInput = decode_as(
        &schema,
        json!({ "child": {} }),
        &json!({ "limit": 10, "child": {} }),
    );
    assert_eq!((absent.note, absent.tags, absent.color), (None, None, None));
    assert_eq!((absent.anything, absent.child.name), (None, None));

    // Beside a union the author's `required` stands: absent deserializes.
    for either in [json!({ "a": "x" }), json!({ "b": 1, "label": "l" })] {
        let instance = json!({ "child": {}, "either": either });
        assert_valid(&schema, &instance);
        let Value::Object(args) = instance else {
            unreachable!()
        };
        let typed: Result<NullOrAbsentInput, _> = tool_input(args);
        assert!(typed.is_ok(), "{either} deserializes");
    }

    // Outputs too: absent, null and a value serialize as they were built.
    let out = served!("null_or_absent", "output");
    for previous in [
        json!({}),
        json!({ "previous": null }),
        json!({ "previous": "p" }),
    ] {
        let _: NullOrAbsentOutput = output_round_trip(&out, previous);
    }
    let built = NullOrAbsentOutput {
        previous: Some(None),
    };
    assert_eq!(
        serde_json::to_value(&built).unwrap(),
        json!({ "previous": null })
    );
}

#[test]
fn clashing_names_get_numbered_rust_names_and_keep_their_wire_names() {
    let schema = served!("clashing_names", "input");
    let input: ClashingNamesInput = round_trip(
        &schema,
        json!({
            "camelCase": "c", "camel_case": 2, "Self": true, "self": "s", "level": "Upper",
            "nested": { "a-b": "dash", "a_b": "under" },
        }),
    );
    assert_eq!(input.camel_case.as_deref(), Some("c"));
    assert_eq!(input.camel_case_2, 2);
    assert_eq!(input.self_, Some(true));
    assert_eq!(input.self_2, "s");
    assert_eq!(input.level, ClashingNamesInputLevel::Upper3);
    let nested: ClashingNamesInputNested = input.nested.expect("nested given");
    assert_eq!(
        (nested.a_b.as_deref(), nested.a_b_2.as_str()),
        (Some("dash"), "under")
    );

    // Every value of the enum keeps its own variant and wire name, the default
    // included.
    for (value, variant) in [
        ("UPPER", ClashingNamesInputLevel::Upper),
        ("upper", ClashingNamesInputLevel::Upper2),
        ("Upper", ClashingNamesInputLevel::Upper3),
    ] {
        let typed: ClashingNamesInput = round_trip(
            &schema,
            json!({ "camel_case": 1, "self": "s", "level": value }),
        );
        assert_eq!(typed.level, variant);
        assert_eq!(variant.to_string(), value);
        assert_eq!(value.parse::<ClashingNamesInputLevel>().ok(), Some(variant));
    }
    let defaulted: ClashingNamesInput = decode_as(
        &schema,
        json!({ "camel_case": 1, "self": "s" }),
        &json!({ "camel_case": 1, "self": "s", "level": "upper" }),
    );
    assert_eq!(defaulted.level, ClashingNamesInputLevel::Upper2);
}

#[test]
fn defaults_fill_absent_properties() {
    let schema = served!("defaults", "input");
    let input: DefaultsInput = decode_as(
        &schema,
        json!({}),
        &json!({ "page": 1, "order": "asc", "query": "*", "fields": ["id", "name"],
                 "exact": false, "ratio": 0.5 }),
    );
    let page: NonZeroU64 = input.page;
    assert_eq!(page.get(), 1);
    assert!(matches!(input.order, DefaultsInputOrder::Asc));
    assert_eq!(input.fields, ["id", "name"]);
    // The default 0 breaks `minimum: 1`: not applied.
    let retries: Option<NonZeroU64> = input.retries;
    assert!(retries.is_none());
    let given: DefaultsInput = round_trip(
        &schema,
        json!({ "page": 3, "order": "desc", "query": "q", "fields": [], "exact": true,
                "ratio": 1, "retries": 2 }),
    );
    assert_eq!(given.retries.map(NonZeroU64::get), Some(2));
}

#[test]
fn formats_are_annotations_so_strings_stay_strings() {
    let schema = served!("string_formats", "input");
    // Not dates, UUIDs or emails: valid all the same, since 2020-12 does not
    // assert formats (a chrono or uuid type would refuse them).
    let input: StringFormatsInput = round_trip(
        &schema,
        json!({ "when": "soon", "day": "monday", "id": "not-a-uuid", "email": "nobody",
                "site": "::", "host": "localhost", "code": "ABC" }),
    );
    let _: (String, String) = (input.when, input.id);
}

#[test]
fn integer_bounds_pick_the_narrowest_type() {
    let schema = served!("integer_bounds", "input");
    let input: IntegerBoundsInput = round_trip(
        &schema,
        json!({ "percent": 100, "days": 14, "port": 65535, "offset": -12, "positive": 1,
                "count": 0, "below": -1_000_000_000_000_i64, "any": i64::MAX,
                "temperature": -273.15 }),
    );
    let _: u8 = input.percent;
    let _: NonZeroU8 = input.days;
    let _: Option<NonZeroU16> = input.port;
    let _: Option<i8> = input.offset;
    let _: Option<NonZeroU64> = input.positive;
    let _: Option<u64> = input.count;
    let _: Option<i64> = input.below;
    let _: Option<f64> = input.temperature;
    // JSON Schema counts 3.0 as an integer; so does the type.
    let float: IntegerBoundsInput = decode_as(
        &schema,
        json!({ "percent": 50.0, "days": 3.0 }),
        &json!({ "percent": 50, "days": 3 }),
    );
    assert_eq!(float.days.get(), 3);
}

#[test]
fn references_anchors_and_pointers_share_one_type() {
    let schema = served!("refs_and_defs", "input");
    let money = json!({ "amount": 1.5, "currency": "EUR" });
    let input: RefsAndDefsInput = round_trip(
        &schema,
        json!({ "price": money, "fee": { "amount": 0.1, "currency": "USD" },
                "preferred": "JPY", "same_as_price": money }),
    );
    let price: RefsAndDefsInputMoney = input.price;
    assert!(matches!(price.currency, RefsAndDefsInputCurrency::Eur));
    let _: Option<RefsAndDefsInputMoney> = input.fee;
    let _: Option<RefsAndDefsInputMoney> = input.same_as_price;
    match input.preferred.expect("preferred given") {
        RefsAndDefsInputCurrency::Jpy => {}
        RefsAndDefsInputCurrency::Eur | RefsAndDefsInputCurrency::Usd => panic!("JPY expected"),
    }
}

#[test]
fn recursive_schemas_are_recursive_types() {
    let tree: RecursiveTreeInput = round_trip(
        &served!("recursive_tree", "input"),
        json!({ "tree": { "label": "root", "children": [
            { "label": "a", "children": [{ "label": "a1" }] }, { "label": "b" } ] } }),
    );
    let root: RecursiveTreeInputNode = tree.tree;
    let grandchild: &RecursiveTreeInputNode = &root.children[0].children[0];
    assert_eq!(grandchild.label, "a1");

    let folder: RecursiveRootInput = round_trip(
        &served!("recursive_root", "input"),
        json!({ "name": "/", "folders": [{ "name": "usr", "folders": [{ "name": "bin" }] }] }),
    );
    let usr: &RecursiveRootInput = &folder.folders[0];
    assert_eq!(usr.folders[0].name, "bin");

    let items: DynamicRefsInput = round_trip(
        &served!("dynamic_refs", "input"),
        json!({ "items": [{ "text": "one" }, { "text": "two" }] }),
    );
    let item: &DynamicRefsInputItem = &items.items[1];
    assert_eq!(item.text, "two");
}

#[test]
fn fixed_prefix_items_are_tuples_and_the_rest_values() {
    let schema = served!("tuples", "input");
    let input: TuplesInput = round_trip(
        &schema,
        json!({ "pair": ["apples", 3], "coordinates": [1, 2.5, 3],
                "header_then_rows": ["h", 1, 2.5], "same_everywhere": ["a", "b", "c"] }),
    );
    let pair: (String, i64) = input.pair;
    assert_eq!(pair, ("apples".to_owned(), 3));
    let _: Option<(f64, f64, f64)> = input.coordinates;
    let rows: Vec<Value> = input.header_then_rows;
    assert_eq!(rows[0], "h");
    let _: Vec<String> = input.same_everywhere;
}

#[test]
fn constraints_left_to_the_runtime_leave_plain_types() {
    let conditional: ConditionalFieldsInput = round_trip(
        &served!("conditional_fields", "input"),
        json!({ "country": "US", "state": "CA" }),
    );
    let _: Option<String> = conditional.postal_code;
    let _: ConditionalFieldsInput = round_trip(
        &served!("conditional_fields", "input"),
        json!({ "country": "FR", "postal_code": "75001" }),
    );
    let _: DependentFieldsInput = round_trip(
        &served!("dependent_fields", "input"),
        json!({ "card": "4111111111111111", "billing_address": "here", "coupon": "C" }),
    );
    let closed: ClosedObjectsInput = round_trip(
        &served!("closed_objects", "input"),
        json!({ "strict": { "a": "x" }, "extended": { "b": "1", "c": "2" } }),
    );
    let extended: ClosedObjectsInputExtended = closed.extended.expect("extended given");
    assert_eq!(
        (extended.b.as_deref(), extended.c.as_deref()),
        (Some("1"), Some("2"))
    );
    let checks: RuntimeChecksInput = round_trip(
        &served!("runtime_checks", "input"),
        json!({ "word": "hello", "numbers": [1, 11], "lowercase_keys": { "abc": 1 } }),
    );
    let _: HashMap<String, i64> = checks.lowercase_keys;
}

#[test]
fn unevaluated_properties_false_alone_closes_the_struct() {
    let strict = json!({ "strict": { "a": "x", "b": "y" } });
    let Value::Object(args) = strict else {
        unreachable!()
    };
    let refused: Result<ClosedObjectsInput, _> = tool_input(args);
    assert!(refused.is_err(), "deny_unknown_fields, as the schema says");
}

#[test]
fn pattern_properties_are_maps_or_extra_values() {
    let schema = served!("pattern_keys", "input");
    let input: PatternKeysInput = round_trip(
        &schema,
        json!({ "env": { "HOME": "/root", "PATH_X": "/bin" },
                "config": { "name": "n", "x-one": 1, "x-two": [true] } }),
    );
    let env: HashMap<String, String> = input.env;
    assert_eq!(env["HOME"], "/root");
    let config: PatternKeysInputConfig = input.config.expect("config given");
    let extra: Map<String, Value> = config.extra;
    assert_eq!(extra["x-two"], json!([true]));
}

#[test]
fn untyped_parts_are_values() {
    let schema = served!("untyped_parts", "input");
    let loose: UntypedPartsInput = round_trip(
        &schema,
        json!({ "settings": "a string is valid too", "level": "low", "payload": { "any": ["thing"] } }),
    );
    let settings: Value = loose.settings;
    assert_eq!(settings, "a string is valid too");
    let _: Option<Value> = loose.level;
    let typed: UntypedPartsInput = round_trip(
        &schema,
        json!({ "settings": { "verbose": true }, "level": 2 }),
    );
    assert_eq!(typed.level, Some(json!(2)));
}

#[test]
fn awkward_names_become_valid_fields() {
    let schema = served!("awkward_names", "input");
    let input: AwkwardNamesInput = round_trip(
        &schema,
        json!({ "operator": "+", "type": "t", "self": "s", "camelCase": "c", "with space": "w" }),
    );
    // The enum's values would have one Rust name: the second is numbered.
    assert_eq!(input.operator, Some(AwkwardNamesInputOperator::X));
    let minus: AwkwardNamesInput = round_trip(&schema, json!({ "operator": "-", "type": "t" }));
    assert_eq!(minus.operator, Some(AwkwardNamesInputOperator::X2));
    assert_eq!(
        (
            input.type_.as_str(),
            input.self_.as_deref(),
            input.camel_case.as_deref(),
            input.with_space.as_deref()
        ),
        ("t", Some("s"), Some("c"), Some("w"))
    );
}
