//! Checks shared by both transports, written against the [`Mcp`] trait. Each
//! takes an initialized client.

use base64::Engine as _;
use serde_json::{Value, json};

use super::{Exchange, LATEST, Mcp, first_text, manifest, reply};

const PNG_MAGIC: &[u8] = b"\x89PNG\r\n\x1a\n";

/// The tools of `specs/everything.yaml`, in the order it declares them.
pub const TOOLS: [&str; 38] = [
    "test_simple_text",
    "test_image_content",
    "test_audio_content",
    "test_embedded_resource",
    "test_multiple_content_types",
    "test_tool_with_logging",
    "test_error_handling",
    "test_tool_with_progress",
    "test_sampling",
    "test_elicitation",
    "test_elicitation_sep1034_defaults",
    "test_elicitation_sep1330_enums",
    "json_schema_2020_12_tool",
    "test_reconnection",
    "add",
    "test_missing_capability",
    "test_streaming_elicitation",
    "test_logging_tool",
    "test_trigger_tool_change",
    "test_trigger_prompt_change",
    "test_input_required_result_elicitation",
    "test_input_required_result_sampling",
    "test_input_required_result_list_roots",
    "test_input_required_result_request_state",
    "test_input_required_result_multiple_inputs",
    "test_input_required_result_multi_round",
    "test_input_required_result_tampered_state",
    "test_input_required_result_capabilities",
    "test_header_param",
    "greet",
    "slow_compute",
    "failing_job",
    "protocol_error_job",
    "confirm_delete",
    "multi_input",
    "test_tool_with_task",
    "test_three_questions",
    "test_request_origin",
];

fn at_least(version: &str, min: &str) -> bool {
    // Versions are dates: they order as strings.
    version >= min
}

fn decode(b64: &Value) -> Vec<u8> {
    let s = b64
        .as_str()
        .unwrap_or_else(|| panic!("not base64 text: {b64}"));
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .unwrap_or_else(|e| panic!("bad base64 ({e}): {s}"))
}

/// `ping` answers `{}`: the server is still serving.
pub async fn assert_serving(c: &mut impl Mcp) {
    assert_eq!(
        c.call("ping", json!({})).await,
        json!({}),
        "ping gives {{}}"
    );
}

/// Checks an `initialize` result negotiated at `version`.
pub fn check_initialize_result(result: &Value, version: &str) {
    assert_eq!(result["protocolVersion"], version);
    let caps = &result["capabilities"];
    for cap in ["tools", "resources", "prompts", "logging"] {
        assert!(caps.get(cap).is_some(), "capability {cap} missing: {caps}");
    }
    assert_eq!(caps["resources"]["subscribe"], true);
    if at_least(version, "2025-03-26") {
        assert!(
            caps.get("completions").is_some(),
            "completions missing: {caps}"
        );
    }
    assert_eq!(result["serverInfo"]["name"], "mcpgen-everything");
    assert_eq!(result["serverInfo"]["version"], "0.1.0");
    if at_least(version, "2025-06-18") {
        assert_eq!(result["serverInfo"]["title"], "mcpgen everything server");
    } else {
        assert!(result["serverInfo"].get("title").is_none());
    }
    assert_eq!(
        result["instructions"],
        "A test server exposing every kind of MCP item."
    );
}

