//! The commands that need no running server: `token`, `verify`, `status` and `sessions`.

use std::io::IsTerminal;
use std::process::ExitCode;

use super::prompt::read_stdin_token;
use super::{CliError, require_master};
use crate::audit::{AuditLog, MintSource};
use crate::clock::{now_unix, rfc3339};
use crate::startup::Setup;
use crate::state::VerifyError;
use crate::token::{TokenError, TokenFormat};

pub(super) fn token(
    setup: Setup,
    ttl_hours: Option<i64>,
    format: Option<TokenFormat>,
    json: bool,
) -> Result<ExitCode, CliError> {
    let audit = AuditLog::with_file_sync(&setup.paths.data_dir);
    let state = setup.open_state(audit);
    require_master(&state)?;
    let minted = state.mint(ttl_hours, format, MintSource::Cli, None)?;
    if json {
        let out = serde_json::json!({
            "session_token": minted.token,
            "expires_at": minted.expires_at,
            "expires_in_hours": minted.ttl_hours,
            "fingerprint": minted.fingerprint,
        });
        println!("{out}");
        return Ok(ExitCode::SUCCESS);
    }
    println!("{}", minted.token);
    if std::io::stderr().is_terminal() {
        eprintln!(
            "expires {} ({} h)",
            rfc3339(minted.expires_at),
            minted.ttl_hours
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) fn verify(setup: Setup, token: &str, json: bool) -> Result<ExitCode, CliError> {
    let token = if token == "-" {
        read_stdin_token("Paste the session token and press Enter:")?
            .trim()
            .to_owned()
    } else {
        token.to_owned()
    };
    let state = setup.open_state(AuditLog::memory_only());
    require_master(&state)?;
    let outcome = state.verify(&token);
    if json {
        let (state, expires_at, reason) = match &outcome {
            Ok(exp) => ("valid", Some(*exp), None),
            Err(VerifyError::Token(TokenError::Expired(exp))) => (
                "expired",
                Some(*exp),
                Some(format!("expired at {}", rfc3339(*exp))),
            ),
            Err(e) => ("invalid", None, Some(e.to_string())),
        };
        let out = serde_json::json!({
            "valid": outcome.is_ok(),
            "state": state,
            "expires_at": expires_at,
            "reason": reason,
        });
        println!("{out}");
        return Ok(if outcome.is_ok() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        });
    }
    match outcome {
        Ok(exp) => {
            let left = exp.saturating_sub(now_unix());
            println!(
                "valid: expires {} (in {} h {} min)",
                rfc3339(exp),
                left / 3600,
                (left % 3600) / 60
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(VerifyError::Token(TokenError::Expired(exp))) => {
            println!("expired: at {}", rfc3339(exp));
            Ok(ExitCode::FAILURE)
        }
        Err(e) => {
            println!("invalid: {e}");
            Ok(ExitCode::FAILURE)
        }
    }
}

pub(super) fn status(setup: Setup, json: bool) -> Result<ExitCode, CliError> {
    let c = &setup.config;
    let loaded = setup.store.load();
    let ok = loaded.is_ok();
    let code = if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    };
    let audit_log = setup.paths.data_dir.join("audit.jsonl");
    if json {
        let (master_state, master_error) = match &loaded {
            Ok(Some(_)) => ("ok", None),
            Ok(None) => ("missing", None),
            Err(e) => ("error", Some(e.to_string())),
        };
        let out = serde_json::json!({
            "version": crate::VERSION,
            "master_token": {
                "location": setup.store.location(),
                "state": master_state,
                "error": master_error,
            },
            "config_file": {
                "path": setup.paths.config_file.display().to_string(),
                "present": setup.paths.config_file.exists(),
            },
            "server": format!("http://{}", std::net::SocketAddr::new(c.bind, c.port)),
            "bind": c.bind.to_string(),
            "port": c.port,
            "ttl_hours": c.ttl_hours,
            "token_format": c.token_format.as_str(),
            "audit_log": audit_log.display().to_string(),
        });
        println!("{out}");
        return Ok(code);
    }
    let (master_line, ok) = match loaded {
        Ok(Some(_)) => (format!("{} — OK", setup.store.location()), true),
        Ok(None) => (
            format!(
                "{} — not created yet (created on first `serve` or `token`)",
                setup.store.location()
            ),
            true,
        ),
        Err(e) => (format!("{} — ERROR: {e}", setup.store.location()), false),
    };
    let config_state = if setup.paths.config_file.exists() {
        ""
    } else {
        " (not present; defaults in use)"
    };
    println!("PawKey {}", crate::VERSION);
    println!("Master token:  {master_line}");
    println!(
        "Config file:   {}{config_state}",
        setup.paths.config_file.display()
    );
    // SocketAddr writes an IPv6 address in brackets, as a URL needs.
    println!(
        "Server:        http://{} (port {})",
        std::net::SocketAddr::new(c.bind, c.port),
        c.port
    );
    println!("Session TTL:   {} hours", c.ttl_hours);
    println!("Token format:  {}", c.token_format.as_str());
    println!("Audit log:     {}", audit_log.display());
    debug_assert_eq!(ok, code == ExitCode::SUCCESS);
    Ok(code)
}

pub(super) fn sessions(setup: Setup, active: bool, json: bool) -> Result<ExitCode, CliError> {
    let dir = &setup.paths.data_dir;
    let entries = crate::audit::read_sessions(dir).map_err(|reason| CliError::AuditUnreadable {
        path: dir.join("audit.jsonl"),
        reason,
    })?;
    let now = now_unix();
    let rows: Vec<_> = entries
        .into_iter()
        .map(|e| {
            let live = e.expires_at > now;
            (e, if live { "active" } else { "expired" })
        })
        .filter(|(_, status)| !active || *status == "active")
        .collect();
    if json {
        let list: Vec<_> = rows
            .iter()
            .map(|(e, status)| {
                serde_json::json!({
                    "minted_at": e.minted_at,
                    "source": e.source,
                    "client": e.client,
                    "expires_at": e.expires_at,
                    "fingerprint": e.fingerprint,
                    "status": status,
                })
            })
            .collect();
        println!("{}", serde_json::json!({ "sessions": list }));
        return Ok(ExitCode::SUCCESS);
    }
    if rows.is_empty() {
        eprintln!(
            "No {}sessions in {}.",
            if active { "active " } else { "" },
            dir.join("audit.jsonl").display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:<20}  {:<8}  {:<15}  {:<20}  {:<12}  STATUS",
        "MINTED", "SOURCE", "CLIENT", "EXPIRES", "FINGERPRINT"
    );
    for (e, status) in &rows {
        let source = serde_json::to_value(e.source)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        println!(
            "{:<20}  {:<8}  {:<15}  {:<20}  {:<12}  {status}",
            rfc3339(e.minted_at),
            source,
            e.client.as_deref().unwrap_or("-"),
            rfc3339(e.expires_at),
            e.fingerprint
        );
    }
    Ok(ExitCode::SUCCESS)
}
