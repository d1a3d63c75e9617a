//! The contract tests, each a plain async fn over the bus under test.

pub mod events;
pub mod outbox;
pub mod publish;
pub mod retry;
pub mod shutdown;
pub mod work_queue;
