//! The conformance fixture: `specs/everything.yaml` implemented, shared by the
//! examples that serve it (`everything.rs` standalone, `axum.rs` inside an axum app)
//! with `#[path = "shared/everything.rs"] pub mod everything;`. Cargo does not take
//! this directory for an example of its own.
//!
//! Static resources, templated prompts and completion lists come from the manifest;
//! this file holds only what needs code.

use std::time::Duration;

use base64::Engine as _;
use mcpgen::{
    CallToolResult, ClientError, Completion, CompletionRequest, CompletionResult, Content, Context,
    CreateMessageParams, Elicitation, GetPromptResult, LogLevel, PromptMessage, PromptResult,
    RequestError, ResourceContents, ResourceResult, Root, ToolError, ToolResult,
};

mcpgen::include_server!("everything");

const RED_DOT_PNG: &[u8] = include_bytes!("../../specs/everything/red-dot.png");
const SILENCE_WAV: &[u8] = include_bytes!("../../specs/everything/silence.wav");

fn base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The text of a model's answer, or a description of what else it sent.
fn text_of(content: &Content) -> String {
    match content {
        Content::Text { text, .. } => text.clone(),
        other => format!("{other:?}"),
    }
}

/// The name the user gave, or a stand-in when they would not say.
fn name_or_friend(answer: Elicitation<UserName>) -> String {
    match answer {
        Elicitation::Accept(user) => user.name,
        Elicitation::Decline | Elicitation::Cancel => "friend".to_owned(),
    }
}

