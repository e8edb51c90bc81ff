//! End-to-end tests over real HTTP: one test binary, one module per
//! provider plus the shared machinery.

mod a1111;
mod ark;
mod binary;
mod common;
mod control;
mod gemini;
mod ideogram;
mod jimeng;
mod openai;
mod openai_responses;
mod replicate;
