//! The conformance fixture: `specs/everything.yaml` implemented.
//!
//! Static resources, templated prompts and completion lists come from the manifest;
//! this file holds only what needs code.
//!
//! ```text
//! cargo run --release --example everything -- --http 127.0.0.1:3000
//! cargo run --release --example everything -- --stdio
//! ```

use std::time::Duration;

use base64::Engine as _;
use mcpgen::{
    CallToolResult, Completion, CompletionRequest, CompletionResult, Content, Context,
    CreateMessageParams, Elicitation, GetPromptResult, LogLevel, PromptMessage, PromptResult,
    ResourceContents, ResourceResult, ToolError, ToolResult,
};

mcpgen::include_server!("everything");

const RED_DOT_PNG: &[u8] = include_bytes!("../specs/everything/red-dot.png");
const SILENCE_WAV: &[u8] = include_bytes!("../specs/everything/silence.wav");

fn base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

struct Everything;

impl EverythingServer for Everything {
    async fn test_simple_text(&self, _ctx: &Context) -> ToolResult {
        Ok(CallToolResult::text(
            "This is a simple text response for testing.",
        ))
    }

    async fn test_image_content(&self, _ctx: &Context) -> ToolResult {
        Ok(Content::image(base64(RED_DOT_PNG), "image/png").into())
    }

    async fn test_audio_content(&self, _ctx: &Context) -> ToolResult {
        Ok(Content::audio(base64(SILENCE_WAV), "audio/wav").into())
    }

    async fn test_embedded_resource(&self, _ctx: &Context) -> ToolResult {
        Ok(Content::resource(ResourceContents::text(
            "test://embedded-resource",
            "text/plain",
            "This is an embedded resource content.",
        ))
        .into())
    }

    async fn test_multiple_content_types(&self, _ctx: &Context) -> ToolResult {
        Ok(CallToolResult::text("Multiple content types test:")
            .with(Content::image(base64(RED_DOT_PNG), "image/png"))
            .with(Content::resource(ResourceContents::text(
                "test://mixed-content-resource",
                "application/json",
                r#"{"test":"data","value":123}"#,
            ))))
    }

    async fn test_tool_with_logging(&self, ctx: &Context) -> ToolResult {
        ctx.log(LogLevel::Info, "Tool execution started").await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        ctx.log(LogLevel::Info, "Tool processing data").await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        ctx.log(LogLevel::Info, "Tool execution completed").await;
        Ok(CallToolResult::text(
            "Tool with logging executed successfully",
        ))
    }

    async fn test_error_handling(&self, _ctx: &Context) -> ToolResult {
        Err(ToolError::new(
            "This tool intentionally returns an error for testing",
        ))
    }

    async fn test_tool_with_progress(&self, ctx: &Context) -> ToolResult {
        for done in [0.0, 50.0, 100.0] {
            ctx.progress(done, Some(100.0), Some("working")).await;
            if done < 100.0 {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        Ok(CallToolResult::text("Progress tool completed"))
    }

    async fn test_sampling(&self, ctx: &Context, input: TestSamplingInput) -> ToolResult {
        let answer = ctx
            .create_message(CreateMessageParams::user_text(input.prompt, 100))
            .await?;
        let text = match answer.content {
            Content::Text { text, .. } => text,
            other => format!("{other:?}"),
        };
        Ok(CallToolResult::text(format!("LLM response: {text}")))
    }

    async fn test_elicitation(&self, ctx: &Context, input: TestElicitationInput) -> ToolResult {
        let text = match ctx.elicit_with_message::<UserInfo>(&input.message).await? {
            Elicitation::Accept(info) => {
                format!(
                    "User accepted: username={}, email={}",
                    info.username, info.email
                )
            }
            Elicitation::Decline => "User declined".to_owned(),
            Elicitation::Cancel => "User cancelled".to_owned(),
        };
        Ok(CallToolResult::text(text))
    }

    async fn test_elicitation_sep1034_defaults(&self, ctx: &Context) -> ToolResult {
        let text = match ctx.elicit::<DefaultsForm>().await? {
            Elicitation::Accept(form) => format!("Accepted: {form:?}"),
            Elicitation::Decline => "Declined".to_owned(),
            Elicitation::Cancel => "Cancelled".to_owned(),
        };
        Ok(CallToolResult::text(text))
    }

    async fn test_elicitation_sep1330_enums(&self, ctx: &Context) -> ToolResult {
        let text = match ctx.elicit::<EnumsForm>().await? {
            Elicitation::Accept(form) => format!("Accepted: {form:?}"),
            Elicitation::Decline => "Declined".to_owned(),
            Elicitation::Cancel => "Cancelled".to_owned(),
        };
        Ok(CallToolResult::text(text))
    }

    async fn json_schema_2020_12_tool(
        &self,
        _ctx: &Context,
        input: JsonSchema202012ToolInput,
    ) -> ToolResult {
        let received = serde_json::to_string(&input).map_err(|e| ToolError::new(e.to_string()))?;
        Ok(CallToolResult::text(format!("Received: {received}")))
    }

    async fn test_reconnection(&self, ctx: &Context) -> ToolResult {
        // Let the priming event out, then drop the connection; the client resumes
        // with GET and Last-Event-ID and receives the result from the stream's log.
        tokio::time::sleep(Duration::from_millis(100)).await;
        ctx.close_sse_stream();
        tokio::time::sleep(Duration::from_millis(200)).await;
        Ok(CallToolResult::text("Reconnection test completed"))
    }

    async fn add(&self, _ctx: &Context, input: AddInput) -> ToolResult<AddOutput> {
        Ok(AddOutput {
            sum: input.a + input.b,
        })
    }

    async fn read_server_time(&self, _ctx: &Context, uri: &str) -> ResourceResult {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        Ok(ResourceContents::text(uri, "text/plain", format!("{secs}")).into())
    }

    async fn read_items(&self, _ctx: &Context, uri: &str, vars: ItemsVariables) -> ResourceResult {
        Ok(ResourceContents::text(uri, "text/plain", format!("Item number {}", vars.n)).into())
    }

    async fn prompt_greeting(&self, _ctx: &Context, args: GreetingArguments) -> PromptResult {
        let text = match args.style.as_deref() {
            Some("formal") => format!("Good day, {}.", args.name),
            _ => format!("Hi {}!", args.name),
        };
        Ok(GetPromptResult {
            description: Some("A greeting".into()),
            messages: vec![PromptMessage::user(Content::text(text))],
        })
    }

    async fn complete_items_n(
        &self,
        _ctx: &Context,
        request: CompletionRequest,
    ) -> CompletionResult {
        let values = (1..=20)
            .map(|n| n.to_string())
            .filter(|n| n.starts_with(&request.value))
            .collect::<Vec<_>>();
        Ok(Completion::from(values))
    }
}

fn main() -> std::process::ExitCode {
    server(Everything).main()
}
