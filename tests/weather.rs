//! End-to-end test of the weather example (`specs/weather.yaml`, the server the
//! README shows): typed input with defaults, structured output, a file resource, a
//! coded template, a templated prompt, completions. Every message is validated
//! against the schema of the negotiated version.

mod common;

use common::stdio::StdioClient;
use common::{LATEST, Mcp, first_text};
use serde_json::json;

#[tokio::test]
async fn the_weather_server_serves_its_manifest() {
    let mut c = StdioClient::spawn_example("weather").await;
    let init = c.initialize(LATEST, json!({})).await;
    assert_eq!(init["serverInfo"]["name"], "weather");

    let tools = c.call("tools/list", json!({})).await;
    let tool = &tools["tools"][0];
    assert_eq!(tool["name"], "get_forecast");
    assert_eq!(tool["inputSchema"]["properties"]["days"]["default"], 3);
    assert_eq!(tool["annotations"]["readOnlyHint"], true);

    // `days` omitted: the schema's default (3) reaches the handler.
    let r = c
        .call_tool("get_forecast", json!({ "city": "Paris" }))
        .await;
    let out = &r["structuredContent"];
    assert_eq!(out["city"], "Paris");
    assert_eq!(out["days"].as_array().map(Vec::len), Some(3), "{r}");
    let text: serde_json::Value = serde_json::from_str(first_text(&r)).unwrap();
    assert_eq!(&text, out, "the text block renders the structured content");

    let c_high = r["structuredContent"]["days"][0]["high"].as_f64().unwrap();
    let f = c
        .call_tool(
            "get_forecast",
            json!({ "city": "Paris", "days": 1, "units": "fahrenheit" }),
        )
        .await;
    let f_high = f["structuredContent"]["days"][0]["high"].as_f64().unwrap();
    assert!((f_high - (c_high * 9.0 / 5.0 + 32.0)).abs() < 1e-9, "{f}");

    let bad = c
        .call_tool("get_forecast", json!({ "city": "", "days": 20 }))
        .await;
    assert_eq!(bad["isError"], true);
    let message = first_text(&bad);
    assert!(
        message.contains("/city") && message.contains("/days"),
        "{message}"
    );

    let stations = c
        .call("resources/read", json!({ "uri": "weather://stations" }))
        .await;
    let body: serde_json::Value =
        serde_json::from_str(stations["contents"][0]["text"].as_str().unwrap()).unwrap();
    assert_eq!(body["stations"][1]["city"], "Paris");

    let current = c
        .call("resources/read", json!({ "uri": "weather://Oslo/current" }))
        .await;
    assert!(
        current["contents"][0]["text"]
            .as_str()
            .unwrap()
            .starts_with("Oslo: ")
    );

    let prompt = c
        .call(
            "prompts/get",
            json!({ "name": "packing_list", "arguments": { "city": "Oslo", "days": "4" } }),
        )
        .await;
    let text = prompt["messages"][0]["content"]["text"].as_str().unwrap();
    assert!(text.contains("Oslo for 4 days"), "{text}");

    let done = c
        .call(
            "completion/complete",
            json!({ "ref": { "type": "ref/resource", "uri": "weather://{city}/current" },
                    "argument": { "name": "city", "value": "lo" } }),
        )
        .await;
    assert_eq!(
        done["completion"]["values"],
        json!(["London"]),
        "prefix match, any case"
    );
}
