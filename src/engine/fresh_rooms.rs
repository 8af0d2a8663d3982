//! A war room still being made. A page can come due before the declaration's own effects have
//! created the room: level 1 pages at once, the scheduler fires it in its own task, and a chat
//! such as Matrix takes a moment to make a room. A post for the war room of an incident
//! declared moments ago waits briefly for the room instead of being dropped.

use std::time::{Duration, Instant};

use super::Engine;
use super::port::{ChatPort, RoomRef};
use crate::domain::IncidentNumber;
use crate::store::StoreError;

/// How long after its declaration an incident's war room may still be in the making.
const FRESH_SECS: i64 = 10;
/// How long a post waits for such a room.
const WAIT: Duration = Duration::from_secs(3);
/// How often it looks.
const POLL: Duration = Duration::from_millis(50);

impl Engine {
    /// The war room of an incident on this chat; for an incident declared moments ago whose
    /// room is not there yet, the room once made (or `None` after a short wait).
    pub(super) async fn war_room_when_made(
        &self,
        port: &dyn ChatPort,
        incident: IncidentNumber,
    ) -> Result<Option<RoomRef>, StoreError> {
        if let Some(room) = self.war_room(port, incident).await? {
            return Ok(Some(room));
        }
        let Some(found) = self.store.incident(incident).await? else {
            return Ok(None);
        };
        if (self.clock.now() - found.declared_at).num_seconds() > FRESH_SECS {
            return Ok(None);
        }
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            tokio::time::sleep(POLL).await;
            if let Some(room) = self.war_room(port, incident).await? {
                return Ok(Some(room));
            }
        }
        Ok(None)
    }
}
