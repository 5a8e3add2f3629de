//! The method table: every JSON-RPC method name the runtime knows, parsed once per
//! message into a [`Method`] that says which era serves it, where its subject
//! (tool, prompt, resource, task) is in `params`, and which server capability it
//! needs. Dispatch and both transports match on [`Method`]; the wire strings live
//! here and nowhere else. A leaf: it imports no other module of the crate.

/// `initialize` (legacy era).
pub(crate) const INITIALIZE: &str = "initialize";
const PING: &str = "ping";
const TOOLS_LIST: &str = "tools/list";
const TOOLS_CALL: &str = "tools/call";
const RESOURCES_LIST: &str = "resources/list";
const RESOURCES_TEMPLATES_LIST: &str = "resources/templates/list";
const RESOURCES_READ: &str = "resources/read";
const RESOURCES_SUBSCRIBE: &str = "resources/subscribe";
const RESOURCES_UNSUBSCRIBE: &str = "resources/unsubscribe";
const PROMPTS_LIST: &str = "prompts/list";
const PROMPTS_GET: &str = "prompts/get";
const COMPLETION_COMPLETE: &str = "completion/complete";
const LOGGING_SET_LEVEL: &str = "logging/setLevel";
const TASKS_GET: &str = "tasks/get";
const TASKS_RESULT: &str = "tasks/result";
const TASKS_LIST: &str = "tasks/list";
const TASKS_CANCEL: &str = "tasks/cancel";
const TASKS_UPDATE: &str = "tasks/update";
const SERVER_DISCOVER: &str = "server/discover";
const SUBSCRIPTIONS_LISTEN: &str = "subscriptions/listen";
const NOTIFICATIONS_INITIALIZED: &str = "notifications/initialized";
/// `notifications/cancelled`: read from clients (legacy era), and sent to end a
/// `subscriptions/listen` on stdio.
pub(crate) const NOTIFICATIONS_CANCELLED: &str = "notifications/cancelled";

// What the server sends: requests to the client, and notifications.
/// `elicitation/create` (server → client).
pub(crate) const ELICITATION_CREATE: &str = "elicitation/create";
/// `sampling/createMessage` (server → client).
pub(crate) const SAMPLING_CREATE_MESSAGE: &str = "sampling/createMessage";
/// `roots/list` (server → client).
pub(crate) const ROOTS_LIST: &str = "roots/list";
/// Progress of a request.
pub(crate) const NOTIFICATIONS_PROGRESS: &str = "notifications/progress";
/// A log message.
pub(crate) const NOTIFICATIONS_MESSAGE: &str = "notifications/message";
/// The tool list changed.
pub(crate) const NOTIFICATIONS_TOOLS_LIST_CHANGED: &str = "notifications/tools/list_changed";
/// The prompt list changed.
pub(crate) const NOTIFICATIONS_PROMPTS_LIST_CHANGED: &str = "notifications/prompts/list_changed";
/// The resource list changed.
pub(crate) const NOTIFICATIONS_RESOURCES_LIST_CHANGED: &str =
    "notifications/resources/list_changed";
/// A subscribed resource changed.
pub(crate) const NOTIFICATIONS_RESOURCES_UPDATED: &str = "notifications/resources/updated";
/// The acknowledgement that opens a `subscriptions/listen` stream.
pub(crate) const NOTIFICATIONS_SUBSCRIPTIONS_ACKNOWLEDGED: &str =
    "notifications/subscriptions/acknowledged";

/// A method a client may send, parsed once from the message's `method`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Initialize,
    Ping,
    ToolsList,
    ToolsCall,
    ResourcesList,
    ResourcesTemplatesList,
    ResourcesRead,
    ResourcesSubscribe,
    ResourcesUnsubscribe,
    PromptsList,
    PromptsGet,
    CompletionComplete,
    LoggingSetLevel,
    TasksGet,
    TasksResult,
    TasksList,
    TasksCancel,
    TasksUpdate,
    ServerDiscover,
    SubscriptionsListen,
    NotificationsInitialized,
    NotificationsCancelled,
    /// Anything else: answered -32601 (requests) or ignored (notifications).
    /// Stays last: [`COUNT`] counts up to it.
    Unknown,
}

/// How many [`Method`]s there are (each one's `as usize` is below it).
pub(crate) const COUNT: usize = Method::Unknown as usize + 1;

/// Which era serves a method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Era {
    /// Only a legacy session (2024-11-05 … 2025-11-25).
    Legacy,
    /// Only a stateless 2026-07-28 request.
    Modern,
    Both,
}

/// Where a method's subject is in `params`: what `Mcp-Name` repeats, what the
/// operator log names, what sealed request state is bound to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Subject {
    /// `name`: a tool or a prompt.
    Name,
    /// `uri`: a resource.
    Uri,
    /// `taskId`: a task.
    TaskId,
}

