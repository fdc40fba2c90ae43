//! The real `quilt-server` binary for end-to-end tests: started on a fixed port with the demo
//! caseload (or an empty database, or a client build of the test's own), restarted, killed,
//! and the operator's `admin` commands run on its database.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};

use crate::{env_path, free_port, PASSWORD, WAIT};

/// The real server binary on a fixed port (a tablet's service worker is tied to the origin,
/// so a restarted server must come back on the same one).
pub struct Server {
    pub port: u16,
    pub dir: tempfile::TempDir,
    process: Option<Child>,
    /// Extra command-line flags, kept across restarts.
    args: Vec<String>,
    /// The database; a SQLite file in `dir` unless given.
    database_url: Option<String>,
    /// Started with `--demo` (the demo caseload when the database is empty).
    demo: bool,
    /// The client it serves: `QUILT_DIST` unless given.
    static_dir: Option<PathBuf>,
}

/// A fresh, empty database on the PostgreSQL cluster that `QUILT_TEST_DATABASE_URL` names
/// (`cargo xtask test` starts one and sets it). Fails, rather than skipping, without it.
pub async fn fresh_postgres() -> Result<String> {
    use sqlx::Connection;
    let admin = std::env::var("QUILT_TEST_DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres"))
        .context("QUILT_TEST_DATABASE_URL must name PostgreSQL (cargo xtask test sets it)")?;
    let name = format!("quilt_e2e_{:016x}", rand::random::<u64>());
    let mut conn = sqlx::PgConnection::connect(&admin).await?;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    let (before_query, query) = match admin.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (admin.as_str(), None),
    };
    let authority = before_query.find("://").map_or(0, |i| i + 3);
    let path = before_query[authority..]
        .find('/')
        .map_or(before_query.len(), |i| authority + i);
    let mut url = format!("{}/{name}", &before_query[..path]);
    if let Some(q) = query {
        url.push('?');
        url.push_str(q);
    }
    Ok(url)
}

impl Server {
    pub fn start() -> Result<Self> {
        Self::start_with(&[])
    }

    /// Starts the server with extra flags, e.g. short token lifetimes.
    pub fn start_with(args: &[&str]) -> Result<Self> {
        Self::start_on(None, args)
    }

    /// Starts the server on `database_url` (a SQLite file of its own when `None`).
    pub fn start_on(database_url: Option<String>, args: &[&str]) -> Result<Self> {
        Self::launch(database_url, args, true, None)
    }

    /// Starts the server on an empty SQLite database without `--demo`: a partnership's first
    /// day. `admin` runs the operator's commands on it.
    pub fn start_empty() -> Result<Self> {
        Self::launch(None, &[], false, None)
    }

    /// Starts the demo server serving the client in `dir` (a copy of the build a test changes).
    pub fn start_serving(dir: &Path) -> Result<Self> {
        Self::launch(None, &[], true, Some(dir.to_path_buf()))
    }

    fn launch(
        database_url: Option<String>,
        args: &[&str],
        demo: bool,
        static_dir: Option<PathBuf>,
    ) -> Result<Self> {
        let mut s = Server {
            port: free_port()?,
            dir: tempfile::tempdir()?,
            process: None,
            args: args.iter().map(|a| (*a).to_owned()).collect(),
            database_url,
            demo,
            static_dir,
        };
        s.restart()?;
        Ok(s)
    }

    fn database(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.db_path().display()))
    }

    /// Runs `quilt-server admin <args>` on this server's database with `stdin` (a password)
    /// on standard input; fails with its output when it fails.
    pub fn admin(&self, args: &[&str], stdin: &str) -> Result<String> {
        use std::io::Write;
        let mut child = Command::new(env_path("QUILT_SERVER_BIN")?)
            .arg("--database-url")
            .arg(self.database())
            .arg("admin")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .context("running quilt-server admin")?;
        child
            .stdin
            .take()
            .context("stdin")?
            .write_all(stdin.as_bytes())?;
        let out = child.wait_with_output()?;
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        ensure!(out.status.success(), "quilt-server admin {args:?}: {text}");
        Ok(text)
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn db_path(&self) -> PathBuf {
        self.dir.path().join("quilt.db")
    }

    pub fn restart(&mut self) -> Result<()> {
        let bin = env_path("QUILT_SERVER_BIN")?;
        let dist = match &self.static_dir {
            Some(dir) => dir.clone(),
            None => env_path("QUILT_DIST")?,
        };
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("server.log"))?;
        let child = Command::new(bin)
            .args(self.demo.then_some("--demo"))
            .arg("--listen")
            .arg(format!("127.0.0.1:{}", self.port))
            .arg("--database-url")
            .arg(self.database())
            .arg("--static-dir")
            .arg(dist)
            .args(&self.args)
            .stdout(Stdio::from(log.try_clone()?))
            .stderr(Stdio::from(log))
            .spawn()
            .context("starting quilt-server")?;
        self.process = Some(child);
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        bail!("server did not start; log:\n{}", self.log())
    }

    /// Kills the server outright, as a power cut or crash would.
    pub fn stop(&mut self) {
        if let Some(mut p) = self.process.take() {
            let _ = p.kill();
            let _ = p.wait();
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    /// Signs in through the API and returns a bearer token.
    pub async fn token(&self, username: &str) -> Result<String> {
        let resp: serde_json::Value = reqwest::Client::new()
            .post(self.url("/api/login"))
            .json(&serde_json::json!({"username": username, "password": PASSWORD}))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        Ok(resp["token"].as_str().context("token")?.to_owned())
    }

    /// Observation ids in a child's server-side chronology, read as the demo manager.
    pub async fn chronology_ids(&self, child: &str) -> Result<Vec<String>> {
        let token = self.token("morgan.manager").await?;
        let resp: serde_json::Value = reqwest::Client::new()
            .get(self.url(&format!("/api/children/{child}/chronology")))
            .bearer_auth(token)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        Ok(resp["entries"]
            .as_array()
            .context("entries")?
            .iter()
            .filter(|e| e["kind"] == "observation")
            .filter_map(|e| e["ref_id"].as_str().map(str::to_owned))
            .collect())
    }

    /// Narratives in a child's server-side chronology, read as the demo manager.
    pub async fn chronology_narratives(&self, child: &str) -> Result<Vec<String>> {
        let token = self.token("morgan.manager").await?;
        let resp: serde_json::Value = reqwest::Client::new()
            .get(self.url(&format!("/api/children/{child}/chronology")))
            .bearer_auth(token)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        Ok(resp["entries"]
            .as_array()
            .context("entries")?
            .iter()
            .filter(|e| e["kind"] == "observation")
            .filter_map(|e| e["narrative"].as_str().map(str::to_owned))
            .collect())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}
