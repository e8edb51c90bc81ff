//! The server's messages (provider failures, busy refusals, refused uploads) in each language:
//! the server's part of the catalogue, compiled only into the server so the page's bundle does not
//! carry words it never shows. Like `Text`, both languages are one type, so neither can miss a
//! message.
//!
//! A message is worded in the language of the request it answers. The API adapter runs the work
//! in that language (`in_language`), and the code that words a failure deep inside asks for it
//! (`language`) rather than have it passed through every layer; outside a request (a log line, a
//! test calling the server directly) it is English.

use super::Lang;
use crate::error::ProviderFailure;
use std::future::Future;

tokio::task_local! {
    static LANGUAGE: Lang;
}

/// Runs `work` with its messages worded in `lang`.
pub async fn in_language<F: Future>(lang: Lang, work: F) -> F::Output {
    LANGUAGE.scope(lang, work).await
}

/// The language of the request the current task works for; English outside any.
pub fn language() -> Lang {
    LANGUAGE.try_with(|lang| *lang).unwrap_or_default()
}

/// What a provider failure's message is made of.
pub struct FailureWords<'a> {
    pub failure: ProviderFailure,
    /// "OpenAI".
    pub provider: &'a str,
    pub status: Option<u16>,
    /// The provider's own words (or ours, for a timeout or a network error), already cleaned.
    pub detail: &'a str,
    /// The variable holding the provider's key.
    pub key_env: &'a str,
    /// Calls made, the first included, and over how many seconds.
    pub calls: u32,
    pub seconds: u64,
}

/// Why an upload is not a usable reference image.
pub enum UploadRefusal {
    NotAnImage,
    TooManyPixels {
        width: u64,
        height: u64,
        /// "12.2": millions, as `model::millions` writes them.
        megapixels: String,
        max_megapixels: String,
    },
    OverMemoryBudget,
    Damaged,
}

/// Why an engine refused to queue a generation.
pub enum BusyReason {
    QueueFull { running: usize, queued: usize },
    WaitedTooLong { seconds: u64 },
}

/// What a request asked of a model that the model does not offer. (The page offers only what the
/// model takes, so these reach API callers; each names what to send instead.)
pub enum Unoffered {
    Model {
        asked: String,
        known: String,
    },
    Size {
        asked: String,
        offered: String,
    },
    Quality {
        asked: String,
    },
    NegativePrompt,
    /// `offered` is empty when the model has no style presets.
    Style {
        asked: String,
        offered: String,
    },
    Palette {
        asked: String,
    },
    /// Reference `number` (from 1) weighs `size`; the model takes `each`.
    HeavyReference {
        number: usize,
        size: String,
        each: String,
    },
    HeavyReferences {
        total: String,
        limit: String,
    },
}

pub struct ServerText {
    /// An engine this server does not have: (the id asked for, the ids it has).
    pub no_engine: fn(&str, &str) -> String,
    /// (engine and model label, what it does not offer).
    pub unoffered: fn(&str, &Unoffered) -> String,
    pub provider_failure: fn(&FailureWords) -> String,
    pub busy: fn(label: &str, reason: &BusyReason, retry_after_secs: u64) -> String,
    pub upload_refused: fn(&UploadRefusal) -> String,
    /// What an engine without its key says in the picker: (key variable, engine label).
    pub missing_key: fn(&str, &str) -> String,
}

impl Lang {
    /// A request's language from its headers: the switch's cookie, else `Accept-Language`.
    pub fn of_headers(headers: &axum::http::HeaderMap) -> Lang {
        let header = |name| headers.get(name).and_then(|v| v.to_str().ok());
        Lang::of_request(header("cookie"), header("accept-language"))
    }

    pub fn server_text(self) -> &'static ServerText {
        match self {
            Lang::En => &EN,
            Lang::ZhCn => &ZH_CN,
        }
    }
}

