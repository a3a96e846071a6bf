//! The window's JavaScript (`ui/js/`, plain ES modules) says some things the Rust side
//! decides: the command and event names (`ui/js/ipc.js`), and the lifetime presets, the
//! default lifetime, the mint-source labels, the QR link's lifetime, the settings form's
//! fields and the access code's length (`ui/js/facts.js`). These tests read those modules and
//! `ui/index.html` and check each fact against Rust, so changing one side alone fails here.
//! They also check the shape of the modules: only `ipc.js` touches `window.__TAURI__`, every
//! command and event goes through its names, no module imports one that imports it back, and
//! none is over 400 lines.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use pawkey_app::settings::{SettingsForm, SettingsView};
use pawkey_app::shortcut::ShortcutStatus;
use pawkey_app::views;
use pawkey_core::approval::Approvals;
use pawkey_core::audit::MintSource;
use pawkey_core::config::{Config, MAX_TTL_HOURS, MIN_TTL_HOURS};
use pawkey_core::pairing::QR_LINK_SECONDS;
use serde::Deserialize;
use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("src-tauri sits in the repository")
        .to_path_buf()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every module of the window: file name (`ipc.js`) → source.
fn modules() -> BTreeMap<String, String> {
    let dir = repo().join("ui/js");
    let mut modules = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("read ui/js").path();
        if path.extension().is_some_and(|e| e == "js") {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            modules.insert(name, read(&path));
        }
    }
    assert!(modules.contains_key("main.js"), "no ui/js/main.js");
    modules
}

fn module(name: &str) -> String {
    read(&repo().join("ui/js").join(name))
}

fn index_html() -> String {
    read(&repo().join("ui/index.html"))
}

/// The value of `export const NAME = <JSON>;` in `source` (the fact modules write their
/// values as JSON so that this reads them without a JavaScript parser).
fn js_const(source: &str, name: &str) -> Value {
    let start = format!("export const {name} = ");
    let from = source
        .find(&start)
        .unwrap_or_else(|| panic!("no `{start}`"))
        + start.len();
    let rest = &source[from..];
    // The value ends at a `;` that ends its line; the first such prefix that is JSON.
    for (i, _) in rest.match_indices(';') {
        let line_end = rest[i + 1..].trim_start_matches([' ', '\t', '\r']);
        if (line_end.is_empty() || line_end.starts_with('\n'))
            && let Ok(value) = serde_json::from_str(&rest[..i])
        {
            return value;
        }
    }
    panic!("`{start}` is not followed by JSON and a `;` at the end of a line");
}

fn js_strings(value: &Value) -> BTreeSet<String> {
    match value {
        Value::Object(map) => map.values().map(str_of).collect(),
        Value::Array(items) => items.iter().map(str_of).collect(),
        other => panic!("not a list or object: {other}"),
    }
}

fn js_keys(value: &Value) -> BTreeSet<String> {
    value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"))
        .keys()
        .cloned()
        .collect()
}

fn str_of(value: &Value) -> String {
    value
        .as_str()
        .unwrap_or_else(|| panic!("not a string: {value}"))
        .to_string()
}

/// The names serde's derive knows for `T`: a struct's fields, or an enum's variants (as
/// serialized: after `rename_all`). Read from the type itself, through a deserializer that
/// only takes note of what it is asked for.
fn serde_names<T: for<'de> Deserialize<'de>>() -> BTreeSet<String> {
    let mut names = Names(Vec::new());
    let _ = T::deserialize(&mut names);
    assert!(!names.0.is_empty(), "no fields or variants read");
    names.0.iter().map(|s| s.to_string()).collect()
}

struct Names(Vec<&'static str>);

impl Names {
    fn take<T>(&mut self, names: &'static [&'static str]) -> Result<T, serde::de::value::Error> {
        self.0.extend_from_slice(names);
        Err(serde::de::Error::custom("names taken"))
    }
}

