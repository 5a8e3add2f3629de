//! The task store: tool calls that go on after their request was answered. The
//! client gets a handle at once and polls it.
//!
//! One store serves two wires. The 2026-07-28 extension `io.modelcontextprotocol/tasks`
//! (server-directed tasks, `tasks/get`, `tasks/update`, `tasks/cancel`) and the
//! 2025-11-25 experimental tasks (`task` param, `tasks/get`, `tasks/result`,
//! `tasks/list`, `tasks/cancel`). The store knows nothing of dispatch or transports:
//! it keeps tasks, who may see them and for how long, and the wire encodings at the
//! end of this file are pure functions of a [`Snapshot`].
//!
//! Retention: a task stays readable while it runs and for its `ttl` after it ended.
//! Both wires count `ttl` from creation, so a terminal task reports the time it ran
//! plus its `ttl`: the value on the wire never promises more than is kept.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use serde_json::{Map, Value};
use tokio::sync::{oneshot, watch};
use tokio_util::sync::CancellationToken;

use crate::error::RequestError;
use crate::session::lock;

/// Shards of each map: enough that concurrent requests rarely meet on one lock.
const SHARDS: usize = 16;

/// How many tasks one owner may hold (running, or ended and still kept) unless the
/// store is told otherwise.
pub(crate) const DEFAULT_MAX_TASKS_PER_OWNER: usize = 1024;

/// How often `get` and `create` sweep expired tasks on the way.
const SWEEP_EVERY: Duration = Duration::from_secs(1);

/// The last instant `humantime` can print (end of year 9999).
const LAST_PRINTABLE_SECOND: u64 = 253_402_300_799;

/// Who may see a task.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Owner {
    /// The authenticated principal of the request that created it.
    Principal(String),
    /// The legacy session that created it, when nobody is authenticated.
    Session(String),
    /// Nobody in particular (modern wire, unauthenticated): the unguessable id is the
    /// capability.
    Anyone,
}

/// Where a task is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    /// Running.
    Working,
    /// Running, and waiting for answers from the client.
    InputRequired,
    /// Ended with a result (a tool result with `isError: true` included).
    Completed,
    /// Ended with a JSON-RPC error.
    Failed,
    /// Ended because it was cancelled.
    Cancelled,
}

impl Status {
    /// The name on both wires.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::Working => "working",
            Status::InputRequired => "input_required",
            Status::Completed => "completed",
            Status::Failed => "failed",
            Status::Cancelled => "cancelled",
        }
    }

    /// Whether the task has ended; an ended task never changes again.
    pub(crate) fn is_terminal(self) -> bool {
        matches!(self, Status::Completed | Status::Failed | Status::Cancelled)
    }
}

/// How a task ended.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Outcome {
    /// What the request would have returned (a `CallToolResult`).
    Completed(Arc<Value>),
    /// The JSON-RPC error the request would have returned.
    Failed(RequestError),
    /// It was cancelled before it ended.
    Cancelled,
}

/// Why [`Task::ask`] refused a request for input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AskRefused {
    /// This key was used before in this task's life; keys are never reused.
    KeyReused(String),
    /// The task has ended; nobody would read the question.
    Ended,
}

impl fmt::Display for AskRefused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AskRefused::KeyReused(key) => {
                write!(
                    f,
                    "the input request key `{key}` was already used by this task"
                )
            }
            AskRefused::Ended => f.write_str("the task has ended"),
        }
    }
}

impl std::error::Error for AskRefused {}

/// One owner's tasks in creation order (the key is the creation sequence number).
type OwnerTasks = BTreeMap<u64, Arc<Task>>;
type IdShard = Mutex<HashMap<String, Arc<Task>>>;
type OwnerShard = Mutex<HashMap<Owner, OwnerTasks>>;

/// Every task of the process, by id for lookups and by owner for quotas and listing.
///
/// Locks are taken in one order, owner shard → id shard → task, and none is held
/// across an await.
pub(crate) struct TaskStore {
    by_id: Box<[IdShard]>,
    by_owner: Box<[OwnerShard]>,
    hasher: RandomState,
    next_seq: AtomicU64,
    default_ttl: Duration,
    poll_interval: Duration,
    max_per_owner: usize,
    epoch: Instant,
    /// When the next lazy sweep is due, in milliseconds since `epoch`.
    next_sweep_ms: AtomicU64,
}

impl TaskStore {
    /// A store keeping ended tasks for `default_ttl` (a client may ask for less, not
    /// more) and suggesting clients poll every `poll_interval`. Both are rounded to
    /// whole milliseconds, at least one.
    pub(crate) fn new(default_ttl: Duration, poll_interval: Duration) -> TaskStore {
        TaskStore {
            by_id: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            by_owner: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            hasher: RandomState::new(),
            next_seq: AtomicU64::new(1),
            default_ttl: whole_millis(default_ttl),
            poll_interval: whole_millis(poll_interval),
            max_per_owner: DEFAULT_MAX_TASKS_PER_OWNER,
            epoch: Instant::now(),
            next_sweep_ms: AtomicU64::new(0),
        }
    }

    /// Caps the tasks one owner may hold, running or ended and still kept (at least one).
    pub(crate) fn with_max_tasks_per_owner(mut self, max: usize) -> TaskStore {
        self.max_per_owner = max.max(1);
        self
    }

    /// Starts a task for `owner`, kept for `ttl` after it ends (the store's default when
    /// `None`, never more). The task is findable by [`get`](Self::get) before this
    /// returns. Fails with `-32603` when the owner already holds as many tasks as allowed.
    pub(crate) fn create(
        &self,
        owner: Owner,
        ttl: Option<Duration>,
    ) -> Result<Arc<Task>, RequestError> {
        self.create_at(owner, ttl, Instant::now())
    }

