//! Metadata filters: "this key of a message's JSON metadata equals this value", the one rule
//! search filters and retention conditions share.
//!
//! Equality is JSON-typed, so that both backends answer alike whatever their SQL makes of
//! JSON: numbers compare numerically (`1` equals `1.0`), booleans and strings match only their
//! own type (`true` is not `"true"`, `1` is not `"1"`), and `null` matches an explicit null,
//! never a missing key. A value that arrives as text in a URL (`metadata.flag=true`) cannot
//! say which type it means, so it matches the JSON literal it spells *or* the same string.

use serde_json::{Number, Value};

use super::{ids::parse_id, Invalid};

/// The longest metadata key a filter may name, in characters.
pub const MAX_METADATA_KEY_CHARS: usize = 64;

/// A metadata key a filter may name: 1..=[`MAX_METADATA_KEY_CHARS`] of `A-Z a-z 0-9 _ . -`
/// (the identifier rule, so a key is safe inside a JSON path).
pub fn parse_key(raw: &str, field: &str) -> Result<String, Invalid> {
    parse_id(raw, MAX_METADATA_KEY_CHARS, field)
}

/// A JSON scalar a filter compares with.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Null,
    Bool(bool),
    Number(Number),
    Text(String),
}

impl Scalar {
    /// The scalar `value` is; objects and arrays are not scalars.
    fn of(value: &Value) -> Option<Self> {
        match value {
            Value::Null => Some(Self::Null),
            Value::Bool(b) => Some(Self::Bool(*b)),
            Value::Number(n) => Some(Self::Number(n.clone())),
            Value::String(s) => Some(Self::Text(s.clone())),
            Value::Array(_) | Value::Object(_) => None,
        }
    }

    /// The value as JSON text (`true`, `1.5`, `"x"`, `null`).
    pub fn to_json(&self) -> String {
        match self {
            Self::Null => "null".into(),
            Self::Bool(b) => b.to_string(),
            Self::Number(n) => n.to_string(),
            Self::Text(s) => Value::String(s.clone()).to_string(),
        }
    }
}

/// `metadata.<key>` equals one of `accepts` (one value, or two for text from a URL).
#[derive(Debug, Clone, PartialEq)]
pub struct MetadataFilter {
    pub key: String,
    pub accepts: Vec<Scalar>,
}

impl MetadataFilter {
    /// A filter from JSON (a request body, a stored rule): the value with its own type.
    /// `field` names the filter in errors (`metadata`, `conditions.filters.metadata.k`).
    pub fn typed(key: &str, value: &Value, field: &str) -> Result<Self, Invalid> {
        let key = parse_key(key, field)?;
        let scalar = Scalar::of(value)
            .ok_or_else(|| Invalid::new(field, "must be a string, number, boolean or null"))?;
        Ok(Self {
            key,
            accepts: vec![scalar],
        })
    }

    /// A filter from text that cannot carry a type (a URL's query string): the JSON literal
    /// the text spells, if it spells a scalar, or else — and also — the text as a string.
    pub fn spelled(key: &str, text: &str, field: &str) -> Result<Self, Invalid> {
        let key = parse_key(key, field)?;
        let mut accepts = Vec::with_capacity(2);
        if let Some(literal) = serde_json::from_str::<Value>(text)
            .ok()
            .as_ref()
            .and_then(Scalar::of)
        {
            accepts.push(literal);
        }
        let as_text = Scalar::Text(text.to_owned());
        if !accepts.contains(&as_text) {
            accepts.push(as_text);
        }
        Ok(Self { key, accepts })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_typed_filter_keeps_the_value_s_own_type() {
        let f = MetadataFilter::typed("flag", &json!(true), "metadata").unwrap();
        assert_eq!(f.accepts, vec![Scalar::Bool(true)]);
        let f = MetadataFilter::typed("n", &json!("1"), "metadata").unwrap();
        assert_eq!(f.accepts, vec![Scalar::Text("1".into())]);
        let f = MetadataFilter::typed("gone", &Value::Null, "metadata").unwrap();
        assert_eq!(f.accepts, vec![Scalar::Null]);
    }

    #[test]
    fn text_from_a_url_matches_the_literal_it_spells_or_the_same_string() {
        let accepts = |t: &str| MetadataFilter::spelled("k", t, "metadata").unwrap().accepts;
        assert_eq!(
            accepts("true"),
            vec![Scalar::Bool(true), Scalar::Text("true".into())]
        );
        assert_eq!(
            accepts("1.5"),
            vec![
                Scalar::Number(Number::from_f64(1.5).unwrap()),
                Scalar::Text("1.5".into())
            ]
        );
        assert_eq!(
            accepts("null"),
            vec![Scalar::Null, Scalar::Text("null".into())]
        );
        assert_eq!(accepts("blue"), vec![Scalar::Text("blue".into())]);
        // A quoted string spells that string; the quotes themselves are also a string.
        assert_eq!(
            accepts("\"blue\""),
            vec![Scalar::Text("blue".into()), Scalar::Text("\"blue\"".into())]
        );
        // An object is no scalar: only the text itself.
        assert_eq!(accepts("{}"), vec![Scalar::Text("{}".into())]);
    }

    #[test]
    fn objects_arrays_and_unusable_keys_are_refused_naming_the_field() {
        let err =
            MetadataFilter::typed("k", &json!([1]), "conditions.filters.metadata.k").unwrap_err();
        assert_eq!(err.field, "conditions.filters.metadata.k");
        let err = MetadataFilter::typed("a b", &json!(1), "metadata").unwrap_err();
        assert_eq!(err.field, "metadata");
        let long = "k".repeat(MAX_METADATA_KEY_CHARS + 1);
        assert!(MetadataFilter::spelled(&long, "x", "metadata").is_err());
    }

    #[test]
    fn scalars_print_as_json() {
        assert_eq!(Scalar::Text("a\"b".into()).to_json(), r#""a\"b""#);
        assert_eq!(Scalar::Null.to_json(), "null");
        assert_eq!(Scalar::Number(Number::from(3)).to_json(), "3");
    }
}
