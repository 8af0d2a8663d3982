//! The store's stories, told the same way to SQLite (always) and PostgreSQL (when
//! `WARROOM_TEST_POSTGRES_URL` names a server), plus what only SQLite files can do.

mod support;

mod chat_stories;

mod timer_stories;

mod delivery_stories;
mod matrix_stories;
mod outbox_stories;

use std::collections::BTreeSet;

use warroom::domain::{EventKind, IncidentNumber, NoteText, Role, Severity, Status};
use warroom::store::{Store, StoreError};

use chat_stories::*;
use delivery_stories::*;
use matrix_stories::*;
use outbox_stories::*;
use support::{at, title, user};
use timer_stories::*;

/// Each story runs once per backend: `on_sqlite::<story>` and `on_postgres::<story>`.
macro_rules! stories {
    ($($story:ident),* $(,)?) => {
        mod on_sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $story() {
                    crate::store::support::on_sqlite(crate::store::$story).await;
                }
            )*
        }
        mod on_postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $story() {
                    crate::store::support::on_postgres(stringify!($story), crate::store::$story).await;
                }
            )*
        }
    };
}

stories!(
    incidents_are_numbered_inc_1_then_inc_2,
    an_unknown_incident_is_none_with_an_empty_timeline,
    recorded_events_read_back_as_the_same_incident_and_timeline,
    times_are_kept_to_the_microsecond,
    a_stale_version_is_refused_as_a_conflict_and_nothing_is_written,
    of_two_simultaneous_changes_one_wins_and_one_conflicts,
    twenty_concurrent_declares_get_twenty_distinct_gap_free_numbers,
    open_incidents_leave_out_resolved_ones_and_list_the_newest_first,
    a_war_room_is_found_from_its_incident_and_the_incident_from_its_room,
    saving_a_card_again_replaces_where_it_was_posted,
    the_same_command_always_gets_the_same_button,
    an_unknown_button_is_none,
    a_timeline_of_a_thousand_events_comes_back_in_order,
    the_latest_activity_is_the_newest_event_of_any_incident,
    attached_runbooks_and_their_progress_read_back_the_same,
    each_due_timer_goes_to_one_of_many_concurrent_claimers,
    a_claim_whose_lease_ran_out_is_taken_over_and_fires_once,
    an_approval_timer_reads_back_with_its_request,
    an_acknowledge_link_is_used_once,
    acknowledging_cancels_pages_and_resolving_cancels_the_rest,
    a_batch_records_the_pages_that_fit_and_leaves_the_moved_on_ones_claimed,
    a_batch_by_someone_whose_claims_ran_out_marks_nothing_fired,
    a_matrix_event_is_claimed_once_also_by_concurrent_claimers,
    the_matrix_session_and_sync_token_are_kept_per_bot,
    direct_rooms_are_remembered_per_bot_and_person,
    emoji_keys_point_at_buttons_and_keep_the_bots_reaction,
    a_delivery_is_taken_once_by_twenty_concurrent_claimers,
    a_quoted_message_reads_back_with_its_author_and_time,
    outbox_entries_are_written_with_their_change_and_not_without_it,
    a_lane_gives_out_its_entries_one_at_a_time_in_order,
    a_failed_head_holds_its_lane_until_its_retry_and_a_refusal_lets_it_move_on,
    a_head_whose_lease_ran_out_is_taken_over_and_its_first_claimer_cannot_mark_it,
    each_lane_head_goes_to_one_of_many_concurrent_claimers,
    an_open_incident_of_a_chat_without_a_war_room_there_is_found_for_repair,
    a_day_s_digest_is_claimed_once_by_concurrent_replicas,
);

async fn declare(store: &Store, text: &str) -> warroom::domain::Incident {
    store
        .declare(&title(text), Severity::P1, &user("alice"), at(0))
        .await
        .expect("declared")
        .0
}

async fn incidents_are_numbered_inc_1_then_inc_2(store: Store) {
    let (first, declared) = store
        .declare(
            &title("Checkout API returns 500s"),
            Severity::P1,
            &user("alice"),
            at(0),
        )
        .await
        .expect("declared");
    assert_eq!(first.number.to_string(), "INC-1");
    assert_eq!((declared.incident, declared.seq), (IncidentNumber(1), 1));
    assert_eq!(first.commander, Some(user("alice")));

    let second = declare(&store, "Search is slow").await;
    assert_eq!(second.number.to_string(), "INC-2");
    assert_eq!(
        store.incident(IncidentNumber(1)).await.unwrap(),
        Some(first)
    );
    assert_eq!(
        store.timeline(IncidentNumber(1)).await.unwrap(),
        vec![declared]
    );
}