/// `tools/list`: every tool of the manifest, with the fields the version allows.
pub async fn check_tools_list(c: &mut impl Mcp) {
    let v = c.version().to_owned();
    let result = c.call("tools/list", json!({})).await;
    let tools = result["tools"].as_array().expect("tools array");
    let names: Vec<&str> = tools.iter().filter_map(|t| t["name"].as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    let mut expected = TOOLS.to_vec();
    expected.sort_unstable();
    assert_eq!(sorted, expected, "the tools listed");
    assert!(
        result.get("nextCursor").is_none(),
        "one page holds them all"
    );
    for t in tools {
        let name = t["name"].as_str().unwrap_or_default();
        assert!(
            t["description"].as_str().is_some_and(|d| !d.is_empty()),
            "{name} has a description"
        );
        assert_eq!(t["inputSchema"]["type"], "object", "{name} inputSchema");
        if !at_least(&v, "2025-06-18") {
            for newer in ["title", "outputSchema", "icons"] {
                assert!(t.get(newer).is_none(), "{name} has `{newer}` at {v}");
            }
        }
        if !at_least(&v, "2025-03-26") {
            assert!(
                t.get("annotations").is_none(),
                "{name} has annotations at {v}"
            );
        }
    }
    let find = |n: &str| tools.iter().find(|t| t["name"] == n).expect("listed");
    let schema_tool = find("json_schema_2020_12_tool");
    assert_eq!(
        schema_tool["inputSchema"],
        manifest()["tools"]["json_schema_2020_12_tool"]["input"],
        "json_schema_2020_12_tool's inputSchema is the manifest's, verbatim"
    );
    assert_eq!(
        find("test_sampling")["inputSchema"]["required"],
        json!(["prompt"])
    );
    let add = find("add");
    if at_least(&v, "2025-06-18") {
        assert_eq!(add["title"], "Add");
        let out = &add["outputSchema"];
        assert_eq!(out["type"], "object", "add has an outputSchema: {add}");
        assert_eq!(out["properties"]["sum"]["type"], "number");
        assert_eq!(out["required"], json!(["sum"]));
    }
    if at_least(&v, "2025-03-26") {
        assert_eq!(add["annotations"]["readOnlyHint"], true);
    }
}

/// Calls every tool that needs no client input and checks what comes back.
pub async fn check_simple_tools(c: &mut impl Mcp) {
    let v = c.version().to_owned();

    // No `arguments` key at all, as the conformance suite sends it.
    let r = c
        .call("tools/call", json!({ "name": "test_simple_text" }))
        .await;
    assert_eq!(
        r["content"],
        json!([{ "type": "text", "text": "This is a simple text response for testing." }])
    );
    assert_ne!(r["isError"], true);

    let r = c.call_tool("test_image_content", json!({})).await;
    assert_eq!(r["content"][0]["type"], "image");
    assert_eq!(r["content"][0]["mimeType"], "image/png");
    assert!(decode(&r["content"][0]["data"]).starts_with(PNG_MAGIC));

    let r = c.call_tool("test_audio_content", json!({})).await;
    if at_least(&v, "2025-03-26") {
        assert_eq!(r["content"][0]["type"], "audio");
        assert_eq!(r["content"][0]["mimeType"], "audio/wav");
        assert!(decode(&r["content"][0]["data"]).starts_with(b"RIFF"));
    } else {
        assert_eq!(
            r["content"][0]["type"], "text",
            "audio becomes text before 2025-03-26: {r}"
        );
        assert!(!first_text(&r).is_empty());
    }

    let r = c.call_tool("test_embedded_resource", json!({})).await;
    assert_eq!(
        r["content"][0],
        json!({ "type": "resource", "resource": {
            "uri": "test://embedded-resource",
            "mimeType": "text/plain",
            "text": "This is an embedded resource content.",
        }})
    );

    let r = c.call_tool("test_multiple_content_types", json!({})).await;
    let kinds: Vec<&str> = r["content"]
        .as_array()
        .expect("content")
        .iter()
        .filter_map(|b| b["type"].as_str())
        .collect();
    assert_eq!(kinds, ["text", "image", "resource"]);
    assert_eq!(
        r["content"][2]["resource"],
        json!({ "uri": "test://mixed-content-resource", "mimeType": "application/json",
                "text": "{\"test\":\"data\",\"value\":123}" })
    );

    let r = c.call_tool("test_error_handling", json!({})).await;
    assert_eq!(r["isError"], true, "test_error_handling: {r}");
    assert!(first_text(&r).contains("intentionally"));

    let r = c.call_tool("add", json!({ "a": 2, "b": 3 })).await;
    assert_ne!(r["isError"], true, "add: {r}");
    if at_least(&v, "2025-06-18") {
        let structured = r["structuredContent"]
            .as_object()
            .expect("structuredContent");
        assert_eq!(structured.len(), 1, "{r}");
        assert_eq!(structured["sum"].as_f64(), Some(5.0), "{r}");
    } else {
        assert!(r.get("structuredContent").is_none());
    }
    assert!(
        first_text(&r).contains('5'),
        "add's text holds the sum: {r}"
    );

    let r = c
        .call_tool(
            "json_schema_2020_12_tool",
            json!({ "name": "Ada", "contactMethod": "email", "email": "ada@example.com" }),
        )
        .await;
    assert_ne!(r["isError"], true, "valid 2020-12 input: {r}");
    assert!(first_text(&r).contains("ada@example.com"));
    let r = c
        .call_tool(
            "json_schema_2020_12_tool",
            json!({ "contactMethod": "phone", "email": "ada@example.com" }),
        )
        .await;
    assert_eq!(r["isError"], true, "if/then requires phone: {r}");
}

/// The resource methods.
pub async fn check_resources(c: &mut impl Mcp) {
    let v = c.version().to_owned();
    let r = c.call("resources/list", json!({})).await;
    let listed = r["resources"].as_array().expect("resources");
    let uris: Vec<&str> = listed.iter().filter_map(|x| x["uri"].as_str()).collect();
    for uri in [
        "test://static-text",
        "test://static-binary",
        "test://watched-resource",
        "test://server-time",
    ] {
        assert!(uris.contains(&uri), "{uri} listed: {uris:?}");
    }
    let text_entry = listed
        .iter()
        .find(|x| x["uri"] == "test://static-text")
        .expect("listed");
    assert_eq!(text_entry["name"], "static-text");
    assert_eq!(text_entry["mimeType"], "text/plain");
    if at_least(&v, "2025-06-18") {
        assert_eq!(text_entry["title"], "Static text");
    } else {
        assert!(text_entry.get("title").is_none());
    }

    let r = c.call("resources/templates/list", json!({})).await;
    let templates: Vec<&str> = r["resourceTemplates"]
        .as_array()
        .expect("resourceTemplates")
        .iter()
        .filter_map(|t| t["uriTemplate"].as_str())
        .collect();
    assert!(
        templates.contains(&"test://template/{id}/data"),
        "{templates:?}"
    );
    assert!(templates.contains(&"test://items/{n}"), "{templates:?}");

    let read = |uri: &str| json!({ "uri": uri });
    let r = c.call("resources/read", read("test://static-text")).await;
    assert_eq!(
        r["contents"],
        json!([{ "uri": "test://static-text", "mimeType": "text/plain",
                 "text": "This is the content of the static text resource." }])
    );

    let r = c.call("resources/read", read("test://static-binary")).await;
    assert_eq!(r["contents"][0]["uri"], "test://static-binary");
    assert_eq!(r["contents"][0]["mimeType"], "image/png");
    assert!(decode(&r["contents"][0]["blob"]).starts_with(PNG_MAGIC));

    let r = c
        .call("resources/read", read("test://template/123/data"))
        .await;
    assert_eq!(r["contents"][0]["uri"], "test://template/123/data");
    assert_eq!(r["contents"][0]["mimeType"], "application/json");
    let text = r["contents"][0]["text"].as_str().expect("text");
    assert!(text.contains("123"), "{text}");
    assert_eq!(
        serde_json::from_str::<Value>(text).expect("JSON text"),
        json!({ "id": "123", "templateTest": true, "data": "Data for ID: 123" })
    );

    let r = c.call("resources/read", read("test://items/7")).await;
    assert_eq!(
        r["contents"],
        json!([{ "uri": "test://items/7", "mimeType": "text/plain", "text": "Item number 7" }])
    );

    let r = c.call("resources/read", read("test://server-time")).await;
    let secs: u64 = r["contents"][0]["text"]
        .as_str()
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("server-time: {r}"));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    assert!(secs.abs_diff(now) < 60, "server-time {secs} vs now {now}");

    for uri in ["test://nonexistent", "test://items/seven"] {
        let e = c.exchange("resources/read", read(uri)).await;
        assert_eq!(e.error_code(), -32002, "unknown resource {uri}");
        assert_eq!(e.error()["data"]["uri"], uri, "data.uri of {uri}");
    }
    let e = c.exchange("resources/read", json!({})).await;
    assert_eq!(e.error_code(), -32602, "resources/read without uri");

    for method in ["resources/subscribe", "resources/unsubscribe"] {
        let r = c.call(method, read("test://watched-resource")).await;
        assert_eq!(r, json!({}), "{method}");
    }
}

