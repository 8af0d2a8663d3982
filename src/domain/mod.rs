//! The incident world without any IO: incidents, severities, statuses, roles, the timeline and
//! the command grammar. Nothing here knows about databases, chats or async.

mod command;
mod incident;
mod progress;
mod runbook;
mod severity;
mod status;
mod text;
mod timeline;

pub use command::{Action, Command, MAX_COMMAND_CHARS, ParseError, USAGE, parse, strip_invocation};
pub use incident::{Incident, IncidentNumber, Refusal, Role};
pub use progress::{AttachedRunbook, NumberedStep, StepOutcome, StepState};
pub use runbook::{Risk, Runbook, Section, Step};
pub use severity::{Severity, UnknownSeverity};
pub use status::{Status, UnknownStatus};
pub use text::{IncidentTitle, MAX_NOTE_CHARS, MAX_TITLE_CHARS, NoteText, TextError, UserId, slug};
pub use timeline::{EventKind, TimelineEvent};
