#[cfg(feature = "ssr")]
#[tokio::main]
async fn main() {
    use proofsheet::server::{build_router, config::Settings, state::AppState};
    use tracing_subscriber::EnvFilter;

    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("proofsheet=info,warn"));
    tracing_subscriber::fmt().with_env_filter(filter).init();

    // Bad settings stop the server here, with the reason, rather than fail requests later.
    let fail = |message: String| -> ! {
        eprintln!("proofsheet: {message}");
        std::process::exit(2)
    };
    let settings = Settings::load().unwrap_or_else(|e| fail(e));
    let mut leptos_options = leptos::config::get_configuration(None)
        .unwrap_or_else(|e| fail(format!("leptos configuration: {e}")))
        .leptos_options;
    leptos_options.site_addr = settings
        .site
        .addr
        .parse()
        .unwrap_or_else(|e| fail(format!("site.addr {:?}: {e}", settings.site.addr)));
    let addr = leptos_options.site_addr;
    let state = AppState::new(leptos_options, settings).unwrap_or_else(|e| fail(e));
    let engines: Vec<String> = state
        .providers
        .catalog()
        .engines
        .into_iter()
        .map(|e| e.label)
        .collect();

    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .unwrap_or_else(|e| fail(format!("cannot listen on {addr}: {e}")));
    tracing::info!(
        engines = engines.join(", "),
        "Proofsheet listening on http://{addr}"
    );
    let served = axum::serve(listener, build_router(state))
        .with_graceful_shutdown(shutdown_signal())
        .await;
    if let Err(e) = served {
        fail(format!("server error: {e}"));
    }
}

#[cfg(feature = "ssr")]
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! { () = ctrl_c => {}, () = terminate => {} }
}

#[cfg(not(feature = "ssr"))]
fn main() {
    // The browser bundle starts in lib.rs's `hydrate`; this binary only exists for `ssr`.
}
