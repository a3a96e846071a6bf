//! axe-core and a WCAG 1.4.11 check run inside a page through WebDriver, for
//! `accessibility.rs` (the window and the landing page, light and dark).

use std::path::PathBuf;
use std::time::Duration;

use fantoccini::Client;
use serde_json::Value;

use crate::support::trace;

/// Longest one check may take in the page.
pub const TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Theme {
    Light,
    Dark,
}

impl Theme {
    pub fn env(self) -> Vec<(String, String)> {
        match self {
            Theme::Light => vec![("GTK_THEME".into(), "Adwaita".into())],
            Theme::Dark => vec![("GTK_THEME".into(), "Adwaita:dark".into())],
        }
    }
}

/// axe-core's browser build, as `scripts/install.sh axe-core` installs it.
fn axe_source() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../target/test-node/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}\nInstall axe-core with scripts/install.sh axe-core (make test does)",
            path.display()
        )
    })
}

/// Runs `script` in the page with a deadline.
pub async fn run(client: &Client, what: &str, script: &str, args: Vec<Value>) -> Value {
    tokio::time::timeout(TIMEOUT, client.execute(script, args))
        .await
        .unwrap_or_else(|_| panic!("{what}: no answer within {TIMEOUT:?}"))
        .unwrap_or_else(|e| panic!("{what}: {e}"))
}

/// Asserts the page shows the theme asked for (the body's background is light or dark).
async fn assert_theme(client: &Client, theme: Theme, state: &str) {
    let script = "const [r, g, b] = getComputedStyle(document.body).backgroundColor\
                  .match(/\\d+(\\.\\d+)?/g).map(Number);\
                  return [matchMedia('(prefers-color-scheme: dark)').matches, \
                          0.2126 * r + 0.7152 * g + 0.0722 * b];";
    let seen = run(client, "read the theme", script, vec![]).await;
    let dark = seen[0].as_bool().unwrap_or(false);
    let luminance = seen[1].as_f64().unwrap_or(-1.0);
    match theme {
        Theme::Light => assert!(!dark && luminance > 200.0, "{state}: not light: {seen}"),
        Theme::Dark => assert!(dark && luminance < 60.0, "{state}: not dark: {seen}"),
    }
}

/// Problems axe finds for WCAG 2.0/2.1 A and AA, one line per rule and element.
async fn axe_violations(client: &Client) -> Vec<String> {
    let loaded = run(
        client,
        "inject axe-core",
        &format!(
            "if (!window.axe) {{ {} }}\nreturn typeof window.axe === 'object' ? axe.version : null;",
            axe_source()
        ),
        vec![],
    )
    .await;
    assert!(
        loaded.is_string(),
        "axe-core did not load in the page: {loaded}"
    );
    let check = r#"
        const done = arguments[arguments.length - 1];
        axe.run(document, {
          runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
          resultTypes: ["violations"],
        }).then((r) => done(r.violations.flatMap((v) => v.nodes.map((n) =>
            `${v.id} (${v.impact}) ${JSON.stringify(n.target)}: ${v.help}. ` +
            (n.failureSummary || "").replace(/\s+/g, " ")))))
          .catch((e) => done([`axe failed to run: ${e}`]));
    "#;
    let found = tokio::time::timeout(TIMEOUT, client.execute_async(check, vec![]))
        .await
        .unwrap_or_else(|_| panic!("axe.run: no answer within {TIMEOUT:?}"))
        .unwrap_or_else(|e| panic!("axe.run: {e}"));
    serde_json::from_value(found).expect("a list of violations")
}

