//! `mock-providers [--addr 127.0.0.1:4020] [--api-key PROVIDER=KEY]…
//! [--ideogram-inflight N] [--ideogram-url-ttl SECS] [--image-bytes N]`
//!
//! Serves every imitated provider until SIGTERM or Ctrl-C. Flags fall back
//! to the environment (`MOCK_PROVIDERS_ADDR`, `MOCK_PROVIDERS_API_KEYS` as
//! `gemini=KEY,ark=KEY`, `MOCK_PROVIDERS_IDEOGRAM_INFLIGHT`,
//! `MOCK_PROVIDERS_IDEOGRAM_URL_TTL`, `MOCK_PROVIDERS_IMAGE_BYTES`), then to the
//! defaults.

use std::future::IntoFuture;
use std::net::SocketAddr;
use std::process::ExitCode;

use mock_providers::{router, MockConfig, MockState, Provider};
use tokio::net::TcpListener;

const USAGE: &str = "usage: mock-providers [--addr 127.0.0.1:4020] [--api-key PROVIDER=KEY]... [--ideogram-inflight N] [--ideogram-url-ttl SECS] [--image-bytes N]

  --addr               address to listen on (env MOCK_PROVIDERS_ADDR; port 0 picks a free one)
  --api-key            only accept KEY for PROVIDER (openai, jimeng, gemini, replicate, ideogram,
                       ark); repeatable (env MOCK_PROVIDERS_API_KEYS=gemini=KEY,ark=KEY);
                       a provider without one accepts any non-empty key
  --ideogram-inflight  Ideogram's in-flight limit in images (env MOCK_PROVIDERS_IDEOGRAM_INFLIGHT; default 10)
  --ideogram-url-ttl   lifetime of Ideogram image URLs in seconds (env MOCK_PROVIDERS_IDEOGRAM_URL_TTL; default 3600)
  --image-bytes        filler bytes added to every PNG and JPEG picture, for benchmarks (env MOCK_PROVIDERS_IMAGE_BYTES; default 0)";

const DEFAULT_ADDR: &str = "127.0.0.1:4020";

#[derive(Debug)]
enum Command {
    Run(SocketAddr, MockConfig),
    Help,
}

#[tokio::main]
async fn main() -> ExitCode {
    let (addr, config) = match parse(std::env::args().skip(1), |name| std::env::var(name).ok()) {
        Ok(Command::Run(addr, config)) => (addr, config),
        Ok(Command::Help) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(error) => {
            eprintln!("mock-providers: {error}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let listener = match TcpListener::bind(addr).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("mock-providers: cannot listen on {addr}: {error}");
            return ExitCode::FAILURE;
        }
    };
    let addr = listener.local_addr().unwrap_or(addr);
    // Test runners wait for the first line to know the port is ready.
    println!("mock-providers listening on http://{addr}");
    let state = MockState::new(config);
    for provider in Provider::ALL {
        println!(
            "  {:<10} http://{addr}{}",
            provider.name(),
            provider.base_path()
        );
    }

    // Why not graceful shutdown: a scripted long delay must not hold up a
    // test run's teardown, and no mock state is worth flushing.
    tokio::select! {
        served = axum::serve(listener, router(state)).into_future() => match served {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("mock-providers: server failed: {error}");
                ExitCode::FAILURE
            }
        },
        () = shutdown_signal() => ExitCode::SUCCESS,
    }
}

