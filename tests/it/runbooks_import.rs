//! The runbook importer on runbooks as people write them.
//!
//! Each fixture in tests/fixtures/runbooks is imported and compared, in the shape of
//! `warroom runbooks list --json`, with the .json beside it; `WARROOM_UPDATE_GOLDEN=1`
//! rewrites those. The two real-world collections in ../shared/sample-runbooks are checked
//! for specific facts when that folder exists (the tests say they were skipped otherwise).

use std::path::{Path, PathBuf};
use std::{env, fs};

use warroom::domain::{RiskPolicy, Section, Severity};
use warroom::runbook::listing::listing;
use warroom::runbook::{Imported, import_markdown, load_paths};

const FIXTURES: &str = "tests/fixtures/runbooks";

fn import_fixture(name: &str) -> Imported {
    let path = format!("{FIXTURES}/{name}.md");
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    import_markdown(&path, &text)
}

/// Imports a fixture and compares it with its golden listing.
fn matches_golden(name: &str) {
    let imported = import_fixture(name);
    assert!(
        imported.problems.is_empty(),
        "{name}: {:#?}",
        imported.problems
    );
    let actual =
        serde_json::to_string_pretty(&listing(&imported.runbooks, &RiskPolicy::built_in()))
            .expect("json")
            + "\n";
    let golden = format!("{FIXTURES}/{name}.json");
    if env::var_os("WARROOM_UPDATE_GOLDEN").is_some() {
        fs::write(&golden, &actual).unwrap_or_else(|e| panic!("{golden}: {e}"));
        return;
    }
    let expected = fs::read_to_string(&golden)
        .unwrap_or_else(|e| panic!("{golden}: {e} (WARROOM_UPDATE_GOLDEN=1 writes it)"));
    assert_eq!(
        actual, expected,
        "{name} differs from {golden} (WARROOM_UPDATE_GOLDEN=1 rewrites it)"
    );
}

#[test]
fn a_collection_of_quick_fixes_matches_its_golden_listing() {
    matches_golden("quick-fixes");
}

#[test]
fn a_collection_tagged_rb_nnn_matches_its_golden_listing() {
    matches_golden("rb-collection");
}

#[test]
fn a_runbook_written_for_warroom_matches_its_golden_listing() {
    matches_golden("warroom-native");
}

#[test]
fn decorated_and_mis_encoded_runbooks_match_their_golden_listing() {
    matches_golden("decorated");
}

#[test]
fn front_matter_and_fence_annotations_fill_the_model() {
    let imported = import_fixture("warroom-native");
    let runbook = &imported.runbooks[0];
    assert_eq!(runbook.keywords, ["latency", "p99", "slow"]);
    assert_eq!(runbook.services, ["api-gateway", "checkout-api"]);
    assert_eq!(runbook.severity, Some(Severity::P1));
    assert_eq!(runbook.owner.as_deref(), Some("team-api"));
    assert_eq!(runbook.prevention.len(), 2);
    let rollback = runbook
        .steps
        .iter()
        .find(|s| s.action.as_deref() == Some("rollback-api"))
        .expect("rollback step");
    assert_eq!(rollback.timeout_secs, Some(120));
    assert_eq!(rollback.section, Section::Mitigation);
    assert_eq!(rollback.line, 38);
}

#[test]
fn labelled_lines_give_severity_and_owner() {
    let imported = import_fixture("rb-collection");
    let facts: Vec<_> = imported
        .runbooks
        .iter()
        .map(|r| (r.severity, r.owner.as_deref()))
        .collect();
    assert_eq!(
        facts,
        [
            (Some(Severity::P0), Some("Messaging SRE")),
            (Some(Severity::P1), Some("Security Engineering")),
        ]
    );
    let decorated = import_fixture("decorated");
    assert_eq!(decorated.runbooks[0].severity, Some(Severity::P1));
    assert_eq!(
        decorated.runbooks[0].owner.as_deref(),
        Some("storefront-oncall")
    );
}

