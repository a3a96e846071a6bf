//! `make bench-desktop`: the desktop app's memory and how quickly it answers, measured on
//! the release build under Xvfb with a real gnome-keyring and a stand-in tray (the
//! StatusNotifierWatcher from the test kit, whose menu clicks go over D-Bus as a desktop's
//! do). Each figure is taken once per run, over `PAWKEY_BENCH_RUNS` runs (default 5), and
//! reported as min / median / max; the table goes to stdout and `target/bench-desktop.md`.
//! `PAWKEY_BENCH_CYCLES` (100) and `PAWKEY_BENCH_LONG_WAIT` (70 s) shorten or lengthen a run.
//!
//! Memory is the sum over PawKey's process and every process under it (its window process
//! and that one's WebKit web and network processes), from `/proc/PID/smaps_rollup`: RSS counts shared libraries in full
//! in each process, PSS splits them between the processes sharing them, so PSS is what
//! PawKey costs the machine.

#![cfg_attr(not(target_os = "linux"), allow(unused))]

#[cfg(target_os = "linux")]
#[path = "../tests/support/mod.rs"]
#[allow(unused_imports)]
mod support;

#[cfg(not(target_os = "linux"))]
fn main() {
    eprintln!("make bench-desktop runs on Linux (Xvfb, X11, D-Bus) only");
}

#[cfg(target_os = "linux")]
mod bench {

    use std::collections::BTreeMap;
    use std::io::{Read, Write};
    use std::time::{Duration, Instant};

    use super::support::{self, Direct, Options, clipboard_text, x11};

    /// RSS and PSS in KiB.
    #[derive(Clone, Copy)]
    struct Memory {
        rss: u64,
        pss: u64,
    }