/// Flags win over environment variables, which win over defaults.
fn parse(
    args: impl IntoIterator<Item = String>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Command, String> {
    let mut addr = env("MOCK_PROVIDERS_ADDR");
    let mut keys: Vec<String> = env("MOCK_PROVIDERS_API_KEYS")
        .map(|list| list.split(',').map(str::to_owned).collect())
        .unwrap_or_default();
    let mut inflight = env("MOCK_PROVIDERS_IDEOGRAM_INFLIGHT");
    let mut url_ttl = env("MOCK_PROVIDERS_IDEOGRAM_URL_TTL");
    let mut image_bytes = env("MOCK_PROVIDERS_IMAGE_BYTES");

    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (flag, inline_value) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_owned(), Some(value.to_owned()))
            }
            _ => (arg, None),
        };
        if flag == "-h" || flag == "--help" {
            return Ok(Command::Help);
        }
        let value = |args: &mut dyn Iterator<Item = String>| {
            inline_value
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--addr" => addr = Some(value(&mut args)?),
            "--api-key" => keys.push(value(&mut args)?),
            "--ideogram-inflight" => inflight = Some(value(&mut args)?),
            "--ideogram-url-ttl" => url_ttl = Some(value(&mut args)?),
            "--image-bytes" => image_bytes = Some(value(&mut args)?),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }

    let addr = addr.as_deref().unwrap_or(DEFAULT_ADDR);
    let addr = addr
        .parse()
        .map_err(|_| format!("invalid address {addr:?} (expected IP:PORT)"))?;
    let mut config = MockConfig::default();
    for entry in keys.iter().filter(|entry| !entry.is_empty()) {
        let (provider, key) = entry
            .split_once('=')
            .ok_or_else(|| format!("invalid api key {entry:?} (expected PROVIDER=KEY)"))?;
        let provider: Provider = provider.trim().parse()?;
        // An empty key would lock every client out; treat it as "any key".
        if !key.is_empty() {
            config = config.with_api_key(provider, key);
        }
    }
    if let Some(text) = inflight {
        config.ideogram_max_inflight_images = text
            .parse()
            .map_err(|_| format!("invalid in-flight limit {text:?}"))?;
    }
    if let Some(text) = url_ttl {
        config.ideogram_url_ttl_secs = text
            .parse()
            .map_err(|_| format!("invalid URL lifetime {text:?}"))?;
    }
    if let Some(text) = image_bytes {
        config.image_padding_bytes = text
            .parse()
            .map_err(|_| format!("invalid filler size {text:?}"))?;
    }
    Ok(Command::Run(addr, config))
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = terminate.recv() => {}
                }
            }
            // Without a SIGTERM handler, Ctrl-C still works.
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::{parse, Command};
    use mock_providers::Provider;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|arg| (*arg).to_owned()).collect()
    }

    #[test]
    fn defaults_then_env_then_flags() {
        let Ok(Command::Run(addr, config)) = parse(args(&[]), |_| None) else {
            panic!("defaults parse");
        };
        assert_eq!(addr.to_string(), "127.0.0.1:4020");
        assert!(config.api_keys.is_empty());
        assert_eq!(config.ideogram_max_inflight_images, 10);

        let env = |name: &str| match name {
            "MOCK_PROVIDERS_ADDR" => Some("127.0.0.1:5000".to_owned()),
            "MOCK_PROVIDERS_API_KEYS" => Some("gemini=from-env,ark=ark-env".to_owned()),
            "MOCK_PROVIDERS_IDEOGRAM_INFLIGHT" => Some("4".to_owned()),
            _ => None,
        };
        let Ok(Command::Run(addr, config)) = parse(
            args(&["--api-key", "gemini=from-flag", "--ideogram-url-ttl=5"]),
            env,
        ) else {
            panic!("flags parse");
        };
        assert_eq!(addr.to_string(), "127.0.0.1:5000");
        assert_eq!(config.api_keys[&Provider::Gemini], "from-flag");
        assert_eq!(config.api_keys[&Provider::Ark], "ark-env");
        assert_eq!(config.ideogram_max_inflight_images, 4);
        assert_eq!(config.ideogram_url_ttl_secs, 5);
    }

    #[test]
    fn rejects_bad_arguments_and_answers_help() {
        let none = |_: &str| None;
        assert!(matches!(parse(args(&["--help"]), none), Ok(Command::Help)));
        assert!(parse(args(&["--addr"]), none).is_err());
        assert!(parse(args(&["--addr", "nowhere"]), none).is_err());
        assert!(parse(args(&["--api-key", "dalle=x"]), none).is_err());
        assert!(parse(args(&["--api-key", "no-equals"]), none).is_err());
        assert!(parse(args(&["--ideogram-inflight", "-1"]), none).is_err());
        assert!(parse(args(&["--verbose"]), none).is_err());
    }
}