#[test]
fn the_fixture_folder_loads_with_relative_names_and_the_readme_adds_nothing() {
    let readme = import_fixture("README");
    assert_eq!(readme, Imported::default());

    // The folder's own files; the collections under it (written elsewhere) have tests of
    // their own.
    let mut files: Vec<PathBuf> = fs::read_dir(FIXTURES)
        .expect("the fixture folder")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    files.sort();
    let loaded = load_paths(&files);
    assert!(loaded.problems.is_empty(), "{:#?}", loaded.problems);
    let sources: Vec<&str> = loaded.runbooks.iter().map(|r| r.source.as_str()).collect();
    assert_eq!(sources.len(), 2 + 3 + 2 + 1, "{sources:?}");
    assert!(sources[0].starts_with("tests/fixtures/runbooks/decorated.md:"));
    assert!(
        sources
            .iter()
            .all(|s| s.starts_with("tests/fixtures/runbooks/"))
    );
}

/// A sample from ../shared/sample-runbooks, or None (and a note) when it is not there.
fn sample(name: &str) -> Option<Imported> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/sample-runbooks");
    let path = dir.join(name);
    match fs::read_to_string(&path) {
        Ok(text) => Some(import_markdown(name, &text)),
        Err(_) => {
            eprintln!("skipped: {} is not there", path.display());
            None
        }
    }
}

fn titles(imported: &Imported) -> Vec<&str> {
    imported.runbooks.iter().map(|r| r.title.as_str()).collect()
}

#[test]
fn the_common_incidents_sample_has_nine_runbooks_and_no_pages_as_runbooks() {
    let Some(imported) = sample("common-incidents.md") else {
        return;
    };
    assert!(imported.problems.is_empty(), "{:#?}", imported.problems);
    let titles = titles(&imported);
    assert_eq!(titles.len(), 9, "{titles:?}");
    for title in [
        "Database Connection Pool Exhausted",
        "Out of Memory (OOM) Errors",
        "Background Job Failures",
        "React Native Worklets Version Mismatch",
    ] {
        assert!(titles.contains(&title), "{title} missing from {titles:?}");
    }
    for page in [
        "Plain English Summary",
        "How to Use This Runbook",
        "Incident Index",
        "General Troubleshooting Steps",
        "Related Documentation",
    ] {
        assert!(!titles.contains(&page), "{page} is not a runbook");
    }
    // Every runbook kept its checklist: the ```text closers did not swallow the headings.
    for runbook in &imported.runbooks {
        assert!(
            runbook.steps_in(Section::Verification).count() >= 3,
            "{}",
            runbook.title
        );
    }
}

#[test]
fn the_multi_line_psql_command_is_one_step_kept_whole() {
    let Some(imported) = sample("common-incidents.md") else {
        return;
    };
    let pool = &imported.runbooks[0];
    assert_eq!(pool.id, "database-connection-pool-exhausted");
    let killers: Vec<_> = pool
        .steps
        .iter()
        .filter(|s| {
            s.command
                .as_deref()
                .is_some_and(|c| c.contains("pg_terminate_backend"))
        })
        .collect();
    assert_eq!(killers.len(), 1);
    assert_eq!(killers[0].title, "Kill idle connections (if > 100)");
    assert_eq!(killers[0].line, 48);
    assert_eq!(
        killers[0].command.as_deref(),
        Some(
            "psql $DATABASE_URL -c \"\n  SELECT pg_terminate_backend(pid)\n  FROM pg_stat_activity\n  WHERE state = 'idle'\n  AND state_change < NOW() - INTERVAL '5 minutes';\n\""
        )
    );
}

#[test]
fn mojibake_in_the_samples_is_never_shown() {
    let Some(imported) = sample("common-incidents.md") else {
        return;
    };
    for runbook in &imported.runbooks {
        let texts = std::iter::once(&runbook.title)
            .chain(runbook.steps.iter().map(|s| &s.title))
            .chain(&runbook.symptoms)
            .chain(&runbook.prevention);
        for text in texts {
            assert!(
                !text.contains('ð') && !text.contains("â€") && !text.contains("âœ"),
                "{text}"
            );
        }
    }
}