    /// `pid` and everything under it.
    fn family(pid: u32) -> Vec<u32> {
        let mut parents: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
        for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let Some(child) = entry.file_name().to_str().and_then(|n| n.parse().ok()) else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{child}/stat")) else {
                continue;
            };
            let Some(ppid) = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split(' ').nth(2)?.parse().ok())
            else {
                continue;
            };
            parents.entry(ppid).or_default().push(child);
        }
        let mut all = vec![pid];
        let mut i = 0;
        while i < all.len() {
            if let Some(children) = parents.get(&all[i]) {
                all.extend(children);
            }
            i += 1;
        }
        all
    }

    /// One process's RSS and PSS (`/proc/PID/smaps_rollup`).
    fn memory_of(pid: u32) -> Memory {
        let mut m = Memory { rss: 0, pss: 0 };
        let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")) else {
            return m;
        };
        for line in text.lines() {
            let kib = |prefix: &str| {
                line.strip_prefix(prefix)
                    .and_then(|r| r.trim().trim_end_matches(" kB").trim().parse::<u64>().ok())
            };
            if let Some(v) = kib("Rss:") {
                m.rss += v;
            } else if let Some(v) = kib("Pss:") {
                m.pss += v;
            }
        }
        m
    }

    /// `pid` and everything under it, together.
    fn memory(pid: u32) -> Memory {
        family(pid)
            .into_iter()
            .map(memory_of)
            .fold(Memory { rss: 0, pss: 0 }, |a, b| Memory {
                rss: a.rss + b.rss,
                pss: a.pss + b.pss,
            })
    }

    fn web_processes(pid: u32) -> usize {
        family(pid)
            .iter()
            .filter(|p| {
                std::fs::read_to_string(format!("/proc/{p}/comm"))
                    .is_ok_and(|c| c.starts_with("WebKitWebProces"))
            })
            .count()
    }

    fn shown_window() -> Option<u32> {
        x11::windows_titled("PawKey")
            .into_iter()
            .find(|w| x11::is_viewable(*w))
    }

    /// Polls `check` every 5 ms; the time from `since` until it held. Fails with the app's log.
    fn until(
        app: &Direct,
        what: &str,
        since: Instant,
        limit: Duration,
        mut check: impl FnMut() -> bool,
    ) -> Duration {
        loop {
            if check() {
                return since.elapsed();
            }
            assert!(
                since.elapsed() < limit,
                "{what}: not within {limit:?}\n--- app log ---\n{}",
                app.log()
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn health_ok(port: u16) -> bool {
        let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
            return false;
        };
        let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
        if s.write_all(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            .is_err()
        {
            return false;
        }
        let mut head = [0u8; 12];
        s.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.1 200")
    }

    /// Open/close cycles for the growth figure (`PAWKEY_BENCH_CYCLES`, default 100).
    fn cycles() -> usize {
        std::env::var("PAWKEY_BENCH_CYCLES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(100)
    }

    /// Seconds to wait in the tray before the "70 s after closing" figure.
    fn long_wait() -> Duration {
        Duration::from_secs(
            std::env::var("PAWKEY_BENCH_LONG_WAIT")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(70),
        )
    }

    /// Prints each process's PSS under `pid` (to stderr).
    fn print_split(what: &str, pid: u32) {
        let parts: Vec<String> = family(pid)
            .into_iter()
            .filter_map(|p| {
                let name = std::fs::read_to_string(format!("/proc/{p}/comm")).ok()?;
                let pss = memory_of(p).pss;
                Some(format!("{} {:.1} MiB", name.trim(), pss as f64 / 1024.0))
            })
            .collect();
        eprintln!("{what}: {}", parts.join(", "));
    }

    #[derive(Default)]
    struct Figures(BTreeMap<&'static str, Vec<f64>>);

    impl Figures {
        fn add(&mut self, name: &'static str, value: f64) {
            self.0.entry(name).or_default().push(value);
        }
        fn ms(&mut self, name: &'static str, d: Duration) {
            self.add(name, d.as_secs_f64() * 1000.0);
        }
        /// Records the family's memory and prints each process's PSS (to stderr), so the
        /// figures say which process holds what.
        fn mem_of(&mut self, rss: &'static str, pss: &'static str, pid: u32) {
            print_split(pss, pid);
            self.mem(rss, pss, memory(pid));
        }
        fn mem(&mut self, rss: &'static str, pss: &'static str, m: Memory) {
            self.add(rss, m.rss as f64 / 1024.0);
            self.add(pss, m.pss as f64 / 1024.0);
        }
    }

    /// One run: a normal launch (open, closed 5 s and 70 s, reopen kept and dropped, tray
    /// copy), a launch with `window_keep_seconds = 0` for 20 cycles, and a `--hidden` launch.
    async fn run(figures: &mut Figures) {
        let limit = Duration::from_secs(30);
        {
            let app = Direct::launch(
                Options {
                    clipboard_clear_seconds: Some(0),
                    ..Options::default()
                },
                &[],
            )
            .await;
            let t0 = app.spawned_at;
            let mapped = until(&app, "window mapped", t0, limit, || {
                shown_window().is_some()
            });
            let window = shown_window().expect("window");
            let painted = until(&app, "first paint", t0, limit, || x11::painted(window));
            figures.ms("launch → window mapped (ms)", mapped);
            figures.ms("launch → first paint (ms)", painted);
            until(&app, "server", t0, limit, || health_ok(app.sandbox.port));
            std::thread::sleep(Duration::from_secs(3));
            let pid = app.pid();
            figures.mem_of("open: RSS (MiB)", "open: PSS (MiB)", pid);

            let tray = app.tray.as_ref().expect("tray");
            let open = tray.prepare("Open PawKey");
            x11::request_close(window);
            until(&app, "hidden", Instant::now(), limit, || {
                !x11::is_viewable(window)
            });
            std::thread::sleep(Duration::from_secs(5));
            figures.mem_of(
                "closed 5 s (page kept): RSS (MiB)",
                "closed 5 s (page kept): PSS (MiB)",
                pid,
            );
            let t = Instant::now();
            open.click().expect("open");
            until(&app, "reopened (kept)", t, limit, || {
                shown_window().is_some_and(x11::painted)
            });
            figures.ms("reopen → first paint, page kept (ms)", t.elapsed());

            let window = shown_window().expect("window");
            x11::request_close(window);
            until(&app, "hidden", Instant::now(), limit, || {
                !x11::is_viewable(window)
            });
            std::thread::sleep(long_wait());
            assert_eq!(web_processes(pid), 0, "the page is dropped after 60 s");
            assert_eq!(
                family(pid),
                vec![pid],
                "no window process and no WebKit process left"
            );
            figures.mem_of(
                "closed 70 s (page dropped): RSS (MiB)",
                "closed 70 s (page dropped): PSS (MiB)",
                pid,
            );

            let copy = tray.prepare("Copy new session token");
            let before = clipboard_text();
            let t = Instant::now();
            copy.click().expect("copy");
            until(&app, "token on the clipboard", t, limit, || {
                let now = clipboard_text();
                now.starts_with("session:") && now != before
            });
            figures.ms("tray copy → token on the clipboard (ms)", t.elapsed());

            let t = Instant::now();
            open.click().expect("open");
            until(&app, "reopened (dropped)", t, limit, || {
                shown_window().is_some_and(x11::painted)
            });
            figures.ms("reopen → first paint, page dropped (ms)", t.elapsed());
        }
        {
            let app = Direct::launch(
                Options {
                    config: Some("window_keep_seconds = 0\n".into()),
                    ..Options::default()
                },
                &[],
            )
            .await;
            let t0 = app.spawned_at;
            until(&app, "window", t0, limit, || {
                shown_window().is_some_and(x11::painted)
            });
            let pid = app.pid();
            let tray = app.tray.as_ref().expect("tray");
            let open = tray.prepare("Open PawKey");
            let close_and_drop = || {
                let window = shown_window().expect("window");
                x11::request_close(window);
                until(&app, "dropped", Instant::now(), limit, || {
                    family(pid).len() == 1 && shown_window().is_none()
                });
            };
            close_and_drop();
            std::thread::sleep(Duration::from_secs(2));
            let first = memory(pid);
            print_split("before the cycles", pid);
            for _ in 0..cycles() {
                open.click().expect("open");
                until(&app, "reopened", Instant::now(), limit, || {
                    shown_window().is_some_and(x11::painted)
                });
                close_and_drop();
            }
            std::thread::sleep(Duration::from_secs(2));
            let after = memory(pid);
            print_split("after the cycles", pid);
            figures.mem(
                "in the tray, before the open/close cycles: RSS (MiB)",
                "in the tray, before the open/close cycles: PSS (MiB)",
                first,
            );
            figures.mem(
                "in the tray, after the open/close cycles: RSS (MiB)",
                "in the tray, after the open/close cycles: PSS (MiB)",
                after,
            );
        }
        {
            // An XEmbed tray (trayer, as XFCE/MATE-style panels draw icons) instead of the
            // StatusNotifier stand-in; the window opened by a second launch, as a click on
            // the icon would (XEmbed menus are not on D-Bus to click).
            let mut trayer = std::process::Command::new("trayer")
                .args(["--edge", "bottom", "--widthtype", "request"])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .expect("trayer (apt-get install trayer; make bench-desktop installs it)");
            std::thread::sleep(Duration::from_secs(1));
            let app = Direct::launch(
                Options {
                    no_tray: true,
                    config: Some("window_keep_seconds = 0\n".into()),
                    ..Options::default()
                },
                &["--hidden"],
            )
            .await;
            let port = app.sandbox.port;
            until(&app, "server answering", app.spawned_at, limit, || {
                health_ok(port)
            });
            std::thread::sleep(Duration::from_secs(3));
            assert!(shown_window().is_none(), "hidden with an XEmbed tray");
            let pid = app.pid();
            figures.mem_of(
                "XEmbed tray, started hidden: RSS (MiB)",
                "XEmbed tray, started hidden: PSS (MiB)",
                pid,
            );
            let second = app.sandbox.command().status().expect("second launch");
            assert!(second.success());
            until(&app, "window (XEmbed)", Instant::now(), limit, || {
                shown_window().is_some_and(x11::painted)
            });
            x11::request_close(shown_window().expect("window"));
            until(
                &app,
                "window process gone (XEmbed)",
                Instant::now(),
                limit,
                || family(pid).len() == 1 && shown_window().is_none(),
            );
            std::thread::sleep(Duration::from_secs(3));
            figures.mem_of(
                "XEmbed tray, after the window was used: RSS (MiB)",
                "XEmbed tray, after the window was used: PSS (MiB)",
                pid,
            );

            // What people would pick instead: KeePassXC, no database open, in the same tray.
            let home = tempfile::tempdir().expect("temp home");
            let config = home.path().join(".config/keepassxc");
            std::fs::create_dir_all(&config).expect("config dir");
            std::fs::write(
                config.join("keepassxc.ini"),
                "[GUI]\nShowTrayIcon=true\nMinimizeToTray=true\nMinimizeOnStartup=true\n",
            )
            .expect("keepassxc.ini");
            let mut keepassxc = std::process::Command::new("keepassxc")
                .env("HOME", home.path())
                .env_remove("XDG_CONFIG_HOME")
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .expect("keepassxc (apt-get install keepassxc; make bench-desktop installs it)");
            std::thread::sleep(Duration::from_secs(8));
            figures.mem_of(
                "KeePassXC 2.7 in the tray, no database: RSS (MiB)",
                "KeePassXC 2.7 in the tray, no database: PSS (MiB)",
                keepassxc.id(),
            );
            let _ = keepassxc.kill();
            let _ = keepassxc.wait();
            let _ = trayer.kill();
            let _ = trayer.wait();
        }
        {
            let app = Direct::launch(Options::default(), &["--hidden"]).await;
            let t0 = app.spawned_at;
            let port = app.sandbox.port;
            let answered = until(&app, "server answering", t0, limit, || health_ok(port));
            figures.ms("`pawkey --hidden` → server answering (ms)", answered);
            std::thread::sleep(Duration::from_secs(2));
            assert!(shown_window().is_none());
            figures.mem_of(
                "started hidden: RSS (MiB)",
                "started hidden: PSS (MiB)",
                app.pid(),
            );
        }
    }

    fn median(v: &mut [f64]) -> f64 {
        v.sort_by(f64::total_cmp);
        let n = v.len();
        if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        }
    }

    pub fn main() {
        // `cargo bench` passes `--bench`; nothing else is taken.
        let runs: usize = std::env::var("PAWKEY_BENCH_RUNS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(5);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let mut figures = Figures::default();
        for n in 1..=runs {
            eprintln!("run {n} of {runs}…");
            runtime.block_on(run(&mut figures));
        }
        let mut table = format!(
            "Desktop app, release build ({}), {runs} runs, Xvfb 1280x800x24\n\n\
         | Figure | min | median | max |\n|---|---:|---:|---:|\n",
            support::app_binary().display()
        );
        for (name, values) in &mut figures.0 {
            let min = values.iter().copied().fold(f64::INFINITY, f64::min);
            let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let med = median(values);
            table.push_str(&format!("| {name} | {min:.0} | {med:.0} | {max:.0} |\n"));
        }
        println!("{table}");
        let out =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench-desktop.md");
        if let Err(e) = std::fs::write(&out, &table) {
            eprintln!("could not write {}: {e}", out.display());
        }
    }
}

#[cfg(target_os = "linux")]
fn main() {
    bench::main();
}
