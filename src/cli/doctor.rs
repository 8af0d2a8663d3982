//! `warroom doctor`: checks what a deployment depends on before it goes live, and names the fix
//! for each problem. It exits 1 when any check fails.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::chat::matrix::{Credentials, check as matrix_check};
use crate::chat::slack::check as slack_check;
use crate::config::Config;
use crate::domain::plural;
use crate::store::Store;

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Ok,
    Warn,
    Fail,
}

/// One line of the report, and for a failure what to do about it.
struct Finding {
    verdict: Verdict,
    what: String,
    fix: Option<String>,
}

#[derive(Default)]
struct Report {
    findings: Vec<Finding>,
}

impl Report {
    fn ok(&mut self, what: impl Into<String>) {
        self.push(Verdict::Ok, what.into(), None);
    }

    fn warn(&mut self, what: impl Into<String>, fix: impl Into<String>) {
        self.push(Verdict::Warn, what.into(), Some(fix.into()));
    }

    fn fail(&mut self, what: impl Into<String>, fix: impl Into<String>) {
        self.push(Verdict::Fail, what.into(), Some(fix.into()));
    }

    fn push(&mut self, verdict: Verdict, what: String, fix: Option<String>) {
        self.findings.push(Finding { verdict, what, fix });
    }

    fn failures(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.verdict == Verdict::Fail)
            .count()
    }

    fn print(&self) {
        for f in &self.findings {
            let tag = match f.verdict {
                Verdict::Ok => "ok  ",
                Verdict::Warn => "warn",
                Verdict::Fail => "FAIL",
            };
            println!("{tag}  {}", f.what);
            if let Some(fix) = &f.fix {
                println!("      fix: {fix}");
            }
        }
        let n = self.failures();
        match n {
            0 => println!("no problems"),
            1 => println!("1 problem"),
            n => println!("{n} problems"),
        }
    }
}