impl<'de> serde::Deserializer<'de> for &mut Names {
    type Error = serde::de::value::Error;

    fn deserialize_any<V: serde::de::Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(serde::de::Error::custom("only a struct or an enum"))
    }

    fn deserialize_struct<V: serde::de::Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Self::Error> {
        self.take(fields)
    }

    fn deserialize_enum<V: serde::de::Visitor<'de>>(
        self,
        _name: &'static str,
        variants: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Self::Error> {
        self.take(variants)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map identifier ignored_any
    }
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("read src-tauri/src").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every request the window can make: `Call::NAMES` (src-tauri/src/link.rs), which a unit
/// test there keeps equal to the `Call` enum's variants.
fn rust_commands() -> BTreeSet<String> {
    let names: BTreeSet<String> = pawkey_app::link::Call::NAMES
        .iter()
        .map(|n| n.to_string())
        .collect();
    assert!(names.len() > 10, "found too few commands: {names:?}");
    names
}

/// Whether `source` has `name` as a whole name (`COMMAND.importMaster`, not the start of
/// `COMMAND.importMasterFromPocketpaw`).
fn names(source: &str, name: &str) -> bool {
    source.match_indices(name).any(|(i, _)| {
        !source[i + name.len()..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
    })
}

/// The `EVENT_*` string consts of src-tauri/src (wherever they live): name → value.
fn rust_event_consts() -> BTreeMap<String, String> {
    let mut files = Vec::new();
    rust_files(&repo().join("src-tauri/src"), &mut files);
    let mut events = BTreeMap::new();
    for file in files {
        for line in read(&file).lines() {
            let Some(rest) = line.trim().strip_prefix("pub const EVENT_") else {
                continue;
            };
            let (name, value) = rest
                .split_once(": &str = \"")
                .unwrap_or_else(|| panic!("{}: unexpected `{line}`", file.display()));
            let value = value.trim_end_matches("\";");
            events.insert(format!("EVENT_{name}"), value.to_string());
        }
    }
    events
}

#[test]
fn the_command_names_are_the_apps_commands_and_each_is_called() {
    let ipc = module("ipc.js");
    let command = js_const(&ipc, "COMMAND");
    assert_eq!(
        js_strings(&command),
        rust_commands(),
        "ui/js/ipc.js COMMAND against the Calls of src-tauri/src/link.rs"
    );
    let others: Vec<(String, String)> = modules()
        .into_iter()
        .filter(|(name, _)| name != "ipc.js")
        .collect();
    for key in js_keys(&command) {
        assert!(
            others
                .iter()
                .any(|(_, source)| names(source, &format!("COMMAND.{key}"))),
            "COMMAND.{key} is named in ipc.js but no module calls it"
        );
    }
    for (name, source) in &others {
        for literal in ["call(\"", "call('", "call(`"] {
            assert!(
                !source.contains(literal),
                "{name} calls a command by a literal name: use COMMAND"
            );
        }
    }
}

#[test]
fn the_event_names_are_the_apps_events_and_each_is_listened_to() {
    let rust = rust_event_consts();
    // The consts the window's events are sent with (a new one found above and missing here,
    // or one moved, fails below).
    let public = BTreeMap::from(
        [
            ("EVENT_STATUS", views::EVENT_STATUS),
            ("EVENT_MINTED", views::EVENT_MINTED),
            ("EVENT_SESSIONS", views::EVENT_SESSIONS),
            ("EVENT_CLIPBOARD", views::EVENT_CLIPBOARD),
            ("EVENT_REQUESTS", views::EVENT_REQUESTS),
            ("EVENT_SHOW_REQUESTS", views::EVENT_SHOW_REQUESTS),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string())),
    );
    assert_eq!(rust, public, "EVENT_* consts in src-tauri/src");
    let event = js_const(&module("ipc.js"), "EVENT");
    assert_eq!(
        js_strings(&event),
        public.into_values().collect::<BTreeSet<_>>(),
        "ui/js/ipc.js EVENT against src-tauri's EVENT_* consts"
    );
    let main = module("main.js");
    for key in js_keys(&event) {
        assert!(
            main.contains(&format!("on(EVENT.{key},")),
            "main.js does not listen to EVENT.{key}"
        );
    }
}

