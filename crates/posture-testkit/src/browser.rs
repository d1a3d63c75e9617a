//! Pages in a real browser: headless Chromium opens an HTML page at a given window size and a
//! probe script records whether anything reaches past the window's right edge; screenshots and
//! the printed PDF are kept under the target directory (`report-check/`) for a person to look at.
//!
//! Chromium is found as `$POSTURE_CHROMIUM`, `chromium`, `chromium-browser` or `google-chrome`.
//! [`Browser::find`] returns `None` on a machine without any, after saying so loudly, so a test
//! can pass there (CI installs Debian's `chromium`, see `.ci/run`).

use std::path::{Path, PathBuf};
use std::time::Duration;

/// Records the layout on the page's root element once it has loaded: its scroll width, the
/// window's width, the elements whose right edge is past the window, and the cells and
/// paragraphs whose content is wider than they are (spilling into their neighbours).
const LAYOUT_PROBE: &str = r#"<script>
addEventListener('load', () => {
  const w = window.innerWidth;
  const root = document.documentElement;
  const name = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className ? '.' + e.className : '');
  const wide = [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > w + 1).map(name).slice(0, 20);
  const spilling = [...document.querySelectorAll('td, th, li, p, dd, h1, h2, h3')]
    .filter(e => e.scrollWidth > e.clientWidth + 1).map(name).slice(0, 20);
  root.setAttribute('data-layout', JSON.stringify({
    scrollWidth: root.scrollWidth, innerWidth: w, scrollHeight: root.scrollHeight, wide, spilling }));
});
</script>"#;

/// How a page laid out in the browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    pub inner_width: u64,
    pub scroll_width: u64,
    pub scroll_height: u64,
    /// Elements whose right edge is past the window (tag, id and class).
    pub wide: Vec<String>,
    /// Elements whose content is wider than their box.
    pub spilling: Vec<String>,
    /// The first screen, the whole page and the printed PDF.
    pub screenshot: PathBuf,
    pub full_page: PathBuf,
    pub pdf: PathBuf,
}

impl Layout {
    /// Nothing scrolls sideways, sticks out or spills.
    pub fn fits(&self) -> bool {
        self.scroll_width <= self.inner_width && self.wide.is_empty() && self.spilling.is_empty()
    }
}

/// A headless Chromium to open pages with.
pub struct Browser {
    path: PathBuf,
    profile: tempfile::TempDir,
}

/// `report-check/` in the target directory (`$CARGO_TARGET_DIR` or the workspace's `target/`).
pub fn output_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"),
        PathBuf::from,
    );
    let dir = target.join("report-check");
    std::fs::create_dir_all(&dir).expect("report-check directory");
    dir
}

impl Browser {
    /// The machine's Chromium, or `None` after a loud message naming what was skipped.
    pub fn find(skipped: &str) -> Option<Browser> {
        let path = std::env::var_os("POSTURE_CHROMIUM")
            .map(PathBuf::from)
            .or_else(|| {
                let dirs = std::env::var_os("PATH")?;
                [
                    "chromium",
                    "chromium-browser",
                    "google-chrome",
                    "google-chrome-stable",
                ]
                .iter()
                .flat_map(|name| std::env::split_paths(&dirs).map(move |dir| dir.join(name)))
                .find(|path| path.is_file())
            });
        let Some(path) = path else {
            eprintln!(
                "\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\
                 !! SKIPPED {skipped}: no Chromium found (set POSTURE_CHROMIUM or install\n\
                 !! Debian's `chromium`)\n\
                 !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n"
            );
            return None;
        };
        let profile = tempfile::tempdir().expect("browser profile");
        Some(Browser { path, profile })
    }

    /// Runs headless Chromium on `page` with `args`, returning its standard output.
    async fn run(&self, page: &Path, args: &[String]) -> String {
        let mut command = tokio::process::Command::new(&self.path);
        command
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                "--no-first-run",
                "--virtual-time-budget=5000",
            ])
            .arg(format!("--user-data-dir={}", self.profile.path().display()))
            .args(args)
            .arg(format!("file://{}", page.display()))
            .kill_on_drop(true);
        let output = tokio::time::timeout(Duration::from_secs(120), command.output())
            .await
            .expect("Chromium finished within two minutes")
            .expect("Chromium ran");
        assert!(
            output.status.success(),
            "Chromium failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Writes `html` as `<name>.html` under [`output_dir`], opens it at `width`×`height`, and
    /// keeps `<name>-<width>.png` (first screen), `<name>-<width>-full.png` and `<name>.pdf`.
    pub async fn layout(&self, name: &str, html: &str, width: u32, height: u32) -> Layout {
        let dir = output_dir();
        let page = dir.join(format!("{name}.html"));
        std::fs::write(&page, html).expect("page written");
        let probed = dir.join(format!("{name}-probe.html"));
        let with_probe = match html.rfind("</body>") {
            Some(at) => format!("{}{LAYOUT_PROBE}{}", &html[..at], &html[at..]),
            None => format!("{html}{LAYOUT_PROBE}"),
        };
        std::fs::write(&probed, with_probe).expect("probe page written");
        let window = format!("--window-size={width},{height}");
        let dom = self
            .run(&probed, &[window.clone(), "--dump-dom".to_owned()])
            .await;
        let probe = probe_result(&dom);
        let number = |key: &str| probe[key].as_u64().unwrap_or(0);
        let names = |key: &str| -> Vec<String> {
            probe[key]
                .as_array()
                .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
                .unwrap_or_default()
        };
        let screenshot = dir.join(format!("{name}-{width}.png"));
        self.run(&page, &[window, format!("--screenshot={}", screenshot.display())])
            .await;
        let full_height = number("scrollHeight").clamp(u64::from(height), 16_000);
        let full_page = dir.join(format!("{name}-{width}-full.png"));
        self.run(
            &page,
            &[
                format!("--window-size={width},{full_height}"),
                format!("--screenshot={}", full_page.display()),
            ],
        )
        .await;
        let pdf = dir.join(format!("{name}.pdf"));
        self.run(
            &page,
            &[
                "--no-pdf-header-footer".to_owned(),
                format!("--print-to-pdf={}", pdf.display()),
            ],
        )
        .await;
        for (file, magic) in [
            (&screenshot, &b"\x89PNG"[..]),
            (&full_page, b"\x89PNG"),
            (&pdf, b"%PDF"),
        ] {
            let bytes = std::fs::read(file).expect("browser output written");
            assert!(bytes.starts_with(magic), "{} was not written", file.display());
        }
        Layout {
            inner_width: number("innerWidth"),
            scroll_width: number("scrollWidth"),
            scroll_height: number("scrollHeight"),
            wide: names("wide"),
            spilling: names("spilling"),
            screenshot,
            full_page,
            pdf,
        }
    }
}

/// The JSON the probe left in the dumped DOM.
fn probe_result(dom: &str) -> serde_json::Value {
    let start = dom.find("data-layout=\"").expect("the layout probe ran") + "data-layout=\"".len();
    let end = start + dom[start..].find('"').expect("attribute end");
    let json = dom[start..end]
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    serde_json::from_str(&json).expect("layout JSON")
}
