//! Session tokens: minting them (with the configured lifetime as the longest) and
//! verifying them against the master in use.

use std::net::IpAddr;

use serde::Serialize;

use super::{AppState, MasterSlot};
use crate::audit::{AuditEntry, MintSource};
use crate::clock::now_unix;
use crate::config::MAX_TTL_HOURS;
use crate::store::StoreError;
use crate::token::{TokenError, TokenFormat, fingerprint};

/// How far a token's expiry may lie beyond the longest lifetime (clocks and rounding).
pub const CLOCK_SKEW_SECONDS: u64 = 300;

/// A freshly minted session token.
#[derive(Clone, Serialize)]
pub struct Minted {
    /// The token itself.
    pub token: String,
    /// Expiry, Unix seconds.
    pub expires_at: u64,
    /// Lifetime in hours.
    pub ttl_hours: u32,
    /// First 12 hex characters of the token's SHA-256 (as in the audit log).
    pub fingerprint: String,
}

/// Why a mint was refused.
#[derive(Debug, Clone, thiserror::Error)]
pub enum MintError {
    /// The requested lifetime is outside 1..=configured maximum.
    #[error("ttl_hours must be between 1 and {max} (the configured ttl_hours); got {got}")]
    TtlOutOfRange {
        /// What was asked for.
        got: i64,
        /// The configured maximum.
        max: u32,
    },
    /// The master token could not be loaded at start-up.
    #[error("no master token: {0}")]
    MasterUnavailable(StoreError),
}

/// Why a session token was not accepted.
#[derive(Debug, Clone, thiserror::Error)]
pub enum VerifyError {
    /// Bad form, bad MAC or expired.
    #[error(transparent)]
    Token(#[from] TokenError),
    /// There is no master token to verify against.
    #[error("no master token: {0}")]
    MasterUnavailable(StoreError),
}

impl AppState {
    /// The lifetime a request for `ttl_hours` gets: the configured one when absent, 1 to
    /// the configured one otherwise.
    pub fn ttl_hours(&self, ttl_hours: Option<i64>) -> Result<u32, MintError> {
        let max = self.config().ttl_hours.min(MAX_TTL_HOURS);
        match ttl_hours {
            None => Ok(max),
            Some(h) if h >= 1 && h <= i64::from(max) => Ok(h as u32),
            Some(got) => Err(MintError::TtlOutOfRange { got, max }),
        }
    }

    /// Mints a session token. `ttl_hours` defaults to the configured lifetime and may not
    /// exceed it; `format` defaults to the configured format.
    pub fn mint(
        &self,
        ttl_hours: Option<i64>,
        format: Option<TokenFormat>,
        source: MintSource,
        client: Option<IpAddr>,
    ) -> Result<Minted, MintError> {
        let ttl = self.ttl_hours(ttl_hours)?;
        let minted = self.mint_for(u64::from(ttl) * 3600, format, source, client)?;
        Ok(Minted {
            ttl_hours: ttl,
            ..minted
        })
    }

    /// Mints a token that lives `seconds` (for short-lived links such as a phone QR code).
    /// `ttl_hours` in the result is the lifetime rounded up to whole hours.
    pub fn mint_for(
        &self,
        seconds: u64,
        format: Option<TokenFormat>,
        source: MintSource,
        client: Option<IpAddr>,
    ) -> Result<Minted, MintError> {
        self.mint_until(now_unix().saturating_add(seconds), format, source, client)
    }

    /// Mints a token that expires at `expires_at` (Unix seconds), for tokens that must not
    /// outlive the credential that asked for them.
    pub fn mint_until(
        &self,
        expires_at: u64,
        format: Option<TokenFormat>,
        source: MintSource,
        client: Option<IpAddr>,
    ) -> Result<Minted, MintError> {
        let config = self.config();
        let now = now_unix();
        let token = match &*self.slot() {
            MasterSlot::Ready { key, .. } => {
                key.mint(expires_at, format.unwrap_or(config.token_format))
            }
            MasterSlot::Unavailable(e) => return Err(MintError::MasterUnavailable(e.clone())),
        };
        let fingerprint = fingerprint(&token);
        self.inner.audit.record(AuditEntry {
            minted_at: now,
            source,
            client: client.map(|ip| ip.to_string()),
            expires_at,
            fingerprint: fingerprint.clone(),
        });
        Ok(Minted {
            token,
            expires_at,
            ttl_hours: expires_at
                .saturating_sub(now)
                .div_ceil(3600)
                .try_into()
                .unwrap_or(u32::MAX),
            fingerprint,
        })
    }

    /// Verifies a session token against the current master token; returns its expiry. A
    /// token whose expiry lies further out than the configured longest lifetime (plus
    /// [`CLOCK_SKEW_SECONDS`]) is refused even with a good MAC: PawKey never minted it.
    pub fn verify(&self, token: &str) -> Result<u64, VerifyError> {
        let now = now_unix();
        let exp = match &*self.slot() {
            MasterSlot::Ready { key, .. } => key.verify(token, now)?,
            MasterSlot::Unavailable(e) => return Err(VerifyError::MasterUnavailable(e.clone())),
        };
        let longest = u64::from(self.config().ttl_hours.min(MAX_TTL_HOURS)) * 3600;
        if exp > now.saturating_add(longest + CLOCK_SKEW_SECONDS) {
            return Err(TokenError::TooFarAhead(exp).into());
        }
        Ok(exp)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::config::Config;
    use crate::store::MemoryStore;

    fn state() -> AppState {
        AppState::builder(Config::default(), Arc::new(MemoryStore::default())).open()
    }

    #[test]
    fn mint_records_audit_and_verifies() {
        let state = state();
        let m = state.mint(Some(2), None, MintSource::Cli, None).unwrap();
        assert!(m.token.starts_with("session:"));
        assert_eq!(m.ttl_hours, 2);
        assert_eq!(state.verify(&m.token).unwrap(), m.expires_at);
        let audit = state.audit().recent();
        assert_eq!(audit.len(), 1);
        assert_eq!(audit[0].fingerprint, m.fingerprint);
        assert_eq!(audit[0].source, MintSource::Cli);
    }

    #[test]
    fn ttl_is_bounded_by_config() {
        let state = state();
        assert!(matches!(
            state.mint(Some(25), None, MintSource::Cli, None),
            Err(MintError::TtlOutOfRange { got: 25, max: 24 })
        ));
        assert!(state.mint(Some(0), None, MintSource::Cli, None).is_err());
        assert!(state.mint(Some(-1), None, MintSource::Cli, None).is_err());
        assert_eq!(
            state
                .mint(Some(24), None, MintSource::Cli, None)
                .unwrap()
                .ttl_hours,
            24
        );
    }
}
