//! The page's words, in English and Simplified Chinese (the teams behind seeds 002–004 write
//! Chinese). One catalogue per language, both of the one type `Text`, so a string added to one
//! cannot be forgotten in the other: the compiler asks for it.
//!
//! The language is chosen per request on the server (a `proofsheet_lang` cookie, set by the
//! page's switch, else `Accept-Language`), written into `<html lang>`, and read back from there by
//! the browser, so both render the same words and hydration matches.
//!
//! The server's messages (provider failures, busy refusals, refused uploads) are in
//! `i18n/server.rs`, in the server build only. Not translated yet: input validation, and the
//! provider's own words quoted inside a message.

#[cfg(feature = "ssr")]
pub mod server;

use crate::fsm::Note;
use crate::model::{megabytes, Change, ChangedOption, Progress};
use leptos::prelude::*;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Lang {
    #[default]
    En,
    ZhCn,
}

/// The cookie the language switch sets.
pub const COOKIE: &str = "proofsheet_lang";

impl Lang {
    /// The BCP 47 tag, as `<html lang>` and the cookie carry it.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::ZhCn => "zh-CN",
        }
    }

    /// A tag the studio speaks: any English, and Chinese written in simplified characters
    /// (`zh`, `zh-CN`, `zh-Hans…`, `zh-SG`); traditional Chinese gets English for now.
    pub fn from_code(tag: &str) -> Option<Lang> {
        let tag = tag.trim().to_ascii_lowercase();
        let primary = tag.split(['-', '_']).next().unwrap_or_default();
        match primary {
            "en" => Some(Lang::En),
            "zh" if ["zh", "zh-cn", "zh-sg"].contains(&tag.as_str())
                || tag.starts_with("zh-hans") =>
            {
                Some(Lang::ZhCn)
            }
            _ => None,
        }
    }

    /// The language a browser prefers most among those spoken here (`q` weights honoured;
    /// English when it names none of them).
    pub fn from_accept_language(header: &str) -> Lang {
        let mut offered: Vec<(f32, usize, Lang)> = header
            .split(',')
            .enumerate()
            .filter_map(|(order, item)| {
                let mut parts = item.split(';');
                let lang = Lang::from_code(parts.next()?)?;
                let weight = parts
                    .find_map(|p| p.trim().strip_prefix("q=")?.parse::<f32>().ok())
                    .unwrap_or(1.0);
                (weight > 0.0).then_some((weight, order, lang))
            })
            .collect();
        // Heaviest first; equal weights keep the header's order.
        offered.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        offered.first().map_or(Lang::En, |(_, _, lang)| *lang)
    }

    /// A request's language: its switch cookie, else its `Accept-Language`, else English.
    pub fn of_request(cookie: Option<&str>, accept_language: Option<&str>) -> Lang {
        cookie
            .and_then(Lang::from_cookie_header)
            .or_else(|| accept_language.map(Lang::from_accept_language))
            .unwrap_or_default()
    }

    /// The language named by the switch's cookie in a `Cookie` header, if any.
    pub fn from_cookie_header(header: &str) -> Option<Lang> {
        header.split(';').find_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (name == COOKIE).then(|| Lang::from_code(value)).flatten()
        })
    }

    pub fn text(self) -> &'static Text {
        match self {
            Lang::En => &EN,
            Lang::ZhCn => &ZH_CN,
        }
    }

    /// The other language, which the switch offers.
    pub fn other(self) -> Lang {
        match self {
            Lang::En => Lang::ZhCn,
            Lang::ZhCn => Lang::En,
        }
    }
}

/// The words of the page being rendered.
pub fn text() -> &'static Text {
    page_language().text()
}

/// The language of the page being rendered: the one `App` put in context, else, on the server,
/// the switch's cookie or the request's `Accept-Language`, and in the browser what the server
/// wrote into `<html lang>`.
pub fn page_language() -> Lang {
    use_context::<Lang>().unwrap_or_else(detect)
}

#[cfg(feature = "ssr")]
fn detect() -> Lang {
    use_context::<axum::http::request::Parts>()
        .map_or(Lang::En, |parts| Lang::of_headers(&parts.headers))
}

