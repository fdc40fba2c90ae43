//! Harness for the end-to-end tests in `tests/`: the real `quilt-server` binary on a real SQLite file, and
//! real headless Chromium profiles (one per simulated tablet) driven through ChromeDriver.

mod server;
pub mod sim;

pub use server::{fresh_postgres, Server};

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};

pub const PASSWORD: &str = "quilt-demo";
const WAIT: Duration = Duration::from_secs(30);

fn env_path(name: &str) -> Result<PathBuf> {
    std::env::var_os(name).map(PathBuf::from).with_context(|| {
        format!("{name} is not set: run the browser tests through `cargo xtask test`")
    })
}

pub fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// One ChromeDriver for the test; each tablet is its own Chromium profile.
pub struct Driver {
    port: u16,
    process: Child,
}

impl Driver {
    pub fn start() -> Result<Self> {
        let port = free_port()?;
        let process = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting chromedriver (cargo xtask test installs it)")?;
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(Driver { port, process });
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        bail!("chromedriver did not start")
    }

    /// A new simulated tablet: a fresh, empty Chromium profile.
    pub async fn tablet(&self, profile: &Path) -> Result<Tablet> {
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    "--window-size=1024,1366",
                    format!("--user-data-dir={}", profile.display()),
                ]
            }),
        );
        let client = ClientBuilder::native()
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .context("opening a Chromium session")?;
        Ok(Tablet { client })
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

pub fn testid(id: &str) -> Locator<'_> {
    Locator::Css(Box::leak(format!("[data-testid='{id}']").into_boxed_str()))
}

pub struct Tablet {
    pub client: Client,
}

impl Tablet {
    pub async fn find(&self, id: &str) -> Result<Element> {
        match self
            .client
            .wait()
            .at_most(WAIT)
            .for_element(testid(id))
            .await
        {
            Ok(e) => Ok(e),
            Err(err) => {
                let url = self
                    .client
                    .current_url()
                    .await
                    .map(|u| u.path().to_owned())
                    .unwrap_or_default();
                Err(err).with_context(|| format!("waiting for [data-testid={id}] on {url}"))
            }
        }
    }

    pub async fn click(&self, id: &str) -> Result<()> {
        self.find(id).await?.click().await?;
        Ok(())
    }

    pub async fn type_into(&self, id: &str, text: &str) -> Result<()> {
        let e = self.find(id).await?;
        e.clear().await.ok();
        e.send_keys(text).await?;
        Ok(())
    }

    /// Chooses an option of a <select> by its value.
    pub async fn select(&self, id: &str, value: &str) -> Result<()> {
        self.find(id).await?.select_by_value(value).await?;
        Ok(())
    }

    /// Sets an input's value as a date picker would, firing input and change events.
    pub async fn set_value(&self, id: &str, value: &str) -> Result<()> {
        let element = self.find(id).await?;
        self.client
            .execute(
                "const e = arguments[0]; e.value = arguments[1]; \
                 e.dispatchEvent(new Event('input', {bubbles: true})); \
                 e.dispatchEvent(new Event('change', {bubbles: true}));",
                vec![
                    serde_json::to_value(&element)?,
                    serde_json::Value::String(value.into()),
                ],
            )
            .await?;
        Ok(())
    }

    pub async fn text(&self, id: &str) -> Result<String> {
        Ok(self.find(id).await?.text().await?)
    }

    /// Loads `url` and waits until the app has opened its local storage, unlocking it with the
    /// demo password if it starts locked.
    pub async fn open(&self, url: &str) -> Result<()> {
        self.client.goto(url).await?;
        self.wait_open().await
    }

    /// Waits for the app to be ready, unlocking the lock screen with the demo password.
    pub async fn wait_open(&self) -> Result<()> {
        self.wait_open_with(PASSWORD).await
    }

    /// [`Tablet::open`] for a user whose password is not the demo one.
    pub async fn open_with(&self, url: &str, password: &str) -> Result<()> {
        self.client.goto(url).await?;
        self.wait_open_with(password).await
    }

