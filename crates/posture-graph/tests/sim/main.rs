//! Integration tests of the client against the in-process simulator over real HTTP.

mod activity;
mod auth;
mod batch;
mod catalog;
mod common;
mod delta;
mod errors;
mod exchange;
mod mail_dns;
mod paging;
mod probe;
mod resilience;
mod sign_in_budget;
