//! Typed access to request fields, the same for a JSON object and for
//! multipart form fields (where numbers and booleans travel as text).
//! Providers turn a [`WrongType`] into their own error wording.

use serde_json::{Map, Value};

use crate::payload::Part;

#[derive(Clone, Copy)]
pub(crate) enum Fields<'a> {
    Json(&'a Map<String, Value>),
    Form(&'a [Part]),
}

/// The kinds of value a field can be asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    String,
    Integer,
    Number,
    Boolean,
    Object,
    Array,
}

impl Kind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::String => "string",
            Kind::Integer => "integer",
            Kind::Number => "number",
            Kind::Boolean => "boolean",
            Kind::Object => "object",
            Kind::Array => "array",
        }
    }
}

/// A field's raw value.
enum Given<'a> {
    Json(&'a Value),
    Text(&'a str),
    File,
}

impl Given<'_> {
    fn type_name(&self) -> &'static str {
        match self {
            Given::Json(value) => json_type(value),
            Given::Text(_) => "string",
            Given::File => "file",
        }
    }

    /// The value as it appeared on the wire.
    fn quoted(&self) -> String {
        match self {
            Given::Json(value) => value.to_string(),
            Given::Text(text) => (*text).to_owned(),
            Given::File => "<file>".to_owned(),
        }
    }
}

pub(crate) fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(number) if number.is_i64() || number.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Why a field was refused; each provider words it its own way.
#[derive(Debug, PartialEq)]
pub(crate) struct Problem {
    pub field: String,
    pub issue: Issue,
}

#[derive(Debug, PartialEq)]
pub(crate) enum Issue {
    Missing,
    /// A field the endpoint does not take.
    Unknown,
    WrongType {
        expected: Kind,
        /// JSON-schema type name of what came (`file` for an upload).
        given_type: &'static str,
        /// What came, as sent.
        given: String,
    },
    NotAllowed {
        value: String,
        allowed: Vec<&'static str>,
    },
    BelowMin {
        value: f64,
        min: f64,
    },
    AboveMax {
        value: f64,
        max: f64,
    },
    /// Anything else, already worded.
    Invalid(String),
}

impl Problem {
    pub(crate) fn new(field: &str, issue: Issue) -> Problem {
        Problem {
            field: field.to_owned(),
            issue,
        }
    }
}

type Result<T> = std::result::Result<T, Problem>;

