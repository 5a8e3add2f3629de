//! Handler futures run on a multi-threaded runtime, so they must be `Send`: a
//! `!Send` value (here an `Rc`) held across an `.await` is refused at the method.

include!("../../../codegen/goldens/generated/ui_notes.rs");

use std::rc::Rc;

use mcpgen::{CallToolResult, Context, ToolResult};

struct Notes;

impl UiNotesServer for Notes {
    async fn add_note(&self, ctx: &Context, input: AddNoteInput) -> ToolResult<AddNoteOutput> {
        let shared = Rc::new(input.priority);
        ctx.progress(1.0, None, None).await;
        Ok(AddNoteOutput { id: *shared })
    }

    async fn delete_note(&self, _ctx: &Context, input: DeleteNoteInput) -> ToolResult {
        Ok(CallToolResult::text(format!("deleted {}", input.id)))
    }
}

fn main() {
    let _ = server(Notes);
}