#[cfg(all(feature = "hydrate", not(feature = "ssr")))]
fn detect() -> Lang {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
        .and_then(|root| root.get_attribute("lang"))
        .and_then(|code| Lang::from_code(&code))
        .unwrap_or_default()
}

#[cfg(not(any(feature = "ssr", feature = "hydrate")))]
fn detect() -> Lang {
    Lang::En
}

/// Every string the page shows. Fields that take values are functions.
pub struct Text {
    /// The switch's label for this language, in this language.
    pub name: &'static str,
    pub loading_engines: &'static str,
    pub engine_caption: &'static str,
    pub sign_out: &'static str,
    pub engine_list_failed: fn(&str) -> String,
    pub dismiss: &'static str,
    pub note: fn(Note) -> &'static str,
    /// The browser could not reach the server (the browser's own reason).
    pub server_unreachable: fn(&str) -> String,
    /// The server's answer could not be read.
    pub answer_unreadable: &'static str,
    // Announcements for screen readers.
    pub said_failed: &'static str,
    pub said_ready: &'static str,
    pub said_generating: fn(usize) -> String,
    pub said_review: fn(usize, usize) -> String,
    pub said_approved: fn(usize) -> String,
    // The prompt form.
    pub describe: &'static str,
    pub prompt_placeholder: &'static str,
    pub characters: fn(usize, usize) -> String,
    pub shortcut_hint: &'static str,
    pub engine: &'static str,
    pub not_set_up: fn(&str) -> String,
    pub model: &'static str,
    pub size: &'static str,
    pub quality: &'static str,
    pub generate: &'static str,
    pub generate_on: fn(usize) -> String,
    pub about: fn(&str) -> String,
    pub no_charge: &'static str,
    pub price_unknown: &'static str,
    pub offline_hint: &'static str,
    // Styling.
    pub negative_prompt: &'static str,
    pub style: &'static str,
    pub default_choice: &'static str,
    pub palette: &'static str,
    pub no_palette: &'static str,
    pub my_colours: &'static str,
    pub my_colours_in_words: &'static str,
    pub colours_field: &'static str,
    // Templates.
    pub start_from_template: &'static str,
    pub template: &'static str,
    pub choose: &'static str,
    pub use_template: &'static str,
    // Reference images.
    pub references: &'static str,
    pub reference_count: fn(usize, u32) -> String,
    pub add_references: &'static str,
    pub reference_hint: fn(Option<&str>) -> String,
    pub reference_alt: fn(usize, u32, u32) -> String,
    pub remove: &'static str,
    pub sending: fn(&str) -> String,
    pub made_from: &'static str,
    pub reference_n: fn(usize) -> String,
    // Try on.
    pub also_try_on: &'static str,
    pub try_on_hint: &'static str,
    // Generating.
    pub generating_attempt: fn(usize) -> String,
    pub trying_on: fn(usize) -> String,
    pub refining: &'static str,
    pub answered: &'static str,
    pub working: &'static str,
    /// The alt text of a rough preview streamed while the picture is drawn.
    pub preview_alt: &'static str,
    pub elapsed: fn(u64) -> String,
    pub progress: fn(Progress) -> String,
    pub cancel: &'static str,
    // Review.
    pub attempt_alt: fn(usize, &str) -> String,
    pub attempt_of: fn(usize, usize, &str) -> String,
    pub refined: fn(&str) -> String,
    pub spent: fn(&str) -> String,
    /// Follows a sum when `n` pictures in it had no known price.
    pub unpriced: fn(usize) -> String,
    pub compare_alt: fn(usize) -> String,
    pub attempt_by: fn(usize, &str) -> String,
    pub approve: fn(usize) -> String,
    pub regenerate: &'static str,
    pub refine_label: &'static str,
    pub refine_placeholder: &'static str,
    pub refine: &'static str,
    pub compare_with: &'static str,
    pub attempt_n: fn(usize) -> String,
    pub open_attempt: fn(usize, &str) -> String,
    pub refined_tag: &'static str,
    // Attempt details.
    pub provider: &'static str,
    pub cost: &'static str,
    pub time_taken: &'static str,
    pub retries: &'static str,
    pub revised_prompt: &'static str,
    pub fallback: &'static str,
    pub prompt_sent: &'static str,
    pub said_by: fn(&str) -> String,
    // Final.
    pub approved: &'static str,
    pub download: &'static str,
    pub start_over: &'static str,
    pub approved_alt: fn(usize, &str) -> String,
    pub picture_not_kept: &'static str,
    // What the browser itself says about uploads and storage.
    pub upload_not_started: &'static str,
    pub upload_unreadable: &'static str,
    pub upload_unreachable: &'static str,
    pub upload_refused: fn(u16) -> String,
    /// Why an upload of `size` bytes (when known) is refused, `limit` being the most the server
    /// takes. The page says it before sending; the server says the same when it receives one.
    pub reference_too_large: fn(limit: u64, size: Option<u64>) -> String,
    pub takes_no_references: fn(&str) -> String,
    /// A request naming more references than the model takes: (label, most, named).
    pub too_many_references: fn(&str, usize, usize) -> String,
    /// What a switch to a model changed of the chosen options: (model, changes).
    pub options_dropped: fn(&str, &[Change]) -> String,
    /// An empty text field ("prompt", "feedback", "negative prompt").
    pub text_empty: fn(&str) -> String,
    /// A text field too long for the provider: (field, length, provider, most).
    pub text_too_long: fn(&str, usize, &str, usize) -> String,
    pub takes_at_most: fn(&str, usize) -> String,
    pub session_not_saved: &'static str,
    pub storage_unavailable: fn(&str) -> String,
    pub storage_full: &'static str,
    pub pictures_will_be_lost: fn(&str, usize) -> String,
    pub pictures_missing_after_reload: &'static str,
    // The sign-in page (plain HTML from the server).
    pub login_title: &'static str,
    pub login_name: &'static str,
    pub login_password: &'static str,
    pub login_token: &'static str,
    pub login_password_or_token: &'static str,
    pub login_submit: &'static str,
    pub login_wrong_token: &'static str,
    pub login_wrong_password: &'static str,
}