    fn create_at(
        &self,
        owner: Owner,
        ttl: Option<Duration>,
        now: Instant,
    ) -> Result<Arc<Task>, RequestError> {
        self.sweep_if_due(now);
        let ttl = ttl.map_or(self.default_ttl, |t| whole_millis(t).min(self.default_ttl));
        // 128 random bits: a collision is not a practical concern.
        let task = Arc::new(Task::new(
            new_task_id(),
            owner.clone(),
            ttl,
            self.poll_interval,
            now,
        ));
        let mut owners = lock(self.owner_shard(&owner));
        let held = owners.entry(owner).or_default();
        if held.len() >= self.max_per_owner {
            // Only at the cap is it worth looking for ended tasks past their ttl.
            let expired = take_expired(held, now);
            self.forget(&expired);
        }
        if held.len() >= self.max_per_owner {
            return Err(RequestError::internal(
                "Too many tasks for this client; try again once some have ended",
            ));
        }
        // Numbered under the owner's lock, so a page boundary never skips a task
        // created concurrently by the same owner.
        let seq = self.next_seq.fetch_add(1, Ordering::Relaxed);
        held.insert(seq, task.clone());
        lock(self.id_shard(task.id())).insert(task.id().to_owned(), task.clone());
        Ok(task)
    }

    /// The task with this id, if `owner` may see it and it has not expired. Another
    /// owner's task is `None` too, so its existence is never revealed.
    pub(crate) fn get(&self, id: &str, owner: &Owner) -> Option<Arc<Task>> {
        self.get_at(id, owner, Instant::now())
    }

    fn get_at(&self, id: &str, owner: &Owner, now: Instant) -> Option<Arc<Task>> {
        self.sweep_if_due(now);
        let task = lock(self.id_shard(id)).get(id).cloned()?;
        (task.owner == *owner && !task.expired_at(now)).then_some(task)
    }

    /// One page of `owner`'s tasks, oldest first (legacy `tasks/list`), and the cursor
    /// of the next page when there is one. An unreadable cursor is `-32602`.
    pub(crate) fn list(
        &self,
        owner: &Owner,
        cursor: Option<&str>,
        page: usize,
    ) -> Result<(Vec<Arc<Task>>, Option<String>), RequestError> {
        self.list_at(owner, cursor, page, Instant::now())
    }

    fn list_at(
        &self,
        owner: &Owner,
        cursor: Option<&str>,
        page: usize,
        now: Instant,
    ) -> Result<(Vec<Arc<Task>>, Option<String>), RequestError> {
        let after = match cursor {
            None => 0,
            Some(text) => {
                decode_cursor(text).ok_or_else(|| RequestError::invalid_params("Invalid cursor"))?
            }
        };
        let page = page.max(1);
        let owners = lock(self.owner_shard(owner));
        let Some(held) = owners.get(owner) else {
            return Ok((Vec::new(), None));
        };
        let mut live = held
            .range(after.saturating_add(1)..)
            .filter(|(_, task)| !task.expired_at(now));
        let tasks: Vec<(u64, Arc<Task>)> = live
            .by_ref()
            .take(page)
            .map(|(seq, task)| (*seq, task.clone()))
            .collect();
        let next = match (live.next(), tasks.last()) {
            (Some(_), Some((last, _))) => Some(encode_cursor(*last)),
            _ => None,
        };
        Ok((tasks.into_iter().map(|(_, task)| task).collect(), next))
    }

    /// How many tasks the store holds in each state (for metrics).
    pub(crate) fn count_by_state(&self) -> [(&'static str, usize); 5] {
        let mut counts = [
            Status::Working,
            Status::InputRequired,
            Status::Completed,
            Status::Failed,
            Status::Cancelled,
        ]
        .map(|s| (s.as_str(), 0));
        for shard in &*self.by_id {
            for task in lock(shard).values() {
                let state = task.status().as_str();
                if let Some(slot) = counts.iter_mut().find(|(s, _)| *s == state) {
                    slot.1 += 1;
                }
            }
        }
        counts
    }

    /// Drops every task whose `ttl` has elapsed since it ended. `get` and `create` call
    /// this on the way at most once every [`SWEEP_EVERY`]; a server may also call it
    /// on a timer.
    pub(crate) fn sweep(&self) {
        self.sweep_at(Instant::now());
    }

    fn sweep_at(&self, now: Instant) {
        for shard in &self.by_owner {
            let mut owners = lock(shard);
            owners.retain(|_, held| {
                let expired = take_expired(held, now);
                self.forget(&expired);
                !held.is_empty()
            });
        }
    }

    fn sweep_if_due(&self, now: Instant) {
        let now_ms = millis(now.saturating_duration_since(self.epoch));
        let due = self.next_sweep_ms.load(Ordering::Relaxed);
        let next = now_ms.saturating_add(millis(SWEEP_EVERY));
        // One caller wins the sweep; the others go on without waiting for it.
        if now_ms >= due
            && self
                .next_sweep_ms
                .compare_exchange(due, next, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            self.sweep_at(now);
        }
    }

    /// Removes these ids from the id map (the caller holds their owner's shard).
    fn forget(&self, ids: &[String]) {
        for id in ids {
            lock(self.id_shard(id)).remove(id);
        }
    }

    fn id_shard(&self, id: &str) -> &IdShard {
        &self.by_id[shard_index(self.hasher.hash_one(id))]
    }

    fn owner_shard(&self, owner: &Owner) -> &OwnerShard {
        &self.by_owner[shard_index(self.hasher.hash_one(owner))]
    }
}

fn shard_index(hash: u64) -> usize {
    // The remainder is below SHARDS, so it fits any usize.
    (hash % SHARDS as u64) as usize
}

/// Removes the expired tasks from one owner's list and returns their ids.
fn take_expired(held: &mut OwnerTasks, now: Instant) -> Vec<String> {
    let mut expired = Vec::new();
    held.retain(|_, task| {
        let keep = !task.expired_at(now);
        if !keep {
            expired.push(task.id().to_owned());
        }
        keep
    });
    expired
}

/// 128 random bits from a CSPRNG, as 22 URL-safe characters.
fn new_task_id() -> String {
    use rand::RngCore as _;
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn encode_cursor(seq: u64) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(seq.to_be_bytes())
}

fn decode_cursor(text: &str) -> Option<u64> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .ok()?;
    Some(u64::from_be_bytes(bytes.try_into().ok()?))
}

