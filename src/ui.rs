//! The browser side. `studio` owns the state; every other view is stateless and is given the
//! stage to read and a callback to send events.

mod attempt_details;
mod final_view;
mod fresh;
mod generating;
mod notice;
mod prompt_form;
mod review;
mod storage;
pub mod studio;
mod styling_fields;
mod template_picker;
