//! Who may declare incidents and run runbook steps. Approving has its own rule (the commander
//! or a configured approver, never the requester: see `action`). An empty list means anyone
//! in the chat, which is how most teams start.

use super::text::UserId;

/// Who may do what, from the configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Permissions {
    /// Who may declare incidents; empty: anyone.
    pub declare: Vec<UserId>,
    /// Who may run runbook steps' commands (or ask for a write action); empty: anyone.
    pub run: Vec<UserId>,
}

/// A person asked for something the configuration keeps for others.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "only {allowed} may {what} here; ask one of them, or an admin to add you to [permissions] {key}"
)]
pub struct NotPermitted {
    /// What was asked, in words.
    what: &'static str,
    /// The configuration key that decides it.
    key: &'static str,
    /// Who may, as mentions (at most five, then a count).
    allowed: String,
}

impl Permissions {
    /// Whether `user` may declare an incident.
    pub fn may_declare(&self, user: &UserId) -> Result<(), NotPermitted> {
        check(&self.declare, user, "declare incidents", "declare")
    }

    /// Whether `user` may run a step's command or ask for it to be run.
    pub fn may_run(&self, user: &UserId) -> Result<(), NotPermitted> {
        check(&self.run, user, "run runbook steps", "run")
    }
}

fn check(
    list: &[UserId],
    user: &UserId,
    what: &'static str,
    key: &'static str,
) -> Result<(), NotPermitted> {
    if list.is_empty() || list.contains(user) {
        return Ok(());
    }
    let mut shown: Vec<String> = list.iter().take(5).map(|u| format!("@{u}")).collect();
    if list.len() > 5 {
        shown.push(format!("{} more", list.len() - 5));
    }
    Err(NotPermitted {
        what,
        key,
        allowed: shown.join(", "),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(name: &str) -> UserId {
        UserId::parse(name).unwrap()
    }

    #[test]
    fn empty_lists_let_anyone_do_anything() {
        let open = Permissions::default();
        assert_eq!(open.may_declare(&user("mallory")), Ok(()));
        assert_eq!(open.may_run(&user("mallory")), Ok(()));
    }

    #[test]
    fn a_list_keeps_the_verb_for_the_people_on_it() {
        let kept = Permissions {
            declare: vec![user("alice"), user("bob")],
            run: Vec::new(),
        };
        assert_eq!(kept.may_declare(&user("bob")), Ok(()));
        let refused = kept.may_declare(&user("mallory")).unwrap_err();
        assert_eq!(
            refused.to_string(),
            "only @alice, @bob may declare incidents here; ask one of them, or an admin to add you to [permissions] declare"
        );
        assert_eq!(kept.may_run(&user("mallory")), Ok(()));
    }

    #[test]
    fn a_long_list_is_cut_to_five_names_and_a_count() {
        let kept = Permissions {
            declare: Vec::new(),
            run: (1..=7).map(|i| user(&format!("sre{i}"))).collect(),
        };
        let refused = kept.may_run(&user("mallory")).unwrap_err().to_string();
        assert!(
            refused.starts_with(
                "only @sre1, @sre2, @sre3, @sre4, @sre5, 2 more may run runbook steps"
            ),
            "{refused}"
        );
    }
}