async fn an_unknown_incident_is_none_with_an_empty_timeline(store: Store) {
    assert_eq!(store.incident(IncidentNumber(42)).await.unwrap(), None);
    assert!(store.timeline(IncidentNumber(42)).await.unwrap().is_empty());
    assert!(store.open_incidents().await.unwrap().is_empty());
}

async fn recorded_events_read_back_as_the_same_incident_and_timeline(store: Store) {
    let (mut incident, declared) = store
        .declare(
            &title("Checkout API returns 500s"),
            Severity::P1,
            &user("alice"),
            at(0),
        )
        .await
        .unwrap();
    let mut events = vec![declared];
    let note = NoteText::parse("rolled back the 14:00 deploy").unwrap();
    let steps = [
        (incident.acknowledge().unwrap(), "bob"),
        (
            incident.assign(Role::Scribe, user("carol")).unwrap(),
            "alice",
        ),
        (incident.assign(Role::Comms, user("dave")).unwrap(), "alice"),
        (
            incident.change_severity(Severity::P0, None).unwrap(),
            "alice",
        ),
        (
            incident
                .change_status(Status::Mitigated, Some(note))
                .unwrap(),
            "bob",
        ),
        (
            incident.change_status(Status::Resolved, None).unwrap(),
            "alice",
        ),
    ];
    for (minute, (kind, who)) in (1..).zip(steps) {
        let event = incident.event(kind, user(who), at(minute));
        incident.apply(&event);
        store.record(&incident, &event).await.expect("recorded");
        events.push(event);
    }

    let stored = store.incident(incident.number).await.unwrap();
    assert_eq!(stored.as_ref(), Some(&incident));
    let timeline = store.timeline(incident.number).await.unwrap();
    assert_eq!(timeline, events);
    assert_eq!(warroom::domain::Incident::from_timeline(&timeline), stored);
}

async fn times_are_kept_to_the_microsecond(store: Store) {
    let precise = at(0) + chrono::Duration::nanoseconds(789);
    let (incident, event) = store
        .declare(&title("Clock skew"), Severity::P3, &user("alice"), precise)
        .await
        .unwrap();
    assert_eq!(incident.declared_at, at(0));
    assert_eq!(event.at, at(0));
    assert_eq!(
        store.incident(incident.number).await.unwrap(),
        Some(incident)
    );
}

async fn a_stale_version_is_refused_as_a_conflict_and_nothing_is_written(store: Store) {
    let read_by_alice = declare(&store, "Checkout API returns 500s").await;
    let read_by_bob = read_by_alice.clone();

    let mut alice = read_by_alice;
    let ack = alice.event(alice.acknowledge().unwrap(), user("alice"), at(1));
    alice.apply(&ack);
    store
        .record(&alice, &ack)
        .await
        .expect("the first change wins");

    let mut bob = read_by_bob;
    let sev = bob.change_severity(Severity::P0, None).unwrap();
    let sev = bob.event(sev, user("bob"), at(2));
    bob.apply(&sev);
    let refused = store.record(&bob, &sev).await;
    assert!(
        matches!(refused, Err(StoreError::Conflict(n)) if n == bob.number),
        "{refused:?}"
    );

    // An event that skips a version is refused too.
    let mut skipping = alice.clone();
    let mut note = skipping.event(
        skipping.note(NoteText::parse("x").unwrap()).unwrap(),
        user("bob"),
        at(3),
    );
    note.seq += 1;
    skipping.apply(&note);
    assert!(matches!(
        store.record(&skipping, &note).await,
        Err(StoreError::Conflict(_))
    ));

    assert_eq!(
        store.incident(alice.number).await.unwrap(),
        Some(alice.clone())
    );
    assert_eq!(store.timeline(alice.number).await.unwrap().len(), 2);
}

