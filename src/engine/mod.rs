//! The engine: applies commands to incidents, records them through the store, and says what
//! the chat should show. It knows no chat; it speaks through [`port::ChatPort`].
//!
//! [`Engine`] is a small core (`core.rs`: store, clock, settings, memo, turns, the one way a
//! change is appended) and services that borrow it, each owning one part of the work:
//! [`Incidents`] (commands), [`Delivery`] (effects, war rooms, cards and the outbox),
//! [`Escalation`] (timers), [`Alerts`], [`Actions`] (runbook steps), [`Postmortems`] and
//! [`Sweep`] (runs cut short by a crash). docs/ARCHITECTURE.md draws the whole.

mod actions;
mod alerts;
pub mod browse;
pub mod clock;
mod core;
mod delivery;
mod digest;
pub mod effect;
mod error;
mod escalation;
mod incidents;
pub mod ledger;
mod memo;
pub mod message;
pub mod port;
pub mod postmortem;
pub mod report;
pub mod status_page;
mod sweep;
mod views;

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::domain::{IncidentNumber, Permissions, Platform, Policies, RoomId, Rotation, UserId};
use crate::runbook::Library;
use crate::store::Store;

use self::core::Core;
use clock::Clock;
use postmortem::PostmortemRenderer;

pub use actions::{ActionSettings, Actions, SecretReader};
pub use alerts::{AlertOutcome, AlertSettings, Alerts, alertmanager_actor};
pub use delivery::{Delivered, Delivery};
pub use digest::digest_time;
pub use error::EngineError;
pub use escalation::{Acked, Escalation, LinkOutcome, LinkRefusal, paging_report, paging_warnings};
pub use incidents::{Incidents, Input};
pub(crate) use port::warroom_origin;
pub use postmortem::Postmortems;
pub use sweep::Sweep;

pub use views::war_room_name;

/// What the engine needs from the configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    /// People invited into every war room.
    pub responders: Vec<UserId>,
    /// Per chat, its id of the room where the incidents that live in it are announced.
    pub announce_rooms: BTreeMap<Platform, String>,
    /// The runbooks to suggest and attach.
    pub runbooks: Arc<Library>,
    /// How runbook steps run; `None` when running them is not configured.
    pub actions: Option<ActionSettings>,
    /// Whom to page and when, and how often to remind, per severity.
    pub escalation: Policies,
    /// The on-call rotations that on-call aliases resolve through.
    pub rotations: Vec<Rotation>,
    /// Who may declare and run steps.
    pub permissions: Permissions,
    /// How alerts from monitoring become incidents.
    pub alerts: AlertSettings,
    /// How long a claim on an outbox entry holds before another process may take it over.
    pub delivery_lease: chrono::Duration,
    /// Whom pages reach beyond chat, how and when.
    pub contacts: crate::domain::Contacts,
    /// The acknowledge links pages carry, when `[notify]` configures them.
    pub ack_links: Option<AckLinks>,
    /// Whether incidents declared here are drills (`warroom console` without `--live`): their
    /// declaration says so, and so do the timeline and the post-mortem.
    pub drill: bool,
    /// The services incidents may name (`[[services]]`); when there are none, any name goes.
    pub services: Vec<crate::domain::Service>,
    /// The status page `serve` shows, when `[status_page]` turns it on.
    pub status_page: Option<status_page::StatusPageSettings>,
    /// When the daily digest of open incidents is posted (UTC), when `[digest] at` is set.
    pub digest_at: Option<chrono::NaiveTime>,
}

/// How pages' acknowledge links are made: the URL `serve` is reached at, and the signing key.
#[derive(Clone)]
pub struct AckLinks {
    /// Where people reach `warroom serve` (`https://warroom.example.org`), no trailing `/`.
    pub base_url: String,
    /// The HMAC key links are signed with.
    pub key: secrecy::SecretString,
}

impl std::fmt::Debug for AckLinks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AckLinks")
            .field("base_url", &self.base_url)
            .field("key", &"***")
            .finish()
    }
}

impl AckLinks {
    /// The URL that acknowledges as `link` says.
    pub fn url(&self, link: &crate::domain::AckLink) -> String {
        use secrecy::ExposeSecret;
        format!(
            "{}/ack/{}",
            self.base_url.trim_end_matches('/'),
            link.token(self.key.expose_secret().as_bytes())
        )
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            responders: Vec::new(),
            announce_rooms: BTreeMap::new(),
            runbooks: Arc::default(),
            actions: None,
            escalation: Policies::default(),
            rotations: Vec::new(),
            permissions: Permissions::default(),
            alerts: AlertSettings::default(),
            delivery_lease: chrono::Duration::seconds(60),
            contacts: crate::domain::Contacts::default(),
            ack_links: None,
            drill: false,
            services: Vec::new(),
            status_page: None,
            digest_at: None,
        }
    }
}

/// The incident engine: the core and its services.
pub struct Engine {
    core: Core,
}

