//! `add_note`'s `priority` was a string and is now an integer: the error points at
//! the handler line that still treats it as a string.

include!("../../../codegen/goldens/generated/ui_notes.rs");

use mcpgen::{CallToolResult, Context, ToolResult};

struct Notes;

impl UiNotesServer for Notes {
    async fn add_note(&self, _ctx: &Context, input: AddNoteInput) -> ToolResult<AddNoteOutput> {
        let priority: String = input.priority;
        Ok(AddNoteOutput {
            id: priority.len() as i64,
        })
    }

    async fn delete_note(&self, _ctx: &Context, input: DeleteNoteInput) -> ToolResult {
        Ok(CallToolResult::text(format!("deleted {}", input.id)))
    }
}

fn main() {
    let _ = server(Notes);
}
