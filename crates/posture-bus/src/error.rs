//! Errors of the bus: bad subjects, ids and headers are rejected before they reach NATS; transport
//! failures keep the subject or consumer they concern.

/// Why a subject, token, prefix or filter was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubjectError {
    #[error("subject token is empty")]
    EmptyToken,
    #[error("subject token {token:?} contains {bad:?}; tokens may not hold dots, wildcards or whitespace")]
    InvalidToken { token: String, bad: char },
    #[error("subject token is {len} bytes long; at most {max} are allowed")]
    TokenTooLong { len: usize, max: usize },
    #[error("subject prefix {0:?} may only hold ASCII letters, digits, '-' and '_'")]
    InvalidPrefix(String),
    #[error("a subject needs at least one token after the stream")]
    Empty,
    #[error("nothing may follow '>' in a subject filter")]
    TokenAfterRest,
    #[error("subject {0:?} does not belong to this bus")]
    ForeignSubject(String),
}

/// Errors of bus operations.
#[derive(Debug, thiserror::Error)]
pub enum BusError {
    #[error(transparent)]
    Subject(#[from] SubjectError),
    #[error("invalid message id {id:?}: {reason}")]
    InvalidMessageId { id: String, reason: &'static str },
    #[error("invalid header {name:?}: {reason}")]
    InvalidHeader { name: String, reason: &'static str },
    #[error("invalid consumer name {name:?}: {reason}")]
    InvalidConsumerName { name: String, reason: &'static str },
    #[error("invalid consumer settings for {consumer}: {reason}")]
    InvalidConsumerConfig { consumer: String, reason: String },
    #[error(
        "consumer {consumer} overlaps consumer {existing} on the work queue; each job subject may have one consumer"
    )]
    OverlappingConsumer { consumer: String, existing: String },
    #[error("could not decode the payload on {subject}: {source}")]
    Decode {
        subject: String,
        #[source]
        source: prost::DecodeError,
    },
    #[error("could not read the dead letter on {subject}: {reason}")]
    MalformedDeadLetter { subject: String, reason: String },
    #[error("could not connect to NATS at {url}: {message}")]
    Connect { url: String, message: String },
    #[error("could not set up stream {stream}: {message}")]
    Stream { stream: String, message: String },
    #[error("could not set up consumer {consumer}: {message}")]
    Consumer { consumer: String, message: String },
    #[error("could not publish to {subject}: {message}")]
    Publish { subject: String, message: String },
    #[error("could not pull from consumer {consumer}: {message}")]
    Pull { consumer: String, message: String },
    #[error("could not {action} message {sequence} of consumer {consumer}: {message}")]
    Acknowledge {
        action: &'static str,
        consumer: String,
        sequence: u64,
        message: String,
    },
    #[error("the bus is closed")]
    Closed,
}