pub static EN: Text = Text {
    name: "English",
    loading_engines: "Loading engines…",
    engine_caption: "Engine ",
    sign_out: "Sign out",
    engine_list_failed: |error| format!("Could not load the engine list: {error}"),
    dismiss: "Dismiss",
    note: |note| match note {
        Note::EmptyPrompt => "The prompt is empty: describe the picture you want.",
        Note::Cancelled => "Generation cancelled.",
        Note::ReloadedDuringGeneration => {
            "The page was reloaded during a generation, so that generation was abandoned."
        }
        Note::NothingMade => "Nothing was made.",
    },
    server_unreachable: |detail| {
        format!("Could not reach the Proofsheet server ({detail}). Check that it is running, then try again.")
    },
    answer_unreadable: "The server's answer could not be read. Try again; if it persists, the request may be too large.",
    said_failed: "Generation failed.",
    said_ready: "Ready for a prompt.",
    said_generating: |n| format!("Generating attempt {n}…"),
    said_review: |n, of| format!("Attempt {n} of {of} ready for review."),
    said_approved: |n| format!("Attempt {n} approved."),
    describe: "Describe the picture",
    prompt_placeholder: "A lighthouse on a cliff at dawn, warm light, watercolour",
    characters: |n, limit| format!("{n} / {limit} characters"),
    shortcut_hint: "Ctrl+Enter (⌘+Enter) to generate",
    engine: "Engine",
    not_set_up: |label| format!("{label} (not set up)"),
    model: "Model",
    size: "Size",
    quality: "Quality",
    generate: "Generate",
    generate_on: |n| format!("Generate on {n} engines"),
    about: |price| format!("about {price}"),
    no_charge: "no charge",
    price_unknown: "price unknown",
    offline_hint: "The offline engine draws an abstract picture from your prompt's colours and a seed, with no network.",
    negative_prompt: "Avoid (negative prompt)",
    style: "Style",
    default_choice: "Default",
    palette: "Palette",
    no_palette: "None",
    my_colours: "My colours",
    my_colours_in_words: "My colours (written into the prompt)",
    colours_field: "Colours, strongest first",
    start_from_template: "Start from a template",
    template: "Template",
    choose: "Choose…",
    use_template: "Use template",
    references: "Reference images",
    reference_count: |n, max| format!("{n} of {max}"),
    add_references: "Add reference images",
    reference_hint: |limit| match limit {
        Some(limit) => format!("PNG, JPEG or WebP, up to {limit} each. Drop them anywhere on the page, paste them, or choose files."),
        None => "PNG, JPEG or WebP. Drop them anywhere on the page, paste them, or choose files.".into(),
    },
    reference_alt: |n, w, h| format!("Reference {n} ({w} × {h})"),
    remove: "Remove",
    sending: |name| format!("Sending {name}"),
    made_from: "Made from",
    reference_n: |n| format!("Reference {n}"),
    also_try_on: "Also try on",
    try_on_hint: "The same prompt on up to two more engines at once, to compare their pictures.",
    generating_attempt: |n| format!("Generating attempt {n}…"),
    trying_on: |n| format!("Trying the prompt on {n} engines…"),
    refining: "Refining: ",
    answered: " · answered",
    working: " · working…",
    preview_alt: "A rough preview of the picture being drawn",
    elapsed: |s| format!("{s} s elapsed"),
    progress: |progress| match progress {
        Progress::Waiting => "Waiting for a turn: the engine is busy".into(),
        Progress::Sent => "Sent; waiting for the picture".into(),
        Progress::Starting => "The model is starting".into(),
        Progress::Processing => "Making the picture".into(),
        Progress::Queued { position, of } => format!("In the server's queue: {position} of {of}"),
        Progress::Rendering { percent } => format!("Rendering: {percent} %"),
        Progress::Preview { number: 1 } => "Drawing: a first rough preview".into(),
        Progress::Preview { number } => format!("Drawing: rough preview {number}"),
    },
    cancel: "Cancel",
    attempt_alt: |n, prompt| format!("Attempt {n}: {prompt}"),
    attempt_of: |n, of, by| format!("Attempt {n} of {of} · {by}"),
    refined: |feedback| format!(" · refined: “{feedback}”"),
    spent: |amount| format!("Spent this session: {amount}"),
    unpriced: |n| match n {
        1 => " and 1 picture of unknown price".into(),
        n => format!(" and {n} pictures of unknown price"),
    },
    compare_alt: |n| format!("Attempt {n} (for comparison)"),
    attempt_by: |n, by| format!("Attempt {n} · {by}"),
    approve: |n| format!("Approve attempt {n}"),
    regenerate: "Regenerate",
    refine_label: "Refine this attempt",
    refine_placeholder: "warmer light, no text",
    refine: "Refine",
    compare_with: "Compare with",
    attempt_n: |n| format!("Attempt {n}"),
    open_attempt: |n, by| format!("Open attempt {n} ({by})"),
    refined_tag: "refined",
    provider: "Provider",
    cost: "Cost",
    time_taken: "Time taken",
    retries: "Retries needed",
    revised_prompt: "Revised prompt",
    fallback: "Fallback",
    prompt_sent: "Prompt sent",
    said_by: |provider| format!("{provider} said"),
    approved: "Approved",
    download: "Download PNG",
    start_over: "Start over",
    approved_alt: |n, prompt| format!("Approved attempt {n}: {prompt}"),
    picture_not_kept: "Picture not kept after the reload (browser storage was full or unavailable)",
    upload_not_started: "The browser could not start the upload; try again.",
    upload_unreadable: "The server's answer to the upload could not be read; try again.",
    upload_unreachable: "The upload did not reach the server: check the connection and try again.",
    upload_refused: |status| format!("The server refused the upload (HTTP {status})."),
    reference_too_large: |limit, size| {
        let limit = megabytes(limit);
        match size {
            Some(size) => format!(
                "This image is {}; a reference image may be at most {limit}. Scale it down or \
                 save it as a JPEG, then upload it again.",
                megabytes(size)
            ),
            None => format!(
                "This image is larger than {limit}, the most a reference image may be. Scale it \
                 down or save it as a JPEG, then upload it again."
            ),
        }
    },
    takes_no_references: |label| format!("{label} takes no reference images; choose another model to use them."),
    too_many_references: |label, max, named| {
        let takes = match max {
            0 => "takes no reference images".to_string(),
            1 => "takes at most 1 reference image".to_string(),
            n => format!("takes at most {n} reference images"),
        };
        format!("{label} {takes}; remove {} of the {named}.", named - max)
    },
    options_dropped: |model, changes| {
        let each = changes.iter().map(|c| {
            let option = match c.option {
                ChangedOption::Size => "size",
                ChangedOption::Quality => "quality",
            };
            format!("{option} {} → {}", c.from, c.to.as_deref().unwrap_or("none"))
        });
        format!("{model} does not offer everything you chose: {}.", each.collect::<Vec<_>>().join(", "))
    },
    text_empty: |field| format!("The {field} is empty: describe the picture you want."),
    text_too_long: |field, length, provider, max| {
        format!("The {field} is {length} characters long; {provider} accepts at most {max}.")
    },
    takes_at_most: |label, max| format!("{label} takes at most {max}; remove one to add this one."),
    session_not_saved: "Browser storage is full: this session will not survive a reload.",
    storage_unavailable: |why| format!("Browser storage is unavailable ({why})"),
    storage_full: "Browser storage is full",
    pictures_will_be_lost: |why, lost| format!("{why}: {lost} picture(s) will not survive a reload."),
    pictures_missing_after_reload: "Some earlier pictures could not be kept across the reload: browser storage was full or unavailable.",
    login_title: "Sign in · Proofsheet",
    login_name: "Name",
    login_password: "Password",
    login_token: "Access token",
    login_password_or_token: "Password (or, with no name, the team's access token)",
    login_submit: "Sign in",
    login_wrong_token: "That access token is not right.",
    login_wrong_password: "That name and password do not match.",
};

