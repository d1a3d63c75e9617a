//! Process metrics under the names every Prometheus client library uses
//! (`process_cpu_seconds_total`, `process_resident_memory_bytes`, `process_open_fds`, ...), read
//! from `/proc` at each scrape, and `posture_build_info`. On systems without `/proc` the process
//! series are absent rather than wrong.

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric as _};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::info::Info;

use super::MetricsRegistry;

/// Clock ticks per second in `/proc/<pid>/stat`. Linux has reported user time in USER_HZ = 100
/// on every architecture for decades; the Go and Python process collectors assume the same.
const USER_HZ: f64 = 100.0;

/// What `posture_build_info` says about the binary.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct BuildInfo {
    pub version: String,
    /// The commit the binary was built from, or `unknown`.
    pub revision: String,
}

impl BuildInfo {
    pub fn new(version: &str, revision: Option<&str>) -> Self {
        Self {
            version: version.to_owned(),
            revision: revision.unwrap_or("unknown").to_owned(),
        }
    }
}

pub(super) fn register(registry: &MetricsRegistry, build: &BuildInfo) {
    registry.register(
        "build",
        "Version and revision of the running binary, always 1",
        Info::new(build.clone()),
    );
    registry.register_collector(ProcessCollector);
}

#[derive(Debug)]
struct ProcessCollector;

/// One reading of `/proc/self`.
#[derive(Debug, Default, PartialEq)]
struct ProcessSample {
    cpu_seconds: f64,
    resident_bytes: u64,
    virtual_bytes: u64,
    start_time_seconds: f64,
    open_fds: Option<u64>,
    max_fds: Option<u64>,
}

impl ProcessSample {
    fn read() -> Option<Self> {
        let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
        let boot_time = std::fs::read_to_string("/proc/stat")
            .ok()
            .and_then(|text| parse_boot_time(&text))?;
        let mut sample = parse_stat(&stat, boot_time)?;
        sample.resident_bytes = std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|text| parse_resident_bytes(&text))?;
        sample.open_fds = std::fs::read_dir("/proc/self/fd")
            .ok()
            .map(|entries| entries.count() as u64);
        sample.max_fds = std::fs::read_to_string("/proc/self/limits")
            .ok()
            .and_then(|text| parse_max_fds(&text));
        Some(sample)
    }
}

/// `VmRSS` of `/proc/self/status`, in bytes: the same figure as the rss field of `stat` without
/// needing the page size.
fn parse_resident_bytes(status: &str) -> Option<u64> {
    let kib = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse::<u64>()
        .ok()?;
    Some(kib * 1024)
}

fn parse_boot_time(proc_stat: &str) -> Option<f64> {
    proc_stat
        .lines()
        .find_map(|line| line.strip_prefix("btime "))
        .and_then(|value| value.trim().parse().ok())
}

/// Fields of `/proc/self/stat` after the command name (which may hold spaces and parentheses,
/// hence the split at the last `)`): utime, stime, starttime and vsize, per proc(5).
fn parse_stat(stat: &str, boot_time: f64) -> Option<ProcessSample> {
    let (_, rest) = stat.rsplit_once(')')?;
    // `rest` starts at field 3 (state); field n is at index n - 3.
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |n: usize| fields.get(n - 3).and_then(|value| value.parse::<u64>().ok());
    let utime = field(14)?;
    let stime = field(15)?;
    let start_ticks = field(22)?;
    let vsize = field(23)?;
    Some(ProcessSample {
        cpu_seconds: (utime + stime) as f64 / USER_HZ,
        resident_bytes: 0,
        virtual_bytes: vsize,
        start_time_seconds: boot_time + start_ticks as f64 / USER_HZ,
        open_fds: None,
        max_fds: None,
    })
}

fn parse_max_fds(limits: &str) -> Option<u64> {
    let line = limits.lines().find(|line| line.starts_with("Max open files"))?;
    line.trim_start_matches("Max open files")
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

impl Collector for ProcessCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let Some(sample) = ProcessSample::read() else {
            return Ok(());
        };
        let cpu = ConstCounter::new(sample.cpu_seconds);
        cpu.encode(encoder.encode_descriptor(
            "process_cpu_seconds",
            "Total user and system CPU time spent in seconds",
            None,
            cpu.metric_type(),
        )?)?;
        let gauges = [
            (
                "process_resident_memory_bytes",
                "Resident memory size in bytes",
                Some(sample.resident_bytes as f64),
            ),
            (
                "process_virtual_memory_bytes",
                "Virtual memory size in bytes",
                Some(sample.virtual_bytes as f64),
            ),
            (
                "process_start_time_seconds",
                "Start time of the process since unix epoch in seconds",
                Some(sample.start_time_seconds),
            ),
            (
                "process_open_fds",
                "Number of open file descriptors",
                sample.open_fds.map(|fds| fds as f64),
            ),
            (
                "process_max_fds",
                "Maximum number of open file descriptors",
                sample.max_fds.map(|fds| fds as f64),
            ),
        ];
        for (name, help, value) in gauges {
            let Some(value) = value else { continue };
            let gauge = ConstGauge::new(value);
            gauge.encode(encoder.encode_descriptor(name, help, None, gauge.metric_type())?)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_are_read_after_a_command_name_with_spaces_and_parentheses() {
        // Fields 3..=24 of proc(5), with utime=250, stime=50, starttime=1000 and vsize.
        let stat = "4242 (posture (x) y) S 1 4242 4242 0 -1 4194304 100 0 0 0 250 50 0 0 20 0 8 0 \
                    1000 123456789 10 18446744073709551615";
        let sample = parse_stat(stat, 1_700_000_000.0).expect("parsed");
        assert_eq!(sample.cpu_seconds, 3.0);
        assert_eq!(sample.start_time_seconds, 1_700_000_010.0);
        assert_eq!(sample.virtual_bytes, 123_456_789);
    }

    #[test]
    fn boot_time_and_fd_limit_come_from_their_proc_files() {
        assert_eq!(
            parse_boot_time("cpu  1 2 3\nbtime 1700000000\nprocesses 5\n"),
            Some(1_700_000_000.0)
        );
        let limits = "Limit                     Soft Limit           Hard Limit           Units\n\
                      Max open files            1024                 524288               files\n";
        assert_eq!(parse_max_fds(limits), Some(1024));
        assert_eq!(
            parse_resident_bytes("Name:\tposture\nVmRSS:\t   20480 kB\nThreads:\t8\n"),
            Some(20_971_520)
        );
    }
}
