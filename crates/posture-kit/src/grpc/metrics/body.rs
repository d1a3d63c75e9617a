//! A body that counts the gRPC messages passing through it and, on the response side, ends the
//! call's measurement when the status arrives in the trailers (or the body is dropped first).

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::{Buf as _, Bytes};
use http_body::{Body as HttpBody, Frame, SizeHint};
use tonic::body::Body;

use super::RpcMetrics;
use super::labels::{MessageCounter, MethodLabels};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Direction {
    Request,
    Response,
}

/// What is needed to record the call's end once its status is known.
#[derive(Debug)]
pub(super) struct CallEnd {
    pub(super) started: Instant,
    pub(super) span: tracing::Span,
}

pub(super) struct CountedBody {
    inner: Body,
    direction: Direction,
    metrics: Arc<RpcMetrics>,
    labels: MethodLabels,
    counter: MessageCounter,
    end: Option<CallEnd>,
}

impl CountedBody {
    pub(super) fn new<B>(
        inner: B,
        direction: Direction,
        metrics: Arc<RpcMetrics>,
        labels: MethodLabels,
        end: Option<CallEnd>,
    ) -> Self
    where
        B: HttpBody<Data = Bytes> + Send + 'static,
        B::Error: Into<tonic::codegen::StdError>,
    {
        Self {
            inner: Body::new(inner),
            direction,
            metrics,
            labels,
            counter: MessageCounter::default(),
            end,
        }
    }

    fn finish(&mut self, code: tonic::Code) {
        if let Some(end) = self.end.take() {
            self.metrics.finish(&self.labels, code, end.started, &end.span);
        }
    }
}

impl HttpBody for CountedBody {
    type Data = Bytes;
    type Error = tonic::Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        let polled = Pin::new(&mut this.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    let messages = this.counter.feed(data.chunk());
                    if messages > 0 {
                        this.metrics.messages(this.direction, &this.labels, messages);
                    }
                } else if let Some(trailers) = frame.trailers_ref() {
                    let code = trailers.get("grpc-status").map_or(tonic::Code::Unknown, |value| {
                        tonic::Code::from_bytes(value.as_bytes())
                    });
                    this.finish(code);
                }
            }
            Poll::Ready(Some(Err(_))) => this.finish(tonic::Code::Unknown),
            // A gRPC response always ends with a status; one that does not is a broken call.
            Poll::Ready(None) => this.finish(tonic::Code::Unknown),
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for CountedBody {
    fn drop(&mut self) {
        // The other end went away before the status: the call was cancelled.
        self.finish(tonic::Code::Cancelled);
    }
}
