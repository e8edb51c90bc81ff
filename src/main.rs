#[cfg(feature = "ssr")]
#[tokio::main]
async fn main() {
    use proofsheet::server::{build_router, config::Settings, http::serve, site, state::AppState};
    use std::io::IsTerminal as _;
    use tracing_subscriber::EnvFilter;

    // Bad settings stop the server here, with the reason, rather than fail requests later.
    let fail = |message: String| -> ! {
        eprintln!("proofsheet: {message}");
        std::process::exit(2)
    };
    if std::env::args().nth(1).as_deref() == Some("hash-password") {
        hash_password().unwrap_or_else(|e| fail(e));
        return;
    }

    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("proofsheet=info,warn"));
    // Colour codes only for a person at a terminal, never in a log file.
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stdout().is_terminal())
        .init();

    let settings = Settings::load().unwrap_or_else(|e| fail(e));
    let mut leptos_options = leptos::config::get_configuration(None)
        .unwrap_or_else(|e| fail(format!("leptos configuration: {e}")))
        .leptos_options;
    leptos_options.site_addr = settings
        .site
        .addr
        .parse()
        .unwrap_or_else(|e| fail(format!("site.addr {:?}: {e}", settings.site.addr)));
    // The build, not a variable, decides: hashed names are in use when cargo-leptos wrote them.
    leptos_options.hash_files = site::files_are_hashed(&leptos_options);
    let addr = leptos_options.site_addr;
    let limits = settings.connections.limits();
    let state = AppState::new(leptos_options, settings).unwrap_or_else(|e| fail(e));
    let engines: Vec<String> = state
        .providers
        .catalog()
        .engines
        .into_iter()
        .map(|e| e.label)
        .collect();
    if !addr.ip().is_loopback() && state.access.is_none() {
        tracing::warn!(
            "listening on {addr}, beyond this machine, without access control: anyone who reaches \
             the port can spend the configured keys. Set PROOFSHEET_ACCESS_TOKEN or access.users_file."
        );
    }

    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .unwrap_or_else(|e| fail(format!("cannot listen on {addr}: {e}")));
    tracing::info!(
        engines = engines.join(", "),
        access = if state.access.is_some() {
            "sign-in required"
        } else {
            "open"
        },
        "Proofsheet listening on http://{addr}"
    );
    let stopping = state.stopping.clone();
    let shutdown = async move {
        shutdown_signal().await;
        stopping.cancel();
    };
    serve::serve(listener, build_router(state), limits, shutdown).await;
}

/// `proofsheet hash-password`: reads a password from standard input and prints the argon2 hash
/// for the users file.
#[cfg(feature = "ssr")]
fn hash_password() -> Result<(), String> {
    let mut password = String::new();
    std::io::stdin()
        .read_line(&mut password)
        .map_err(|e| format!("cannot read the password: {e}"))?;
    let password = password.trim_end_matches(['\r', '\n']);
    if password.is_empty() {
        return Err("the password is empty".into());
    }
    println!(
        "{}",
        proofsheet::server::access::users::hash_password(password)?
    );
    Ok(())
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
