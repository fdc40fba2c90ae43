//! `quilt-server admin …`: accounts, teams and imports for operators, on the database the
//! server uses (it may be running). The same rules and audit as the administration pages,
//! with the operator (the `USER` environment variable) named as who acted.

use std::io::BufRead;
use std::path::PathBuf;

use anyhow::Context;
use shared::api::partnership::{ImportRequest, NewAccount};
use shared::api::Role;

use super::{Actor, Admin};
use crate::audit_log::AuditLog;

#[derive(clap::Subcommand, Debug)]
pub enum AdminCommand {
    /// Create an account; its password is read from standard input. Works on an empty database.
    CreateUser {
        #[arg(long)]
        username: String,
        #[arg(long)]
        display_name: String,
        #[arg(long)]
        agency: String,
        #[arg(long, value_parser = ["admin", "manager", "practitioner"])]
        role: String,
        /// The team's id or name (a manager needs one).
        #[arg(long)]
        team: Option<String>,
        /// Make the user choose a new password at their first sign-in.
        #[arg(long)]
        must_change_password: bool,
        /// The user works the front door: the queue of concerns about any child.
        #[arg(long)]
        front_door: bool,
    },
    /// List every account: username, role, agency, team, and whether disabled.
    ListUsers,
    /// Disable a leaver's account at once (their tablet erases its records at its next contact).
    DisableUser { username: String },
    /// Enable a disabled account again; the user signs in afresh.
    EnableUser { username: String },
    /// Set a new password (read from standard input), to be changed at the next sign-in;
    /// every session of the user is revoked.
    ResetPassword { username: String },
    /// Create a team; prints its id.
    CreateTeam { name: String },
    /// Import children and allocations from CSV files (columns: see `server/src/admin/import.rs`
    /// and the README). Every row is checked; all are stored, or none.
    Import {
        #[arg(long)]
        children: Option<PathBuf>,
        #[arg(long)]
        allocations: Option<PathBuf>,
        /// Check and report every row, storing nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// Reads a password from standard input: one line (a prompt goes to standard error).
fn read_password(prompt: &str) -> anyhow::Result<String> {
    eprint!("{prompt}: ");
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    eprintln!();
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    anyhow::ensure!(!password.is_empty(), "no password on standard input");
    Ok(password)
}

pub async fn run(database_url: &str, command: &AdminCommand) -> anyhow::Result<()> {
    // The first administrator is created on an empty database, perhaps before the server
    // first ran: make the SQLite file's directory.
    if let Some(path) = database_url.strip_prefix("sqlite://") {
        if let Some(parent) = std::path::Path::new(path)
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
        {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
    }
    let store = crate::store::open_store(database_url)
        .await
        .context("opening the database")?;
    let admin = Admin::new(store.clone(), AuditLog::start(store.clone()));
    let by = Actor::Operator {
        name: std::env::var("USER").unwrap_or_else(|_| "unknown".into()),
    };
    let team_id = |team: &Option<String>| {
        let store = store.clone();
        let team = team.clone();
        async move {
            let Some(team) = team else {
                return Ok::<_, anyhow::Error>(None);
            };
            let teams = store.teams().await?;
            teams
                .iter()
                .find(|t| t.id == team || t.name.eq_ignore_ascii_case(&team))
                .map(|t| Some(t.id.clone()))
                .ok_or_else(|| anyhow::anyhow!("there is no team {team:?}"))
        }
    };
    match command {
        AdminCommand::CreateUser {
            username,
            display_name,
            agency,
            role,
            team,
            must_change_password,
            front_door,
        } => {
            let role = Role::from_code(role).context("role")?;
            let team_id = team_id(team).await?;
            let password = read_password(&format!("Password for {username}"))?;
            let id = admin
                .create_account(
                    &by,
                    NewAccount {
                        username: username.clone(),
                        display_name: display_name.clone(),
                        agency: agency.clone(),
                        role,
                        team_id,
                        password,
                        front_door: *front_door,
                    },
                    *must_change_password,
                )
                .await?;
            println!("created {username} ({id}) as {}", role.code());
        }
        AdminCommand::ListUsers => {
            println!(
                "{:<24} {:<13} {:<10} {:<28} TEAM",
                "USERNAME", "ROLE", "STATE", "AGENCY"
            );
            for a in admin.accounts(&by).await? {
                let state = if a.disabled_at_ms.is_some() {
                    "disabled"
                } else if a.must_change_password {
                    "new-pass"
                } else {
                    "active"
                };
                println!(
                    "{:<24} {:<13} {:<10} {:<28} {}",
                    a.username,
                    a.role.code(),
                    state,
                    a.agency,
                    a.team_id.unwrap_or_default()
                );
            }
        }
        AdminCommand::DisableUser { username } => {
            let user = admin.user_by_username(username).await?;
            admin.disable(&by, &user.id).await?;
            println!("{username} is disabled; their tablet erases its records at its next contact");
        }
        AdminCommand::EnableUser { username } => {
            let user = admin.user_by_username(username).await?;
            admin.enable(&by, &user.id).await?;
            println!("{username} is enabled; they sign in afresh");
        }
        AdminCommand::ResetPassword { username } => {
            let user = admin.user_by_username(username).await?;
            let password = read_password(&format!("New password for {username}"))?;
            admin.reset_password(&by, &user.id, password).await?;
            println!("{username}'s password is reset; they choose a new one at their next sign-in");
        }
        AdminCommand::CreateTeam { name } => {
            let team = admin.create_team(&by, name).await?;
            println!("created team {} ({})", team.name, team.id);
        }
        AdminCommand::Import {
            children,
            allocations,
            dry_run,
        } => {
            let read = |p: &Option<PathBuf>| -> anyhow::Result<String> {
                match p {
                    Some(p) => std::fs::read_to_string(p)
                        .with_context(|| format!("reading {}", p.display())),
                    None => Ok(String::new()),
                }
            };
            let report = admin
                .import(
                    &by,
                    ImportRequest {
                        children_csv: read(children)?,
                        allocations_csv: read(allocations)?,
                        dry_run: *dry_run,
                    },
                )
                .await?;
            for p in &report.problems {
                println!("{}.csv line {}: {}", p.file, p.line, p.reason);
            }
            if report.imported {
                println!(
                    "imported {} children and {} allocations",
                    report.children, report.allocations
                );
            } else if report.problems.is_empty() {
                println!(
                    "dry run: {} children and {} allocations would be imported",
                    report.children, report.allocations
                );
            } else {
                anyhow::bail!("{} problem(s): nothing imported", report.problems.len());
            }
        }
    }
    // Every audit event above was committed before its call returned.
    Ok(())
}