/// The prompt methods.
pub async fn check_prompts(c: &mut impl Mcp) {
    let r = c.call("prompts/list", json!({})).await;
    let prompts = r["prompts"].as_array().expect("prompts");
    let mut names: Vec<&str> = prompts.iter().filter_map(|p| p["name"].as_str()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "greeting",
            "test_input_required_result_prompt",
            "test_prompt_with_arguments",
            "test_prompt_with_embedded_resource",
            "test_prompt_with_image",
            "test_simple_prompt",
        ]
    );
    for p in prompts {
        assert!(
            p["description"].as_str().is_some_and(|d| !d.is_empty()),
            "prompt description: {p}"
        );
    }
    let with_args = prompts
        .iter()
        .find(|p| p["name"] == "test_prompt_with_arguments")
        .expect("listed");
    let args = with_args["arguments"].as_array().expect("arguments");
    assert_eq!(args.len(), 2);
    assert!(args.iter().all(|a| a["required"] == true), "{args:?}");

    let get = |name: &str, arguments: Value| json!({ "name": name, "arguments": arguments });
    let r = c
        .call("prompts/get", json!({ "name": "test_simple_prompt" }))
        .await;
    assert_eq!(
        r["messages"],
        json!([{ "role": "user", "content": { "type": "text", "text": "This is a simple prompt for testing." } }])
    );

    let r = c
        .call(
            "prompts/get",
            get(
                "test_prompt_with_arguments",
                json!({ "arg1": "testValue1", "arg2": "testValue2" }),
            ),
        )
        .await;
    assert_eq!(
        r["messages"][0]["content"]["text"],
        "Prompt with arguments: arg1='testValue1', arg2='testValue2'"
    );

    let e = c
        .exchange(
            "prompts/get",
            get("test_prompt_with_arguments", json!({ "arg1": "only" })),
        )
        .await;
    assert_eq!(e.error_code(), -32602, "missing required arg2");
    let e = c
        .exchange("prompts/get", get("no_such_prompt", json!({})))
        .await;
    assert_eq!(e.error_code(), -32602, "unknown prompt");

    let r = c
        .call(
            "prompts/get",
            get(
                "test_prompt_with_embedded_resource",
                json!({ "resourceUri": "test://example-resource" }),
            ),
        )
        .await;
    assert_eq!(
        r["messages"][0],
        json!({ "role": "user", "content": { "type": "resource", "resource": {
            "uri": "test://example-resource", "mimeType": "text/plain",
            "text": "Embedded resource content for testing." } } })
    );
    assert_eq!(
        r["messages"][1]["content"]["text"],
        "Please process the embedded resource above."
    );

    let r = c
        .call("prompts/get", get("test_prompt_with_image", json!({})))
        .await;
    let image = &r["messages"][0]["content"];
    assert_eq!(image["type"], "image");
    assert_eq!(image["mimeType"], "image/png");
    assert!(decode(&image["data"]).starts_with(PNG_MAGIC));
    assert_eq!(
        r["messages"][1]["content"]["text"],
        "Please analyze the image above."
    );

    let r = c
        .call(
            "prompts/get",
            get("greeting", json!({ "name": "Ada", "style": "formal" })),
        )
        .await;
    assert_eq!(r["messages"][0]["content"]["text"], "Good day, Ada.");
    let r = c
        .call("prompts/get", get("greeting", json!({ "name": "Ada" })))
        .await;
    assert_eq!(r["messages"][0]["content"]["text"], "Hi Ada!");
}