impl Subject {
    /// The key in `params`.
    pub(crate) fn key(self) -> &'static str {
        match self {
            Subject::Name => "name",
            Subject::Uri => "uri",
            Subject::TaskId => "taskId",
        }
    }
}

/// What a server must offer for a method to exist there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Capability {
    /// Always there.
    None,
    /// At least one tool.
    Tools,
    /// At least one resource or resource template.
    Resources,
    /// At least one prompt.
    Prompts,
    /// Something to complete: a prompt or a resource template.
    Completions,
    /// Log messages (every server declares `logging`).
    Logging,
    /// At least one tool that may run as a task.
    Tasks,
}

impl Method {
    /// The method `name` stands for; [`Method::Unknown`] for any other name.
    pub(crate) fn parse(name: &str) -> Method {
        // A match on the string compiles to a length switch plus a compare or
        // two: no hashing, no allocation.
        match name {
            INITIALIZE => Method::Initialize,
            PING => Method::Ping,
            TOOLS_LIST => Method::ToolsList,
            TOOLS_CALL => Method::ToolsCall,
            RESOURCES_LIST => Method::ResourcesList,
            RESOURCES_TEMPLATES_LIST => Method::ResourcesTemplatesList,
            RESOURCES_READ => Method::ResourcesRead,
            RESOURCES_SUBSCRIBE => Method::ResourcesSubscribe,
            RESOURCES_UNSUBSCRIBE => Method::ResourcesUnsubscribe,
            PROMPTS_LIST => Method::PromptsList,
            PROMPTS_GET => Method::PromptsGet,
            COMPLETION_COMPLETE => Method::CompletionComplete,
            LOGGING_SET_LEVEL => Method::LoggingSetLevel,
            TASKS_GET => Method::TasksGet,
            TASKS_RESULT => Method::TasksResult,
            TASKS_LIST => Method::TasksList,
            TASKS_CANCEL => Method::TasksCancel,
            TASKS_UPDATE => Method::TasksUpdate,
            SERVER_DISCOVER => Method::ServerDiscover,
            SUBSCRIPTIONS_LISTEN => Method::SubscriptionsListen,
            NOTIFICATIONS_INITIALIZED => Method::NotificationsInitialized,
            NOTIFICATIONS_CANCELLED => Method::NotificationsCancelled,
            _ => Method::Unknown,
        }
    }

    /// The method's wire name; `unknown` for [`Method::Unknown`] (a bounded set,
    /// fit for a metric label).
    pub(crate) fn wire_name(self) -> &'static str {
        match self {
            Method::Initialize => INITIALIZE,
            Method::Ping => PING,
            Method::ToolsList => TOOLS_LIST,
            Method::ToolsCall => TOOLS_CALL,
            Method::ResourcesList => RESOURCES_LIST,
            Method::ResourcesTemplatesList => RESOURCES_TEMPLATES_LIST,
            Method::ResourcesRead => RESOURCES_READ,
            Method::ResourcesSubscribe => RESOURCES_SUBSCRIBE,
            Method::ResourcesUnsubscribe => RESOURCES_UNSUBSCRIBE,
            Method::PromptsList => PROMPTS_LIST,
            Method::PromptsGet => PROMPTS_GET,
            Method::CompletionComplete => COMPLETION_COMPLETE,
            Method::LoggingSetLevel => LOGGING_SET_LEVEL,
            Method::TasksGet => TASKS_GET,
            Method::TasksResult => TASKS_RESULT,
            Method::TasksList => TASKS_LIST,
            Method::TasksCancel => TASKS_CANCEL,
            Method::TasksUpdate => TASKS_UPDATE,
            Method::ServerDiscover => SERVER_DISCOVER,
            Method::SubscriptionsListen => SUBSCRIPTIONS_LISTEN,
            Method::NotificationsInitialized => NOTIFICATIONS_INITIALIZED,
            Method::NotificationsCancelled => NOTIFICATIONS_CANCELLED,
            Method::Unknown => "unknown",
        }
    }

    /// Which era serves this method (notifications count as legacy: a modern
    /// client sends none).
    pub(crate) fn era(self) -> Option<Era> {
        use Method::*;
        Some(match self {
            Initialize
            | Ping
            | ResourcesSubscribe
            | ResourcesUnsubscribe
            | LoggingSetLevel
            | TasksResult
            | TasksList
            | NotificationsInitialized
            | NotificationsCancelled => Era::Legacy,
            TasksUpdate | ServerDiscover | SubscriptionsListen => Era::Modern,
            ToolsList
            | ToolsCall
            | ResourcesList
            | ResourcesTemplatesList
            | ResourcesRead
            | PromptsList
            | PromptsGet
            | CompletionComplete
            | TasksGet
            | TasksCancel => Era::Both,
            Unknown => return None,
        })
    }

    /// Whether a stateless 2026 request may call this method at all.
    pub(crate) fn is_modern(self) -> bool {
        matches!(self.era(), Some(Era::Modern | Era::Both))
    }

    /// Where this method's subject is in `params`, if it has one.
    pub(crate) fn subject(self) -> Option<Subject> {
        match self {
            Method::ToolsCall | Method::PromptsGet => Some(Subject::Name),
            Method::ResourcesRead | Method::ResourcesSubscribe | Method::ResourcesUnsubscribe => {
                Some(Subject::Uri)
            }
            Method::TasksGet | Method::TasksUpdate | Method::TasksCancel => Some(Subject::TaskId),
            _ => None,
        }
    }

    /// The capability a server needs to offer this method.
    pub(crate) fn capability(self) -> Capability {
        match self {
            Method::ToolsList | Method::ToolsCall => Capability::Tools,
            Method::ResourcesList
            | Method::ResourcesTemplatesList
            | Method::ResourcesRead
            | Method::ResourcesSubscribe
            | Method::ResourcesUnsubscribe => Capability::Resources,
            Method::PromptsList | Method::PromptsGet => Capability::Prompts,
            Method::CompletionComplete => Capability::Completions,
            Method::LoggingSetLevel => Capability::Logging,
            Method::TasksGet
            | Method::TasksResult
            | Method::TasksList
            | Method::TasksCancel
            | Method::TasksUpdate => Capability::Tasks,
            _ => Capability::None,
        }
    }
}