pub static ZH_CN: Text = Text {
    name: "中文",
    loading_engines: "正在加载引擎…",
    engine_caption: "引擎 ",
    sign_out: "退出登录",
    engine_list_failed: |error| format!("无法加载引擎列表：{error}"),
    dismiss: "关闭",
    note: |note| match note {
        Note::EmptyPrompt => "提示词为空：请描述你想要的图片。",
        Note::Cancelled => "已取消生成。",
        Note::ReloadedDuringGeneration => "生成过程中页面被重新加载，该次生成已放弃。",
        Note::NothingMade => "没有生成任何图片。",
    },
    server_unreachable: |detail| {
        format!("无法连接 Proofsheet 服务器（{detail}）。请确认它正在运行，然后重试。")
    },
    answer_unreadable: "无法读取服务器的答复。请重试；如果仍然出现，可能是请求过大。",
    said_failed: "生成失败。",
    said_ready: "可以输入提示词了。",
    said_generating: |n| format!("正在生成第 {n} 次尝试…"),
    said_review: |n, of| format!("第 {n} 次尝试（共 {of} 次）可以审阅了。"),
    said_approved: |n| format!("第 {n} 次尝试已通过。"),
    describe: "描述你想要的图片",
    prompt_placeholder: "黎明时分悬崖上的灯塔，暖光，水彩风格",
    characters: |n, limit| format!("{n} / {limit} 字"),
    shortcut_hint: "按 Ctrl+Enter（⌘+Enter）生成",
    engine: "引擎",
    not_set_up: |label| format!("{label}（未配置）"),
    model: "模型",
    size: "尺寸",
    quality: "质量",
    generate: "生成",
    generate_on: |n| format!("在 {n} 个引擎上生成"),
    about: |price| format!("约 {price}"),
    no_charge: "免费",
    price_unknown: "价格未知",
    offline_hint: "离线引擎根据提示词中的颜色和随机种子绘制一幅抽象图片，无需联网。",
    negative_prompt: "避免（反向提示词）",
    style: "风格",
    default_choice: "默认",
    palette: "调色板",
    no_palette: "无",
    my_colours: "自定义颜色",
    my_colours_in_words: "自定义颜色（写入提示词）",
    colours_field: "颜色，由主到次",
    start_from_template: "从模板开始",
    template: "模板",
    choose: "请选择…",
    use_template: "使用模板",
    references: "参考图",
    reference_count: |n, max| format!("{n} / {max} 张"),
    add_references: "添加参考图",
    reference_hint: |limit| match limit {
        Some(limit) => format!(
            "PNG、JPEG 或 WebP，每张不超过 {limit}。可拖放到页面任意位置、粘贴，或选择文件。"
        ),
        None => "PNG、JPEG 或 WebP。可拖放到页面任意位置、粘贴，或选择文件。".into(),
    },
    reference_alt: |n, w, h| format!("参考图 {n}（{w} × {h}）"),
    remove: "移除",
    sending: |name| format!("正在上传 {name}"),
    made_from: "参考图",
    reference_n: |n| format!("参考图 {n}"),
    also_try_on: "同时试用",
    try_on_hint: "同一提示词最多再在两个引擎上同时生成，便于比较。",
    generating_attempt: |n| format!("正在生成第 {n} 次尝试…"),
    trying_on: |n| format!("正在 {n} 个引擎上试用该提示词…"),
    refining: "细化：",
    answered: " · 已返回",
    working: " · 生成中…",
    preview_alt: "正在绘制的图片的草图",
    elapsed: |s| format!("已用 {s} 秒"),
    progress: |progress| match progress {
        Progress::Waiting => "排队中：引擎繁忙".into(),
        Progress::Sent => "已发送，等待图片".into(),
        Progress::Starting => "模型启动中".into(),
        Progress::Processing => "正在生成图片".into(),
        Progress::Queued { position, of } => format!("服务器队列中：第 {position} 位，共 {of} 位"),
        Progress::Rendering { percent } => format!("渲染中：{percent}%"),
        Progress::Preview { number: 1 } => "绘制中：第一张草图".into(),
        Progress::Preview { number } => format!("绘制中：第 {number} 张草图"),
    },
    cancel: "取消",
    attempt_alt: |n, prompt| format!("第 {n} 次尝试：{prompt}"),
    attempt_of: |n, of, by| format!("第 {n} 次尝试（共 {of} 次）· {by}"),
    refined: |feedback| format!(" · 已细化：“{feedback}”"),
    spent: |amount| format!("本次会话花费：{amount}"),
    unpriced: |n| format!("，另有 {n} 张图片价格未知"),
    compare_alt: |n| format!("第 {n} 次尝试（用于比较）"),
    attempt_by: |n, by| format!("第 {n} 次尝试 · {by}"),
    approve: |n| format!("通过第 {n} 次尝试"),
    regenerate: "重新生成",
    refine_label: "细化这次尝试",
    refine_placeholder: "光线更暖，不要文字",
    refine: "细化",
    compare_with: "对比",
    attempt_n: |n| format!("第 {n} 次尝试"),
    open_attempt: |n, by| format!("打开第 {n} 次尝试（{by}）"),
    refined_tag: "已细化",
    provider: "服务商",
    cost: "费用",
    time_taken: "耗时",
    retries: "重试次数",
    revised_prompt: "改写后的提示词",
    fallback: "备用引擎",
    prompt_sent: "实际发送的提示词",
    said_by: |provider| format!("{provider} 的回复"),
    approved: "已通过",
    download: "下载 PNG",
    start_over: "重新开始",
    approved_alt: |n, prompt| format!("已通过的第 {n} 次尝试：{prompt}"),
    picture_not_kept: "重新加载后图片未能保留（浏览器存储已满或不可用）",
    upload_not_started: "浏览器无法开始上传，请重试。",
    upload_unreadable: "无法读取服务器对上传的回复，请重试。",
    upload_unreachable: "上传未能到达服务器：请检查网络连接后重试。",
    upload_refused: |status| format!("服务器拒绝了上传（HTTP {status}）。"),
    reference_too_large: |limit, size| {
        let limit = megabytes(limit);
        match size {
            Some(size) => format!(
                "此图片为 {}；参考图最大 {limit}。请缩小或另存为 JPEG 后重新上传。",
                megabytes(size)
            ),
            None => format!("此图片超过参考图的上限 {limit}。请缩小或另存为 JPEG 后重新上传。"),
        }
    },
    takes_no_references: |label| format!("{label} 不接受参考图；如需使用参考图，请换一个模型。"),
    too_many_references: |label, max, named| match max {
        0 => format!("{label} 不接受参考图；请移除全部 {named} 张。"),
        _ => format!(
            "{label} 最多接受 {max} 张参考图；请从 {named} 张中移除 {} 张。",
            named - max
        ),
    },
    options_dropped: |model, changes| {
        let each = changes.iter().map(|c| {
            let option = match c.option {
                ChangedOption::Size => "尺寸",
                ChangedOption::Quality => "质量",
            };
            format!("{option} {} → {}", c.from, c.to.as_deref().unwrap_or("无"))
        });
        format!(
            "{model} 不支持你选的全部选项：{}。",
            each.collect::<Vec<_>>().join("，")
        )
    },
    text_empty: |field| format!("{}为空：请描述你想要的图片。", field_name(field)),
    text_too_long: |field, length, provider, max| {
        format!(
            "{}长 {length} 个字符；{provider} 最多接受 {max} 个。",
            field_name(field)
        )
    },
    takes_at_most: |label, max| format!("{label} 最多接受 {max} 张；移除一张后才能添加这张。"),
    session_not_saved: "浏览器存储已满：重新加载后本次会话将无法恢复。",
    storage_unavailable: |why| format!("浏览器存储不可用（{why}）"),
    storage_full: "浏览器存储已满",
    pictures_will_be_lost: |why, lost| format!("{why}：{lost} 张图片在重新加载后将无法恢复。"),
    pictures_missing_after_reload: "部分之前的图片未能在重新加载后保留：浏览器存储已满或不可用。",
    login_title: "登录 · Proofsheet",
    login_name: "用户名",
    login_password: "密码",
    login_token: "访问令牌",
    login_password_or_token: "密码（不填用户名时，填团队访问令牌）",
    login_submit: "登录",
    login_wrong_token: "访问令牌不正确。",
    login_wrong_password: "用户名和密码不匹配。",
};

