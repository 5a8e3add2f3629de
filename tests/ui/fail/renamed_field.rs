//! `add_note`'s `text` property is now `body`: the error points at the handler
//! line that reads the old field, and names the fields there are.

include!("../../../codegen/goldens/generated/ui_notes.rs");

use mcpgen::{CallToolResult, Context, ToolResult};

struct Notes;

impl UiNotesServer for Notes {
    async fn add_note(&self, _ctx: &Context, input: AddNoteInput) -> ToolResult<AddNoteOutput> {
        let text: String = input.text;
        Ok(AddNoteOutput {
            id: text.len() as i64,
        })
    }

    async fn delete_note(&self, _ctx: &Context, input: DeleteNoteInput) -> ToolResult {
        Ok(CallToolResult::text(format!("deleted {}", input.id)))
    }
}

fn main() {
    let _ = server(Notes);
}
