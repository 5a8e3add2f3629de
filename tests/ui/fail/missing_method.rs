//! The manifest gained `delete_note`; the handler, written before, lacks it. The
//! error names the trait and the missing method with its full signature.

include!("../../../codegen/goldens/generated/ui_notes.rs");

use mcpgen::{Context, ToolResult};

struct Notes;

impl UiNotesServer for Notes {
    async fn add_note(&self, _ctx: &Context, input: AddNoteInput) -> ToolResult<AddNoteOutput> {
        Ok(AddNoteOutput { id: input.priority })
    }
}

fn main() {
    let _ = server(Notes);
}
