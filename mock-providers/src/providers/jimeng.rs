//! jimeng-free-api style OpenAI-compatible proxies (§7), as the 2026
//! `iptag/jimeng-api` fork behaves: `POST /v1/images/generations` takes
//! `ratio` and `resolution` (and refuses `size`/`width`/`height`), answers
//! a batch of 4 URLs, and reports every error as HTTP 200 with a negative
//! `code` (§7.4).

use axum::extract::State;
use axum::http::{Method, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Extension, Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::auth::KeyOutcome;
use crate::clock::now_secs;
use crate::fields::{Fields, Issue, Problem};
use crate::ids::{random_string, HEX};
use crate::images::{ImageFormat, Picture};
use crate::ledger::Incoming;
use crate::payload::Payload;
use crate::state::MockState;
use crate::Provider;

/// One scripted jimeng answer. JSON: `{"provider":"jimeng","respond":"failure","code":-2009}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "respond", rename_all = "snake_case")]
pub enum JimengStep {
    /// `count` images (default 4, the upstream's batch) in `format`
    /// (default WebP: the upstream CDN's files often are).
    Images {
        #[serde(default = "default_count")]
        count: u32,
        #[serde(default = "default_format")]
        format: ImageFormat,
    },
    /// HTTP 200 `{"code": code, "message": …, "data": null}`. Without a
    /// message, the upstream's wording for the code (e.g. -2001 请求失败,
    /// -2002 Token已失效, -2006 content filtered, -2009 no credits).
    Failure {
        code: i64,
        #[serde(default)]
        message: Option<String>,
    },
}

impl Default for JimengStep {
    fn default() -> Self {
        JimengStep::Images {
            count: default_count(),
            format: default_format(),
        }
    }
}

fn default_count() -> u32 {
    4
}

fn default_format() -> ImageFormat {
    ImageFormat::Webp
}

impl JimengStep {
    pub(crate) fn check(&self) -> Result<(), String> {
        match self {
            JimengStep::Images { count, .. } if !(1..=16).contains(count) => {
                Err(format!("images count must be 1..=16, got {count}"))
            }
            JimengStep::Failure { code, .. } if *code >= 0 => {
                Err(format!("failure codes are negative, got {code}"))
            }
            JimengStep::Failure {
                code,
                message: None,
            } if upstream_message(*code).is_none() => Err(format!(
                "no upstream wording known for code {code}; give a message"
            )),
            _ => Ok(()),
        }
    }
}

/// The upstream's message for each code (`src/api/consts/exceptions.ts`,
/// `src/lib/consts/exceptions.ts`).
fn upstream_message(code: i64) -> Option<&'static str> {
    Some(match code {
        -1000 => "系统异常",
        -1001 => "请求参数校验错误",
        -1002 => "无匹配的路由",
        -2000 => "请求参数非法",
        -2001 => "请求失败",
        -2002 => "Token已失效",
        -2003 => "远程文件URL非法",
        -2004 => "远程文件超出大小",
        -2006 => "内容由于合规问题已被阻止生成",
        -2007 => "图像生成失败",
        -2009 => "即梦积分不足",
        _ => return None,
    })
}

/// The upstream's `FailureBody`: always HTTP 200.
struct Failure {
    code: i64,
    message: String,
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        Json(json!({"code": self.code, "message": self.message, "data": null})).into_response()
    }
}

fn failure(code: i64, message: &str) -> Failure {
    Failure {
        code,
        message: message.to_owned(),
    }
}

/// What `Request.validate` throws for a field that fails its check.
fn invalid_param(path: &str) -> Failure {
    failure(-2000, &format!("Params {path} invalid"))
}

pub(crate) fn routes() -> Router<MockState> {
    Router::new()
        .route("/v1/images/generations", post(generations))
        .fallback(no_route)
}

/// The upstream's catch-all: a plain `Error`, so code -1000.
async fn no_route(method: Method, uri: Uri) -> Failure {
    failure(
        -1000,
        &format!(
            "[请求有误]: 正确请求为 POST -> /v1/images/generations，当前请求为 {method} -> {} 请纠正",
            uri.path()
        ),
    )
}

const RATIOS: &[&str] = &["1:1", "4:3", "3:4", "16:9", "9:16", "3:2", "2:3", "21:9"];
const RESOLUTIONS: &[&str] = &["1k", "2k", "4k"];

struct Request {
    prompt: String,
    width: u32,
    height: u32,
    b64: bool,
}

async fn generations(
    State(state): State<MockState>,
    Extension(incoming): Extension<Incoming>,
) -> Response {
    let request = match parse(&incoming) {
        Ok(request) => request,
        Err(refusal) => return refusal.into_response(),
    };
    match state.next_step::<JimengStep>().await {
        JimengStep::Failure { code, message } => {
            let message = message.as_deref().or(upstream_message(code)).unwrap_or("");
            failure(code, message).into_response()
        }
        JimengStep::Images { count, format } => {
            let mut data = Vec::new();
            for index in 0..count {
                let picture = state.picture(&request.prompt, index, request.width, request.height);
                data.push(if request.b64 {
                    json!({"b64_json": picture.base64(format).await})
                } else {
                    json!({"url": publish(&state, &incoming.origin, picture, format)})
                });
            }
            Json(json!({"created": now_secs(), "data": data})).into_response()
        }
    }
}

