//! The HTTP layer around the studio: serving connections with limits, the checks in front of the
//! API, security and cache headers, static files, and answering errors in the API's JSON shape.

pub mod api_gate;
pub mod body;
mod decode;
pub mod error_response;
pub mod generate_picture;
pub mod generation_events;
pub mod generation_preview;
pub mod page_body;
pub mod security_headers;
pub mod serve;
pub mod static_files;
