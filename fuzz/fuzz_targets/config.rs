//! Any text as a config file: never a panic; an error names the file and a line that
//! exists, and an accepted config passes validation and survives a save/parse round trip.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use pawkey_core::config::{Config, ConfigError, Origin};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new("/fuzz/config.toml");
    match Config::from_toml(text, path) {
        Ok(config) => {
            config
                .validate(&Origin::File(path.to_owned()))
                .expect("an accepted config is valid");
            let again = toml::to_string(&config).expect("a valid config serializes");
            assert_eq!(
                Config::from_toml(&again, path).expect("a saved config parses"),
                config
            );
        }
        Err(ConfigError::Parse { line, path: p, .. }) => {
            assert_eq!(p, path);
            assert!(line >= 1 && line <= text.lines().count().max(1) + 1, "line {line}");
        }
        Err(ConfigError::Invalid { .. }) => {}
        Err(e @ ConfigError::Io { .. }) => panic!("parsing text never does I/O: {e}"),
    }
});
