//! Turns gRPC errors from the gateway into messages that say what to do next.

use tonic::{Code, Status};

pub fn explain(action: &str, status: Status) -> anyhow::Error {
    let message = status.message();
    let hint = match status.code() {
        Code::Unauthenticated => {
            "the API key was not accepted: check POSTURE_API_KEY (or --api-key-file) and that the key is not revoked"
        }
        Code::PermissionDenied => {
            "the API key's role or tenant scope does not allow this; ask an admin for a key that does"
        }
        Code::NotFound => "check the tenant id with `posture tenants list`",
        Code::AlreadyExists => {
            "it exists already; use `posture tenants update-credentials` to change its secret"
        }
        Code::InvalidArgument | Code::OutOfRange => "fix the value named above and try again",
        Code::FailedPrecondition => "the request does not fit the current state; see the message",
        Code::Unavailable => {
            "the service behind the gateway is not reachable; check that every role is running"
        }
        Code::DeadlineExceeded => "the call took too long; try again, or check the service's health",
        Code::ResourceExhausted => "the request is too large or too frequent",
        _ => "see the server logs for details",
    };
    anyhow::anyhow!("{action} failed: {message} ({hint})")
}
