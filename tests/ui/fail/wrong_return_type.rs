//! `add_note` declares an `output` schema, so it returns `ToolResult<AddNoteOutput>`
//! (structured content), not a plain `ToolResult`.

include!("../../../codegen/goldens/generated/ui_notes.rs");

use mcpgen::{CallToolResult, Context, ToolResult};

struct Notes;

impl UiNotesServer for Notes {
    async fn add_note(&self, _ctx: &Context, input: AddNoteInput) -> ToolResult {
        Ok(CallToolResult::text(input.body))
    }

    async fn delete_note(&self, _ctx: &Context, input: DeleteNoteInput) -> ToolResult {
        Ok(CallToolResult::text(format!("deleted {}", input.id)))
    }
}

fn main() {
    let _ = server(Notes);
}