fn completion_values(r: &Value) -> Vec<&str> {
    r["completion"]["values"]
        .as_array()
        .unwrap_or_else(|| panic!("completion.values: {r}"))
        .iter()
        .map(|v| v.as_str().expect("string values"))
        .collect()
}

/// `completion/complete` for a prompt argument and a template variable.
pub async fn check_completion(c: &mut impl Mcp) {
    let r = c
        .call(
            "completion/complete",
            json!({ "ref": { "type": "ref/prompt", "name": "test_prompt_with_arguments" },
                    "argument": { "name": "arg1", "value": "te" } }),
        )
        .await;
    let values = completion_values(&r);
    assert!(!values.is_empty(), "completions for `te`");
    assert!(values.iter().all(|v| v.starts_with("te")), "{values:?}");
    assert!(values.contains(&"test") && !values.contains(&"other"));

    let r = c
        .call(
            "completion/complete",
            json!({ "ref": { "type": "ref/resource", "uri": "test://items/{n}" },
                    "argument": { "name": "n", "value": "1" } }),
        )
        .await;
    let values = completion_values(&r);
    assert!(
        values.contains(&"1") && values.contains(&"10"),
        "{values:?}"
    );
    assert!(values.iter().all(|v| v.starts_with('1')), "{values:?}");

    let r = c
        .call(
            "completion/complete",
            json!({ "ref": { "type": "ref/prompt", "name": "greeting" },
                    "argument": { "name": "style", "value": "" } }),
        )
        .await;
    assert_eq!(completion_values(&r), ["formal", "casual"]);

    let e = c
        .exchange(
            "completion/complete",
            json!({ "ref": { "type": "ref/prompt", "name": "nope" },
                    "argument": { "name": "x", "value": "" } }),
        )
        .await;
    assert_eq!(e.error_code(), -32602, "completion for an unknown prompt");
}

