//! Decoding an API request's JSON with errors a person can act on. serde's own messages name our
//! Rust types ("invalid type: null, expected struct GenerateRequest") and say nothing about where
//! in the body the problem is; these name the field by its JSON path and the kind of value wanted.

use serde::de::DeserializeOwned;

/// `Err` carries the JSON path of the bad field ("request.seed", or "body" for the whole body)
/// and a sentence about it.
pub fn decode_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, (String, String)> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let field = if path == "." || path.is_empty() {
            BODY.to_string()
        } else {
            path
        };
        let message = describe(&field, error.inner());
        (field, message)
    })?;
    // Bytes after the value ("trailing characters").
    deserializer
        .end()
        .map_err(|error| (BODY.to_string(), describe(BODY, &error)))?;
    Ok(value)
}

/// The field name used when the problem is the body as a whole.
const BODY: &str = "body";

fn describe(field: &str, error: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let position = format!("line {}, column {}", error.line(), error.column());
    match error.classify() {
        Category::Eof => {
            format!("The request body is not complete JSON: it ends early ({position}).")
        }
        Category::Syntax | Category::Io => {
            let what = without_position(&error.to_string());
            format!("The request body is not valid JSON: {what} ({position}).")
        }
        Category::Data => describe_data(field, &without_position(&error.to_string())),
    }
}

/// serde_json appends " at line L column C"; we say it our way.
fn without_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(cut) => message[..cut].to_string(),
        None => message.to_string(),
    }
}

fn describe_data(field: &str, message: &str) -> String {
    if let Some(rest) = message.strip_prefix("missing field `") {
        let name = rest.split('`').next().unwrap_or_default();
        let full = if field == "body" {
            name.to_string()
        } else {
            format!("{field}.{name}")
        };
        return format!("The request is missing the field \"{full}\".");
    }
    let mismatch = message
        .strip_prefix("invalid type: ")
        .or_else(|| message.strip_prefix("invalid value: "))
        .and_then(|rest| rest.split_once(", expected "));
    let subject = if field == BODY {
        "The request body".to_string()
    } else {
        format!("\"{field}\"")
    };
    match mismatch {
        Some((got, expected)) => format!(
            "{subject} must be {}, not {}.",
            wanted(expected),
            found(got)
        ),
        None => format!("{subject} has a value this server cannot use."),
    }
}

/// serde's "expected …" in words, without Rust type names.
fn wanted(expected: &str) -> String {
    let expected = expected.trim();
    let unsigned_max = match expected {
        "u64" | "a u64" => Some(u64::MAX as u128),
        "u32" | "a u32" => Some(u32::MAX as u128),
        "u16" | "a u16" => Some(u16::MAX as u128),
        "u8" | "a u8" => Some(u8::MAX as u128),
        "usize" => Some(usize::MAX as u128),
        _ => None,
    };
    if let Some(max) = unsigned_max {
        return format!("a whole number from 0 to {max}");
    }
    if expected.starts_with("struct ") || expected.contains("map") {
        "an object".into()
    } else if expected.contains("string") {
        "text".into()
    } else if expected.contains("sequence") {
        "a list".into()
    } else if expected.contains("bool") {
        "true or false".into()
    } else if expected.starts_with("option") {
        "a value or null".into()
    } else {
        "a different kind of value".into()
    }
}

