//! The release server as a child process on a free local port, shared by the benchmarks. Cargo
//! builds it for `cargo bench` (`CARGO_BIN_EXE_proofsheet`). Everything stays on 127.0.0.1.

use reqwest::Client;
use std::fs::File;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Bounds, so no request, start-up or poll can hang a benchmark.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
const STARTUP_POLLS: u32 = 600;
const STARTUP_POLL_INTERVAL: Duration = Duration::from_millis(50);
/// Env vars that could send the server's provider calls through a proxy: traffic must stay on
/// 127.0.0.1 whatever the caller's environment says.
const PROXY_VARS: [&str; 6] = [
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
];

/// Killed when dropped, panics included, so no run leaves a server behind.
pub struct Server {
    child: Child,
    pub addr: SocketAddr,
    log: PathBuf,
}

impl Server {
    /// Starts the server with `env` on top of the production defaults; its log goes to
    /// `<target tmp>/<name>.log` and its data directory is a fresh `<target tmp>/<name>-data`.
    pub async fn start(name: &str, env: &[(&str, &str)]) -> Server {
        let scratch = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
        let addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
        let log = scratch.join(format!("{name}.log"));
        let data = scratch.join(format!("{name}-data"));
        // A fresh directory, so nothing stored by an earlier run is found again.
        if data.exists() {
            std::fs::remove_dir_all(&data).expect("the old data directory can be removed");
        }
        let log_file = File::create(&log).expect("the server log file can be created");
        let mut command = Command::new(env!("CARGO_BIN_EXE_proofsheet"));
        for var in PROXY_VARS {
            command.env_remove(var);
        }
        let child = command
            // Leptos.toml and LEPTOS_SITE_ROOT are read relative to the working directory.
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("LEPTOS_SITE_ADDR", addr.to_string())
            .env("LEPTOS_SITE_ROOT", "target/site")
            // A server built by plain cargo has no output name baked in (toolchain.md G4).
            .env("LEPTOS_OUTPUT_NAME", "proofsheet")
            .env("LEPTOS_ENV", "PROD")
            // The production default: logging each request is part of its cost.
            .env("RUST_LOG", "proofsheet=info,warn")
            .env("PROOFSHEET_DATA_DIR", &data)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(
                log_file
                    .try_clone()
                    .expect("the log file handle can be shared"),
            )
            .stderr(log_file)
            .spawn()
            .expect("the release server starts (cargo bench builds it)");
        let mut server = Server { child, addr, log };
        server.wait_until_listening().await;
        server
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    async fn wait_until_listening(&mut self) {
        for _ in 0..STARTUP_POLLS {
            let exited = self
                .child
                .try_wait()
                .expect("the server's status can be read");
            if let Some(status) = exited {
                panic!(
                    "the server exited ({status}) before listening; see {}",
                    self.log.display()
                );
            }
            if tokio::net::TcpStream::connect(self.addr).await.is_ok() {
                return;
            }
            tokio::time::sleep(STARTUP_POLL_INTERVAL).await;
        }
        panic!(
            "the server did not listen on {} in time; see {}",
            self.addr,
            self.log.display()
        );
    }

    /// A `/proc/<pid>/status` memory figure such as `VmRSS` or `VmHWM`, in KiB (Linux only).
    pub fn memory_kib(&self, field: &str) -> u64 {
        let path = format!("/proc/{}/status", self.child.id());
        let status = std::fs::read_to_string(&path).expect("the server's /proc status is readable");
        status
            .lines()
            .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or_else(|| panic!("{path} has no {field} line"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Errors mean the server is already gone, which is all this wants.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port that was free a moment ago. The server binds it itself; if something takes it in
/// between, the server exits and start-up panics rather than measuring the wrong thing.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free local port")
        .port()
}

/// The benchmark's own client. `no_proxy`: traffic stays on 127.0.0.1 whatever the environment.
pub fn client() -> Client {
    Client::builder()
        .no_proxy()
        .timeout(REQUEST_TIMEOUT)
        .build()
        .expect("the benchmark's HTTP client builds")
}