static EN: ServerText = ServerText {
    no_engine: |asked, known| format!("This server has no engine \"{asked}\"; it offers {known}."),
    unoffered: |label, what| match what {
        Unoffered::Model { asked, known } => {
            format!("{label} has no model \"{asked}\"; choose one of {known}.")
        }
        Unoffered::Size { asked, offered } => {
            format!("{label} cannot make {asked} pictures; choose one of {offered}.")
        }
        Unoffered::Quality { asked } => format!("{label} has no quality \"{asked}\"."),
        Unoffered::NegativePrompt => {
            format!("{label} takes no negative prompt; describe what to avoid in the prompt.")
        }
        Unoffered::Style { asked, offered } if offered.is_empty() => {
            format!("{label} has no style \"{asked}\"; it has no style presets.")
        }
        Unoffered::Style { asked, offered } => {
            format!("{label} has no style \"{asked}\"; choose one of {offered}.")
        }
        Unoffered::Palette { asked } => {
            format!("{label} has no palette \"{asked}\"; use custom colours instead.")
        }
        Unoffered::HeavyReference { number, size, each } => format!(
            "{label} takes reference images of at most {each} each; reference {number} is {size}. \
             Remove it, or upload a smaller copy (a JPEG is usually far smaller)."
        ),
        Unoffered::HeavyReferences { total, limit } => format!(
            "{label} takes at most {limit} of reference images in all; these come to {total}. \
             Remove one, or upload smaller copies."
        ),
    },
    missing_key: |key_env, label| format!("Set {key_env} on the server to use {label}."),
    provider_failure: |w| {
        let FailureWords {
            provider,
            detail,
            key_env,
            ..
        } = *w;
        let status = w.status.map(|s| format!(" ({s})")).unwrap_or_default();
        let tried = match w.calls.saturating_sub(1) {
            0 => "no retry was possible in the time allowed.".to_string(),
            1 => format!("retried 1 time over {} s", w.seconds),
            retries => format!("retried {retries} times over {} s", w.seconds),
        };
        match w.failure {
            ProviderFailure::NotConfigured => {
                format!("{provider} is not configured on this server: {detail}")
            }
            ProviderFailure::Auth => {
                format!("{provider} rejected the API key{status}: check {key_env}")
            }
            ProviderFailure::Forbidden => format!("{provider} refused access{status}: {detail}"),
            ProviderFailure::ContentRejected => {
                let categories = if detail.is_empty() {
                    String::new()
                } else {
                    format!(" ({detail})")
                };
                format!("The prompt was blocked by {provider}'s safety system{categories}. Rephrase it and try again.")
            }
            ProviderFailure::RateLimited => format!("{provider} is rate limiting; {tried}"),
            ProviderFailure::QuotaExhausted => format!(
                "{provider} says the account has no quota left{status}: check its plan and billing"
            ),
            ProviderFailure::BadRequest => {
                format!("{provider} rejected the request{status}: {detail}")
            }
            ProviderFailure::NotFound => {
                format!("{provider} does not know that model{status}: {detail}")
            }
            ProviderFailure::Timeout => {
                format!("{provider} did not answer in time ({detail}); {tried}")
            }
            ProviderFailure::Unavailable => {
                format!("{provider} had a server error{status}; {tried}")
            }
            ProviderFailure::Network => format!("Could not reach {provider} ({detail}); {tried}"),
            ProviderFailure::BadResponse => {
                format!("{provider} sent an answer without a usable image: {detail}")
            }
        }
    },
    busy: |label, reason, retry_after_secs| {
        let why = match reason {
            BusyReason::QueueFull { running, queued } => format!(
                "{label} is busy: {running} generations are running and {queued} waiting, its most"
            ),
            BusyReason::WaitedTooLong { seconds } => {
                format!("{label} is busy: no turn came within {seconds} s")
            }
        };
        format!("{why}. Try again in {retry_after_secs} s; nothing was lost.")
    },
    upload_refused: |refusal| match refusal {
        UploadRefusal::NotAnImage => "This file is not a PNG, JPEG or WebP image; upload one of \
            those (HEIC, GIF and other formats need converting first)."
            .into(),
        UploadRefusal::TooManyPixels {
            width,
            height,
            megapixels,
            max_megapixels,
        } => format!(
            "This image is {width} × {height} pixels ({megapixels} megapixels); a reference image \
             may have at most {max_megapixels} megapixels. Scale it down and upload it again."
        ),
        UploadRefusal::OverMemoryBudget => "This image needs more memory to decode than the \
            server allows for a reference image; scale it down and upload it again."
            .into(),
        UploadRefusal::Damaged => "This image could not be read: the file is damaged or cut \
            short. Save or export it again, then upload the new file."
            .into(),
    },
};