/// `logging/setLevel`: debug lets the tool's three info logs through (before the
/// response), error silences them, an unknown level is -32602.
pub async fn check_logging(c: &mut impl Mcp) {
    let r = c
        .call("logging/setLevel", json!({ "level": "debug" }))
        .await;
    assert_eq!(r, json!({}), "setLevel gives exactly {{}}");
    let e = c
        .exchange(
            "tools/call",
            json!({ "name": "test_tool_with_logging", "arguments": {} }),
        )
        .await;
    assert_eq!(
        first_text(e.result()),
        "Tool with logging executed successfully"
    );
    let logs = e.notifications_named("notifications/message");
    assert_eq!(logs.len(), 3, "three logs before the response: {logs:?}");
    let data: Vec<&Value> = logs.iter().map(|n| &n["params"]["data"]).collect();
    assert_eq!(
        data,
        [
            "Tool execution started",
            "Tool processing data",
            "Tool execution completed"
        ]
    );
    assert!(logs.iter().all(|n| n["params"]["level"] == "info"));

    assert_eq!(
        c.call("logging/setLevel", json!({ "level": "error" }))
            .await,
        json!({})
    );
    let e = c
        .exchange(
            "tools/call",
            json!({ "name": "test_tool_with_logging", "arguments": {} }),
        )
        .await;
    assert!(
        e.notifications_named("notifications/message").is_empty(),
        "no info logs at level error: {:?}",
        e.notifications
    );

    let e = c
        .exchange("logging/setLevel", json!({ "level": "loud" }))
        .await;
    assert_eq!(e.error_code(), -32602, "unknown log level");
    let e = c.exchange("logging/setLevel", json!({})).await;
    assert_eq!(e.error_code(), -32602, "missing log level");
    assert_serving(c).await;
}

/// Progress notifications carry the request's token, before the response.
pub async fn check_progress(c: &mut impl Mcp) {
    let e = c
        .exchange(
            "tools/call",
            json!({ "name": "test_tool_with_progress", "arguments": {},
                    "_meta": { "progressToken": "progress-test-1" } }),
        )
        .await;
    assert_eq!(first_text(e.result()), "Progress tool completed");
    let progress = e.notifications_named("notifications/progress");
    assert_eq!(
        progress.len(),
        3,
        "three progress notifications: {progress:?}"
    );
    let values: Vec<f64> = progress
        .iter()
        .map(|n| {
            assert_eq!(n["params"]["progressToken"], "progress-test-1");
            assert_eq!(n["params"]["total"].as_f64(), Some(100.0));
            n["params"]["progress"].as_f64().expect("progress")
        })
        .collect();
    assert!(values.windows(2).all(|w| w[0] <= w[1]), "{values:?}");
    assert_eq!(values, [0.0, 50.0, 100.0]);

    // An integer token works too; without a token nothing is sent.
    let e = c
        .exchange(
            "tools/call",
            json!({ "name": "test_tool_with_progress", "_meta": { "progressToken": 7 } }),
        )
        .await;
    let progress = e.notifications_named("notifications/progress");
    assert_eq!(progress.len(), 3);
    assert!(progress.iter().all(|n| n["params"]["progressToken"] == 7));
    let e = c
        .exchange("tools/call", json!({ "name": "test_tool_with_progress" }))
        .await;
    assert!(
        e.notifications_named("notifications/progress").is_empty(),
        "no token, no progress: {:?}",
        e.notifications
    );
}

