//! What the engine remembers between commands to spare the database: facts that never change
//! (button ids, which room is whose war room) and the last known state of each incident, which
//! the store's version check corrects whenever another replica has moved on.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;

use super::message::ButtonId;
use super::port::RoomRef;
use crate::domain::{Incident, IncidentNumber, Platform, RoomId};

/// How many entries a map keeps before it starts over; enough for every live incident.
const MAX_ENTRIES: usize = 4096;

/// A bounded map behind a lock; when full it is emptied, since all it holds can be read again.
struct Remembered<K, V>(Mutex<HashMap<K, V>>);

impl<K: Eq + Hash, V: Clone> Remembered<K, V> {
    fn new() -> Self {
        Remembered(Mutex::new(HashMap::new()))
    }

    fn get(&self, key: &K) -> Option<V> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(key)
            .cloned()
    }

    fn put(&self, key: K, value: V) {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
        map.insert(key, value);
    }

    fn forget(&self, key: &K) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).remove(key);
    }
}

/// The engine's memory.
pub(super) struct Memo {
    buttons: Remembered<String, ButtonId>,
    rooms: Remembered<RoomId, IncidentNumber>,
    war_rooms: Remembered<(Platform, IncidentNumber), RoomRef>,
    incidents: Remembered<IncidentNumber, Incident>,
    /// The chat each incident lives in, which never changes once recorded.
    chats: Remembered<IncidentNumber, Platform>,
}

impl Memo {
    /// An empty memory.
    pub(super) fn new() -> Self {
        Memo {
            buttons: Remembered::new(),
            rooms: Remembered::new(),
            war_rooms: Remembered::new(),
            incidents: Remembered::new(),
            chats: Remembered::new(),
        }
    }

    /// The id of the button for a command, by the command's JSON.
    pub(super) fn button(&self, command_json: &str) -> Option<ButtonId> {
        self.buttons.get(&command_json.to_owned())
    }

    /// Remembers a button id; ids never change once minted.
    pub(super) fn remember_button(&self, command_json: String, id: ButtonId) {
        self.buttons.put(command_json, id);
    }

    /// The incident whose war room this is, when known. Only bindings are remembered: a room
    /// that is not a war room yet may become one.
    pub(super) fn war_room_incident(&self, room: &RoomId) -> Option<IncidentNumber> {
        self.rooms.get(room)
    }

    /// Remembers that a room is an incident's war room; a room serves one incident for good.
    pub(super) fn remember_war_room(&self, room: &RoomId, incident: IncidentNumber) {
        self.rooms.put(room.clone(), incident);
    }

    /// The war room of an incident on a platform, when known.
    pub(super) fn war_room(&self, platform: Platform, incident: IncidentNumber) -> Option<RoomRef> {
        self.war_rooms.get(&(platform, incident))
    }

    /// Remembers an incident's war room in the room's chat, both ways.
    pub(super) fn remember_room_of(&self, incident: IncidentNumber, room: RoomRef) {
        self.remember_war_room(&room.id, incident);
        self.war_rooms.put((room.id.platform(), incident), room);
    }

    /// The chat an incident lives in, when known.
    pub(super) fn incident_chat(&self, incident: IncidentNumber) -> Option<Platform> {
        self.chats.get(&incident)
    }

    /// Remembers the chat an incident lives in.
    pub(super) fn remember_incident_chat(&self, incident: IncidentNumber, chat: Platform) {
        self.chats.put(incident, chat);
    }

    /// The last state of an incident this engine saw; it may be stale.
    pub(super) fn incident(&self, number: IncidentNumber) -> Option<Incident> {
        self.incidents.get(&number)
    }

    /// Remembers the state of an incident as recorded.
    pub(super) fn remember_incident(&self, incident: Incident) {
        self.incidents.put(incident.number, incident);
    }

    /// Forgets an incident whose remembered state proved stale.
    pub(super) fn forget_incident(&self, number: IncidentNumber) {
        self.incidents.forget(&number);
    }
}
