//! Regression tests for the server's defences, each against the real server on a free port
//! (the accept loop, the router and its layers, as `main` runs them) or the real binary: slow
//! and silent clients, malformed and oversized requests, other sites' pages, headers, caching,
//! sign-in, the per-engine bound with memory read from `/proc`, and what reaches the log.

#[path = "../common/mod.rs"]
mod common;

mod access;
mod binary;
mod headers;
mod malformed;
mod slow_clients;

use common::server;