/// Runs every check and prints the report; 1 when anything failed.
pub async fn run(config: &Config, file: &Path) -> ExitCode {
    let mut report = Report::default();
    check_config(config, file, &mut report);
    check_database(config, &mut report).await;
    check_slack(config, &mut report).await;
    check_matrix(config, &mut report).await;
    check_runbooks(config, &mut report);
    check_escalation(config, &mut report);
    check_programs(config, &mut report);
    report.print();
    if report.failures() == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn check_config(config: &Config, file: &Path, report: &mut Report) {
    let source = if file.exists() {
        format!("configuration {}", file.display())
    } else {
        format!("no {} here: the defaults", file.display())
    };
    report.ok(source);
    for key in config.unknown_keys() {
        let fix = match Config::suggest_key(key) {
            Some(meant) => format!("rename it to {meant}"),
            None => "remove it (see `warroom config example` for every key)".to_owned(),
        };
        report.fail(
            format!("unknown key '{key}' in {} is ignored", file.display()),
            fix,
        );
    }
}

async fn check_database(config: &Config, report: &mut Report) {
    let shown = config.database_url_redacted();
    let store = match Store::connect_as_is(&config.database_url).await {
        Ok(store) => store,
        Err(e) => {
            let said = e.to_string();
            let fix = if said.contains("no such file") {
                "warroom migrate creates it (or set database_url to the database you meant)"
            } else {
                "start the database, or set database_url (WARROOM_DATABASE_URL) to the right one"
            };
            report.fail(said, fix);
            return;
        }
    };
    let pending = store.pending_migrations().await;
    if pending.is_empty() {
        report.ok(format!(
            "database {shown} ({}), schema up to date",
            store.backend()
        ));
    } else {
        let names: Vec<String> = pending.iter().map(|(v, d)| format!("{v} {d}")).collect();
        report.fail(
            format!(
                "database {shown}: {} pending: {}",
                plural(pending.len(), "migration"),
                names.join(", ")
            ),
            "warroom migrate (take a backup first: warroom backup --out FILE)",
        );
        return;
    }
    if let Err(e) = store.probe_write().await {
        report.fail(
            format!("database {shown} cannot take a write: {e}"),
            "give Warroom write access to the database (a file's folder, or the role's grants)",
        );
    }
}

async fn check_slack(config: &Config, report: &mut Report) {
    let slack = &config.slack;
    if !slack.enabled() {
        return;
    }
    let secrets = match slack.secrets() {
        Ok(s) => s,
        Err(e) => {
            report.fail(format!("slack: {e}"), "see docs/SLACK_SETUP.md, step 2");
            return;
        }
    };
    let api = slack.api_url();
    let identity = match slack_check::identity(api, &secrets.bot_token).await {
        Ok(identity) => identity,
        Err(e) => {
            report.fail(
                format!("slack: {e}"),
                "set WARROOM_SLACK__BOT_TOKEN to the app's Bot User OAuth Token (xoxb-…, under OAuth & Permissions), and install the app to the workspace",
            );
            return;
        }
    };
    report.ok(format!(
        "slack: the bot token is {} ({}) in {}",
        identity.user, identity.user_id, identity.team
    ));
    let missing = identity.missing_scopes();
    if missing.is_empty() {
        report.ok(format!(
            "slack: all {} scopes granted",
            slack_check::BOT_SCOPES.len()
        ));
    } else {
        report.fail(
            format!("slack: the token lacks {}", missing.join(", ")),
            "add them under OAuth & Permissions (or create the app from deploy/slack/manifest-http.json) and reinstall the app",
        );
    }
    let rooms = config.announce_rooms().unwrap_or_default();
    if let Some(channel) = rooms.get(&crate::domain::Platform::Slack) {
        match slack_check::is_member(api, &secrets.bot_token, channel).await {
            Ok(true) => report.ok(format!(
                "slack: the bot is in the announce channel {channel}"
            )),
            Ok(false) => report.fail(
                format!("slack: the bot is not in the announce channel {channel}"),
                format!("in that channel: /invite @{}", identity.user),
            ),
            Err(e) => report.fail(
                format!("slack: the announce channel: {e}"),
                "set slack.announce_room to a channel id (C0123…) the bot can see",
            ),
        }
    }
}

async fn check_matrix(config: &Config, report: &mut Report) {
    let matrix = &config.matrix;
    let Some(homeserver) = matrix.homeserver.as_deref() else {
        return;
    };
    let Some(user) = matrix.user.as_deref() else {
        report.fail(
            "matrix: homeserver is set but user is not",
            "set matrix.user to the bot's account (@warroom:example.org)",
        );
        return;
    };
    let credentials = match super::matrix::credentials(matrix) {
        Ok(c) => c,
        Err(e) => {
            report.fail(format!("matrix: {e}"), "see docs/MATRIX_SETUP.md, step 2");
            return;
        }
    };
    let how = match credentials {
        Credentials::AccessToken(_) => "access token",
        Credentials::Password(_) => "password",
    };
    let session = match matrix_check::Session::open(homeserver, user, &credentials).await {
        Ok(session) => session,
        Err(e) => {
            report.fail(
                format!("matrix: {e}"),
                "set WARROOM_MATRIX__ACCESS_TOKEN (or WARROOM_MATRIX__PASSWORD) for the bot's account; see docs/MATRIX_SETUP.md",
            );
            return;
        }
    };
    if session.user_id == user {
        report.ok(format!(
            "matrix: logged in as {user} ({how}) at {homeserver}"
        ));
    } else {
        report.fail(
            format!(
                "matrix: the {how} belongs to {}, not to {user}",
                session.user_id
            ),
            "use the bot account's credentials, or set matrix.user to that account",
        );
    }
    let mut rooms: Vec<String> = matrix.rooms.clone();
    rooms.extend(matrix.announce_room.iter().cloned());
    rooms.dedup();
    for room in rooms {
        match session.can_post_in(&room).await {
            Ok(()) => report.ok(format!("matrix: the bot is in {room} and may post")),
            Err(e) => report.fail(
                format!("matrix: {e}"),
                format!("invite {user} to {room} (it joins configured rooms when invited) and let it post messages"),
            ),
        }
    }
    session.close().await;
}

fn check_runbooks(config: &Config, report: &mut Report) {
    let paths: Vec<PathBuf> = super::runbooks::runbook_paths(config, &[]);
    let loaded = crate::runbook::load_paths(&paths);
    let secrets = config.actions.secrets.keys().cloned().collect();
    let warnings =
        crate::runbook::warnings(&loaded.runbooks, &config.actions.risk_policy(), &secrets);
    let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    report.ok(format!(
        "runbooks: {} from {}",
        plural(loaded.runbooks.len(), "runbook"),
        if shown.is_empty() {
            "nowhere (no runbooks folder)".to_owned()
        } else {
            shown.join(", ")
        }
    ));
    for problem in &loaded.problems {
        report.fail(
            format!("runbooks: {problem}"),
            "mend the file (warroom runbooks lint lists every problem)",
        );
    }
    if !warnings.is_empty() {
        report.warn(
            format!(
                "runbooks: {} about steps that will not run or secrets not configured",
                plural(warnings.len(), "warning")
            ),
            "warroom runbooks lint shows each one",
        );
    }
}

fn check_escalation(config: &Config, report: &mut Report) {
    let (policies, rotations) = match (
        config.escalation.policies(),
        crate::config::rotations(&config.rotations),
    ) {
        (Ok(p), Ok(r)) => (p, r),
        (Err(e), _) => return report.fail(format!("[escalation]: {e}"), "mend [escalation]"),
        (_, Err(e)) => return report.fail(format!("[[rotations]]: {e}"), "mend [[rotations]]"),
    };
    let nobody = crate::engine::paging_warnings(
        &policies,
        &rotations,
        &config.responders,
        chrono::Utc::now(),
    );
    if nobody.is_empty() {
        report.ok("escalation: every target finds someone now");
    }
    for line in nobody {
        report.fail(
            format!("escalation: {line}"),
            "add the rotation to [[rotations]] or name people instead (warroom oncall shows whom each severity pages)",
        );
    }
}

fn check_programs(config: &Config, report: &mut Report) {
    let allowed = &config.actions.allowed_programs;
    if allowed.is_empty() {
        return;
    }
    let missing: Vec<&String> = allowed
        .iter()
        .filter(|program| !crate::executor::program_found(program))
        .collect();
    if missing.is_empty() {
        report.ok(format!(
            "actions: {} found on PATH",
            plural(allowed.len(), "allowed program")
        ));
    }
    for program in missing {
        report.fail(
            format!("actions: {program} is allowed but not found on PATH"),
            format!("install {program} for the user Warroom runs as, or remove it from [actions] allowed_programs"),
        );
    }
}
