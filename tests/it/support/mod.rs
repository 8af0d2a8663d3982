//! What the tests share: the engine builder, spawning `warroom`, the real servers they talk
//! to, the strict fake of Slack's Web API, webhook and HTTP clients, and the fuzz budget.

pub mod binary;
pub mod engine;
pub mod fake_slack;
pub mod fake_statuspage;
pub mod fuzz;
pub mod http_client;
pub mod matrix;
pub mod matrix_scene;
pub mod postgres;
pub mod screen;
pub mod serving;
pub mod slack_sdk;
pub mod slack_world;
pub mod webhook;
