//! Access requests, as [`AppState`] offers them to every front end: opening one, and a
//! person's approval or denial, each recorded in the audit log.

use std::net::IpAddr;

use super::{AppState, MintError, Minted};
use crate::approval::{ApprovalError, Approvals, Opened, Pending, normalize_code};
use crate::audit::{AuditEvent, MintSource};
use crate::clock::now_unix;

/// Why an access request could not be approved.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ApproveError {
    /// No such waiting request, or a longer lifetime than requested.
    #[error(transparent)]
    Approval(#[from] ApprovalError),
    /// The token could not be minted.
    #[error(transparent)]
    Mint(#[from] MintError),
}

impl AppState {
    /// The access requests waiting for a person's decision.
    pub fn approvals(&self) -> &Approvals {
        &self.inner.approvals
    }

    /// Opens an access request from `peer` for a token of `ttl_hours` (already checked with
    /// [`AppState::ttl_hours`]), and records it in the audit log.
    pub fn request_access(
        &self,
        client: Option<String>,
        origin: Option<String>,
        peer: IpAddr,
        ttl_hours: u32,
    ) -> Result<Opened, ApprovalError> {
        let opened = self.inner.approvals.open(
            client,
            origin,
            peer,
            ttl_hours,
            std::time::Instant::now(),
        )?;
        self.inner.audit.record_access(
            AuditEvent::Request,
            MintSource::Http,
            (opened.number, Some(&opened.user_code)),
            Some(peer.to_string()),
            now_unix().saturating_add(opened.expires_in),
        );
        Ok(opened)
    }

    /// Approves the waiting access request whose code the person typed (`user_code`; with
    /// `number`, it must be that request's code), decided through `via`: mints its token,
    /// with the requested lifetime or a shorter `ttl_hours`, for the requester's next
    /// collect. The decision and the mint (for the requester's address) go to the audit
    /// log.
    pub fn approve(
        &self,
        user_code: &str,
        number: Option<u64>,
        ttl_hours: Option<i64>,
        via: MintSource,
    ) -> Result<(Pending, Minted), ApproveError> {
        let (pending, minted) = self.inner.approvals.approve(
            user_code,
            number,
            ttl_hours,
            std::time::Instant::now(),
            |request, ttl| {
                let peer = request.peer.parse().ok();
                let m = self.mint(Some(i64::from(ttl)), None, MintSource::Approval, peer)?;
                Ok::<_, MintError>((m.token.clone(), m.expires_at, m))
            },
        )??;
        self.inner.audit.record_access(
            AuditEvent::Approve,
            via,
            (pending.number, Some(&normalize_code(user_code))),
            Some(pending.peer.clone()),
            minted.expires_at,
        );
        Ok((pending, minted))
    }

    /// Denies the waiting access request `which` (its number or code), decided through
    /// `via`; recorded in the audit log.
    pub fn deny(&self, which: &str, via: MintSource) -> Result<Pending, ApprovalError> {
        let pending = self
            .inner
            .approvals
            .deny(which, std::time::Instant::now())?;
        self.record_denial(&pending, via);
        Ok(pending)
    }

    /// Denies every waiting access request (a flood cleared in one step), decided through
    /// `via`; each recorded in the audit log.
    pub fn deny_all(&self, via: MintSource) -> Vec<Pending> {
        let denied = self.inner.approvals.deny_all(std::time::Instant::now());
        for pending in &denied {
            self.record_denial(pending, via);
        }
        denied
    }

    fn record_denial(&self, pending: &Pending, via: MintSource) {
        self.inner.audit.record_access(
            AuditEvent::Deny,
            via,
            (pending.number, None),
            Some(pending.peer.clone()),
            0,
        );
    }
}