#[test]
fn the_rb_collection_sample_has_eight_runbooks_with_their_alerts() {
    let Some(imported) = sample("incident-runbooks-collection.md") else {
        return;
    };
    assert!(imported.problems.is_empty(), "{:#?}", imported.problems);
    let ids: Vec<&str> = imported.runbooks.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "rb-001", "rb-002", "rb-003", "rb-004", "rb-005", "rb-006", "rb-007", "rb-008"
        ]
    );
    let rb001 = &imported.runbooks[0];
    assert_eq!(rb001.title, "Database Migration Failures");
    assert_eq!(rb001.source, "incident-runbooks-collection.md:17");
    assert!(rb001.alerts.contains(&"DatabaseMigrationFailed".to_owned()));
    assert_eq!(rb001.severity, Some(Severity::P1));
    assert_eq!(imported.runbooks[1].severity, Some(Severity::P0));
    assert_eq!(
        imported.runbooks[1].alerts,
        ["HighErrorRate", "ServiceUnreachable"]
    );
    assert_eq!(imported.runbooks[7].title, "Rate Limit Escalation");
    assert!(
        titles(&imported)
            .iter()
            .all(|t| !t.contains("Table of Contents"))
    );
}

#[test]
fn an_item_holding_a_config_snippet_stays_a_manual_step_and_prompts_are_stripped() {
    let text = "## Api Down\n\n### Fix\n\n1. Apply this config:\n\n   ```yaml\n   replicas: 3\n   ```\n\n2. Restart it:\n\n   ```\n   $ kubectl rollout restart deployment/api\n   deployment restarted\n   ```\n\n```\nERROR connection refused\n```\n";
    let imported = import_markdown("x.md", text);
    let steps: Vec<(&str, Option<&str>)> = imported.runbooks[0]
        .steps
        .iter()
        .map(|s| (s.title.as_str(), s.command.as_deref()))
        .collect();
    assert_eq!(
        steps,
        [
            ("Apply this config", None),
            ("Restart it", Some("kubectl rollout restart deployment/api")),
        ]
    );
}

/// The steps of the only runbook of `text`: heading, only_if and title, in order.
fn placed_steps(text: &str) -> Vec<(String, String, String)> {
    let imported = import_markdown("placed.md", text);
    assert_eq!(imported.runbooks.len(), 1, "{:?}", imported.problems);
    imported.runbooks[0]
        .steps
        .iter()
        .map(|s| {
            (
                s.heading.clone().unwrap_or_default(),
                s.only_if.clone().unwrap_or_default(),
                s.title.clone(),
            )
        })
        .collect()
}

#[test]
fn steps_keep_the_author_s_order_headings_and_conditions() {
    let text = "# API down\n\n## Diagnosis\n\n- Look at the dashboard\n\n\
        ## Immediate Actions (0-5 minutes)\n\n- Page the API team\n\n\
        **If the whole cluster is down:**\n\n- Fail over to the other region\n\n\
        **Step 2: Tell people**\n\n- Post on the status page\n\n\
        ### If the database rebooted\n\n- Check replication\n\n\
        ## Mitigation\n\n\
        - **Scenario A: Bad deploy**\n  1. Roll back\n  2. Watch errors\n\
        - **For every service:**\n  1. Restart it\n\
        - **If you have a support contract:** Open a ticket\n\n\
        ## Verification\n\n- [ ] Errors below 1%\n";
    let steps = placed_steps(text);
    let want = [
        ("Diagnosis", "", "Look at the dashboard"),
        ("Immediate Actions (0-5 minutes)", "", "Page the API team"),
        (
            "Immediate Actions (0-5 minutes)",
            "If the whole cluster is down",
            "Fail over to the other region",
        ),
        // A bold label of another kind ends the condition.
        (
            "Immediate Actions (0-5 minutes)",
            "",
            "Post on the status page",
        ),
        // A heading that is a condition is both.
        (
            "If the database rebooted",
            "If the database rebooted",
            "Check replication",
        ),
        ("Mitigation", "Scenario A: Bad deploy", "Roll back"),
        ("Mitigation", "Scenario A: Bad deploy", "Watch errors"),
        // A case that is not a condition still heads its items, as a prefix.
        ("Mitigation", "", "For every service: Restart it"),
        (
            "Mitigation",
            "If you have a support contract",
            "Open a ticket",
        ),
        ("Verification", "", "Errors below 1%"),
    ];
    let want: Vec<(String, String, String)> = want
        .iter()
        .map(|(h, c, t)| ((*h).into(), (*c).into(), (*t).into()))
        .collect();
    assert_eq!(steps, want);
}