/// One tool call running as a task: its identity, its state, and the means to
/// cancel it and to wait for it.
pub(crate) struct Task {
    id: String,
    owner: Owner,
    created: Instant,
    created_wall: SystemTime,
    ttl: Duration,
    poll_interval: Duration,
    state: Mutex<State>,
    /// Ticks on every change of state, for waiters and status notifications.
    changes: watch::Sender<()>,
    cancel: CancellationToken,
}

struct State {
    updated: Instant,
    ended: Option<Instant>,
    outcome: Option<Outcome>,
    /// Outstanding requests for client input, in the order they were asked.
    pending: Vec<PendingInput>,
    /// Every key asked in this task's life, answered or not.
    asked: HashSet<String>,
}

struct PendingInput {
    key: String,
    request: Value,
    reply: oneshot::Sender<Value>,
}

impl State {
    fn status(&self) -> Status {
        match &self.outcome {
            Some(Outcome::Completed(_)) => Status::Completed,
            Some(Outcome::Failed(_)) => Status::Failed,
            Some(Outcome::Cancelled) => Status::Cancelled,
            None if self.pending.is_empty() => Status::Working,
            None => Status::InputRequired,
        }
    }

    /// Drops the requests whose asker stopped waiting: nobody would read the answer.
    /// Returns whether any was dropped.
    fn drop_abandoned(&mut self) -> bool {
        let before = self.pending.len();
        self.pending.retain(|p| !p.reply.is_closed());
        self.pending.len() != before
    }
}

impl Task {
    fn new(id: String, owner: Owner, ttl: Duration, poll_interval: Duration, now: Instant) -> Task {
        Task {
            id,
            owner,
            created: now,
            created_wall: SystemTime::now(),
            ttl,
            poll_interval,
            state: Mutex::new(State {
                updated: now,
                ended: None,
                outcome: None,
                pending: Vec::new(),
                asked: HashSet::new(),
            }),
            changes: watch::Sender::new(()),
            cancel: CancellationToken::new(),
        }
    }

    /// The task id the client holds.
    pub(crate) fn id(&self) -> &str {
        &self.id
    }

    /// Who may see this task.
    pub(crate) fn owner(&self) -> &Owner {
        &self.owner
    }

    /// Cancelled when the task is cancelled; the handler running it watches this.
    pub(crate) fn cancel_token(&self) -> CancellationToken {
        self.cancel.clone()
    }

    /// The current status.
    pub(crate) fn status(&self) -> Status {
        lock(&self.state).status()
    }

    /// Ends the task with this result (a `CallToolResult`; one with `isError: true`
    /// is still completed). Returns false, changing nothing, if it had already ended.
    pub(crate) fn complete(&self, result: Value) -> bool {
        self.end(Outcome::Completed(Arc::new(result)))
    }

    /// Ends the task with this JSON-RPC error. Returns false, changing nothing, if it
    /// had already ended.
    pub(crate) fn fail(&self, error: RequestError) -> bool {
        self.end(Outcome::Failed(error))
    }

    /// Cancels the task: it ends `cancelled` at once and its cancel token fires, so the
    /// handler can stop. Idempotent; a task that had already ended stays as it was and
    /// this returns false.
    pub(crate) fn cancel(&self) -> bool {
        let ended = self.end(Outcome::Cancelled);
        self.cancel.cancel();
        ended
    }

    fn end(&self, outcome: Outcome) -> bool {
        let now = Instant::now();
        {
            let mut state = lock(&self.state);
            if state.outcome.is_some() {
                return false;
            }
            state.outcome = Some(outcome);
            state.ended = Some(now);
            state.updated = now;
            // Whoever still waits for an answer learns there will be none.
            state.pending.clear();
        }
        self.changes.send_replace(());
        true
    }

    /// Asks the client for input (`request` is `{method, params}`) under `key`, which
    /// must be new in this task's whole life. The task shows `input_required` with the
    /// request until [`answer`](Self::answer) delivers the answer to the receiver.
    /// Dropping the receiver withdraws the request.
    pub(crate) fn ask(
        &self,
        key: String,
        request: Value,
    ) -> Result<oneshot::Receiver<Value>, AskRefused> {
        let (reply, answer) = oneshot::channel();
        {
            let mut state = lock(&self.state);
            if state.outcome.is_some() {
                return Err(AskRefused::Ended);
            }
            if !state.asked.insert(key.clone()) {
                return Err(AskRefused::KeyReused(key));
            }
            state.drop_abandoned();
            state.pending.push(PendingInput {
                key,
                request,
                reply,
            });
            state.updated = Instant::now();
        }
        self.changes.send_replace(());
        Ok(answer)
    }

    /// Delivers the client's answers (`tasks/update`'s `inputResponses`) to the
    /// outstanding requests they name. Keys that are not outstanding (never asked,
    /// already answered, withdrawn) are ignored. Requests left unanswered stay
    /// outstanding; with none left the task is `working` again. Returns how many
    /// answers were delivered.
    pub(crate) fn answer(&self, responses: &Map<String, Value>) -> usize {
        let mut delivered = 0;
        let changed = {
            let mut state = lock(&self.state);
            let abandoned = state.drop_abandoned();
            for (key, response) in responses {
                if let Some(at) = state.pending.iter().position(|p| p.key == *key) {
                    let pending = state.pending.remove(at);
                    // The asker may have stopped waiting just now; then nobody reads it.
                    let _ = pending.reply.send(response.clone());
                    delivered += 1;
                }
            }
            let changed = abandoned || delivered > 0;
            if changed {
                state.updated = Instant::now();
            }
            changed
        };
        if changed {
            self.changes.send_replace(());
        }
        delivered
    }

    /// Resolves once the task has ended (legacy `tasks/result` waits on this).
    pub(crate) async fn terminal(&self) {
        let mut changes = self.changes.subscribe();
        while !self.status().is_terminal() {
            // The sender lives in `self`, so this cannot fail while we borrow it.
            if changes.changed().await.is_err() {
                return;
            }
        }
    }

    /// Ticks on every change of the task's state (for status notifications).
    pub(crate) fn subscribe(&self) -> watch::Receiver<()> {
        self.changes.subscribe()
    }

