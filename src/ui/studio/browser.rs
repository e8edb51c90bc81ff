//! What the studio does only in the browser (the server renders the page but runs no effects):
//! `requests` carries out the stage machine's commands, `keeping` keeps the session and its
//! pictures across reloads and lets pictures go when they leave the session.

mod keeping;
mod requests;

use crate::fsm::{Attempt, Command, Event, Stage};
use crate::ui::blob;
use crate::ui::pictures::Pictures;
use leptos::prelude::*;
use web_sys::Blob;

/// The studio's state, as the browser-only effects need it.
#[derive(Clone, Copy)]
pub struct Studio {
    pub stage: RwSignal<Stage>,
    pub send: Callback<Event>,
    pub commands: RwSignal<Vec<Command>>,
    pub pictures: Pictures,
    pub note: RwSignal<Option<String>>,
    pub hydrated: RwSignal<bool>,
}

pub fn run(studio: Studio) {
    requests::carry_out(studio);
    keeping::restore(studio);
    keeping::save_session(studio);
    keeping::let_go(studio);
}

fn attempts(stage: &Stage) -> &[Attempt] {
    stage.session().map_or(&[], |s| &s.attempts)
}

fn session_ids(stage: &Stage) -> Vec<String> {
    attempts(stage)
        .iter()
        .map(|a| a.request.request_id.clone())
        .collect()
}

fn in_session(stage: RwSignal<Stage>, id: &str) -> bool {
    stage.with_untracked(|s| attempts(s).iter().any(|a| a.request.request_id == id))
}

/// Shows a picture: one object URL for every view of it.
fn show(studio: Studio, id: &str, blob: &Blob) {
    match blob::object_url(blob) {
        Some(url) => studio.pictures.show(id, url),
        None => studio.pictures.mark_missing(&[id.to_string()]),
    }
}