async fn of_two_simultaneous_changes_one_wins_and_one_conflicts(store: Store) {
    let incident = declare(&store, "Checkout API returns 500s").await;
    let attempts = ["alice", "bob"].map(|who| {
        let (store, mut incident) = (store.clone(), incident.clone());
        tokio::spawn(async move {
            let note = incident.note(NoteText::parse(who).unwrap()).unwrap();
            let event = incident.event(note, user(who), at(1));
            incident.apply(&event);
            store.record(&incident, &event).await
        })
    });
    let mut outcomes = Vec::new();
    for attempt in attempts {
        outcomes.push(attempt.await.expect("the task finished"));
    }
    assert_eq!(
        outcomes.iter().filter(|o| o.is_ok()).count(),
        1,
        "{outcomes:?}"
    );
    assert!(
        outcomes
            .iter()
            .any(|o| matches!(o, Err(StoreError::Conflict(_))))
    );
    assert_eq!(store.timeline(incident.number).await.unwrap().len(), 2);
}

async fn twenty_concurrent_declares_get_twenty_distinct_gap_free_numbers(store: Store) {
    let declares: Vec<_> = (0..20)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                let text = format!("Outage number {i}");
                store
                    .declare(&title(&text), Severity::P2, &user("alice"), at(i))
                    .await
            })
        })
        .collect();
    let mut numbers = BTreeSet::new();
    for declare in declares {
        let (incident, event) = declare.await.expect("the task finished").expect("declared");
        assert_eq!(event.incident, incident.number);
        numbers.insert(incident.number.0);
    }
    assert_eq!(numbers, (1..=20).collect::<BTreeSet<u32>>());
    for n in numbers {
        assert_eq!(store.timeline(IncidentNumber(n)).await.unwrap().len(), 1);
    }
}

async fn open_incidents_leave_out_resolved_ones_and_list_the_newest_first(store: Store) {
    let first = declare(&store, "Checkout API returns 500s").await;
    let mut second = declare(&store, "Search is slow").await;
    let third = declare(&store, "Typo on the status page").await;

    let resolve = second.change_status(Status::Resolved, None).unwrap();
    let resolve = second.event(resolve, user("bob"), at(5));
    second.apply(&resolve);
    store.record(&second, &resolve).await.unwrap();
    let open = store.open_incidents().await.unwrap();
    assert_eq!(open, vec![third.clone(), first.clone()]);

    let reopen = second.reopen(None).unwrap();
    let reopen = second.event(reopen, user("bob"), at(6));
    second.apply(&reopen);
    store.record(&second, &reopen).await.unwrap();
    let numbers: Vec<u32> = store
        .open_incidents()
        .await
        .unwrap()
        .iter()
        .map(|i| i.number.0)
        .collect();
    assert_eq!(numbers, vec![3, 2, 1]);
}

async fn a_timeline_of_a_thousand_events_comes_back_in_order(store: Store) {
    let (mut incident, declared) = store
        .declare(
            &title("Checkout API returns 500s"),
            Severity::P1,
            &user("alice"),
            at(0),
        )
        .await
        .unwrap();
    let mut events = vec![declared];
    for i in 1..1000 {
        let kind = EventKind::Note {
            text: NoteText::parse(&format!("note {i}")).unwrap(),
        };
        let event = incident.event(kind, user("carol"), at(i));
        incident.apply(&event);
        store.record(&incident, &event).await.expect("recorded");
        events.push(event);
    }
    let timeline = store.timeline(incident.number).await.unwrap();
    assert_eq!(timeline.len(), 1000);
    assert!(timeline.iter().zip(1..).all(|(e, seq)| e.seq == seq));
    assert_eq!(timeline, events);
    assert_eq!(
        store
            .incident(incident.number)
            .await
            .unwrap()
            .map(|i| i.version),
        Some(1000)
    );
}

async fn the_latest_activity_is_the_newest_event_of_any_incident(store: Store) {
    assert_eq!(store.latest_activity().await.unwrap(), None);
    let mut late = store
        .declare(
            &title("Checkout API returns 500s"),
            Severity::P1,
            &user("alice"),
            at(30),
        )
        .await
        .unwrap()
        .0;
    store
        .declare(&title("Search is slow"), Severity::P2, &user("bob"), at(10))
        .await
        .unwrap();
    assert_eq!(store.latest_activity().await.unwrap(), Some(at(30)));

    // A later time within the same second still counts as later.
    let ack = late.event(
        late.acknowledge().unwrap(),
        user("bob"),
        at(30) + chrono::Duration::microseconds(1),
    );
    late.apply(&ack);
    store.record(&late, &ack).await.unwrap();
    assert_eq!(store.latest_activity().await.unwrap(), Some(ack.at));
}

mod sqlite_only;