/// `test_sampling` with a client that has the sampling capability.
pub async fn check_sampling(c: &mut impl Mcp) {
    let mut seen = Vec::new();
    let mut responder = |r: &Value| -> Value {
        seen.push(r.clone());
        assert_eq!(r["method"], "sampling/createMessage");
        assert!(
            r["id"].as_str().is_some_and(|id| id.starts_with("srv-")),
            "a string id srv-N: {r}"
        );
        let msg = &r["params"]["messages"][0];
        assert_eq!(msg["role"], "user");
        assert_eq!(msg["content"]["text"], "Test prompt for sampling");
        assert_eq!(r["params"]["maxTokens"], 100);
        reply(
            r,
            json!({ "role": "assistant", "model": "test-model", "stopReason": "endTurn",
                    "content": { "type": "text", "text": "This is a test response from the client" } }),
        )
    };
    let e = c
        .exchange_with(
            "tools/call",
            json!({ "name": "test_sampling", "arguments": { "prompt": "Test prompt for sampling" } }),
            &mut responder,
        )
        .await;
    assert_eq!(seen.len(), 1, "one sampling request");
    let r = e.result();
    assert_ne!(r["isError"], true, "{r}");
    assert_eq!(
        first_text(r),
        "LLM response: This is a test response from the client"
    );

    // The client says no: the tool reports an error result.
    let mut refuse = |r: &Value| -> Value {
        json!({ "jsonrpc": "2.0", "id": r["id"].clone(),
                "error": { "code": -1, "message": "User rejected sampling request" } })
    };
    let e = c
        .exchange_with(
            "tools/call",
            json!({ "name": "test_sampling", "arguments": { "prompt": "again" } }),
            &mut refuse,
        )
        .await;
    assert_eq!(e.server_requests.len(), 1);
    assert_eq!(
        e.result()["isError"],
        true,
        "a refused sampling: {:?}",
        e.response
    );
}

/// `test_sampling` with a client without the sampling capability: an error
/// result and no request to the client.
pub async fn check_sampling_without_capability(c: &mut impl Mcp) {
    let e = c
        .exchange(
            "tools/call",
            json!({ "name": "test_sampling", "arguments": { "prompt": "hi" } }),
        )
        .await;
    assert!(e.server_requests.is_empty());
    assert_eq!(e.result()["isError"], true, "{:?}", e.response);
    assert!(!first_text(e.result()).is_empty());
}

fn accept(request: &Value, content: Value) -> Value {
    reply(request, json!({ "action": "accept", "content": content }))
}

