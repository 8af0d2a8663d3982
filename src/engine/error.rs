//! Why the engine did nothing, in one type every service answers with.

use super::postmortem::PostmortemError;
use crate::domain::Refusal;
use crate::store::StoreError;

/// Why the engine did nothing. A person sees [`EngineError::sentence`]; callers decide by
/// the variant (HTTP maps them to status codes).
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// A domain rule said no.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// The command does not fit here; the text says why and what to do.
    #[error("{0}")]
    Usage(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The post-mortem template failed.
    #[error(transparent)]
    Postmortem(#[from] PostmortemError),
    /// There is no chat to tell (timers fired with no chat configured at all).
    #[error("no chat to page through")]
    NoChat,
}

impl EngineError {
    /// The sentence a person sees: the rule or usage that said no, or what failed in plain
    /// words (a database's own text only where it means something to them).
    pub fn sentence(&self) -> String {
        match self {
            EngineError::Refused(r) => r.to_string(),
            EngineError::Usage(s) => s.clone(),
            EngineError::Store(
                e @ (StoreError::ReadOnly
                | StoreError::Unavailable(_)
                | StoreError::Locked(_)
                | StoreError::Full
                | StoreError::Conflict(_)),
            ) => e.to_string(),
            EngineError::Store(_) => {
                "the database failed, so nothing was recorded; the log has the details".to_owned()
            }
            EngineError::Postmortem(e) => format!("the post-mortem could not be written: {e}"),
            EngineError::NoChat => self.to_string(),
        }
    }

    /// Whether trying the same again later may work (the database or a chat was away), as
    /// opposed to a request that is wrong as it is.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            EngineError::Store(
                StoreError::Unavailable(_)
                    | StoreError::Locked(_)
                    | StoreError::Full
                    | StoreError::ReadOnly
                    | StoreError::Conflict(_)
            )
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_say_plainly_what_failed_and_whether_to_try_again() {
        let away = EngineError::Store(StoreError::ReadOnly);
        assert!(away.is_transient());
        assert_eq!(
            away.sentence(),
            "the database is read-only, so nothing could be recorded"
        );
        let broken = EngineError::Store(StoreError::Decode("column 7: bad JSON".into()));
        assert!(!broken.is_transient());
        assert!(
            !broken.sentence().contains("column 7"),
            "{}",
            broken.sentence()
        );
        let usage = EngineError::Usage("name the incident, as in `ack INC-7`".into());
        assert!(!usage.is_transient());
        assert_eq!(usage.sentence(), "name the incident, as in `ack INC-7`");
        assert_eq!(EngineError::NoChat.sentence(), "no chat to page through");
    }
}
