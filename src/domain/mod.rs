//! The incident world without any IO: incidents, severities, statuses, roles, the timeline and
//! the command grammar. Nothing here knows about databases, chats or async.

mod ack_link;
mod action;
mod alert;
mod command;
mod credential;
mod details;
mod escalation;
mod grammar;
mod incident;
mod notify;
mod params;
mod permissions;
mod platform;
mod progress;
mod risk;
mod runbook;
mod severity;
mod span;
mod status;
mod text;
mod timeline;
mod timer;
mod verdict;

pub use ack_link::{ACK_LINK_TTL, AckLink, LinkError};
pub use action::{ActionRequest, ApprovalRefusal, RequestId, RequestState};
pub use alert::{ALERTNAME_LABEL, AlertRecord, describe_alerts};
pub use command::{Action, ButtonId, Command, USAGE};
pub use credential::credential_in;
pub use details::{
    CLOCK_TIME_FORMS, ClockTime, Details, MAX_SERVICES, Service, service_list, service_name,
};
pub use escalation::{
    EscalationPolicy, InvalidTarget, Level, Override, Policies, Resolved, Rotation, Target, resolve,
};
pub use grammar::{
    MAX_COMMAND_CHARS, ParseError, closest, parameter, parameters, parse, strip_invocation,
};
pub use incident::{Incident, IncidentNumber, Refusal, Role};
pub use notify::{
    ContactKind, Contacts, NotifyRule, PUSH_INTERVAL, PageUpdate, UnknownContact,
    parse_provider_key, provider_key,
};
pub use params::{
    CommandTemplate, DEFAULT_PATTERN, HIDDEN, HostPattern, ParamError, ParamRules, PreparedCommand,
    TemplateError, looks_secret, normalize_param_name,
};
pub use permissions::{NotPermitted, Permissions};
pub use platform::{MessageId, Platform, RoomId, UnknownPlatform};
pub use progress::{AttachedRunbook, FailedRun, NumberedStep, StepOutcome, StepState};
pub use risk::{Classification, classify, classify_sql};
pub use runbook::{
    ABOUT_MAX_CHARS, Fact, QUOTED_BLOCK_CHARS, QUOTED_MAX_CHARS, Risk, Runbook, STEP_DETAIL_CHARS,
    STEP_DETAILS_MAX, Section, Step, StepKind,
};
pub use severity::{Severity, UnknownSeverity};
pub use span::{format_span, parse_span};
pub use status::{Status, UnknownStatus};
pub use text::{
    IncidentTitle, MAX_NOTE_CHARS, MAX_TITLE_CHARS, NoteText, TextError, UserId, escape_html, fit,
    plural, slug,
};
pub use timeline::{DRILL_NOT_RUN, EventKind, TimelineEvent};
pub use timer::{Timer, TimerKind};
pub use verdict::{COPY_ONLY, RiskPolicy, Verdict};
