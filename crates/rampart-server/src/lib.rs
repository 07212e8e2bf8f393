//! The `rampart` binary's library half: configuration, wiring of the layers
//! into a running application, and the CLI commands. `main.rs` only parses
//! arguments and reports errors; the test kit builds the same application
//! in-process through [`app::build`].

pub mod app;
pub mod calibrate;
pub mod cli;
pub mod config;
pub mod federation;
pub mod import;
pub mod keys;
pub mod logging;
pub mod serve;
pub mod tls;
