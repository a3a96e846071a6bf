//! The seed's own examples (`../shared/spec/post-auth-session.txt`), run as written with
//! curl, Python `requests` and Node's `fetch` against a live server, and a check with
//! Python's standard `hmac` module — not our code — that a minted token minus its
//! `session:` prefix verifies the way PocketPaw verifies.
//!
//! Only the URL's port and `<token>` are substituted. Python's `requests` comes from
//! `target/test-venv` (scripts/install.sh python, run here when missing).

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::sync::Mutex;

use common::{MASTER, Run, TestServer, assert_token_shape, run_command};
use pawkey_core::token::TokenFormat;

/// The curl examples, verbatim.
const CURL_PLAIN: &str = r#"curl -X POST "http://localhost:8000/api/auth/session" \
-H "Authorization: Bearer <token>""#;
const CURL_JSON: &str = r#"curl -X POST "http://localhost:8000/api/auth/session" \
  -H "Content-Type: application/json" \
  -H "Authorization: Bearer <token>""#;

/// The Node examples, verbatim.
const NODE_PLAIN: &str = r#"const response = await fetch("http://localhost:8000/api/auth/session", {
method: "POST",
headers: { "Authorization": "Bearer <token>" }
});
const data = await response.json();
console.log(data);"#;
const NODE_JSON: &str = r#"const response = await fetch("http://localhost:8000/api/auth/session", {
  method: "POST",
  headers: {
    "Content-Type": "application/json",
    "Authorization": "Bearer <token>"
},
});

const data = await response.json();
console.log(data);"#;

/// The Python examples, verbatim.
const PYTHON_PLAIN: &str = r#"import requests
response = requests.post(
"http://localhost:8000/api/auth/session",
headers={"Authorization": "Bearer <token>"}
)
print(response.json())"#;
const PYTHON_JSON: &str = r#"import requests

response = requests.post(
    "http://localhost:8000/api/auth/session",
    headers={'Content-Type':'application/json','Authorization':'Bearer <token>'},
)

print(response.json())"#;

fn adapt(example: &str, server: &TestServer) -> String {
    example
        .replace("localhost:8000", &server.host())
        .replace("<token>", MASTER)
}

/// Parses the JSON a script printed on the line starting with `JSON `, and the status on
/// the line starting with `STATUS `.
fn tagged(run: &Run) -> (u16, serde_json::Value) {
    let line = |tag: &str| {
        run.stdout
            .lines()
            .find_map(|l| l.strip_prefix(tag))
            .unwrap_or_else(|| panic!("no {tag:?} line: {run:?}"))
            .to_owned()
    };
    let status = line("STATUS ").trim().parse().expect("status");
    let json = serde_json::from_str(&line("JSON ")).expect("JSON line");
    (status, json)
}

fn assert_documented_body(body: &serde_json::Value) -> String {
    let keys: Vec<&String> = body.as_object().expect("object").keys().collect();
    assert_eq!(keys, ["expires_in_hours", "session_token"], "{body}");
    assert_eq!(body["expires_in_hours"], 24);
    let token = body["session_token"].as_str().unwrap().to_owned();
    assert_token_shape(&token, true);
    token
}

#[tokio::test]
#[cfg_attr(
    windows,
    ignore = "runs Linux's sh and curl (the Windows black-box suite drives pawkeyd.exe from Linux)"
)]
async fn curl_examples_run_verbatim() {
    let server = TestServer::start().await;
    for example in [CURL_PLAIN, CURL_JSON] {
        let cmd = adapt(example, &server);
        // As a person would paste it: stdout is the body.
        let run = tokio::task::spawn_blocking(move || {
            run_command(
                Command::new("sh").args(["-c", &cmd]).env("NO_PROXY", "*"),
                None,
            )
        })
        .await
        .unwrap();
        assert_eq!(run.code, Some(0), "{example}: {run:?}");
        let body: serde_json::Value = serde_json::from_str(&run.stdout)
            .unwrap_or_else(|e| panic!("{example}: stdout is not JSON ({e}): {run:?}"));
        let token = assert_documented_body(&body);
        assert_eq!(server.state.verify(&token).ok().map(|_| ()), Some(()));

        // The same command with --include, to see the status line and headers.
        let cmd = format!("{} --include --silent", adapt(example, &server));
        let run = tokio::task::spawn_blocking(move || {
            run_command(
                Command::new("sh").args(["-c", &cmd]).env("NO_PROXY", "*"),
                None,
            )
        })
        .await
        .unwrap();
        let res = common::parse_raw(run.stdout.as_bytes());
        assert_eq!(res.status, 200, "{run:?}");
        assert_eq!(res.header("cache-control"), Some("no-store"));
        assert_documented_body(&res.json());
    }
}

/// `target/test-venv/bin/python`, installing it on first use.
fn venv_python() -> PathBuf {
    static INSTALL: Mutex<()> = Mutex::new(());
    let _once = INSTALL.lock().unwrap_or_else(|p| p.into_inner());
    let root = common::workspace_root();
    let python = root.join("target/test-venv/bin/python");
    let ready = python.exists()
        && Command::new(&python)
            .args(["-c", "import requests"])
            .status()
            .is_ok_and(|s| s.success());
    if !ready {
        let run = run_command(
            Command::new(root.join("scripts/install.sh")).arg("python"),
            None,
        );
        assert_eq!(
            run.code,
            Some(0),
            "installing the test venv failed: {run:?}"
        );
    }
    python
}