/// WCAG 1.4.11, which axe leaves out: every visible, enabled control's boundary (its
/// border, or its fill where it has no border) and the focus ring must reach 3:1 against
/// what is behind them.
async fn non_text_contrast_failures(client: &Client) -> Vec<String> {
    let check = r#"
        const rgba = (c) => { const m = c.match(/[\d.]+/g) || [0, 0, 0, 0];
          return m.map(Number).concat([1]).slice(0, 4); };
        const lum = ([r, g, b]) => [r, g, b].map((v) => { v /= 255;
          return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
          .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
        const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
          return (x + 0.05) / (y + 0.05); };
        const over = (top, under) => { const a = top[3];
          return [0, 1, 2].map((i) => top[i] * a + under[i] * (1 - a)).concat([1]); };
        const behind = (el) => { const stack = [];
          for (let e = el.parentElement; e; e = e.parentElement) {
            const c = rgba(getComputedStyle(e).backgroundColor);
            if (c[3] > 0) stack.push(c);
            if (c[3] === 1) break; }
          return stack.reverse().reduce((u, c) => over(c, u), [255, 255, 255, 1]); };
        const name = (el) => el.id ? `#${el.id}` : `${el.tagName.toLowerCase()}.${el.className}`;
        // The focus ring's colour, from the stylesheet's :focus-visible rules, resolved
        // (custom properties and all) on a probe element.
        const rings = [];
        for (const sheet of document.styleSheets) {
          for (const rule of sheet.cssRules) {
            if (!rule.selectorText || !rule.selectorText.includes(":focus-visible")) continue;
            const probe = document.createElement("span");
            probe.style.cssText = rule.style.cssText;
            document.body.append(probe);
            const p = getComputedStyle(probe);
            if (p.outlineStyle !== "none") rings.push(rgba(p.outlineColor));
            probe.remove();
          }
        }
        const failures = [];
        if (!rings.length) failures.push("no :focus-visible outline in the stylesheet");
        const controls = document.querySelectorAll(
          "button, input:not([type=checkbox]):not([type=hidden]), select, textarea, [tabindex='0']");
        for (const el of controls) {
          if (el.disabled || !el.getClientRects().length) continue;
          const s = getComputedStyle(el);
          if (s.visibility === "hidden") continue;
          const back = behind(el);
          for (const ring of rings) {
            const r = ratio(over(ring, back), back);
            if (r < 3) failures.push(`${name(el)}: focus ring ${r.toFixed(2)}:1`);
          }
          if (el.matches("[tabindex='0']")) continue;
          const fill = over(rgba(s.backgroundColor), back);
          const border = parseFloat(s.borderTopWidth) > 0
            ? ratio(over(rgba(s.borderTopColor), back), back) : 0;
          const best = Math.max(border, ratio(fill, back));
          if (best < 3) failures.push(`${name(el)}: boundary ${best.toFixed(2)}:1`);
        }
        return failures;
    "#;
    let found = run(client, "non-text contrast", check, vec![]).await;
    serde_json::from_value(found).expect("a list of failures")
}

/// Problems found, each with the states (theme / what was on screen) it showed in.
#[derive(Default)]
pub struct Problems(std::collections::BTreeMap<String, Vec<String>>);

impl Problems {
    /// Runs every check on what the page shows now.
    pub async fn check(&mut self, client: &Client, theme: Theme, state: &str) {
        assert_theme(client, theme, state).await;
        let found = axe_violations(client).await;
        let boundaries = non_text_contrast_failures(client).await;
        trace(&format!(
            "{theme:?} / {state}: {} axe violations, {} non-text contrast failures",
            found.len(),
            boundaries.len()
        ));
        let boundaries = boundaries
            .into_iter()
            .map(|v| format!("non-text contrast (WCAG 1.4.11) {v}"));
        for problem in found.into_iter().chain(boundaries) {
            self.0
                .entry(problem)
                .or_default()
                .push(format!("{theme:?} / {state}"));
        }
    }

    pub fn assert_none(&self) {
        let lines: Vec<String> = self
            .0
            .iter()
            .map(|(problem, states)| {
                format!(
                    "- {problem}
    in: {}",
                    states.join(", ")
                )
            })
            .collect();
        assert!(
            lines.is_empty(),
            "{} accessibility problems:\n{}",
            lines.len(),
            lines.join("\n")
        );
    }
}
