//! Request extractors: the visitor's session, the client's address and user
//! agent, the permission a route needs, and form bodies whose rejections become named 4xx errors.

pub mod client;
pub mod form;
pub mod permit;
pub mod visitor;

pub use client::{ClientInfo, client_address, user_agent};
pub use form::HtmlForm;
pub use permit::Permit;
pub use visitor::{FreshSession, SignedIn, Visitor};