/// `Test Root (file:///test/root), …`.
fn describe_roots(roots: &[Root]) -> String {
    roots
        .iter()
        .map(|root| match &root.name {
            Some(name) => format!("{name} ({})", root.uri),
            None => root.uri.clone(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// What an HTTP layer outside the MCP endpoint tells handlers about a request: the
/// axum example puts one in every request's extensions, where `test_request_origin`
/// reads it (`Context::extensions`), with the client's address (`Context::client_addr`).
/// The standalone server has no origin, but knows the address.
#[derive(Clone, Debug)]
pub struct RequestOrigin {
    /// The app that served the request.
    pub app: &'static str,
}

/// The handler of every tool, resource template, prompt and completion that needs code.
pub struct Everything;

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

    async fn test_missing_capability(&self, ctx: &Context) -> ToolResult {
        let answer = ctx
            .create_message(CreateMessageParams::user_text("Say hello.", 20))
            .await?;
        Ok(CallToolResult::text(format!(
            "Success: {}",
            text_of(&answer.content)
        )))
    }

    async fn test_streaming_elicitation(&self, ctx: &Context) -> ToolResult {
        let name = name_or_friend(ctx.elicit::<UserName>().await?);
        Ok(CallToolResult::text(format!("Hello, {name}!")))
    }

    async fn test_logging_tool(&self, ctx: &Context) -> ToolResult {
        ctx.log(LogLevel::Info, "Diagnostic trace logging activated")
            .await;
        Ok(CallToolResult::text("Logging evaluated"))
    }

    async fn test_trigger_tool_change(&self, ctx: &Context) -> ToolResult {
        ctx.notify_tools_changed();
        Ok(CallToolResult::text("The tools list changed"))
    }

    async fn test_trigger_prompt_change(&self, ctx: &Context) -> ToolResult {
        ctx.notify_prompts_changed();
        Ok(CallToolResult::text("The prompts list changed"))
    }

    async fn test_input_required_result_elicitation(&self, ctx: &Context) -> ToolResult {
        let name = name_or_friend(ctx.elicit::<UserName>().await?);
        Ok(CallToolResult::text(format!("Hello, {name}!")))
    }

    async fn test_input_required_result_sampling(&self, ctx: &Context) -> ToolResult {
        let answer = ctx
            .create_message(CreateMessageParams::user_text(
                "What is the capital of France?",
                100,
            ))
            .await?;
        Ok(CallToolResult::text(format!(
            "Sampling result: {}",
            text_of(&answer.content)
        )))
    }

    async fn test_input_required_result_list_roots(&self, ctx: &Context) -> ToolResult {
        let roots = ctx.list_roots().await?;
        Ok(CallToolResult::text(format!(
            "Found {} root(s): {}",
            roots.len(),
            describe_roots(&roots)
        )))
    }

    async fn test_input_required_result_request_state(&self, ctx: &Context) -> ToolResult {
        let text = match ctx.elicit::<Confirm>().await? {
            Elicitation::Accept(answer) if answer.ok => "state-ok: confirmed",
            Elicitation::Accept(_) => "state-ok: not confirmed",
            Elicitation::Decline | Elicitation::Cancel => "state-ok: declined",
        };
        Ok(CallToolResult::text(text))
    }

    async fn test_input_required_result_multiple_inputs(&self, ctx: &Context) -> ToolResult {
        // Asked together: a 2026 client gets all three in one round.
        let (name, greeting, roots) = tokio::join!(
            ctx.elicit::<UserName>(),
            ctx.create_message(CreateMessageParams::user_text("Generate a greeting", 50)),
            ctx.list_roots(),
        );
        let name = name_or_friend(name?);
        let greeting = text_of(&greeting?.content);
        let roots = roots?;
        Ok(CallToolResult::text(format!(
            "Name: {name}; Greeting: {greeting}; Roots: {}",
            roots.len()
        )))
    }

    async fn test_input_required_result_multi_round(&self, ctx: &Context) -> ToolResult {
        // Asked one after the other: the color is asked once the name is known.
        let name = name_or_friend(ctx.elicit::<UserName>().await?);
        let color = match ctx.elicit::<FavoriteColor>().await? {
            Elicitation::Accept(answer) => answer.color,
            Elicitation::Decline | Elicitation::Cancel => "no color in particular".to_owned(),
        };
        Ok(CallToolResult::text(format!(
            "Multi-round complete for {name} who likes {color}"
        )))
    }

    async fn test_input_required_result_tampered_state(&self, ctx: &Context) -> ToolResult {
        let text = match ctx.elicit::<Confirm>().await? {
            Elicitation::Accept(answer) if answer.ok => "integrity-ok: confirmed",
            Elicitation::Accept(_) => "integrity-ok: not confirmed",
            Elicitation::Decline | Elicitation::Cancel => "integrity-ok: declined",
        };
        Ok(CallToolResult::text(text))
    }

    async fn test_input_required_result_capabilities(&self, ctx: &Context) -> ToolResult {
        // Asks only what the client declared it can answer.
        let mut received = Vec::new();
        match ctx.elicit::<UserName>().await {
            Ok(_) => received.push("elicitation"),
            Err(ClientError::CapabilityMissing(_)) => {}
            Err(e) => return Err(e.into()),
        }
        match ctx
            .create_message(CreateMessageParams::user_text("Sample request", 50))
            .await
        {
            Ok(_) => received.push("sampling"),
            Err(ClientError::CapabilityMissing(_)) => {}
            Err(e) => return Err(e.into()),
        }
        Ok(CallToolResult::text(if received.is_empty() {
            "No supported capabilities declared".to_owned()
        } else {
            format!("capabilities-ok: received {}", received.join(","))
        }))
    }

    async fn test_header_param(&self, _ctx: &Context, input: TestHeaderParamInput) -> ToolResult {
        Ok(CallToolResult::text(format!("Region: {}", input.region)))
    }

    async fn greet(&self, _ctx: &Context, input: GreetInput) -> ToolResult {
        Ok(CallToolResult::text(format!("Hello, {}!", input.name)))
    }

    async fn slow_compute(&self, _ctx: &Context, input: SlowComputeInput) -> ToolResult {
        // The schema bounds `seconds`; a task's cancellation drops this sleep.
        let work = Duration::try_from_secs_f64(input.seconds).unwrap_or(Duration::MAX);
        tokio::time::sleep(work).await;
        let label = input.label.as_deref().unwrap_or("slow_compute");
        Ok(CallToolResult::text(format!(
            "{label}: computed for {} s",
            input.seconds
        )))
    }

    async fn failing_job(&self, _ctx: &Context) -> ToolResult {
        tokio::time::sleep(Duration::from_secs(1)).await;
        Err(ToolError::new("This job intentionally fails for testing"))
    }

    async fn protocol_error_job(&self, _ctx: &Context) -> ToolResult {
        tokio::time::sleep(Duration::from_millis(200)).await;
        Err(ToolError::protocol(RequestError::internal(
            "This job intentionally ends with a protocol error for testing",
        )))
    }

    async fn confirm_delete(&self, ctx: &Context, input: ConfirmDeleteInput) -> ToolResult {
        let question = format!("Delete {}?", input.filename);
        let text = match ctx.elicit_with_message::<Approval>(&question).await? {
            Elicitation::Accept(answer) if answer.confirm => {
                format!("Deleted {} (not really: this is a test)", input.filename)
            }
            _ => format!("Kept {}", input.filename),
        };
        Ok(CallToolResult::text(text))
    }

    async fn multi_input(&self, ctx: &Context) -> ToolResult {
        // Asked together: both questions are pending at once.
        let (name, approval) = tokio::join!(ctx.elicit::<UserName>(), ctx.elicit::<Approval>());
        let name = name_or_friend(name?);
        let approved = matches!(approval?, Elicitation::Accept(answer) if answer.confirm);
        Ok(CallToolResult::text(format!(
            "Name: {name}; approved: {approved}"
        )))
    }

    async fn test_tool_with_task(&self, ctx: &Context) -> ToolResult {
        let name = name_or_friend(ctx.elicit::<UserName>().await?);
        // The question above is answered synchronously; the work below is a task.
        ctx.detach().await;
        tokio::time::sleep(Duration::from_secs(1)).await;
        Ok(CallToolResult::text(format!(
            "Hello, {name}! The task is done."
        )))
    }

    async fn test_three_questions(&self, ctx: &Context) -> ToolResult {
        let name = name_or_friend(ctx.elicit::<UserName>().await?);
        let color = match ctx.elicit::<FavoriteColor>().await? {
            Elicitation::Accept(answer) => answer.color,
            Elicitation::Decline | Elicitation::Cancel => "none".to_owned(),
        };
        let confirmed = matches!(
            ctx.elicit::<Confirm>().await?,
            Elicitation::Accept(Confirm { ok: true })
        );
        Ok(CallToolResult::text(format!(
            "{name} likes {color}; confirmed: {confirmed}"
        )))
    }

    async fn test_request_origin(&self, ctx: &Context) -> ToolResult {
        let origin = match ctx.extensions().get::<RequestOrigin>() {
            Some(origin) => format!("Served by {}", origin.app),
            None => "No request origin: no HTTP layer recorded one".to_owned(),
        };
        let client = match ctx.client_addr() {
            Some(addr) => format!("client {}", addr.ip()),
            None => "no client address".to_owned(),
        };
        Ok(CallToolResult::text(format!("{origin}; {client}")))
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

    async fn prompt_test_input_required_result_prompt(
        &self,
        ctx: &Context,
        _args: TestInputRequiredResultPromptArguments,
    ) -> PromptResult {
        let context = match ctx.elicit::<UserContext>().await {
            Ok(Elicitation::Accept(answer)) => answer.context,
            Ok(Elicitation::Decline | Elicitation::Cancel)
            | Err(ClientError::CapabilityMissing(_)) => "no particular context".to_owned(),
            Err(e @ ClientError::InvalidResponse(_)) => {
                return Err(RequestError::invalid_params(e.to_string()));
            }
            Err(e) => return Err(RequestError::internal(e.to_string())),
        };
        Ok(GetPromptResult {
            description: Some("A prompt composed with the user's context".into()),
            messages: vec![PromptMessage::user(Content::text(format!(
                "With this context in mind: {context}. What should I do next?"
            )))],
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
