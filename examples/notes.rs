//! `specs/notes.yaml` implemented: notes kept per tenant, behind OAuth. The
//! manifest's scopes decide who may call what before a handler runs; the handlers
//! read who is calling (`ctx.principal()`) to keep tenants apart.
//!
//! ```text
//! cargo run --example notes -- --http 127.0.0.1:3000 \
//!   --auth-issuer https://auth.example.com --tenant-claim org
//! ```
//!
//! Over stdio there are no tokens: everything belongs to the local user, in the
//! tenant `local`.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use mcpgen::{CallToolResult, Context, ResourceContents, ResourceResult, ToolError, ToolResult};

mcpgen::include_server!("notes");

struct Note {
    title: String,
    body: String,
    author: String,
}

/// Every tenant's notes, by id. In memory: a real deployment would keep them in
/// a database, keyed the same way.
#[derive(Default)]
struct Notes {
    tenants: Mutex<HashMap<String, Tenant>>,
}

#[derive(Default)]
struct Tenant {
    next_id: i64,
    notes: BTreeMap<i64, Note>,
}

/// Who is calling: the tenant their notes live in, and their name.
fn caller(ctx: &Context) -> (String, String) {
    match ctx.principal() {
        Some(p) => (
            p.tenant().unwrap_or("local").to_owned(),
            p.subject().to_owned(),
        ),
        None => ("local".to_owned(), "local".to_owned()),
    }
}

impl Notes {
    /// Runs `f` on the caller's tenant.
    fn with_tenant<T>(&self, tenant: &str, f: impl FnOnce(&mut Tenant) -> T) -> T {
        let mut tenants = self.tenants.lock().unwrap_or_else(|e| e.into_inner());
        f(tenants.entry(tenant.to_owned()).or_default())
    }
}

impl NotesServer for Notes {
    async fn list_notes(&self, ctx: &Context) -> ToolResult<ListNotesOutput> {
        let (tenant, _) = caller(ctx);
        let notes = self.with_tenant(&tenant, |t| {
            t.notes
                .iter()
                .rev()
                .map(|(&id, note)| ListNotesOutputNotesItem {
                    id,
                    title: note.title.clone(),
                    author: note.author.clone(),
                })
                .collect()
        });
        Ok(ListNotesOutput { notes })
    }

    async fn create_note(
        &self,
        ctx: &Context,
        input: CreateNoteInput,
    ) -> ToolResult<CreateNoteOutput> {
        let (tenant, author) = caller(ctx);
        let id = self.with_tenant(&tenant, |t| {
            t.next_id += 1;
            let note = Note {
                title: input.title,
                body: input.body,
                author,
            };
            t.notes.insert(t.next_id, note);
            t.next_id
        });
        Ok(CreateNoteOutput { id })
    }

    async fn delete_note(&self, ctx: &Context, input: DeleteNoteInput) -> ToolResult {
        let (tenant, _) = caller(ctx);
        match self.with_tenant(&tenant, |t| t.notes.remove(&input.id)) {
            Some(note) => Ok(CallToolResult::text(format!("Deleted “{}”.", note.title))),
            // Another tenant's note is as absent as one never written.
            None => Err(ToolError::new(format!("No note {}.", input.id))),
        }
    }

    async fn purge_notes(&self, ctx: &Context) -> ToolResult {
        let (tenant, _) = caller(ctx);
        let purged = self.with_tenant(&tenant, |t| std::mem::take(&mut t.notes).len());
        Ok(CallToolResult::text(format!("Purged {purged} notes.")))
    }

    async fn read_note(&self, ctx: &Context, uri: &str, vars: NoteVariables) -> ResourceResult {
        let (tenant, _) = caller(ctx);
        let text = self.with_tenant(&tenant, |t| {
            t.notes
                .get(&vars.id)
                .map(|n| format!("# {}\n\n{}\n\n— {}\n", n.title, n.body, n.author))
        });
        match text {
            Some(text) => Ok(ResourceContents::text(uri, "text/markdown", text).into()),
            None => Err(mcpgen::RequestError::resource_not_found(uri)),
        }
    }
}

fn main() -> std::process::ExitCode {
    server(Notes::default()).main()
}
