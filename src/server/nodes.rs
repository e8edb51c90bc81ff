//! The flows' nodes.

pub mod generate_image;