#[test]
fn the_shared_collection_s_scenarios_become_conditions_not_steps() {
    let Some(imported) = sample("incident-runbooks-collection.md") else {
        return;
    };
    let rb = &imported.runbooks[0];
    let scenario_b: Vec<&str> = rb
        .steps
        .iter()
        .filter(|s| {
            s.only_if
                .as_deref()
                .is_some_and(|c| c.starts_with("Scenario B"))
        })
        .map(|s| s.title.as_str())
        .collect();
    assert_eq!(scenario_b.len(), 3, "{:#?}", rb.steps);
    assert!(rb.steps.iter().all(|s| !s.title.starts_with("Scenario")));
}

#[test]
fn a_file_that_is_one_procedure_without_section_headings_is_one_runbook() {
    // As the GitLab runbooks write them: a title, prose, and headings of the author's own.
    let text = "# Load Balancer Outage\n\nWe use Azure load balancers for postgres failover.\n\n\
        ## Determine if the outage is the vendor or us\n\n\
        If the status page shows no issues, check the workers. The command I used was:\n\n\
        ```\nbundle exec knife ssh 'role:worker' 'echo exit | telnet 10.1.0.25 5432'\n```\n\n\
        You should see something like this for each host:\n\n\
        ```\nConnected to 10.1.0.25.\n```\n\n\
        ## Workaround for Postgres\n\n1. Point the workers at the primary.\n\
        1. Run chef-client on all the workers.\n";
    let imported = import_markdown("lb.md", text);
    assert!(imported.problems.is_empty(), "{:?}", imported.problems);
    let [runbook] = imported.runbooks.as_slice() else {
        panic!("{:?}", imported.runbooks);
    };
    assert_eq!(runbook.title, "Load Balancer Outage");
    let steps: Vec<(&str, Option<&str>, Option<&str>)> = runbook
        .steps
        .iter()
        .map(|s| (s.title.as_str(), s.command.as_deref(), s.only_if.as_deref()))
        .collect();
    // The block the paragraph announces is a command whatever program it names, the output
    // after it is not, and a paragraph of sentences that starts with `If` is no condition (it
    // titles the step, so the author's "if" is still read).
    assert_eq!(
        steps,
        [
            (
                "If the status page shows no issues, check the workers. The command I used was",
                Some("bundle exec knife ssh 'role:worker' 'echo exit | telnet 10.1.0.25 5432'"),
                None
            ),
            ("Point the workers at the primary.", None, None),
            ("Run chef-client on all the workers.", None, None),
        ]
    );

    // A README or index page, a page titled like a collection, and a page with nothing to
    // do stay out, without a problem.
    for (file, text) in [
        ("README.md", "# Load balancers\n\n1. Copy a file.\n"),
        ("docs/lb.md", "# Runbooks\n\n1. Copy a file.\n"),
        (
            "lb.md",
            "# Load balancers\n\nWe use Azure load balancers.\n",
        ),
    ] {
        let imported = import_markdown(file, text);
        assert!(
            imported.runbooks.is_empty(),
            "{file}: {:?}",
            imported.runbooks
        );
        assert!(
            imported.problems.is_empty(),
            "{file}: {:?}",
            imported.problems
        );
    }
}