    /// Everything the wire encodings need, read at once.
    pub(crate) fn snapshot(&self) -> Snapshot {
        let (snapshot, changed) = {
            let mut state = lock(&self.state);
            let changed = state.drop_abandoned();
            if changed {
                state.updated = Instant::now();
            }
            let status = state.status();
            let retention = match state.ended {
                // Retention counts from creation on the wire: the time it ran, then its ttl.
                Some(ended) => {
                    Duration::from_millis(millis(ended.saturating_duration_since(self.created)))
                        .saturating_add(self.ttl)
                }
                None => self.ttl,
            };
            let snapshot = Snapshot {
                id: self.id.clone(),
                status,
                message: status_message(status, state.outcome.as_ref()),
                created_at: self.created_wall,
                last_updated_at: self.wall_time(state.updated),
                ttl: retention,
                poll_interval: self.poll_interval,
                outcome: state.outcome.clone(),
                input_requests: state
                    .pending
                    .iter()
                    .map(|p| (p.key.clone(), p.request.clone()))
                    .collect(),
            };
            (snapshot, changed)
        };
        if changed {
            self.changes.send_replace(());
        }
        snapshot
    }

    /// Whether the task ended at least `ttl` before `now`. Running tasks never expire.
    fn expired_at(&self, now: Instant) -> bool {
        lock(&self.state)
            .ended
            .and_then(|ended| ended.checked_add(self.ttl))
            .is_some_and(|deadline| now >= deadline)
    }

    /// Wall-clock time of an instant of this task's life, measured from its creation,
    /// so `lastUpdatedAt` never precedes `createdAt` even if the clock is set back.
    fn wall_time(&self, at: Instant) -> SystemTime {
        self.created_wall
            .checked_add(at.saturating_duration_since(self.created))
            .unwrap_or(self.created_wall)
    }
}

fn status_message(status: Status, outcome: Option<&Outcome>) -> Option<String> {
    match (status, outcome) {
        (Status::InputRequired, _) => Some("Waiting for input from the client.".to_owned()),
        (_, Some(Outcome::Completed(result))) if is_tool_error(result) => {
            Some("The tool reported an error.".to_owned())
        }
        (_, Some(Outcome::Failed(error))) => Some(error.message().to_owned()),
        (_, Some(Outcome::Cancelled)) => Some("The task was cancelled.".to_owned()),
        _ => None,
    }
}

fn is_tool_error(result: &Value) -> bool {
    result.get("isError").and_then(Value::as_bool) == Some(true)
}

/// A task's state at one moment, as the wire encodings see it.
#[derive(Debug, Clone)]
pub(crate) struct Snapshot {
    pub id: String,
    pub status: Status,
    /// Short human text about the status.
    pub message: Option<String>,
    pub created_at: SystemTime,
    pub last_updated_at: SystemTime,
    /// How long the task is kept, counted from its creation.
    pub ttl: Duration,
    pub poll_interval: Duration,
    /// How it ended, once it has.
    pub outcome: Option<Outcome>,
    /// The outstanding requests for client input, by key, in the order asked.
    pub input_requests: Map<String, Value>,
}

/// The 2026-07-28 `CreateTaskResult`: the task flat beside `resultType: "task"`, and
/// no `result`, `error` or `inputRequests` (those are for `tasks/get`).
pub(crate) fn modern_created(s: &Snapshot) -> Value {
    let mut out = Map::new();
    out.insert("resultType".into(), "task".into());
    push_task_fields(&mut out, s, "ttlMs", "pollIntervalMs");
    Value::Object(out)
}

/// The 2026-07-28 `tasks/get` result: `resultType: "complete"` and the task with what
/// its status carries (`inputRequests`, `result` or `error`).
pub(crate) fn modern_detailed(s: &Snapshot) -> Value {
    let mut out = Map::new();
    out.insert("resultType".into(), "complete".into());
    push_task_fields(&mut out, s, "ttlMs", "pollIntervalMs");
    match (&s.outcome, s.status) {
        (Some(Outcome::Completed(result)), _) => {
            out.insert("result".into(), Value::clone(result));
        }
        (Some(Outcome::Failed(error)), _) => {
            out.insert("error".into(), error_object(error));
        }
        (None, Status::InputRequired) => {
            out.insert(
                "inputRequests".into(),
                Value::Object(s.input_requests.clone()),
            );
        }
        _ => {}
    }
    Value::Object(out)
}

/// The 2025-11-25 `Task` (inside `CreateTaskResult.task`, spread in the `tasks/get`
/// and `tasks/cancel` results, and listed by `tasks/list`). That version calls a tool
/// result with `isError: true` a failed task.
pub(crate) fn legacy_task(s: &Snapshot) -> Value {
    let mut out = Map::new();
    push_task_fields(&mut out, s, "ttl", "pollInterval");
    if matches!(&s.outcome, Some(Outcome::Completed(result)) if is_tool_error(result)) {
        out.insert("status".into(), Status::Failed.as_str().into());
    }
    Value::Object(out)
}

fn push_task_fields(out: &mut Map<String, Value>, s: &Snapshot, ttl_key: &str, poll_key: &str) {
    out.insert("taskId".into(), s.id.clone().into());
    out.insert("status".into(), s.status.as_str().into());
    if let Some(message) = &s.message {
        out.insert("statusMessage".into(), message.clone().into());
    }
    out.insert("createdAt".into(), iso8601(s.created_at).into());
    out.insert("lastUpdatedAt".into(), iso8601(s.last_updated_at).into());
    out.insert(ttl_key.into(), positive_millis(s.ttl).into());
    out.insert(poll_key.into(), positive_millis(s.poll_interval).into());
}

/// A JSON-RPC error object: `{code, message, data?}`.
fn error_object(error: &RequestError) -> Value {
    let mut out = Map::new();
    out.insert("code".into(), error.code().into());
    out.insert("message".into(), error.message().into());
    if let Some(data) = error.data() {
        out.insert("data".into(), data.clone());
    }
    Value::Object(out)
}

