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

/// Why a command failed.
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
    /// Anything else, already phrased for the user.
    #[error("{0}")]
    Other(String),
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
            other => CommandError::Other(other.to_string()),
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

        let e = CommandError::Other("the keychain is locked".into());
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["message"], "the keychain is locked");
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