#[tokio::test]
#[cfg_attr(
    windows,
    ignore = "runs Linux's Python venv (the Windows black-box suite drives pawkeyd.exe from Linux)"
)]
async fn python_requests_examples_run_verbatim() {
    let server = TestServer::start().await;
    let python = tokio::task::spawn_blocking(venv_python).await.unwrap();
    for example in [PYTHON_PLAIN, PYTHON_JSON] {
        let script = format!(
            "{}\nimport json\nprint('STATUS', response.status_code)\nprint('JSON', json.dumps(response.json()))\n",
            adapt(example, &server)
        );
        let python = python.clone();
        let run = tokio::task::spawn_blocking(move || {
            run_command(
                Command::new(python)
                    .args(["-c", &script])
                    .env("NO_PROXY", "*"),
                None,
            )
        })
        .await
        .unwrap();
        assert_eq!(run.code, Some(0), "{example}: {run:?}");
        // The example's own print: a dict with exactly the two documented keys.
        let first = run.stdout.lines().next().unwrap_or_default();
        assert!(
            first.starts_with("{'session_token': 'session:")
                && first.ends_with("'expires_in_hours': 24}"),
            "{first}"
        );
        let (status, body) = tagged(&run);
        assert_eq!(status, 200);
        assert_documented_body(&body);
    }
}

#[tokio::test]
#[cfg_attr(
    windows,
    ignore = "runs Linux's node (the Windows black-box suite drives pawkeyd.exe from Linux)"
)]
async fn node_fetch_examples_run_verbatim() {
    let server = TestServer::start().await;
    for example in [NODE_PLAIN, NODE_JSON] {
        let script = format!(
            "{}\nconsole.log('STATUS ' + response.status);\nconsole.log('JSON ' + JSON.stringify(data));\n",
            adapt(example, &server)
        );
        let run = tokio::task::spawn_blocking(move || {
            run_command(
                Command::new("node").args(["--input-type=module", "-e", &script]),
                None,
            )
        })
        .await
        .unwrap();
        assert_eq!(run.code, Some(0), "{example}: {run:?}");
        // The example's own console.log of the object.
        assert!(
            run.stdout.starts_with("{\n  session_token: 'session:")
                || run.stdout.starts_with("{ session_token: 'session:"),
            "{}",
            run.stdout
        );
        let (status, body) = tagged(&run);
        assert_eq!(status, 200);
        assert_documented_body(&body);
    }
}

/// PocketPaw 0.4.18's verifier as it behaves (splits on the first `:`, constant-time MAC,
/// `now > expiry` refused), in Python's standard library only.
const POCKETPAW_VERIFY: &str = r#"
import hashlib, hmac, sys, time

def verify_session_token(token, master):
    try:
        exp_str, sig = token.split(":", 1)
        exp = int(exp_str)
    except ValueError:
        return False
    if int(time.time()) > exp:
        return False
    expected = hmac.new(master.encode("utf-8"), exp_str.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, sig)

master = sys.argv[1]
for token in sys.argv[2:]:
    print("valid" if verify_session_token(token, master) else "invalid")
"#;

fn pocketpaw_verdicts(tokens: &[String]) -> Vec<String> {
    let mut cmd = Command::new("python3");
    cmd.args(["-c", POCKETPAW_VERIFY, MASTER]).args(tokens);
    let run = run_command(&mut cmd, None);
    assert_eq!(run.code, Some(0), "{run:?}");
    run.stdout.lines().map(str::to_owned).collect()
}

#[tokio::test]
#[cfg_attr(
    windows,
    ignore = "runs Linux's python3 (the Windows black-box suite checks tokens with PocketPaw's HMAC)"
)]
async fn minted_tokens_verify_with_pythons_hmac_the_way_pocketpaw_verifies() {
    let session = TestServer::start().await;
    let bare = TestServer::builder()
        .lenient_limiter()
        .config(|c| c.token_format = TokenFormat::Pocketpaw)
        .start()
        .await;
    let prefixed = session.mint().await;
    let plain = bare.mint().await;
    let stripped = prefixed.strip_prefix("session:").unwrap().to_owned();

    let mut tampered = stripped.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == '0' { '1' } else { '0' });
    let expired = common::sign(MASTER, common::now() - 60, TokenFormat::Pocketpaw);
    let other_master = common::sign(
        "another-master-token-0000",
        common::now() + 3600,
        TokenFormat::Pocketpaw,
    );

    let tokens = vec![
        stripped,
        plain,
        prefixed.clone(),
        tampered,
        expired,
        other_master,
    ];
    let verdicts = tokio::task::spawn_blocking(move || pocketpaw_verdicts(&tokens))
        .await
        .unwrap();
    assert_eq!(
        verdicts,
        [
            "valid",   // session:<exp>:<sig> minus its prefix
            "valid",   // token_format = "pocketpaw"
            "invalid", // PocketPaw reads "session" as the expiry
            "invalid", // one hex digit changed
            "invalid", // expired
            "invalid", // another master
        ]
    );
}
