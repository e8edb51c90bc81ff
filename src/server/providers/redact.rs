//! Provider text made safe to show and to log: nothing that could identify an API key, and one
//! line. Providers echo keys in several forms: whole, prefixed (`sk-…`, `AIza…`, `r8_…`), or
//! masked (`sk-proj-12****6789`, `abcd…wxyz`), after a space, a `(` or a `:`; and their messages
//! can hold newlines that would write lines of their own into our log.

/// The longest provider text we pass on; the rest is cut with an ellipsis.
const MAX_CHARS: usize = 400;
/// Prefixes of the key formats of the providers we target (providers.md).
const KEY_PREFIXES: [&str; 4] = ["sk-", "AIza", "r8_", "ark-"];
/// A fragment of the key this long, from its start or its end, marks a token as part of the key
/// (masked forms keep the first few and last four characters).
const FRAGMENT_CHARS: usize = 4;
const REDACTED: &str = "[redacted]";

pub fn redact(text: &str, api_key: &str) -> String {
    let one_line: String = text
        .chars()
        .map(|c| {
            if c.is_control() || c == '\u{2028}' || c == '\u{2029}' {
                ' '
            } else {
                c
            }
        })
        .collect();
    let mut cleaned = String::with_capacity(one_line.len());
    let mut token = String::new();
    for c in one_line.chars() {
        if is_token_char(c) {
            token.push(c);
        } else {
            cleaned.push_str(&clean_token(&token, api_key));
            token.clear();
            cleaned.push(c);
        }
    }
    cleaned.push_str(&clean_token(&token, api_key));
    let collapsed = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
    match collapsed.char_indices().nth(MAX_CHARS) {
        Some((cut, _)) => format!("{}…", &collapsed[..cut]),
        None => collapsed,
    }
}

/// Keys and their masked forms are made of these; anything else separates tokens.
fn is_token_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '-' | '_' | '*' | '•' | '…' | '.' | '+' | '/' | '=')
}

fn clean_token(token: &str, api_key: &str) -> String {
    if looks_like_key(token, api_key) {
        REDACTED.to_string()
    } else {
        token.to_string()
    }
}

fn looks_like_key(token: &str, api_key: &str) -> bool {
    if token.len() < FRAGMENT_CHARS {
        return false;
    }
    let prefixed = KEY_PREFIXES.iter().any(|p| starts_a_word(token, p));
    let masked = token.contains("**")
        || token.contains('•')
        || (token.contains('…') || token.contains("..."))
            && token.chars().filter(|c| c.is_alphanumeric()).count() >= FRAGMENT_CHARS;
    prefixed || masked || shares_a_fragment(token, api_key)
}

/// `prefix` at the start of `token` or after a separator inside it ("(sk-", "key:sk-"), but not
/// inside a word ("task-list").
fn starts_a_word(token: &str, prefix: &str) -> bool {
    token.match_indices(prefix).any(|(at, _)| {
        token[..at]
            .chars()
            .next_back()
            .is_none_or(|before| !before.is_alphanumeric())
    })
}

fn shares_a_fragment(token: &str, api_key: &str) -> bool {
    let key = api_key.trim();
    // A short key has no fragment that would not also match ordinary words.
    if key.chars().count() < 3 * FRAGMENT_CHARS {
        return !key.is_empty() && token.contains(key);
    }
    let head: String = key.chars().take(2 * FRAGMENT_CHARS).collect();
    let tail: String = {
        let chars: Vec<char> = key.chars().collect();
        chars[chars.len() - FRAGMENT_CHARS..].iter().collect()
    };
    token.contains(key) || token.contains(&head) || token.contains(&tail)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Not shaped like a real key (no provider prefix), so no secret scanner mistakes it for one.
    const KEY: &str = "proj-12ab34cd56ef6789";

    #[test]
    fn the_whole_key_is_removed_wherever_it_stands() {
        let text = format!("bad key:{KEY}. Try again ({KEY})");
        assert_eq!(
            redact(&text, KEY),
            "bad key:[redacted] Try again ([redacted])"
        );
    }

    #[test]
    fn masked_forms_after_punctuation_are_removed() {
        for text in [
            "Bad key (sk-proj-12****6789) used",
            "Incorrect API key provided: sk-proj-********6789.",
            "key:12ab…6789 rejected",
            "key 12ab...6789 rejected",
            "key ••••6789 rejected",
        ] {
            let cleaned = redact(text, KEY);
            assert!(!cleaned.contains("6789"), "{text} -> {cleaned}");
            assert!(cleaned.contains(REDACTED), "{text} -> {cleaned}");
        }
    }

    #[test]
    fn other_providers_key_shapes_are_removed_even_when_not_ours() {
        let cleaned = redact("keys AIzaSyA-example and r8_Example and sk-other", "");
        assert_eq!(cleaned, "keys [redacted] and [redacted] and [redacted]");
    }

    #[test]
    fn the_keys_tail_alone_is_removed() {
        assert_eq!(
            redact("key ending 6789 is invalid", KEY),
            "key ending [redacted] is invalid"
        );
    }

    #[test]
    fn newlines_and_control_characters_stay_on_one_line() {
        let cleaned = redact("first\nsecond\r\n\tthird\u{2028}fourth\u{1b}[31m", KEY);
        assert_eq!(cleaned, "first second third fourth [31m");
    }

    #[test]
    fn ordinary_text_and_urls_pass_unchanged() {
        let text = "You can find your API key at https://platform.openai.com/account/api-keys.";
        assert_eq!(redact(text, KEY), text);
        assert_eq!(
            redact("the task-list is empty", KEY),
            "the task-list is empty"
        );
        assert_eq!(
            redact("Rate limit reached for gpt-image-1 in org-1.", KEY),
            "Rate limit reached for gpt-image-1 in org-1."
        );
    }

    #[test]
    fn long_text_is_cut_with_an_ellipsis() {
        let cleaned = redact(&"a".repeat(1000), KEY);
        assert_eq!(cleaned.chars().count(), MAX_CHARS + 1);
        assert!(cleaned.ends_with('…'));
    }
}