/// The route's checks in the upstream's order: body fields, then the
/// `Authorization` header, then the session itself (which the upstream
/// only finds expired when it calls jimeng, so after the parameters).
fn parse(incoming: &Incoming) -> Result<Request, Failure> {
    let Payload::Json(Value::Object(body)) = incoming.payload.as_ref() else {
        return Err(invalid_param("body.prompt"));
    };
    let fields = Fields::Json(body);
    // Why -1000: the fork throws a plain Error for these (§7.2); its exact
    // wording past "不支持的参数" and "请使用 ratio 和 resolution" is
    // UNCONFIRMED.
    if let Some(name) = ["size", "width", "height"]
        .into_iter()
        .find(|n| fields.has(n))
    {
        return Err(failure(
            -1000,
            &format!("不支持的参数: {name}，请使用 ratio 和 resolution 参数"),
        ));
    }
    let checks = [
        ("body.model", fields.str("model").map(drop)),
        ("body.prompt", fields.required_str("prompt").map(drop)),
        (
            "body.negative_prompt",
            fields.str("negative_prompt").map(drop),
        ),
        ("body.ratio", fields.str("ratio").map(drop)),
        ("body.resolution", fields.str("resolution").map(drop)),
        (
            "body.intelligent_ratio",
            fields.bool("intelligent_ratio").map(drop),
        ),
        (
            "body.sample_strength",
            fields.number("sample_strength").map(drop),
        ),
        (
            "body.response_format",
            fields.str("response_format").map(drop),
        ),
    ];
    if let Some((path, _)) = checks.iter().find(|(_, check)| check.is_err()) {
        return Err(invalid_param(path));
    }
    match incoming.credentials.outcome() {
        KeyOutcome::Missing => return Err(invalid_param("headers.authorization")),
        KeyOutcome::Wrong => return Err(failure(-2002, "Token已失效")),
        KeyOutcome::Accepted | KeyOutcome::NotRequired => {}
    }
    // Unsupported values throw plain Errors upstream too (wording UNCONFIRMED).
    let unsupported = |problem: Problem| match problem.issue {
        Issue::NotAllowed { value, allowed } => failure(
            -1000,
            &format!(
                "不支持的{}: {value}，支持: {}",
                problem.field,
                allowed.join(", ")
            ),
        ),
        _ => invalid_param(&format!("body.{}", problem.field)),
    };
    let ratio = fields
        .one_of("ratio", RATIOS)
        .map_err(unsupported)?
        .unwrap_or("1:1");
    let resolution = fields
        .one_of("resolution", RESOLUTIONS)
        .map_err(unsupported)?
        .unwrap_or("2k");
    let (width, height) = dimensions(ratio, resolution);
    Ok(Request {
        prompt: fields.required_str("prompt").unwrap_or_default().to_owned(),
        width,
        height,
        b64: fields.str("response_format").ok().flatten() == Some("b64_json"),
    })
}

/// The fork's `RESOLUTION_OPTIONS`. 2k is documented (§7.2); 4k only for
/// 1:1 and 16:9 (the rest doubles 2k, UNCONFIRMED); 1k reproduces the
/// fork's swapped 4:3/3:4 entries, other 1k values are UNCONFIRMED.
fn dimensions(ratio: &str, resolution: &str) -> (u32, u32) {
    let two_k = match ratio {
        "4:3" => (2304, 1728),
        "3:4" => (1728, 2304),
        "16:9" => (2560, 1440),
        "9:16" => (1440, 2560),
        "3:2" => (2496, 1664),
        "2:3" => (1664, 2496),
        "21:9" => (3024, 1296),
        _ => (2048, 2048),
    };
    match (resolution, ratio) {
        ("1k", "4:3") => (768, 1024),
        ("1k", "3:4") => (1024, 768),
        ("1k", _) => (two_k.0 / 2, two_k.1 / 2),
        ("4k", "16:9") => (5120, 2880),
        ("4k", _) => (two_k.0 * 2, two_k.1 * 2),
        _ => two_k,
    }
}

/// A CDN-style signed link; the real lifetime is UNCONFIRMED ("short-lived"),
/// a day here.
fn publish(state: &MockState, origin: &str, picture: Picture, format: ImageFormat) -> String {
    let path = format!(
        "{}/tos-cn-i-mock/{}~tplv-mock-image.{}",
        Provider::Jimeng.delivery_prefix(),
        random_string(HEX, 32),
        format.extension()
    );
    state
        .files()
        .publish_signed(origin, path, picture, format, 86_400, |expires_at, sig| {
            format!("x-expires={expires_at}&x-signature={sig}")
        })
}

#[cfg(test)]
mod tests {
    use super::{dimensions, JimengStep};

    #[test]
    fn resolution_table() {
        assert_eq!(dimensions("16:9", "2k"), (2560, 1440));
        assert_eq!(dimensions("1:1", "4k"), (4096, 4096));
        assert_eq!(dimensions("16:9", "4k"), (5120, 2880));
        assert_eq!(dimensions("4:3", "1k"), (768, 1024));
        assert_eq!(dimensions("1:1", "1k"), (1024, 1024));
    }

    #[test]
    fn steps_are_checked() {
        assert!(JimengStep::default().check().is_ok());
        let positive = JimengStep::Failure {
            code: 1,
            message: None,
        };
        assert!(positive.check().is_err());
        let unknown = JimengStep::Failure {
            code: -7777,
            message: None,
        };
        assert!(unknown.check().is_err());
    }
}