#[test]
fn only_ipc_js_touches_tauri() {
    for (name, source) in modules() {
        if name != "ipc.js" {
            assert!(
                !source.contains("__TAURI__"),
                "{name} touches window.__TAURI__: go through ipc.js's call and on"
            );
        }
    }
    let html = index_html();
    assert!(!html.contains("__TAURI__"), "index.html touches __TAURI__");
    assert!(
        html.contains(r#"<script type="module" src="js/main.js"></script>"#),
        "index.html does not load js/main.js as a module"
    );
}

#[test]
fn the_lifetime_presets_and_default_fit_core() {
    let facts = module("facts.js");
    let presets: Vec<u32> = serde_json::from_value(js_const(&facts, "TTL_PRESETS")).unwrap();
    assert!(!presets.is_empty());
    assert!(
        presets.windows(2).all(|w| w[0] < w[1]),
        "TTL_PRESETS must be smallest first (the picker offers the largest within the limit): {presets:?}"
    );
    for h in &presets {
        assert!(
            (MIN_TTL_HOURS..=MAX_TTL_HOURS).contains(h),
            "preset {h} h is outside core's {MIN_TTL_HOURS}–{MAX_TTL_HOURS}"
        );
    }
    let default: u32 = serde_json::from_value(js_const(&facts, "DEFAULT_TTL_HOURS")).unwrap();
    assert_eq!(
        default,
        Config::default().ttl_hours,
        "DEFAULT_TTL_HOURS against core's default ttl_hours"
    );
    assert!(
        presets.contains(&default),
        "the default lifetime {default} h is not a preset: the picker could not show it"
    );

    // index.html holds only "Custom…": the presets are added from TTL_PRESETS.
    let html = index_html();
    let picker = html
        .split_once(r#"<select id="ttl""#)
        .and_then(|(_, rest)| rest.split_once("</select>"))
        .expect("index.html has the #ttl picker")
        .0;
    assert_eq!(
        picker.matches("<option").count(),
        1,
        "index.html lists lifetimes of its own in #ttl: {picker}"
    );
    assert!(picker.contains(r#"<option value="custom">"#), "{picker}");
    // The settings hint says the range core accepts.
    assert!(
        html.contains(&format!(
            "may live, for HTTP clients too. {MIN_TTL_HOURS}–{MAX_TTL_HOURS}."
        )),
        "index.html's default lifetime hint does not say {MIN_TTL_HOURS}–{MAX_TTL_HOURS}"
    );
}

#[test]
fn every_mint_source_has_a_label() {
    let facts = module("facts.js");
    let labels = js_const(&facts, "SOURCE_LABELS");
    let variants = serde_names::<MintSource>();
    assert!(variants.contains("http"), "{variants:?}");
    assert_eq!(
        js_keys(&labels),
        variants,
        "ui/js/facts.js SOURCE_LABELS against core's MintSource"
    );
    for source in js_keys(&labels) {
        // Each is a name core really sends.
        let parsed: MintSource = serde_json::from_value(Value::String(source.clone()))
            .unwrap_or_else(|e| panic!("{source}: {e}"));
        assert_eq!(serde_json::to_value(parsed).unwrap(), Value::String(source));
    }
    let with_client = js_strings(&js_const(&facts, "SOURCES_WITH_CLIENT"));
    assert!(
        with_client.is_subset(&variants),
        "SOURCES_WITH_CLIENT names no MintSource: {with_client:?}"
    );
}

#[test]
fn the_qr_links_lifetime_is_cores() {
    let seconds: u64 =
        serde_json::from_value(js_const(&module("facts.js"), "QR_LINK_SECONDS")).unwrap();
    assert_eq!(
        seconds, QR_LINK_SECONDS,
        "ui/js/facts.js QR_LINK_SECONDS against core's pairing::QR_LINK_SECONDS"
    );
    assert_eq!(seconds % 60, 0, "the window says it in whole minutes");
    let html = index_html();
    let alt = format!("with a {}-minute token", seconds / 60);
    assert!(
        html.contains(&alt),
        "index.html's QR image does not say {alt:?}"
    );
}

#[test]
fn the_settings_fields_are_the_forms() {
    let fields = js_const(&module("facts.js"), "SETTINGS_FIELDS");
    let form = serde_names::<SettingsForm>();
    assert!(form.contains("port"), "{form:?}");
    assert_eq!(
        js_keys(&fields),
        form,
        "ui/js/facts.js SETTINGS_FIELDS against src-tauri's SettingsForm"
    );
    // The form is filled from the saved settings field by field (and the port banner sends
    // them back with another port): SettingsView has each under the same name.
    let view = serde_json::to_value(SettingsView::new(
        &Config::default(),
        false,
        ShortcutStatus::Off,
        None,
    ))
    .unwrap();
    for field in &form {
        assert!(
            view.get(field).is_some(),
            "SettingsView has no {field}: settings.js fills the form by the form's names"
        );
    }
    // Each input is in the page, named after its field, with its error line.
    let html = index_html();
    for (field, id) in fields.as_object().unwrap() {
        let id = str_of(id);
        assert!(
            html.contains(&format!(r#"id="{id}" name="{field}""#)),
            "index.html has no input id={id} name={field}"
        );
        assert!(
            html.contains(&format!(r#"id="err-{field}""#)),
            "index.html has no err-{field}"
        );
    }
}

#[test]
fn the_access_codes_length_is_cores() {
    let letters: usize =
        serde_json::from_value(js_const(&module("facts.js"), "ACCESS_CODE_LETTERS")).unwrap();
    let approvals = Approvals::new(Duration::from_secs(60), 1);
    let opened = approvals
        .open(None, None, IpAddr::from([127, 0, 0, 1]), 1, Instant::now())
        .expect("open a request");
    let code = opened.user_code;
    assert_eq!(
        code.chars().filter(char::is_ascii_alphanumeric).count(),
        letters,
        "ui/js/facts.js ACCESS_CODE_LETTERS against a code core hands out: {code}"
    );
}

/// The modules each one imports (`from "./x.js"`).
fn imports(source: &str) -> Vec<String> {
    source
        .split("from \"./")
        .skip(1)
        .filter_map(|rest| rest.split_once('"').map(|(name, _)| name.to_string()))
        .collect()
}

#[test]
fn the_modules_import_no_circle_and_stay_small() {
    let modules = modules();
    let graph: BTreeMap<&str, Vec<String>> = modules
        .iter()
        .map(|(name, source)| (name.as_str(), imports(source)))
        .collect();
    for (name, deps) in &graph {
        for dep in deps {
            assert!(
                graph.contains_key(dep.as_str()),
                "{name} imports a missing {dep}"
            );
        }
    }
    // Depth-first from each module: meeting a module on the current path is a circle.
    fn visit<'a>(
        name: &'a str,
        graph: &'a BTreeMap<&str, Vec<String>>,
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) {
        if let Some(at) = path.iter().position(|n| *n == name) {
            panic!("import circle: {} -> {name}", path[at..].join(" -> "));
        }
        if !done.insert(name) {
            return;
        }
        path.push(name);
        for dep in &graph[name] {
            visit(dep, graph, path, done);
        }
        path.pop();
    }
    let mut done = BTreeSet::new();
    for name in graph.keys() {
        visit(name, &graph, &mut Vec::new(), &mut done);
    }
    for (name, source) in &modules {
        let lines = source.lines().count();
        assert!(lines <= 400, "ui/js/{name} has {lines} lines (at most 400)");
    }
}
