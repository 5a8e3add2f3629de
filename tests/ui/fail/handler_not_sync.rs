//! Handlers are shared across requests and threads: their state must be `Send +
//! Sync` (an `Rc` is neither; `Arc` is).

include!("../../../codegen/goldens/generated/ui_notes.rs");

use std::rc::Rc;

use mcpgen::{CallToolResult, Context, ToolResult};

struct Notes {
    count: Rc<i64>,
}

impl UiNotesServer for Notes {
    async fn add_note(&self, _ctx: &Context, _input: AddNoteInput) -> ToolResult<AddNoteOutput> {
        Ok(AddNoteOutput { id: *self.count })
    }

    async fn delete_note(&self, _ctx: &Context, input: DeleteNoteInput) -> ToolResult {
        Ok(CallToolResult::text(format!("deleted {}", input.id)))
    }
}

fn main() {
    let _ = server(Notes { count: Rc::new(0) });
}
