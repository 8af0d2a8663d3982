//! One way to build the `Engine` a test or a benchmark drives: on a SQLite file in a folder,
//! on a database URL, or on a store the caller keeps too; with the system's clock and the
//! default settings unless it is given others; with the built-in post-mortem template.
//!
//! ```ignore
//! let engine = TestEngine::sqlite(dir.path()).settings(settings).clock(clock).build().await;
//! ```
//!
//! The benchmarks that use nothing else of the support include this file alone.

use std::path::Path;
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use warroom::engine::clock::{Clock, SimulatedClock, SystemClock};
use warroom::engine::postmortem::PostmortemRenderer;
use warroom::engine::{Engine, Settings};
use warroom::store::Store;

/// A simulated clock at Monday 2026-01-05 14:00 UTC (where the console's starts too), moved
/// only by the test.
pub fn simulated_clock() -> Arc<SimulatedClock> {
    let start = Utc
        .with_ymd_and_hms(2026, 1, 5, 14, 0, 0)
        .single()
        .expect("a time");
    Arc::new(SimulatedClock::new(start))
}

/// The primary rotation (`oncall:primary`, which the default P0 to P2 policies page at
/// once), with carol on call all the time.
#[allow(dead_code)]
pub fn carol_on_call() -> warroom::domain::Rotation {
    warroom::domain::Rotation {
        name: "primary".into(),
        people: vec![warroom::domain::UserId::parse("carol").expect("a user id")],
        handoff_weekday: chrono::Weekday::Mon,
        handoff_time: chrono::NaiveTime::from_hms_opt(9, 0, 0).expect("a time"),
        time_zone: chrono_tz::UTC,
        start: chrono::NaiveDate::from_ymd_opt(2025, 12, 1).expect("a date"),
        overrides: Vec::new(),
    }
}

/// The database an engine is built on.
enum Database {
    /// Opened (and migrated) when the engine is built.
    Url(String),
    /// Open already.
    Open(Store),
}

/// An engine to be built; see the module's documentation.
pub struct TestEngine {
    database: Database,
    clock: Arc<dyn Clock>,
    settings: Settings,
    /// Whether a person who declares acknowledges by declaring. False unless asked: the
    /// tests of paging were written for declarations that page, as teams that turn
    /// `commander_acknowledges` off have them; the default is tested on its own.
    commander_acknowledges: bool,
}

impl TestEngine {
    /// On `warroom.db` in `dir`, made when the engine is built.
    pub fn sqlite(dir: &Path) -> TestEngine {
        TestEngine::url(&format!("sqlite://{}", dir.join("warroom.db").display()))
    }

    /// On the database at `url` (`sqlite://PATH` or `postgres://…`).
    pub fn url(url: &str) -> TestEngine {
        TestEngine::on(Database::Url(url.to_owned()))
    }

    /// On `store`, which the caller keeps using (the benchmarks read it directly).
    #[allow(dead_code)]
    pub fn store(store: Store) -> TestEngine {
        TestEngine::on(Database::Open(store))
    }

    fn on(database: Database) -> TestEngine {
        TestEngine {
            database,
            clock: Arc::new(SystemClock),
            settings: Settings::default(),
            commander_acknowledges: false,
        }
    }

    /// With these settings instead of the defaults.
    pub fn settings(self, settings: Settings) -> TestEngine {
        TestEngine { settings, ..self }
    }

    /// With the product's default: a person who declares acknowledges by declaring.
    #[allow(dead_code)]
    pub fn commander_acknowledges(self) -> TestEngine {
        TestEngine {
            commander_acknowledges: true,
            ..self
        }
    }

    /// With this clock instead of the system's.
    pub fn clock(self, clock: Arc<dyn Clock>) -> TestEngine {
        TestEngine { clock, ..self }
    }

    /// The engine; panics when the database cannot be opened.
    pub async fn build(self) -> Engine {
        let store = match self.database {
            Database::Url(url) => Store::connect(&url).await.expect("the database"),
            Database::Open(store) => store,
        };
        let mut settings = self.settings;
        settings.escalation.commander_acknowledges = self.commander_acknowledges;
        Engine::new(
            store,
            self.clock,
            settings,
            PostmortemRenderer::new(None).expect("the built-in template"),
        )
    }
}