/// ISO 8601 UTC with milliseconds, e.g. `2026-07-28T10:30:00.123Z`. Clamped to what
/// can be printed, so a wild system clock cannot make it fail.
fn iso8601(t: SystemTime) -> String {
    let last = UNIX_EPOCH + Duration::from_millis(LAST_PRINTABLE_SECOND * 1000 + 999);
    let t = t.clamp(UNIX_EPOCH, last);
    humantime::format_rfc3339_millis(t).to_string()
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn positive_millis(d: Duration) -> u64 {
    millis(d).max(1)
}

/// `d` rounded down to whole milliseconds, at least one.
fn whole_millis(d: Duration) -> Duration {
    Duration::from_millis(positive_millis(d))
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::FutureExt as _;
    use serde_json::json;

    const TTL: Duration = Duration::from_millis(50);
    const POLL: Duration = Duration::from_millis(200);

    fn store() -> TaskStore {
        TaskStore::new(TTL, POLL)
    }

    fn alice() -> Owner {
        Owner::Principal("alice".into())
    }

    fn tool_result(text: &str, is_error: bool) -> Value {
        json!({
            "resultType": "complete",
            "content": [{ "type": "text", "text": text }],
            "isError": is_error,
        })
    }

    fn elicitation(message: &str) -> Value {
        json!({
            "method": "elicitation/create",
            "params": {
                "mode": "form",
                "message": message,
                "requestedSchema": {
                    "type": "object",
                    "properties": { "confirm": { "type": "boolean" } },
                    "required": ["confirm"],
                },
            },
        })
    }

    fn responses(pairs: &[(&str, Value)]) -> Map<String, Value> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect()
    }

    fn held(store: &TaskStore) -> usize {
        store.by_id.iter().map(|shard| lock(shard).len()).sum()
    }

    #[test]
    fn a_new_task_is_working_and_durable_at_once() {
        let store = store();
        let task = store.create(alice(), None).unwrap();
        assert_eq!(task.status(), Status::Working);
        let found = store
            .get(task.id(), &alice())
            .expect("found right after create");
        assert!(Arc::ptr_eq(&task, &found));
        let s = task.snapshot();
        assert_eq!(s.status, Status::Working);
        assert_eq!(s.message, None);
        assert_eq!(s.ttl, TTL);
        assert_eq!(s.poll_interval, POLL);
        assert!(s.outcome.is_none() && s.input_requests.is_empty());
        assert!(s.last_updated_at >= s.created_at);
    }

    #[test]
    fn ids_are_128_random_bits_in_url_safe_text() {
        let store = store();
        let ids: HashSet<String> = (0..100)
            .map(|_| store.create(alice(), None).unwrap().id().to_owned())
            .collect();
        assert_eq!(ids.len(), 100);
        for id in &ids {
            assert_eq!(id.len(), 22, "{id}");
            assert!(
                id.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
                "{id}"
            );
        }
    }

    #[test]
    fn working_to_completed_keeps_the_first_outcome() {
        let store = store();
        let task = store.create(alice(), None).unwrap();
        assert!(task.complete(tool_result("done", false)));
        assert_eq!(task.status(), Status::Completed);
        assert!(!task.complete(tool_result("again", false)));
        assert!(!task.fail(RequestError::internal("late")));
        assert!(!task.cancel(), "cancelling an ended task changes nothing");
        let s = task.snapshot();
        assert_eq!(s.status, Status::Completed);
        assert_eq!(
            s.outcome,
            Some(Outcome::Completed(Arc::new(tool_result("done", false))))
        );
        assert!(
            s.ttl >= TTL,
            "an ended task reports its run time plus its ttl"
        );
    }

    #[test]
    fn a_tool_error_is_completed_with_a_message() {
        let task = store().create(alice(), None).unwrap();
        task.complete(tool_result("no such city", true));
        let s = task.snapshot();
        assert_eq!(s.status, Status::Completed);
        assert_eq!(s.message.as_deref(), Some("The tool reported an error."));
    }

    #[test]
    fn working_to_failed_carries_the_error_message() {
        let task = store().create(alice(), None).unwrap();
        assert!(task.fail(RequestError::internal("the backend is down")));
        assert!(!task.complete(tool_result("late", false)));
        let s = task.snapshot();
        assert_eq!(s.status, Status::Failed);
        assert_eq!(s.message.as_deref(), Some("the backend is down"));
        assert_eq!(
            s.outcome,
            Some(Outcome::Failed(RequestError::internal(
                "the backend is down"
            )))
        );
    }

    #[test]
    fn cancel_ends_the_task_fires_the_token_and_is_idempotent() {
        let task = store().create(alice(), None).unwrap();
        let token = task.cancel_token();
        assert!(!token.is_cancelled());
        assert!(task.cancel());
        assert!(token.is_cancelled());
        assert_eq!(task.status(), Status::Cancelled);
        assert!(!task.cancel());
        assert!(
            !task.complete(tool_result("finished anyway", false)),
            "the handler finishing afterwards does not undo the cancel"
        );
        assert_eq!(task.status(), Status::Cancelled);
        assert_eq!(
            task.snapshot().message.as_deref(),
            Some("The task was cancelled.")
        );
    }

    #[test]
    fn cancel_on_an_ended_task_leaves_it_as_it_was() {
        let task = store().create(alice(), None).unwrap();
        task.fail(RequestError::internal("boom"));
        assert!(!task.cancel());
        assert!(!task.cancel());
        assert_eq!(task.status(), Status::Failed);
    }

    #[test]
    fn partial_answers_keep_input_required_with_only_the_rest() {
        let task = store().create(alice(), None).unwrap();
        let mut first = task.ask("first".into(), elicitation("One?")).unwrap();
        let mut second = task.ask("second".into(), elicitation("Two?")).unwrap();
        let s = task.snapshot();
        assert_eq!(s.status, Status::InputRequired);
        assert_eq!(
            s.input_requests.keys().collect::<Vec<_>>(),
            ["first", "second"]
        );
        assert_eq!(s.input_requests["first"], elicitation("One?"));

        let one = json!({ "action": "accept", "content": { "confirm": true } });
        assert_eq!(task.answer(&responses(&[("first", one.clone())])), 1);
        assert_eq!(first.try_recv().unwrap(), one);
        assert!(second.try_recv().is_err(), "not answered yet");
        let s = task.snapshot();
        assert_eq!(s.status, Status::InputRequired);
        assert_eq!(s.input_requests.keys().collect::<Vec<_>>(), ["second"]);

        let two = json!({ "action": "decline" });
        assert_eq!(task.answer(&responses(&[("second", two.clone())])), 1);
        assert_eq!(second.try_recv().unwrap(), two);
        let s = task.snapshot();
        assert_eq!(s.status, Status::Working);
        assert!(s.input_requests.is_empty());
    }

    #[test]
    fn answers_to_keys_not_outstanding_are_ignored() {
        let task = store().create(alice(), None).unwrap();
        let mut pending = task.ask("confirm".into(), elicitation("Sure?")).unwrap();
        let before = task.snapshot();
        let stray = json!({ "action": "accept", "content": {} });
        assert_eq!(task.answer(&responses(&[("unknown", stray.clone())])), 0);
        let after = task.snapshot();
        assert_eq!(after.status, Status::InputRequired);
        assert_eq!(after.input_requests, before.input_requests);
        assert_eq!(after.last_updated_at, before.last_updated_at);

        // Answered keys are no longer outstanding: a second answer goes nowhere.
        let yes = json!({ "action": "accept", "content": { "confirm": true } });
        assert_eq!(task.answer(&responses(&[("confirm", yes.clone())])), 1);
        assert_eq!(task.answer(&responses(&[("confirm", stray)])), 0);
        assert_eq!(pending.try_recv().unwrap(), yes);
        assert_eq!(task.status(), Status::Working);
    }

    #[test]
    fn a_key_is_never_reused_and_an_ended_task_asks_nothing() {
        let task = store().create(alice(), None).unwrap();
        let _pending = task.ask("name".into(), elicitation("Name?")).unwrap();
        assert_eq!(
            task.ask("name".into(), elicitation("Name again?"))
                .unwrap_err(),
            AskRefused::KeyReused("name".into())
        );
        task.answer(&responses(&[("name", json!({ "action": "cancel" }))]));
        assert_eq!(
            task.ask("name".into(), elicitation("Name?")).unwrap_err(),
            AskRefused::KeyReused("name".into()),
            "not even after it was answered"
        );
        task.complete(tool_result("done", false));
        assert_eq!(
            task.ask("other".into(), elicitation("?")).unwrap_err(),
            AskRefused::Ended
        );
    }

    #[test]
    fn ending_the_task_withdraws_its_questions() {
        let task = store().create(alice(), None).unwrap();
        let mut pending = task.ask("q".into(), elicitation("?")).unwrap();
        task.cancel();
        assert!(matches!(
            pending.try_recv(),
            Err(oneshot::error::TryRecvError::Closed)
        ));
        assert!(task.snapshot().input_requests.is_empty());
    }

    #[test]
    fn a_question_nobody_waits_for_is_withdrawn() {
        let task = store().create(alice(), None).unwrap();
        let kept = task.ask("kept".into(), elicitation("Kept?")).unwrap();
        drop(task.ask("dropped".into(), elicitation("Dropped?")).unwrap());
        let s = task.snapshot();
        assert_eq!(s.input_requests.keys().collect::<Vec<_>>(), ["kept"]);
        drop(kept);
        assert_eq!(task.snapshot().status, Status::Working);
    }

    #[test]
    fn tasks_are_visible_only_to_their_owner() {
        let store = store();
        let task = store.create(alice(), None).unwrap();
        let id = task.id();
        assert!(store.get(id, &alice()).is_some());
        for other in [
            Owner::Principal("bob".into()),
            Owner::Session("alice".into()),
            Owner::Anyone,
        ] {
            assert!(store.get(id, &other).is_none(), "{other:?}");
            assert!(store.list(&other, None, 10).unwrap().0.is_empty());
        }
        let anonymous = store.create(Owner::Anyone, None).unwrap();
        assert!(store.get(anonymous.id(), &Owner::Anyone).is_some());
        assert!(store.get(anonymous.id(), &alice()).is_none());
        assert!(store.get("no-such-task", &alice()).is_none());
    }

    #[test]
    fn ended_tasks_expire_ttl_after_they_end_and_running_ones_never() {
        let store = store();
        let running = store.create(alice(), None).unwrap();
        let ended = store.create(alice(), None).unwrap();
        let before = Instant::now();
        ended.complete(tool_result("done", false));
        let after = Instant::now();

        let still_kept = before + TTL - Duration::from_millis(1);
        assert!(store.get_at(ended.id(), &alice(), still_kept).is_some());
        let gone = after + TTL;
        assert!(store.get_at(ended.id(), &alice(), gone).is_none());
        assert_eq!(store.list_at(&alice(), None, 10, gone).unwrap().0.len(), 1);

        assert_eq!(held(&store), 2, "expired, not yet swept");
        store.sweep_at(gone);
        assert_eq!(held(&store), 1, "the sweep dropped the expired task");

        let much_later = after + TTL * 1000;
        assert!(store.get_at(running.id(), &alice(), much_later).is_some());
    }

    #[test]
    fn get_sweeps_on_the_way_now_and_then() {
        let store = store();
        let ended = store.create(alice(), None).unwrap();
        ended.complete(tool_result("done", false));
        let due = Instant::now() + TTL + SWEEP_EVERY;
        assert_eq!(held(&store), 1);
        assert!(store.get_at("another-id", &alice(), due).is_none());
        assert_eq!(held(&store), 0);
    }

    #[test]
    fn a_client_may_shorten_the_ttl_but_not_extend_it() {
        let store = store();
        let longer = store
            .create(alice(), Some(Duration::from_secs(3600)))
            .unwrap();
        assert_eq!(longer.snapshot().ttl, TTL);
        let shorter = store
            .create(alice(), Some(Duration::from_millis(10)))
            .unwrap();
        assert_eq!(shorter.snapshot().ttl, Duration::from_millis(10));
        let zero = store.create(alice(), Some(Duration::ZERO)).unwrap();
        assert_eq!(zero.snapshot().ttl, Duration::from_millis(1));
    }

    #[test]
    fn an_owner_holds_at_most_the_cap_until_some_expire() {
        let store = store().with_max_tasks_per_owner(2);
        let first = store.create(alice(), None).unwrap();
        let _second = store.create(alice(), None).unwrap();
        let refused = store.create(alice(), None).err().expect("over the cap");
        assert_eq!(refused.code(), crate::jsonrpc::ErrorCode::INTERNAL_ERROR);
        assert!(
            store.create(Owner::Anyone, None).is_ok(),
            "others are not affected"
        );

        first.complete(tool_result("done", false));
        assert!(
            store.create(alice(), None).is_err(),
            "an ended task counts until it expires"
        );
        let later = Instant::now() + TTL;
        assert!(store.create_at(alice(), None, later).is_ok());
        assert!(store.get_at(first.id(), &alice(), later).is_none());
    }

    #[test]
    fn list_pages_in_creation_order() {
        let store = store();
        let created: Vec<String> = (0..5)
            .map(|_| store.create(alice(), None).unwrap().id().to_owned())
            .collect();
        store.create(Owner::Session("s1".into()), None).unwrap();

        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        let mut pages = 0;
        loop {
            let (tasks, next) = store.list(&alice(), cursor.as_deref(), 2).unwrap();
            pages += 1;
            seen.extend(tasks.iter().map(|t| t.id().to_owned()));
            match next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        assert_eq!(pages, 3);
        assert_eq!(seen, created);

        let (all, next) = store.list(&alice(), None, 5).unwrap();
        assert_eq!(all.len(), 5);
        assert_eq!(next, None, "no cursor when nothing remains");
    }

    #[test]
    fn list_skips_expired_tasks_and_refuses_bad_cursors() {
        let store = store();
        let ended = store.create(alice(), None).unwrap();
        let running = store.create(alice(), None).unwrap();
        ended.cancel();
        let later = Instant::now() + TTL;
        let (tasks, next) = store.list_at(&alice(), None, 1, later).unwrap();
        assert_eq!(tasks.len(), 1);
        assert_eq!(tasks[0].id(), running.id());
        assert_eq!(next, None);

        for bad in ["not base64!", "AAAA", ""] {
            let error = store.list(&alice(), Some(bad), 10).err().expect(bad);
            assert_eq!(
                error.code(),
                crate::jsonrpc::ErrorCode::INVALID_PARAMS,
                "{bad}"
            );
        }
    }

    #[tokio::test]
    async fn terminal_resolves_once_the_task_ends() {
        let store = store();
        let task = store.create(alice(), None).unwrap();
        assert!(task.terminal().now_or_never().is_none(), "still running");
        let _pending = task.ask("q".into(), elicitation("?")).unwrap();
        assert!(
            task.terminal().now_or_never().is_none(),
            "input is not an end"
        );

        let waiter = tokio::spawn({
            let task = task.clone();
            async move { task.terminal().await }
        });
        let changes = task.subscribe();
        task.complete(tool_result("done", false));
        waiter.await.unwrap();
        assert!(
            changes.has_changed().unwrap(),
            "subscribers hear of the change"
        );
        task.terminal().await;
    }

    #[test]
    fn timestamps_are_iso8601_utc_with_milliseconds() {
        assert_eq!(iso8601(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            iso8601(UNIX_EPOCH + Duration::from_millis(1_785_234_600_123)),
            "2026-07-28T10:30:00.123Z"
        );
        // A wild clock is clamped rather than failing.
        assert_eq!(
            iso8601(UNIX_EPOCH - Duration::from_secs(1)),
            "1970-01-01T00:00:00.000Z"
        );
        assert_eq!(
            iso8601(UNIX_EPOCH + Duration::from_secs(LAST_PRINTABLE_SECOND * 10)),
            "9999-12-31T23:59:59.999Z"
        );
        let now = iso8601(SystemTime::now());
        let shape = now.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            10 => b == b'T',
            13 | 16 => b == b':',
            19 => b == b'.',
            23 => b == b'Z',
            _ => b.is_ascii_digit(),
        });
        assert!(shape && now.len() == 24, "{now}");
    }

    /// Validation against the official schemas in `shared/mcp-schema/`.
    mod wire {
        use super::*;

        fn schema(version: &str) -> Value {
            let path = format!(
                "{}/../../shared/mcp-schema/{version}/schema.json",
                env!("CARGO_MANIFEST_DIR")
            );
            let text =
                std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {path}: {e}"));
            serde_json::from_str(&text).expect("schema.json is JSON")
        }

        fn has_definition(version: &str, name: &str) -> bool {
            schema(version)["$defs"].get(name).is_some()
        }

        fn errors(version: &str, definition: &str, instance: &Value) -> Vec<String> {
            let mut root = schema(version);
            assert!(
                root["$defs"].get(definition).is_some(),
                "the {version} schema has no `{definition}`"
            );
            root["$ref"] = Value::String(format!("#/$defs/{definition}"));
            let validator = jsonschema::validator_for(&root)
                .unwrap_or_else(|e| panic!("compile {version} {definition}: {e}"));
            validator
                .iter_errors(instance)
                .map(|e| format!("at `{}`: {e}", e.instance_path()))
                .collect()
        }

        fn assert_valid(version: &str, definition: &str, instance: &Value) {
            let errors = errors(version, definition, instance);
            assert!(
                errors.is_empty(),
                "not a valid {definition} ({version}): {instance}\n{}",
                errors.join("\n")
            );
        }

        /// One task in each state a client can see.
        fn one_of_each() -> Vec<(&'static str, Snapshot)> {
            let store = store();
            let working = store.create(alice(), None).unwrap();
            let waiting = store.create(alice(), None).unwrap();
            let _first = waiting.ask("first".into(), elicitation("One?")).unwrap();
            let _second = waiting
                .ask(
                    "second".into(),
                    json!({ "method": "roots/list", "params": {} }),
                )
                .unwrap();
            let completed = store.create(alice(), None).unwrap();
            completed.complete(tool_result("done", false));
            let tool_error = store.create(alice(), None).unwrap();
            tool_error.complete(tool_result("no such city", true));
            let failed = store.create(alice(), None).unwrap();
            failed.fail(
                RequestError::internal("the backend is down").with_data(json!({ "retryAfter": 5 })),
            );
            let cancelled = store.create(alice(), None).unwrap();
            cancelled.cancel();
            vec![
                ("working", working.snapshot()),
                ("input_required", waiting.snapshot()),
                ("completed", completed.snapshot()),
                ("tool_error", tool_error.snapshot()),
                ("failed", failed.snapshot()),
                ("cancelled", cancelled.snapshot()),
            ]
        }

        fn positive_integer(value: &Value) -> bool {
            value.as_u64().is_some_and(|n| n > 0)
        }

        /// The 2026-07-28 `Task` fields (§8 of the checklist; the 2026 schema does not
        /// define tasks, they live in the extension).
        fn assert_modern_task(v: &Value, s: &Snapshot) {
            assert_eq!(v["taskId"], s.id.as_str());
            assert_eq!(v["status"], s.status.as_str());
            assert_eq!(v["createdAt"], iso8601(s.created_at).as_str());
            assert_eq!(v["lastUpdatedAt"], iso8601(s.last_updated_at).as_str());
            assert!(positive_integer(&v["ttlMs"]), "{v}");
            assert!(positive_integer(&v["pollIntervalMs"]), "{v}");
            assert_eq!(v["pollIntervalMs"], 200);
            match &s.message {
                Some(m) => assert_eq!(v["statusMessage"], m.as_str()),
                None => assert!(v.get("statusMessage").is_none()),
            }
            for legacy in ["ttl", "pollInterval", "task", "requestState"] {
                assert!(v.get(legacy).is_none(), "`{legacy}` in {v}");
            }
        }

        #[test]
        fn the_2026_schema_defines_no_tasks() {
            // Tasks are the `io.modelcontextprotocol/tasks` extension, outside the core
            // schema: the modern encodings are checked field by field below. Should the
            // schema gain them, the tests below validate against them too.
            for name in ["Task", "CreateTaskResult", "DetailedTask", "GetTaskResult"] {
                if has_definition("2026-07-28", name) {
                    eprintln!("note: the 2026-07-28 schema now defines `{name}`");
                }
            }
        }

        #[test]
        fn modern_created_is_a_flat_task_without_payload() {
            for (what, s) in one_of_each() {
                let v = modern_created(&s);
                assert_eq!(v["resultType"], "task", "{what}");
                assert_modern_task(&v, &s);
                for payload in ["result", "error", "inputRequests"] {
                    assert!(v.get(payload).is_none(), "{what}: `{payload}` in {v}");
                }
                assert_valid("2026-07-28", "Result", &v);
                if has_definition("2026-07-28", "CreateTaskResult") {
                    assert_valid("2026-07-28", "CreateTaskResult", &v);
                }
            }
        }

        #[test]
        fn modern_detailed_carries_what_its_status_carries() {
            for (what, s) in one_of_each() {
                let v = modern_detailed(&s);
                assert_eq!(v["resultType"], "complete", "{what}");
                assert_modern_task(&v, &s);
                assert_valid("2026-07-28", "Result", &v);
                let has = |key: &str| v.get(key).is_some();
                match what {
                    "working" | "cancelled" => {
                        assert!(
                            !has("result") && !has("error") && !has("inputRequests"),
                            "{v}"
                        );
                    }
                    "input_required" => {
                        assert_eq!(v["status"], "input_required");
                        assert!(!has("result") && !has("error"), "{v}");
                        let keys: Vec<&String> =
                            v["inputRequests"].as_object().unwrap().keys().collect();
                        assert_eq!(keys, ["first", "second"]);
                        assert_valid("2026-07-28", "InputRequests", &v["inputRequests"]);
                    }
                    "completed" | "tool_error" => {
                        assert_eq!(v["status"], "completed", "{what}");
                        assert!(!has("error") && !has("inputRequests"), "{v}");
                        assert_eq!(v["result"]["isError"], what == "tool_error");
                        assert_valid("2026-07-28", "CallToolResult", &v["result"]);
                        assert!(v["result"].get("_meta").is_none(), "no related-task meta");
                    }
                    "failed" => {
                        assert!(!has("result") && !has("inputRequests"), "{v}");
                        assert_eq!(
                            v["error"],
                            json!({
                                "code": -32603,
                                "message": "the backend is down",
                                "data": { "retryAfter": 5 },
                            })
                        );
                        assert_eq!(v["statusMessage"], "the backend is down");
                        assert_valid("2026-07-28", "Error", &v["error"]);
                    }
                    _ => unreachable!("{what}"),
                }
                for name in ["DetailedTask", "GetTaskResult"] {
                    if has_definition("2026-07-28", name) {
                        assert_valid("2026-07-28", name, &v);
                    }
                }
            }
        }

        #[test]
        fn legacy_task_is_a_2025_11_25_task() {
            let mut tasks = Vec::new();
            for (what, s) in one_of_each() {
                let task = legacy_task(&s);
                let expected_status = match what {
                    // 2025-11-25 calls a tool error a failed task.
                    "tool_error" => "failed",
                    _ => s.status.as_str(),
                };
                assert_eq!(task["status"], expected_status, "{what}");
                assert_eq!(task["taskId"], s.id.as_str());
                assert!(positive_integer(&task["ttl"]), "{task}");
                assert!(positive_integer(&task["pollInterval"]), "{task}");
                for modern in ["ttlMs", "pollIntervalMs", "resultType", "result", "error"] {
                    assert!(task.get(modern).is_none(), "`{modern}` in {task}");
                }
                assert_valid("2025-11-25", "Task", &task);
                assert_valid("2025-11-25", "CreateTaskResult", &json!({ "task": task }));
                assert_valid("2025-11-25", "GetTaskResult", &task);
                assert_valid("2025-11-25", "CancelTaskResult", &task);
                tasks.push(task);
            }
            assert_valid(
                "2025-11-25",
                "ListTasksResult",
                &json!({ "tasks": tasks, "nextCursor": encode_cursor(7) }),
            );
            // The validator does reject: the flat modern shape is no legacy result.
            let flat = modern_created(&one_of_each()[0].1);
            assert!(!errors("2025-11-25", "CreateTaskResult", &flat).is_empty());
            assert!(!errors("2025-11-25", "Task", &flat).is_empty());
        }
    }
}
