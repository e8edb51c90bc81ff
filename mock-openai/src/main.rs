//! `mock-openai [--addr 127.0.0.1:4010] [--api-key KEY] [--image-bytes N]`
//!
//! Serves the mock until SIGTERM or Ctrl-C. Flags fall back to the
//! environment (`MOCK_OPENAI_ADDR`, `MOCK_OPENAI_API_KEY`,
//! `MOCK_OPENAI_IMAGE_BYTES`), then to the defaults.

use std::future::IntoFuture;
use std::net::SocketAddr;
use std::process::ExitCode;

use mock_openai::{router, MockConfig, MockState};
use tokio::net::TcpListener;

const USAGE: &str = "usage: mock-openai [--addr 127.0.0.1:4010] [--api-key KEY] [--image-bytes N]

  --addr         address to listen on (env MOCK_OPENAI_ADDR; port 0 picks a free one)
  --api-key      only accept this bearer key (env MOCK_OPENAI_API_KEY; default: any key)
  --image-bytes  filler bytes added to every PNG (env MOCK_OPENAI_IMAGE_BYTES; default 0)";

const DEFAULT_ADDR: &str = "127.0.0.1:4010";

#[derive(Debug, PartialEq)]
struct Options {
    addr: SocketAddr,
    api_key: Option<String>,
    image_bytes: usize,
}

#[derive(Debug, PartialEq)]
enum Command {
    Run(Options),
    Help,
}

#[tokio::main]
async fn main() -> ExitCode {
    let options = match parse(std::env::args().skip(1), |name| std::env::var(name).ok()) {
        Ok(Command::Run(options)) => options,
        Ok(Command::Help) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(error) => {
            eprintln!("mock-openai: {error}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let listener = match TcpListener::bind(options.addr).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("mock-openai: cannot listen on {}: {error}", options.addr);
            return ExitCode::FAILURE;
        }
    };
    let addr = listener.local_addr().unwrap_or(options.addr);
    let state = MockState::new(MockConfig {
        api_key: options.api_key,
        image_padding_bytes: options.image_bytes,
    });
    // Test runners wait for this line to know the port is ready.
    println!("mock-openai listening on http://{addr}/v1");

    // Why not graceful shutdown: a scripted 120 s delay must not hold up a
    // test run's teardown, and no mock state is worth flushing.
    tokio::select! {
        served = axum::serve(listener, router(state)).into_future() => match served {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("mock-openai: server failed: {error}");
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
    let mut addr = env("MOCK_OPENAI_ADDR");
    let mut api_key = env("MOCK_OPENAI_API_KEY");
    let mut image_bytes = env("MOCK_OPENAI_IMAGE_BYTES");

    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (flag, inline_value) = match arg.split_once('=') {
            Some((flag, value)) => (flag.to_owned(), Some(value.to_owned())),
            None => (arg, None),
        };
        let slot = match flag.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "--addr" => &mut addr,
            "--api-key" => &mut api_key,
            "--image-bytes" => &mut image_bytes,
            other => return Err(format!("unknown argument {other:?}")),
        };
        let value = inline_value
            .or_else(|| args.next())
            .ok_or_else(|| format!("{flag} needs a value"))?;
        *slot = Some(value);
    }

    let addr = addr.as_deref().unwrap_or(DEFAULT_ADDR);
    let addr = addr
        .parse()
        .map_err(|_| format!("invalid address {addr:?} (expected IP:PORT)"))?;
    let image_bytes = match image_bytes {
        Some(text) => text
            .parse()
            .map_err(|_| format!("invalid byte count {text:?}"))?,
        None => 0,
    };
    Ok(Command::Run(Options {
        addr,
        // An empty key would lock every client out; treat it as "any key".
        api_key: api_key.filter(|key| !key.is_empty()),
        image_bytes,
    }))
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
    use super::{parse, Command, Options};

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|arg| (*arg).to_owned()).collect()
    }

    #[test]
    fn defaults_then_env_then_flags() {
        let none = |_: &str| None;
        assert_eq!(
            parse(args(&[]), none),
            Ok(Command::Run(Options {
                addr: "127.0.0.1:4010".parse().expect("valid"),
                api_key: None,
                image_bytes: 0,
            }))
        );
        let env = |name: &str| match name {
            "MOCK_OPENAI_ADDR" => Some("127.0.0.1:5000".to_owned()),
            "MOCK_OPENAI_API_KEY" => Some("from-env".to_owned()),
            "MOCK_OPENAI_IMAGE_BYTES" => Some("10".to_owned()),
            _ => None,
        };
        assert_eq!(
            parse(
                args(&["--api-key", "sk-flag", "--image-bytes=1500000"]),
                env
            ),
            Ok(Command::Run(Options {
                addr: "127.0.0.1:5000".parse().expect("valid"),
                api_key: Some("sk-flag".to_owned()),
                image_bytes: 1_500_000,
            }))
        );
    }

    #[test]
    fn rejects_bad_arguments_and_answers_help() {
        let none = |_: &str| None;
        assert_eq!(parse(args(&["--help"]), none), Ok(Command::Help));
        assert!(parse(args(&["--addr"]), none).is_err());
        assert!(parse(args(&["--addr", "nowhere"]), none).is_err());
        assert!(parse(args(&["--image-bytes", "-1"]), none).is_err());
        assert!(parse(args(&["--verbose"]), none).is_err());
    }
}