static ZH_CN: ServerText = ServerText {
    no_engine: |asked, known| format!("本服务器没有引擎“{asked}”；可用的引擎：{known}。"),
    unoffered: |label, what| match what {
        Unoffered::Model { asked, known } => {
            format!("{label} 没有模型“{asked}”；请从以下选择：{known}。")
        }
        Unoffered::Size { asked, offered } => {
            format!("{label} 无法生成 {asked} 的图片；请从以下选择：{offered}。")
        }
        Unoffered::Quality { asked } => format!("{label} 没有质量选项“{asked}”。"),
        Unoffered::NegativePrompt => {
            format!("{label} 不支持反向提示词；请在提示词中写明要避免的内容。")
        }
        Unoffered::Style { asked, offered } if offered.is_empty() => {
            format!("{label} 没有风格“{asked}”；它没有预设风格。")
        }
        Unoffered::Style { asked, offered } => {
            format!("{label} 没有风格“{asked}”；请从以下选择：{offered}。")
        }
        Unoffered::Palette { asked } => {
            format!("{label} 没有调色板“{asked}”；请改用自定义颜色。")
        }
        Unoffered::HeavyReference { number, size, each } => format!(
            "{label} 的每张参考图最大 {each}；第 {number} 张参考图为 {size}。\
             请移除它，或上传更小的副本（JPEG 通常小得多）。"
        ),
        Unoffered::HeavyReferences { total, limit } => format!(
            "{label} 的参考图合计最大 {limit}；这些参考图共 {total}。请移除一张，或上传更小的副本。"
        ),
    },
    missing_key: |key_env, label| format!("请在服务器上设置 {key_env}，才能使用 {label}。"),
    provider_failure: |w| {
        let FailureWords {
            provider,
            detail,
            key_env,
            ..
        } = *w;
        let status = w.status.map(|s| format!("（{s}）")).unwrap_or_default();
        let tried = match w.calls.saturating_sub(1) {
            0 => "在允许的时间内无法重试。".to_string(),
            retries => format!("已在 {} 秒内重试 {retries} 次", w.seconds),
        };
        match w.failure {
            ProviderFailure::NotConfigured => format!("此服务器未配置 {provider}：{detail}"),
            ProviderFailure::Auth => {
                format!("{provider} 拒绝了 API 密钥{status}：请检查 {key_env}")
            }
            ProviderFailure::Forbidden => format!("{provider} 拒绝访问{status}：{detail}"),
            ProviderFailure::ContentRejected => {
                let categories = if detail.is_empty() {
                    String::new()
                } else {
                    format!("（{detail}）")
                };
                format!("提示词被 {provider} 的安全系统拦截{categories}。请改写后重试。")
            }
            ProviderFailure::RateLimited => format!("{provider} 正在限流；{tried}"),
            ProviderFailure::QuotaExhausted => {
                format!("{provider} 表示该账户额度已用完{status}：请检查套餐与账单")
            }
            ProviderFailure::BadRequest => format!("{provider} 拒绝了请求{status}：{detail}"),
            ProviderFailure::NotFound => format!("{provider} 不认识该模型{status}：{detail}"),
            ProviderFailure::Timeout => format!("{provider} 未能及时响应（{detail}）；{tried}"),
            ProviderFailure::Unavailable => format!("{provider} 服务器出错{status}；{tried}"),
            ProviderFailure::Network => format!("无法连接 {provider}（{detail}）；{tried}"),
            ProviderFailure::BadResponse => {
                format!("{provider} 返回的结果中没有可用的图片：{detail}")
            }
        }
    },
    busy: |label, reason, retry_after_secs| {
        let why = match reason {
            BusyReason::QueueFull { running, queued } => {
                format!("{label} 繁忙：已有 {running} 个生成在运行、{queued} 个在排队，达到上限")
            }
            BusyReason::WaitedTooLong { seconds } => {
                format!("{label} 繁忙：{seconds} 秒内没有轮到")
            }
        };
        format!("{why}。请在 {retry_after_secs} 秒后重试；没有丢失任何内容。")
    },
    upload_refused: |refusal| match refusal {
        UploadRefusal::NotAnImage => {
            "此文件不是 PNG、JPEG 或 WebP 图片；请上传这三种格式之一（HEIC、GIF 等格式需先转换）。"
                .into()
        }
        UploadRefusal::TooManyPixels {
            width,
            height,
            megapixels,
            max_megapixels,
        } => format!(
            "此图片为 {width} × {height} 像素（{megapixels} 百万像素）；参考图最多 \
             {max_megapixels} 百万像素。请缩小后重新上传。"
        ),
        UploadRefusal::OverMemoryBudget => {
            "解码此图片所需的内存超出服务器对参考图的限制；请缩小后重新上传。".into()
        }
        UploadRefusal::Damaged => {
            "无法读取此图片：文件已损坏或不完整。请重新保存或导出后上传新文件。".into()
        }
    },
};

#[cfg(test)]
mod tests {
    use super::*;

    fn auth_failure() -> String {
        let words = FailureWords {
            failure: ProviderFailure::Auth,
            provider: "OpenAI",
            status: Some(401),
            detail: "",
            key_env: "OPENAI_API_KEY",
            calls: 1,
            seconds: 0,
        };
        (language().server_text().provider_failure)(&words)
    }

    #[tokio::test]
    async fn messages_are_worded_in_the_language_of_the_request() {
        assert_eq!(
            auth_failure(),
            "OpenAI rejected the API key (401): check OPENAI_API_KEY",
            "English outside any request"
        );
        let chinese = in_language(Lang::ZhCn, async { auth_failure() }).await;
        assert_eq!(
            chinese,
            "OpenAI 拒绝了 API 密钥（401）：请检查 OPENAI_API_KEY"
        );
    }
}
