//! The pages of one pass as a stream the writer pulls: fetched ahead over a bounded channel
//! (`fetch`), each compared with the inventory into the changes it makes (`diff`), the sweep's
//! removals added to the last one. Errors are Microsoft's (`GraphError`) as they came, so the
//! writer can tell an expired delta round from a failure.

use posture_graph::{GraphClient, GraphError};
use tokio::sync::mpsc;
use tokio_util::sync::{CancellationToken, DropGuard};
use url::Url;

use super::diff::{Inventory, PageDiff};
use super::fetch::{self, FetchedPage};
use crate::kinds::KindDef;

/// One page's changes and where the pass goes next.
#[derive(Debug)]
pub struct DiffedPage {
    pub diff: PageDiff,
    /// The page after this one; `None` on the last page.
    pub next: Option<Url>,
    /// The delta link a delta round ends with (last page only).
    pub delta_link: Option<Url>,
}

impl DiffedPage {
    pub fn is_last(&self) -> bool {
        self.next.is_none()
    }
}

/// The pages of one pass from a start URL.
pub struct PageStream {
    pages: mpsc::Receiver<Result<FetchedPage, GraphError>>,
    inventory: Inventory,
    endpoint: String,
    /// Stops the fetcher once the stream is dropped (the pass ended, failed or was cancelled).
    _stop_fetcher: DropGuard,
}

impl PageStream {
    /// Starts fetching at `start`; at most `buffer` pages wait for the writer.
    pub fn open(
        kind: &'static KindDef,
        client: &GraphClient,
        start: Url,
        inventory: Inventory,
        buffer: usize,
        dns: &posture_graph::mail_dns::DnsSettings,
    ) -> PageStream {
        let stop = CancellationToken::new();
        let pages = fetch::spawn_fetcher(kind, client.clone(), start, buffer, dns, stop.clone());
        PageStream {
            pages,
            inventory,
            endpoint: kind.endpoint(),
            _stop_fetcher: stop.drop_guard(),
        }
    }

    /// The next page diffed against the inventory; `None` when the fetcher stopped without a
    /// last page.
    pub async fn next(&mut self) -> Option<Result<DiffedPage, GraphError>> {
        let page = match self.pages.recv().await? {
            Ok(page) => page,
            Err(e) => return Some(Err(e)),
        };
        let mut diff = match self.inventory.diff(page.items, &self.endpoint) {
            Ok(diff) => diff,
            Err(e) => return Some(Err(e)),
        };
        if page.next.is_none() {
            diff.removals.extend(self.inventory.sweep().removals);
        }
        Some(Ok(DiffedPage {
            diff,
            next: page.next,
            delta_link: page.delta_link,
        }))
    }
}
