//! The real server (accept loop, router, layers) on a free port of this process.

use leptos::config::LeptosOptions;
use proofsheet::server::build_router;
use proofsheet::server::http::serve::serve;
use proofsheet::server::state::AppState;
use std::net::SocketAddr;
use tokio::sync::oneshot;

pub struct Running {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
}

impl Running {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Starts the server with settings from the shipped `Leptos.toml` plus `env`.
pub async fn start(env: &[(&str, &str)]) -> Running {
    start_with(super::leptos_options(), env).await
}

pub async fn start_with(options: LeptosOptions, env: &[(&str, &str)]) -> Running {
    let settings = super::settings(env);
    let limits = settings.connections.limits();
    let state = AppState::new(options, settings).expect("the app state builds");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let addr = listener.local_addr().expect("a bound address");
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(serve(listener, build_router(state), limits, async {
        let _ = stopped.await;
    }));
    Running {
        addr,
        stop: Some(stop),
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client")
}
