//! The error every `#[tauri::command]` returns. It reaches the window as
//! `{"message": "...", "fields": [{"field": "port", "message": "..."}]}`: `message` is
//! always there and already phrased for the user; `fields` names settings to mark invalid.

use pawkey_core::config::ConfigError;
use pawkey_core::state::MintError;
use pawkey_core::store::StoreError;
use serde::Serialize;
use serde::ser::SerializeStruct;

/// One invalid settings field and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The setting, as named in the config file (`port`, `ttl_hours`, ...).
    pub field: &'static str,
    /// What is wrong and what is allowed.
    pub message: String,
}

/// Why a command failed. Each variant says what happened and what to do, in one place.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// One or more settings are invalid.
    #[error("{}", .0.iter().map(|f| f.message.as_str()).collect::<Vec<_>>().join("; "))]
    Fields(Vec<FieldError>),
    /// Minting was refused.
    #[error(transparent)]
    Mint(#[from] MintError),
    /// The keychain refused or failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Start-up could not open PawKey's state (the message says why and what to do).
    #[error("{0}")]
    StartFailed(String),
    /// The app is quitting.
    #[error("PawKey is shutting down")]
    ShuttingDown,
    /// A background call (keychain, file, browser) ended without an answer.
    #[error("{what} did not finish: {reason}")]
    Unfinished {
        /// What was being done, e.g. "the keychain call".
        what: &'static str,
        /// Why it ended.
        reason: String,
    },
    /// A token shown in the window no longer verifies, so it is not copied again.
    #[error("not copied: {0} — mint a new session token")]
    StaleToken(pawkey_core::state::VerifyError),
    /// What was pasted is not a master token.
    #[error("not imported: {0}")]
    NotAMasterToken(pawkey_core::secret::MasterTokenError),
    /// The master token was not imported (PocketPaw's file, the setting, the keychain).
    #[error(transparent)]
    NotImported(#[from] pawkey_core::state::ImportError),
    /// No free port near the configured one.
    #[error("no free port found: {0}")]
    NoFreePort(std::io::Error),
    /// The dashboard link or QR code could not be made or opened.
    #[error("{0}")]
    Dashboard(String),
    /// The log folder could not be made or shown.
    #[error("{0}")]
    Logs(String),
    /// A page could not be opened in the browser.
    #[error("could not open {url}: {reason} — open it in your browser")]
    Browser {
        /// The address.
        url: String,
        /// Why not.
        reason: String,
    },
    /// The request was decided or expired before the person's decision arrived.
    #[error(
        "Request #{0} is no longer waiting: it expired or was already decided. \
         Ask the page to request access again."
    )]
    RequestGone(u64),
    /// An approval or denial core refused for another reason.
    #[error(transparent)]
    Approval(pawkey_core::approval::ApprovalError),
    /// The approval's token could not be minted.
    #[error("not approved: {0}")]
    NotApproved(MintError),
    /// The window asked for something its channel does not carry.
    #[error("PawKey did not understand the window's request: {0}")]
    BadCall(String),
}

impl CommandError {
    /// An error on one settings field.
    pub fn field(field: &'static str, message: impl Into<String>) -> Self {
        CommandError::Fields(vec![FieldError {
            field,
            message: message.into(),
        }])
    }

    /// The first invalid field, if this is a settings error.
    pub fn field_name(&self) -> Option<&'static str> {
        match self {
            CommandError::Fields(f) => f.first().map(|f| f.field),
            _ => None,
        }
    }
}

impl From<ConfigError> for CommandError {
    fn from(e: ConfigError) -> Self {
        match e {
            ConfigError::Invalid { field, message, .. } => CommandError::field(field, message),
            other => CommandError::StartFailed(other.to_string()),
        }
    }
}

impl Serialize for CommandError {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("CommandError", 2)?;
        s.serialize_field("message", &self.to_string())?;
        match self {
            CommandError::Fields(fields) => s.serialize_field("fields", fields)?,
            _ => s.serialize_field("fields", &[] as &[FieldError])?,
        }
        s.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pawkey_core::config::{Config, Origin};

    #[test]
    fn serializes_to_message_and_fields() {
        let e = CommandError::field("port", "port 80 is taken");
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["message"], "port 80 is taken");
        assert_eq!(json["fields"][0]["field"], "port");

        let e = CommandError::Unfinished {
            what: "the keychain call",
            reason: "cancelled".into(),
        };
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(
            json["message"],
            "the keychain call did not finish: cancelled"
        );
        assert_eq!(json["fields"].as_array().unwrap().len(), 0);
    }

    #[test]
    fn config_range_errors_land_on_their_field() {
        let config = Config {
            ttl_hours: 0,
            ..Config::default()
        };
        let e: CommandError = config.validate(&Origin::Setting).unwrap_err().into();
        assert_eq!(e.field_name(), Some("ttl_hours"));
        assert!(e.to_string().contains("1 to 720"), "{e}");
    }
}