/// serde's description of what it found: `null`, `string "x"`, `integer `-1``, `map`, ….
fn found(got: &str) -> String {
    let kind = got.split([' ', '`', '"']).next().unwrap_or_default();
    match kind {
        "null" | "unit" => "null".into(),
        "string" | "char" => "text".into(),
        "integer" => {
            let value = got.trim_start_matches("integer").trim().trim_matches('`');
            format!("the number {value}")
        }
        "floating" => "a number with a fraction".into(),
        "boolean" => "true or false".into(),
        "map" => "an object".into(),
        "sequence" => "a list".into(),
        _ => "that".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::GenerateImage;

    fn error_of(body: &str) -> (String, String) {
        decode_json::<GenerateImage>(body.as_bytes()).unwrap_err()
    }

    const GOOD: &str = r#"{"request":{"request_id":"a","engine":"offline","prompt":"p","size":"512x512","quality":null,"seed":1,"refinements":[],"parent":null}}"#;

    #[test]
    fn a_valid_body_decodes() {
        assert!(decode_json::<GenerateImage>(GOOD.as_bytes()).is_ok());
    }

    #[test]
    fn null_request_names_the_field_and_the_wanted_shape() {
        let (field, message) = error_of(r#"{"request":null}"#);
        assert_eq!(field, "request");
        assert_eq!(message, "\"request\" must be an object, not null.");
    }

    #[test]
    fn a_seed_too_large_for_json_numbers_is_a_syntax_error_in_words() {
        let (field, message) = error_of(&GOOD.replace("\"seed\":1", "\"seed\":1e400"));
        assert_eq!(field, "request.seed");
        assert!(
            message.starts_with("The request body is not valid JSON: number out of range"),
            "{message}"
        );
    }

    #[test]
    fn a_negative_seed_says_what_numbers_are_allowed() {
        let (field, message) = error_of(&GOOD.replace("\"seed\":1", "\"seed\":-1"));
        assert_eq!(field, "request.seed");
        assert_eq!(
            message,
            "\"request.seed\" must be a whole number from 0 to 18446744073709551615, not the number -1."
        );
    }

    #[test]
    fn a_missing_field_is_named_with_its_path() {
        let (field, message) = error_of(&GOOD.replace("\"prompt\":\"p\",", ""));
        assert_eq!(field, "request");
        assert_eq!(
            message,
            "The request is missing the field \"request.prompt\"."
        );
    }

    #[test]
    fn wrong_types_inside_lists_name_the_index() {
        let (field, message) = error_of(&GOOD.replace("\"refinements\":[]", "\"refinements\":[5]"));
        assert_eq!(field, "request.refinements[0]");
        assert_eq!(
            message,
            "\"request.refinements[0]\" must be text, not the number 5."
        );
    }

    #[test]
    fn broken_json_and_trailing_bytes_are_syntax_errors() {
        assert!(error_of("{\"request\":").1.contains("ends early"));
        assert!(error_of(&format!("{GOOD} x"))
            .1
            .contains("trailing characters"));
        assert_eq!(
            error_of("null").1,
            "The request body must be an object, not null."
        );
    }

    #[test]
    fn invalid_utf8_is_refused_in_words() {
        let mut body = GOOD.as_bytes().to_vec();
        let at = GOOD.find("\"p\"").unwrap() + 1;
        body[at] = 0xff;
        let (_, message) = decode_json::<GenerateImage>(&body).unwrap_err();
        assert!(
            message.starts_with("The request body is not valid JSON"),
            "{message}"
        );
    }

    mod fuzz {
        //! Property tests over the request decoding and validation: whatever a client sends, the
        //! answer is a decoded request or an explanation in words, never a panic or a type name.
        use super::super::decode_json;
        use crate::api::GenerateImage;
        use crate::model::{validate_request, EngineInfo};
        use proptest::prelude::*;
        use serde_json::{json, Value};

        fn assert_plain_words(message: &str) {
            for internal in [
                "GenerateImage",
                "GenerateRequest",
                "ParentImage",
                "struct ",
                "u64",
                "Option<",
            ] {
                assert!(!message.contains(internal), "{internal} in {message:?}");
            }
            assert!(message.ends_with('.'), "not a sentence: {message:?}");
        }

        fn any_json() -> impl Strategy<Value = Value> {
            let leaf = prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::from),
                any::<i64>().prop_map(Value::from),
                any::<f64>().prop_map(Value::from),
                ".{0,40}".prop_map(Value::from),
            ];
            leaf.prop_recursive(3, 24, 4, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
                    prop::collection::btree_map("[a-z_]{1,12}", inner, 0..4)
                        .prop_map(|m| Value::Object(m.into_iter().collect())),
                ]
            })
        }

        const FIELDS: [&str; 8] = [
            "request_id",
            "engine",
            "prompt",
            "size",
            "quality",
            "seed",
            "refinements",
            "parent",
        ];

        fn offline_engine() -> EngineInfo {
            crate::model::test_support::engine("offline", "Offline engine", "m", &["512x512"], &[])
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            #[test]
            fn arbitrary_bytes_are_decoded_or_explained(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
                if let Err((_, message)) = decode_json::<GenerateImage>(&bytes) {
                    assert_plain_words(&message);
                }
            }

            #[test]
            fn requests_with_any_field_replaced_are_decoded_or_explained(
                field in 0..FIELDS.len(),
                value in any_json(),
            ) {
                let mut body = json!({"request": {
                    "request_id": "a", "engine": "offline", "prompt": "p", "size": "512x512",
                    "quality": null, "seed": 1, "refinements": [], "parent": null
                }});
                body["request"][FIELDS[field]] = value;
                match decode_json::<GenerateImage>(body.to_string().as_bytes()) {
                    Err((path, message)) => {
                        prop_assert!(path.starts_with("request"), "{path}");
                        assert_plain_words(&message);
                    }
                    Ok(decoded) => {
                        if let Err(error) = validate_request(&decoded.request, &offline_engine()) {
                            prop_assert_eq!(error.http_status(), 400);
                            prop_assert!(error.to_string().len() < 400, "{}", error);
                        }
                    }
                }
            }
        }
    }
}
