//! The labels of go-grpc-prometheus (`grpc_type`, `grpc_service`, `grpc_method`, `grpc_code`),
//! taken from the descriptor sets a server or client knows, so a path nobody declared becomes
//! `unknown` and a scanner cannot grow the label set.

use std::collections::HashMap;

use prometheus_client::encoding::EncodeLabelSet;
use prost::Message as _;

/// Label value for a service or method that no descriptor declares.
pub const UNKNOWN: &str = "unknown";

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct MethodLabels {
    pub grpc_type: &'static str,
    pub grpc_service: String,
    pub grpc_method: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HandledLabels {
    pub grpc_type: &'static str,
    pub grpc_service: String,
    pub grpc_method: String,
    pub grpc_code: &'static str,
}

impl MethodLabels {
    pub fn handled(&self, code: tonic::Code) -> HandledLabels {
        HandledLabels {
            grpc_type: self.grpc_type,
            grpc_service: self.grpc_service.clone(),
            grpc_method: self.grpc_method.clone(),
            grpc_code: code_name(code),
        }
    }
}

/// A status code as Go's `codes.Code.String()` prints it, which is what go-grpc-prometheus puts
/// in `grpc_code` and what existing dashboards filter on (`OK`, `Canceled`, not tonic's
/// `Ok`, `Cancelled`).
pub fn code_name(code: tonic::Code) -> &'static str {
    use tonic::Code;
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "Canceled",
        Code::Unknown => "Unknown",
        Code::InvalidArgument => "InvalidArgument",
        Code::DeadlineExceeded => "DeadlineExceeded",
        Code::NotFound => "NotFound",
        Code::AlreadyExists => "AlreadyExists",
        Code::PermissionDenied => "PermissionDenied",
        Code::ResourceExhausted => "ResourceExhausted",
        Code::FailedPrecondition => "FailedPrecondition",
        Code::Aborted => "Aborted",
        Code::OutOfRange => "OutOfRange",
        Code::Unimplemented => "Unimplemented",
        Code::Internal => "Internal",
        Code::Unavailable => "Unavailable",
        Code::DataLoss => "DataLoss",
        Code::Unauthenticated => "Unauthenticated",
    }
}

/// Every method the process knows, by its HTTP/2 path (`/pkg.Service/Method`).
#[derive(Debug, Default)]
pub struct MethodTable {
    methods: HashMap<String, MethodLabels>,
    services: Vec<String>,
}

impl MethodTable {
    /// Methods of `services` declared in `descriptor_sets`; a service mounted without a
    /// descriptor still gets its own `grpc_service` label, with `grpc_method="unknown"`.
    pub fn new(services: &[String], descriptor_sets: &[&[u8]]) -> Self {
        let mut methods = HashMap::new();
        for encoded in descriptor_sets {
            let Ok(set) = prost_types::FileDescriptorSet::decode(*encoded) else {
                continue;
            };
            for file in set.file {
                let package = file.package.unwrap_or_default();
                for service in file.service {
                    let name = match (package.as_str(), service.name.as_deref()) {
                        (_, None) => continue,
                        ("", Some(name)) => name.to_owned(),
                        (package, Some(name)) => format!("{package}.{name}"),
                    };
                    if !services.contains(&name) {
                        continue;
                    }
                    for method in service.method {
                        let Some(method_name) = method.name else { continue };
                        let grpc_type = match (
                            method.client_streaming.unwrap_or(false),
                            method.server_streaming.unwrap_or(false),
                        ) {
                            (false, false) => "unary",
                            (true, false) => "client_stream",
                            (false, true) => "server_stream",
                            (true, true) => "bidi_stream",
                        };
                        methods.insert(
                            format!("/{name}/{method_name}"),
                            MethodLabels {
                                grpc_type,
                                grpc_service: name.clone(),
                                grpc_method: method_name,
                            },
                        );
                    }
                }
            }
        }
        Self {
            methods,
            services: services.to_vec(),
        }
    }

    /// Adds the methods and services of `other`.
    pub fn merge(&mut self, other: MethodTable) {
        self.methods.extend(other.methods);
        for service in other.services {
            if !self.services.contains(&service) {
                self.services.push(service);
            }
        }
    }

    /// The labels of a call to `path`; bounded whatever the path.
    pub fn labels(&self, path: &str) -> MethodLabels {
        if let Some(labels) = self.methods.get(path) {
            return labels.clone();
        }
        let service = path.trim_start_matches('/').split('/').next().unwrap_or_default();
        let grpc_service = if self.services.iter().any(|known| known == service) {
            service.to_owned()
        } else {
            UNKNOWN.to_owned()
        };
        MethodLabels {
            grpc_type: "unary",
            grpc_service,
            grpc_method: UNKNOWN.to_owned(),
        }
    }

    /// Every declared method, to start its series at zero (what go-grpc-prometheus's
    /// `InitializeMetrics` does, so `rate()` and `absent()` work before the first call).
    pub fn all(&self) -> impl Iterator<Item = &MethodLabels> {
        self.methods.values()
    }
}

/// Counts gRPC messages in a stream of HTTP/2 data frames: each message is a 5-byte prefix
/// (compression flag, big-endian length) and its bytes, and frames split them anywhere.
#[derive(Debug, Default)]
pub struct MessageCounter {
    prefix: [u8; 5],
    prefix_len: usize,
    remaining: usize,
}

impl MessageCounter {
    /// Feeds the next bytes; returns how many messages began in them.
    pub fn feed(&mut self, mut data: &[u8]) -> u64 {
        let mut started = 0;
        while !data.is_empty() {
            if self.remaining > 0 {
                let skip = self.remaining.min(data.len());
                self.remaining -= skip;
                data = &data[skip..];
                continue;
            }
            let take = (5 - self.prefix_len).min(data.len());
            self.prefix[self.prefix_len..self.prefix_len + take].copy_from_slice(&data[..take]);
            self.prefix_len += take;
            data = &data[take..];
            if self.prefix_len == 5 {
                started += 1;
                self.prefix_len = 0;
                let [_, a, b, c, d] = self.prefix;
                self.remaining = u32::from_be_bytes([a, b, c, d]) as usize;
            }
        }
        started
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(len: u8) -> Vec<u8> {
        let mut bytes = vec![0, 0, 0, 0, len];
        bytes.extend(std::iter::repeat_n(7, len as usize));
        bytes
    }

    #[test]
    fn messages_are_counted_however_the_frames_split_them() {
        let stream: Vec<u8> = [message(3), message(0), message(10)].concat();
        for split in 1..stream.len() {
            let mut counter = MessageCounter::default();
            let counted: u64 = stream.chunks(split).map(|chunk| counter.feed(chunk)).sum();
            assert_eq!(counted, 3, "frames of {split} bytes");
        }
    }

    #[test]
    fn codes_print_as_go_grpc_prometheus_prints_them() {
        assert_eq!(code_name(tonic::Code::Ok), "OK");
        assert_eq!(code_name(tonic::Code::Cancelled), "Canceled");
        assert_eq!(code_name(tonic::Code::NotFound), "NotFound");
    }
}
