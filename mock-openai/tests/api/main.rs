//! End-to-end tests over real TCP: one test binary, one module per concern.

mod auth;
mod binary;
mod client;
mod control;
mod script;
mod success;
mod validation;
