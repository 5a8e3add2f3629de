//! `ctx.elicit::<T>()` takes the forms declared under `elicitations:` only; a tool's
//! input type is not one.

include!("../../../codegen/goldens/generated/ui_notes.rs");

use mcpgen::{CallToolResult, Context, ToolResult};

struct Notes;

impl UiNotesServer for Notes {
    async fn add_note(&self, _ctx: &Context, input: AddNoteInput) -> ToolResult<AddNoteOutput> {
        Ok(AddNoteOutput { id: input.priority })
    }

    async fn delete_note(&self, ctx: &Context, input: DeleteNoteInput) -> ToolResult {
        let _answer = ctx.elicit::<AddNoteInput>().await?;
        Ok(CallToolResult::text(format!("deleted {}", input.id)))
    }
}

fn main() {
    let _ = server(Notes);
}