/// The three elicitation tools (2025-06-18 on).
pub async fn check_elicitation(c: &mut impl Mcp) {
    let latest = c.version() == LATEST;
    let mut responder = |r: &Value| -> Value {
        assert_eq!(r["method"], "elicitation/create");
        let p = &r["params"];
        assert_eq!(p["message"], "Please provide your information");
        if latest {
            assert_eq!(p["mode"], "form");
        }
        let schema = &p["requestedSchema"];
        assert_eq!(schema["type"], "object");
        assert_eq!(schema["properties"]["username"]["type"], "string");
        assert_eq!(schema["properties"]["email"]["type"], "string");
        assert_eq!(schema["required"], json!(["username", "email"]));
        accept(
            r,
            json!({ "username": "testuser", "email": "test@example.com" }),
        )
    };
    let e = c
        .exchange_with(
            "tools/call",
            json!({ "name": "test_elicitation",
                    "arguments": { "message": "Please provide your information" } }),
            &mut responder,
        )
        .await;
    assert_eq!(e.server_requests.len(), 1);
    let text = first_text(e.result());
    assert!(
        text.contains("testuser") && text.contains("test@example.com"),
        "{text}"
    );

    let mut decline = |r: &Value| -> Value { reply(r, json!({ "action": "decline" })) };
    let e = c
        .exchange_with(
            "tools/call",
            json!({ "name": "test_elicitation", "arguments": { "message": "m" } }),
            &mut decline,
        )
        .await;
    assert_eq!(first_text(e.result()), "User declined");

    let mut defaults = |r: &Value| -> Value {
        let props = &r["params"]["requestedSchema"]["properties"];
        if latest {
            assert_eq!(
                props["name"],
                json!({ "type": "string", "default": "John Doe" })
            );
            assert_eq!(props["age"]["type"], "integer");
            assert_eq!(props["age"]["default"], 30);
            assert_eq!(props["score"]["type"], "number");
            assert_eq!(props["score"]["default"], 95.5);
            assert_eq!(props["status"]["default"], "active");
            assert_eq!(
                props["status"]["enum"],
                json!(["active", "inactive", "pending"])
            );
            assert_eq!(props["verified"]["type"], "boolean");
            assert_eq!(props["verified"]["default"], true);
        }
        accept(
            r,
            json!({ "name": "Jane Smith", "age": 25, "score": 88.0,
                    "status": "inactive", "verified": false }),
        )
    };
    let e = c
        .exchange_with(
            "tools/call",
            json!({ "name": "test_elicitation_sep1034_defaults" }),
            &mut defaults,
        )
        .await;
    let text = first_text(e.result());
    assert!(
        text.starts_with("Accepted") && text.contains("Jane Smith"),
        "{text}"
    );

    if latest {
        let mut enums = |r: &Value| -> Value {
            let props = &r["params"]["requestedSchema"]["properties"];
            assert_eq!(
                props["untitledSingle"],
                json!({ "type": "string", "enum": ["option1", "option2", "option3"] })
            );
            assert_eq!(props["titledSingle"]["oneOf"][0]["const"], "value1");
            assert_eq!(props["titledSingle"]["oneOf"][0]["title"], "First Option");
            assert!(props["titledSingle"].get("enum").is_none());
            assert_eq!(
                props["legacyEnum"]["enumNames"],
                json!(["Option One", "Option Two", "Option Three"])
            );
            assert_eq!(props["untitledMulti"]["type"], "array");
            assert_eq!(props["untitledMulti"]["items"]["enum"][0], "option1");
            assert_eq!(
                props["titledMulti"]["items"]["anyOf"][2]["title"],
                "Third Choice"
            );
            accept(
                r,
                json!({ "untitledSingle": "option2", "titledSingle": "value3",
                        "legacyEnum": "opt1", "untitledMulti": ["option1", "option3"],
                        "titledMulti": ["value2"] }),
            )
        };
        let e = c
            .exchange_with(
                "tools/call",
                json!({ "name": "test_elicitation_sep1330_enums" }),
                &mut enums,
            )
            .await;
        let text = first_text(e.result());
        assert!(
            text.starts_with("Accepted") && text.contains("option3"),
            "{text}"
        );
    }
}

/// Tool input that fails the tool's JSON schema is an `isError` result naming
/// the failing path.
pub async fn check_invalid_tool_input(c: &mut impl Mcp) {
    let r = c.call_tool("test_sampling", json!({ "prompt": 5 })).await;
    assert_eq!(r["isError"], true, "{r}");
    assert!(first_text(&r).contains("/prompt"), "names /prompt: {r}");
    let r = c.call_tool("test_sampling", json!({})).await;
    assert_eq!(r["isError"], true, "{r}");
    assert!(first_text(&r).contains("prompt"), "names prompt: {r}");
    let r = c.call_tool("add", json!({ "a": 1, "b": "two" })).await;
    assert_eq!(r["isError"], true, "{r}");
    assert!(first_text(&r).contains("/b"), "names /b: {r}");
    assert_serving(c).await;
}

/// Bad `tools/call` params are -32602 errors, and the server keeps serving.
pub async fn check_bad_params(c: &mut impl Mcp) {
    let cases = [
        ("tools/call without name", json!({ "arguments": {} })),
        ("tools/call with a numeric name", json!({ "name": 5 })),
        (
            "unknown tool",
            json!({ "name": "no_such_tool", "arguments": {} }),
        ),
        (
            "arguments not an object",
            json!({ "name": "add", "arguments": [1, 2] }),
        ),
    ];
    for (what, params) in cases {
        let e: Exchange = c.exchange("tools/call", params).await;
        assert_eq!(e.error_code(), -32602, "{what}: {:?}", e.response);
        assert_serving(c).await;
    }
    let e = c.exchange("no/such/method", json!({})).await;
    assert_eq!(e.error_code(), -32601, "unknown method");
    assert_serving(c).await;
}

/// The whole read-only surface at the client's version.
pub async fn check_basic_flow(c: &mut impl Mcp) {
    check_tools_list(c).await;
    check_simple_tools(c).await;
    check_resources(c).await;
    check_prompts(c).await;
    check_completion(c).await;
    assert_serving(c).await;
}
