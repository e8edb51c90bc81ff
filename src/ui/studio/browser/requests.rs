//! The stage machine's commands: make a generation (the page's own call, see `ui::generation`)
//! and cancel it; a finished one goes back to the stage machine and its picture to the views.

use super::{in_session, keeping, show, Studio};
use crate::api::cancel_generation;
use crate::error::AppError;
use crate::fsm::{Command, Event};
use crate::model::GeneratedImage;
use crate::ui::generation;
use futures::future::{AbortHandle, Abortable};
use leptos::prelude::*;
use leptos::task::spawn_local;
use web_sys::Blob;

pub fn carry_out(studio: Studio) {
    // One handle per generation running (several when trying engines side by side).
    let in_flight = StoredValue::new(Vec::<(String, AbortHandle)>::new());
    Effect::new(move |_| {
        studio.commands.track();
        let commands = std::mem::take(&mut *studio.commands.write_untracked());
        for command in commands {
            match command {
                Command::Generate(request) => {
                    let (abort, registration) = AbortHandle::new_pair();
                    let request_id = request.request_id.clone();
                    in_flight.update_value(|all| all.push((request_id.clone(), abort)));
                    spawn_local(async move {
                        let answer = Abortable::new(generation::generate(*request), registration);
                        let result = answer.await;
                        in_flight.try_update_value(|all| all.retain(|(id, _)| *id != request_id));
                        if let Ok(result) = result {
                            finished(studio, request_id, result);
                        }
                    });
                }
                Command::Abort { request_id } => {
                    // Dropping the fetch closes the connection; the explicit cancel also reaches
                    // a server that has not noticed yet (e.g. behind a proxy that keeps it open).
                    let handle = in_flight
                        .try_update_value(|all| {
                            let index = all.iter().position(|(id, _)| *id == request_id)?;
                            Some(all.remove(index).1)
                        })
                        .flatten();
                    if let Some(handle) = handle {
                        handle.abort();
                    }
                    spawn_local(async move {
                        let _ = cancel_generation(request_id).await;
                    });
                }
            }
        }
    });
}

/// A generation's answer: the stage machine gets the attempt (without the picture's bytes), and
/// the picture its object URL and a stored copy.
fn finished(studio: Studio, request_id: String, result: Result<(GeneratedImage, Blob), AppError>) {
    let (result, picture) = match result {
        Ok((image, picture)) => (Ok(image), Some(picture)),
        Err(error) => (Err(error), None),
    };
    studio.send.run(Event::Finished {
        request_id: request_id.clone(),
        result,
    });
    // A late answer (for a request since cancelled or replaced) is not part of the session.
    if let Some(picture) = picture.filter(|_| in_session(studio.stage, &request_id)) {
        show(studio, &request_id, &picture);
        spawn_local(keeping::keep(studio, request_id, picture));
    }
}