/// A request field's name in Chinese, for the messages about it.
fn field_name(field: &str) -> &str {
    match field {
        "prompt" => "提示词",
        "feedback" => "修改意见",
        "negative prompt" => "反向提示词",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_most_wanted_language_spoken_here() {
        assert_eq!(
            Lang::from_accept_language("zh-CN,zh;q=0.9,en;q=0.8"),
            Lang::ZhCn
        );
        assert_eq!(
            Lang::from_accept_language("en-GB,en;q=0.9,zh;q=0.8"),
            Lang::En
        );
        assert_eq!(
            Lang::from_accept_language("fr-FR,zh-Hans;q=0.5,en;q=0.4"),
            Lang::ZhCn
        );
        assert_eq!(
            Lang::from_accept_language("de, en;q=0"),
            Lang::En,
            "nothing spoken: English"
        );
        assert_eq!(
            Lang::from_accept_language("zh-TW"),
            Lang::En,
            "traditional: not yet"
        );
        assert_eq!(Lang::from_accept_language(""), Lang::En);
    }

    #[test]
    fn the_switch_cookie_names_a_language() {
        assert_eq!(
            Lang::from_cookie_header("a=1; proofsheet_lang=zh-CN; b=2"),
            Some(Lang::ZhCn)
        );
        assert_eq!(Lang::from_cookie_header("proofsheet_lang=xx"), None);
        assert_eq!(Lang::from_cookie_header("other=zh-CN"), None);
    }
}