impl<'a> Fields<'a> {
    /// Distinct field names in the order they came.
    pub(crate) fn names(&self) -> Vec<&'a str> {
        let mut names: Vec<&str> = match self {
            Fields::Json(map) => map.keys().map(String::as_str).collect(),
            Fields::Form(parts) => parts.iter().map(|part| part.name.as_str()).collect(),
        };
        let mut seen = std::collections::HashSet::new();
        names.retain(|name| seen.insert(*name));
        names
    }

    /// Whether the field is there (JSON null counts as absent).
    pub(crate) fn has(&self, name: &str) -> bool {
        self.raw(name).is_some()
    }

    fn raw(&self, name: &str) -> Option<Given<'a>> {
        match self {
            Fields::Json(map) => map
                .get(name)
                .filter(|value| !value.is_null())
                .map(Given::Json),
            Fields::Form(parts) => {
                parts
                    .iter()
                    .find(|part| part.name == name)
                    .map(|part| match part.text() {
                        Some(text) => Given::Text(text),
                        None => Given::File,
                    })
            }
        }
    }

    pub(crate) fn str(&self, name: &str) -> Result<Option<&'a str>> {
        match self.raw(name) {
            None => Ok(None),
            Some(Given::Json(Value::String(text))) => Ok(Some(text)),
            Some(Given::Text(text)) => Ok(Some(text)),
            Some(given) => Err(wrong(name, Kind::String, given)),
        }
    }

    pub(crate) fn int(&self, name: &str) -> Result<Option<i64>> {
        match self.raw(name) {
            None => Ok(None),
            Some(Given::Json(Value::Number(number))) if number.as_i64().is_some() => {
                Ok(number.as_i64())
            }
            Some(Given::Text(text)) if text.trim().parse::<i64>().is_ok() => {
                Ok(text.trim().parse().ok())
            }
            Some(given) => Err(wrong(name, Kind::Integer, given)),
        }
    }

    pub(crate) fn number(&self, name: &str) -> Result<Option<f64>> {
        match self.raw(name) {
            None => Ok(None),
            Some(Given::Json(Value::Number(number))) => Ok(number.as_f64()),
            Some(Given::Text(text)) if text.trim().parse::<f64>().is_ok() => {
                Ok(text.trim().parse().ok())
            }
            Some(given) => Err(wrong(name, Kind::Number, given)),
        }
    }

    pub(crate) fn bool(&self, name: &str) -> Result<Option<bool>> {
        match self.raw(name) {
            None => Ok(None),
            Some(Given::Json(Value::Bool(flag))) => Ok(Some(*flag)),
            Some(Given::Text("true")) => Ok(Some(true)),
            Some(Given::Text("false")) => Ok(Some(false)),
            Some(given) => Err(wrong(name, Kind::Boolean, given)),
        }
    }

    /// A structured field: the JSON value, or a form field's text parsed as
    /// JSON (how objects travel inside multipart; see Ideogram's palette).
    pub(crate) fn json(&self, name: &str, expected: Kind) -> Result<Option<Value>> {
        let value = match self.raw(name) {
            None => return Ok(None),
            Some(Given::Json(value)) => value.clone(),
            Some(Given::Text(text)) => {
                serde_json::from_str(text).map_err(|_| wrong(name, expected, Given::Text(text)))?
            }
            Some(Given::File) => return Err(wrong(name, expected, Given::File)),
        };
        let matches = match expected {
            Kind::Object => value.is_object(),
            Kind::Array => value.is_array(),
            _ => true,
        };
        if matches {
            Ok(Some(value))
        } else {
            Err(wrong(name, expected, self.raw(name).unwrap_or(Given::File)))
        }
    }

    /// A list of strings: a JSON array; in a form, every `name` or `name[]`
    /// field, or one field holding a JSON array (both encodings occur).
    pub(crate) fn strings(&self, name: &str) -> Result<Vec<String>> {
        match self {
            Fields::Json(_) => match self.raw(name) {
                None => Ok(Vec::new()),
                Some(Given::Json(Value::Array(items))) if items.iter().all(Value::is_string) => {
                    Ok(items
                        .iter()
                        .filter_map(|item| item.as_str().map(str::to_owned))
                        .collect())
                }
                Some(given) => Err(wrong(name, Kind::Array, given)),
            },
            Fields::Form(parts) => {
                let texts: Vec<&str> = parts
                    .iter()
                    .filter(|part| part.name == name || part.name.strip_suffix("[]") == Some(name))
                    .filter_map(Part::text)
                    .collect();
                if let [single] = texts.as_slice() {
                    if single.trim_start().starts_with('[') {
                        return serde_json::from_str(single)
                            .map_err(|_| wrong(name, Kind::Array, Given::Text(single)));
                    }
                }
                Ok(texts.into_iter().map(str::to_owned).collect())
            }
        }
    }

    /// The first field not in `known`, as a problem.
    pub(crate) fn reject_unknown(&self, known: &[&str]) -> Result<()> {
        match self.names().into_iter().find(|name| !known.contains(name)) {
            Some(name) => Err(Problem::new(name, Issue::Unknown)),
            None => Ok(()),
        }
    }

    pub(crate) fn required_str(&self, name: &str) -> Result<&'a str> {
        self.str(name)?
            .ok_or_else(|| Problem::new(name, Issue::Missing))
    }

    /// A string that must be one of `allowed`.
    pub(crate) fn one_of(&self, name: &str, allowed: &[&'static str]) -> Result<Option<&'a str>> {
        match self.str(name)? {
            Some(value) if !allowed.contains(&value) => Err(Problem::new(
                name,
                Issue::NotAllowed {
                    value: value.to_owned(),
                    allowed: allowed.to_vec(),
                },
            )),
            value => Ok(value),
        }
    }

    pub(crate) fn int_in(&self, name: &str, min: i64, max: i64) -> Result<Option<i64>> {
        let value = self.int(name)?;
        if let Some(value) = value {
            in_range(name, value as f64, min as f64, max as f64)?;
        }
        Ok(value)
    }

    pub(crate) fn number_in(&self, name: &str, min: f64, max: f64) -> Result<Option<f64>> {
        let value = self.number(name)?;
        if let Some(value) = value {
            in_range(name, value, min, max)?;
        }
        Ok(value)
    }

    /// File fields called any of `names` (always empty for JSON).
    pub(crate) fn files(&self, names: &[&str]) -> Vec<&'a Part> {
        match self {
            Fields::Json(_) => Vec::new(),
            Fields::Form(parts) => parts
                .iter()
                .filter(|part| part.file_name.is_some() && names.contains(&part.name.as_str()))
                .collect(),
        }
    }
}

pub(crate) fn in_range(name: &str, value: f64, min: f64, max: f64) -> Result<()> {
    if value < min {
        Err(Problem::new(name, Issue::BelowMin { value, min }))
    } else if value > max {
        Err(Problem::new(name, Issue::AboveMax { value, max }))
    } else {
        Ok(())
    }
}

