//! Implements every kind of item that needs code (tools with and without input and
//! output, a dynamic resource, a coded template with typed variables, a coded
//! prompt, coded completions, an elicitation form) and serves the server.

include!("../../../codegen/goldens/generated/ui_kinds.rs");

use mcpgen::{
    CallToolResult, Completion, CompletionRequest, CompletionResult, Content, Context, Elicitation,
    GetPromptResult, PromptMessage, PromptResult, ResourceContents, ResourceResult, ToolResult,
};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

struct Kinds;

impl UiKindsServer for Kinds {
    async fn ping(&self, _ctx: &Context) -> ToolResult {
        Ok(CallToolResult::text("pong"))
    }

    async fn echo(&self, _ctx: &Context, input: EchoInput) -> ToolResult {
        Ok(CallToolResult::text(input.text))
    }

    async fn add(&self, _ctx: &Context, input: AddInput) -> ToolResult<AddOutput> {
        Ok(AddOutput {
            sum: input.a + input.b,
        })
    }

    async fn confirm(&self, ctx: &Context) -> ToolResult {
        let answer = match ctx.elicit::<Confirmation>().await? {
            Elicitation::Accept(Confirmation { proceed }) => format!("proceed: {proceed}"),
            Elicitation::Decline | Elicitation::Cancel => "stopped".to_owned(),
        };
        Ok(CallToolResult::text(answer))
    }

    async fn read_clock(&self, _ctx: &Context, uri: &str) -> ResourceResult {
        Ok(ResourceContents::text(uri, "text/plain", "12:00").into())
    }

    async fn read_item(&self, _ctx: &Context, uri: &str, vars: ItemVariables) -> ResourceResult {
        let id: i64 = vars.id;
        let verbose: bool = vars.verbose;
        let text = if verbose {
            format!("item {id}, in detail")
        } else {
            format!("item {id}")
        };
        Ok(ResourceContents::text(uri, "text/plain", text).into())
    }

    async fn prompt_review(&self, _ctx: &Context, args: ReviewArguments) -> PromptResult {
        let focus: Option<String> = args.focus;
        let text = format!(
            "Review this {} code for {}.",
            args.language,
            focus.as_deref().unwrap_or("anything")
        );
        Ok(GetPromptResult {
            description: None,
            messages: vec![PromptMessage::user(Content::text(text))],
        })
    }

    async fn complete_review_language(
        &self,
        _ctx: &Context,
        request: CompletionRequest,
    ) -> CompletionResult {
        let values = ["rust", "ruby", "python"]
            .into_iter()
            .filter(|l| l.starts_with(&request.value))
            .map(str::to_owned)
            .collect::<Vec<_>>();
        Ok(Completion::from(values))
    }

    async fn complete_item_id(
        &self,
        _ctx: &Context,
        _request: CompletionRequest,
    ) -> CompletionResult {
        Ok(Completion::from(vec!["1".to_owned(), "2".to_owned()]))
    }
}

/// Sends each request over the stdio framing and returns the answers by id.
async fn exchange(requests: &[Value]) -> Vec<Value> {
    let (client, server_end) = tokio::io::duplex(1 << 16);
    let (input, output) = tokio::io::split(server_end);
    let serving = tokio::spawn(server(Kinds).serve_io(input, output));
    let (client_read, mut client_write) = tokio::io::split(client);
    for request in requests {
        let line = format!("{request}\n");
        client_write
            .write_all(line.as_bytes())
            .await
            .expect("write");
    }
    let mut lines = BufReader::new(client_read).lines();
    let expected = requests.iter().filter(|r| r.get("id").is_some()).count();
    let mut answers = Vec::new();
    while answers.len() < expected {
        let line = lines.next_line().await.expect("read").expect("an answer");
        let message: Value = serde_json::from_str(&line).expect("JSON");
        if message.get("id").is_some() {
            answers.push(message);
        }
    }
    // The end of input (a dropped half of a split duplex is not one).
    client_write.shutdown().await.expect("shutdown");
    serving.await.expect("served").expect("no I/O error");
    answers.sort_by_key(|a| a["id"].as_i64());
    answers
}

#[tokio::main]
async fn main() {
    let call = |id: i64, method: &str, params: Value| json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params });
    let exchange =
        |requests| tokio::time::timeout(std::time::Duration::from_secs(30), exchange(requests));
    let answers = exchange(&[
        call(
            1,
            "initialize",
            json!({
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": { "name": "trybuild", "version": "0" }
            }),
        ),
        json!({ "jsonrpc": "2.0", "method": "notifications/initialized" }),
        call(
            2,
            "tools/call",
            json!({ "name": "add", "arguments": { "a": 2, "b": 3 } }),
        ),
        call(
            3,
            "tools/call",
            json!({ "name": "echo", "arguments": { "text": "hi" } }),
        ),
        call(4, "tools/call", json!({ "name": "ping" })),
        call(
            5,
            "resources/read",
            json!({ "uri": "kinds://items/7/true" }),
        ),
        call(
            6,
            "prompts/get",
            json!({ "name": "review", "arguments": { "language": "Rust" } }),
        ),
        call(
            7,
            "completion/complete",
            json!({
                "ref": { "type": "ref/prompt", "name": "review" },
                "argument": { "name": "language", "value": "ru" }
            }),
        ),
        call(8, "resources/read", json!({ "uri": "kinds://clock" })),
        // The client declared no elicitation capability: the handler's `?` turns
        // that into a tool error.
        call(9, "tools/call", json!({ "name": "confirm" })),
    ])
    .await
    .expect("answers within 30 s");
    assert_eq!(answers.len(), 9, "{answers:#?}");
    assert_eq!(
        answers[1]["result"]["structuredContent"],
        json!({ "sum": 5 })
    );
    assert_eq!(answers[2]["result"]["content"][0]["text"], "hi");
    assert_eq!(answers[3]["result"]["content"][0]["text"], "pong");
    assert_eq!(
        answers[4]["result"]["contents"][0]["text"],
        "item 7, in detail"
    );
    assert_eq!(
        answers[5]["result"]["messages"][0]["content"]["text"],
        "Review this Rust code for anything."
    );
    assert_eq!(
        answers[6]["result"]["completion"]["values"],
        json!(["rust", "ruby"])
    );
    assert_eq!(answers[7]["result"]["contents"][0]["text"], "12:00");
    assert_eq!(answers[8]["result"]["isError"], true, "{:#}", answers[8]);
}