    async fn wait_open_with(&self, password: &str) -> Result<()> {
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            if self.exists("app-ready").await? {
                return Ok(());
            }
            if self.exists("lock-screen").await? {
                self.unlock(password).await?;
                self.find("app-ready").await?;
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        bail!("timed out waiting for the app to open")
    }

    /// Types a password into the lock screen and submits it.
    pub async fn unlock(&self, password: &str) -> Result<()> {
        self.type_into("unlock-password", password).await?;
        self.click("unlock-submit").await
    }

    /// Whether an element with this test id is on the page now.
    pub async fn exists(&self, id: &str) -> Result<bool> {
        Ok(!self.client.find_all(testid(id)).await?.is_empty())
    }

    pub async fn sign_in(&self, server: &Server, username: &str) -> Result<()> {
        self.open(&server.url("/")).await?;
        self.type_into("login-username", username).await?;
        self.type_into("login-password", PASSWORD).await?;
        self.click("login-submit").await?;
        self.find("caseload-list").await?;
        Ok(())
    }

    /// Signs in and waits until the caseload is synced and the app can open with no server:
    /// a practitioner ready to leave for a visit.
    pub async fn ready_for_visit(&self, server: &Server, username: &str) -> Result<()> {
        self.sign_in(server, username).await?;
        self.find("child-link-child-ava").await?;
        self.wait_for_offline_shell().await?;
        self.wait_text("pending-count", "0").await
    }

    /// Waits until a condition evaluated in the page holds.
    pub async fn wait_js(&self, what: &str, script: &str) -> Result<()> {
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            let v = self.client.execute(script, vec![]).await?;
            if v.as_bool() == Some(true) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        bail!("timed out waiting for {what}")
    }

    /// Waits until the service worker controls the page, so it can load with no server.
    pub async fn wait_for_offline_shell(&self) -> Result<()> {
        self.wait_js(
            "the service worker to control the page",
            "return !!(navigator.serviceWorker && navigator.serviceWorker.controller);",
        )
        .await
    }

    pub async fn wait_text(&self, id: &str, expected: &str) -> Result<()> {
        self.wait_for_text(id, &format!("{expected:?}"), |t| t.trim() == expected)
            .await
    }

    /// Waits until the element's text contains `part`.
    pub async fn wait_contains(&self, id: &str, part: &str) -> Result<()> {
        self.wait_for_text(id, &format!("to contain {part:?}"), |t| t.contains(part))
            .await
    }

    async fn wait_for_text(&self, id: &str, wanted: &str, ok: impl Fn(&str) -> bool) -> Result<()> {
        let deadline = Instant::now() + WAIT;
        let mut last = String::new();
        while Instant::now() < deadline {
            if let Ok(Ok(t)) = tokio::time::timeout(Duration::from_secs(2), async {
                let e = self.client.find(testid(id)).await?;
                e.text().await
            })
            .await
            {
                if ok(&t) {
                    return Ok(());
                }
                last = t;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        bail!("[data-testid={id}] shows {last:?}, expected {wanted}")
    }

    pub async fn count(&self, id: &str) -> Result<usize> {
        Ok(self.client.find_all(testid(id)).await?.len())
    }

    /// Records an observation for `child` through the form, as a practitioner would.
    pub async fn record_observation(
        &self,
        server: &Server,
        child: &str,
        narrative: &str,
        words: &str,
    ) -> Result<()> {
        self.open(&server.url(&format!("/child/{child}"))).await?;
        self.click("new-observation").await?;
        self.type_into("obs-location", "Family home, living room")
            .await?;
        self.type_into("obs-present", "Mother, child").await?;
        self.type_into("indicator-search", "hygiene").await?;
        self.click("indicator-NEG-HYGIENE").await?;
        self.type_into("obs-narrative", narrative).await?;
        self.type_into("obs-child-words", words).await?;
        self.click("obs-save").await?;
        self.find("saved-message").await?;
        Ok(())
    }

    pub async fn close(self) -> Result<()> {
        self.client.close().await?;
        Ok(())
    }

    /// Slows the page's CPU by `rate` (1 is full speed), as Chromium's DevTools do to stand in
    /// for a slow tablet.
    pub async fn throttle_cpu(&self, rate: f64) -> Result<()> {
        self.client
            .issue_cmd(Cdp {
                cmd: "Emulation.setCPUThrottlingRate",
                params: serde_json::json!({ "rate": rate }),
            })
            .await?;
        Ok(())
    }

    /// Cuts the page off the network (or restores it), as a tablet losing signal: the browser
    /// reports itself offline and fires `offline` / `online`.
    pub async fn set_offline(&self, offline: bool) -> Result<()> {
        self.client
            .issue_cmd(Cdp {
                cmd: "Network.enable",
                params: serde_json::json!({}),
            })
            .await?;
        self.client
            .issue_cmd(Cdp {
                cmd: "Network.emulateNetworkConditions",
                params: serde_json::json!({
                    "offline": offline, "latency": 0,
                    "downloadThroughput": -1, "uploadThroughput": -1,
                }),
            })
            .await?;
        Ok(())
    }

    /// Makes the page's viewport exactly `width` x `height` CSS pixels at one device pixel
    /// each, as a phone or tablet of that size would (Chromium will not make a window under
    /// 500 px wide, so this goes through its DevTools device emulation).
    pub async fn set_viewport(&self, width: u32, height: u32) -> Result<()> {
        self.client
            .set_window_size(width.max(500), height + 100)
            .await?;
        self.client
            .issue_cmd(Cdp {
                cmd: "Emulation.setDeviceMetricsOverride",
                params: serde_json::json!({
                    "width": width, "height": height, "deviceScaleFactor": 1,
                    "mobile": width < 600,
                }),
            })
            .await?;
        Ok(())
    }
}

/// A Chromium DevTools command, sent through chromedriver's `goog/cdp/execute`.
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: serde_json::Value,
}

impl fantoccini::wd::WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> std::result::Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let body = serde_json::json!({ "cmd": self.cmd, "params": self.params });
        (http::Method::POST, Some(body.to_string()))
    }
}