fn wrong(field: &str, expected: Kind, given: Given<'_>) -> Problem {
    Problem::new(
        field,
        Issue::WrongType {
            expected,
            given_type: given.type_name(),
            given: given.quoted(),
        },
    )
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use serde_json::{json, Value};

    use super::{Fields, Issue, Kind, Problem};
    use crate::payload::Part;

    fn part(name: &str, file: Option<&str>, data: &str) -> Part {
        Part {
            name: name.into(),
            file_name: file.map(str::to_owned),
            content_type: None,
            data: Bytes::from(data.to_owned()),
        }
    }

    #[test]
    fn json_fields_are_typed_and_null_is_absent() {
        let body = json!({"n": 2, "q": "hi", "s": true, "x": 1.5, "z": null, "l": ["a"]});
        let Value::Object(map) = &body else {
            unreachable!()
        };
        let fields = Fields::Json(map);
        assert_eq!(fields.int("n").ok(), Some(Some(2)));
        assert_eq!(fields.str("q").ok(), Some(Some("hi")));
        assert_eq!(fields.bool("s").ok(), Some(Some(true)));
        assert_eq!(fields.number("x").ok(), Some(Some(1.5)));
        assert_eq!(fields.int("z").ok(), Some(None));
        assert!(!fields.has("z"));
        assert_eq!(
            fields.int("q"),
            Err(Problem::new(
                "q",
                Issue::WrongType {
                    expected: Kind::Integer,
                    given_type: "string",
                    given: "\"hi\"".into()
                }
            ))
        );
        assert!(fields.int("x").is_err());
        assert_eq!(fields.int_in("n", 1, 4), Ok(Some(2)));
        assert_eq!(
            fields.int_in("n", 3, 4),
            Err(Problem::new(
                "n",
                Issue::BelowMin {
                    value: 2.0,
                    min: 3.0
                }
            ))
        );
        assert!(matches!(
            fields.one_of("q", &["a", "b"]),
            Err(Problem {
                issue: Issue::NotAllowed { .. },
                ..
            })
        ));
        assert_eq!(
            fields.required_str("missing"),
            Err(Problem::new("missing", Issue::Missing))
        );
        assert_eq!(
            fields.reject_unknown(&["n", "q", "s", "x", "z"]),
            Err(Problem::new("l", Issue::Unknown))
        );
    }

    #[test]
    fn form_fields_parse_text_and_collect_repeats() {
        let parts = vec![
            part("n", None, "3"),
            part("stream", None, "true"),
            part("image[]", Some("a.png"), "\u{1}"),
            part("image[]", Some("b.png"), "\u{2}"),
        ];
        let fields = Fields::Form(&parts);
        assert_eq!(fields.int("n").ok(), Some(Some(3)));
        assert_eq!(fields.bool("stream").ok(), Some(Some(true)));
        assert_eq!(fields.files(&["image", "image[]"]).len(), 2);
        assert_eq!(fields.names(), ["n", "stream", "image[]"]);
        assert!(matches!(
            fields.str("image[]"),
            Err(Problem {
                issue: Issue::WrongType {
                    given_type: "file",
                    ..
                },
                ..
            })
        ));
    }

    #[test]
    fn structured_fields_from_json_and_from_forms() {
        let body = json!({"l": ["a"], "o": {"k": 1}});
        let Value::Object(map) = &body else {
            unreachable!()
        };
        let json_fields = Fields::Json(map);
        assert_eq!(json_fields.strings("l").ok(), Some(vec!["a".to_owned()]));
        assert_eq!(
            json_fields.json("o", Kind::Object).ok(),
            Some(Some(json!({"k": 1})))
        );
        assert!(json_fields.json("l", Kind::Object).is_err());

        let parts = vec![
            part("style_codes", None, "AAAA0000"),
            part("style_codes", None, "BBBB1111"),
            part("palette", None, r##"{"name":"EMBER"}"##),
            part("n", None, "3"),
        ];
        let form = Fields::Form(&parts);
        assert_eq!(
            form.strings("style_codes").ok(),
            Some(vec!["AAAA0000".to_owned(), "BBBB1111".to_owned()])
        );
        assert_eq!(
            form.json("palette", Kind::Object).ok(),
            Some(Some(json!({"name": "EMBER"})))
        );
        assert!(form.json("n", Kind::Object).is_err());

        let one_json_array = vec![part("style_codes", None, r#"["AAAA0000"]"#)];
        assert_eq!(
            Fields::Form(&one_json_array).strings("style_codes").ok(),
            Some(vec!["AAAA0000".to_owned()])
        );
    }
}