impl Engine {
    /// An engine over a store, a clock, settings and a post-mortem renderer.
    pub fn new(
        store: Store,
        clock: Arc<dyn Clock>,
        settings: Settings,
        postmortem: PostmortemRenderer,
    ) -> Engine {
        Engine {
            core: Core::new(store, clock, settings, postmortem),
        }
    }

    /// The same engine, publishing incidents to a hosted status page through `publisher`.
    pub fn with_publisher(mut self, publisher: Arc<dyn port::Publisher>) -> Engine {
        self.core.publisher = Some(publisher);
        self
    }

    /// The same engine, reaching paged people beyond chat through `notifier`.
    pub fn with_notifier(mut self, notifier: Arc<dyn port::Notifier>) -> Engine {
        self.core.notifier = Some(notifier);
        self
    }

    /// Commands from people: declaring, changing, pressing, searching runbooks.
    pub fn incidents(&self) -> Incidents<'_> {
        self.core.incidents()
    }

    /// Effects carried out through a chat, and the outbox's delivery worker.
    pub fn delivery(&self) -> Delivery<'_> {
        self.core.delivery()
    }

    /// Pages and reminders on timers.
    pub fn escalation(&self) -> Escalation<'_> {
        self.core.escalation()
    }

    /// Alerts from monitoring.
    pub fn alerts(&self) -> Alerts<'_> {
        self.core.alerts()
    }

    /// Post-mortem drafts.
    pub fn postmortems(&self) -> Postmortems<'_> {
        self.core.postmortems()
    }

    /// The job that settles runs cut short by a crash.
    pub fn sweep(&self) -> Sweep<'_> {
        self.core.sweep()
    }

    /// The store the engine records into (for the command line and tests; chat adapters get
    /// [`Engine::ledger`] and ask the engine for everything else).
    pub fn store(&self) -> &Store {
        &self.core.store
    }

    /// The incident whose war room `room` is, if it is one.
    pub async fn incident_of_room(
        &self,
        room: &RoomId,
    ) -> Result<Option<IncidentNumber>, EngineError> {
        Ok(self.core.war_room_incident(room).await?)
    }

    /// The war room (its id) of the newest open incident on `platform`, if it has one there.
    pub async fn newest_war_room(&self, platform: Platform) -> Result<Option<RoomId>, EngineError> {
        let open = self.core.store.open_incidents().await?;
        let Some(newest) = open.first() else {
            return Ok(None);
        };
        Ok(self
            .core
            .store
            .war_room(platform, newest.number)
            .await?
            .map(|room| room.id))
    }

    /// When the next timer or the daily digest is due (a claim in progress counts at its
    /// lease's end).
    pub async fn next_timer(&self) -> Result<Option<chrono::DateTime<chrono::Utc>>, EngineError> {
        let timer = self.core.store.next_due().await?;
        let digest = self.next_digest().await?;
        Ok(match (timer, digest) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        })
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<(), EngineError> {
        Ok(self.core.store.ping().await?)
    }

    /// Whether the database takes a write (`/healthz`): see [`Store::probe_write`].
    pub async fn probe_write(&self) -> Result<(), EngineError> {
        Ok(self.core.store.probe_write().await?)
    }

    /// What waits in `chat`'s outbox; `refused_since` bounds the count of refusals.
    pub async fn outbox_backlog(
        &self,
        chat: Platform,
        refused_since: chrono::DateTime<chrono::Utc>,
    ) -> Result<crate::store::OutboxBacklog, EngineError> {
        Ok(self.core.store.outbox_backlog(chat, refused_since).await?)
    }

    /// The incidents by status and severity, for `/metrics`.
    pub async fn incident_counts(&self) -> Result<Vec<crate::store::IncidentCount>, EngineError> {
        Ok(self.core.store.incident_counts().await?)
    }

    /// What waits in each chat's outbox, for `/metrics`.
    pub async fn pending_counts(&self) -> Result<Vec<crate::store::PendingCount>, EngineError> {
        Ok(self.core.store.pending_counts().await?)
    }

    /// How many runbooks are loaded.
    pub fn runbook_count(&self) -> usize {
        self.core.settings.runbooks.runbooks().len()
    }

    /// The adapters' bookkeeping, kept in this engine's database.
    pub fn ledger(&self) -> Arc<dyn ledger::Ledger> {
        Arc::new(self.core.store.clone())
    }

    /// Notified whenever this engine schedules timers: a scheduler sleeping until the next due
    /// timer waits on it too, so that a nearer timer wakes it.
    pub fn timers_changed(&self) -> &tokio::sync::Notify {
        &self.core.timers_changed
    }

    /// The engine's clock.
    pub fn clock(&self) -> &dyn Clock {
        self.core.clock.as_ref()
    }

    /// Notified whenever effects are written to the outbox: a delivery worker sleeping until
    /// the next retry waits on it too.
    pub fn outbox_changed(&self) -> &tokio::sync::Notify {
        &self.core.outbox_changed
    }
}