/// A method as a message named it: parsed once where the message is read, with
/// the name as sent (for an unknown method's -32601 and for the operator log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MethodName {
    method: Method,
    name: String,
}

impl MethodName {
    pub(crate) fn parse(name: String) -> MethodName {
        MethodName {
            method: Method::parse(&name),
            name,
        }
    }

    /// What the method is.
    pub(crate) fn method(&self) -> Method {
        self.method
    }

    /// The name as the message sent it.
    pub(crate) fn as_str(&self) -> &str {
        &self.name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every method with its wire name.
    const TABLE: [(Method, &str); 22] = [
        (Method::Initialize, INITIALIZE),
        (Method::Ping, PING),
        (Method::ToolsList, TOOLS_LIST),
        (Method::ToolsCall, TOOLS_CALL),
        (Method::ResourcesList, RESOURCES_LIST),
        (Method::ResourcesTemplatesList, RESOURCES_TEMPLATES_LIST),
        (Method::ResourcesRead, RESOURCES_READ),
        (Method::ResourcesSubscribe, RESOURCES_SUBSCRIBE),
        (Method::ResourcesUnsubscribe, RESOURCES_UNSUBSCRIBE),
        (Method::PromptsList, PROMPTS_LIST),
        (Method::PromptsGet, PROMPTS_GET),
        (Method::CompletionComplete, COMPLETION_COMPLETE),
        (Method::LoggingSetLevel, LOGGING_SET_LEVEL),
        (Method::TasksGet, TASKS_GET),
        (Method::TasksResult, TASKS_RESULT),
        (Method::TasksList, TASKS_LIST),
        (Method::TasksCancel, TASKS_CANCEL),
        (Method::TasksUpdate, TASKS_UPDATE),
        (Method::ServerDiscover, SERVER_DISCOVER),
        (Method::SubscriptionsListen, SUBSCRIPTIONS_LISTEN),
        (Method::NotificationsInitialized, NOTIFICATIONS_INITIALIZED),
        (Method::NotificationsCancelled, NOTIFICATIONS_CANCELLED),
    ];

    #[test]
    fn every_method_round_trips_through_its_name() {
        for (method, name) in TABLE {
            assert_eq!(Method::parse(name), method);
            assert_eq!(method.wire_name(), name);
            assert!(method.era().is_some());
        }
        assert_eq!(Method::parse("tools/calla"), Method::Unknown);
        assert_eq!(Method::parse("TOOLS/LIST"), Method::Unknown);
        assert_eq!(Method::Unknown.era(), None);
        assert_eq!(Method::Unknown.wire_name(), "unknown");
    }

    #[test]
    fn eras_and_subjects() {
        assert!(Method::ToolsCall.is_modern());
        assert!(!Method::Ping.is_modern());
        assert!(!Method::Initialize.is_modern());
        assert_eq!(Method::ToolsCall.subject(), Some(Subject::Name));
        assert_eq!(
            Method::ResourcesRead.subject().map(Subject::key),
            Some("uri")
        );
        assert_eq!(Method::ToolsList.subject(), None);
    }
}
