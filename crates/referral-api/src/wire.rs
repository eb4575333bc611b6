//! Wire types the generator maps spec formats onto.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An int64 as Wix sends it: a JSON string such as `"3"`.
///
/// Wix encodes int64 values (`revision`, `entityEventSequence`) as strings, but one older page
/// types `revision` as an integer, so a JSON number is read too. It is always written as a
/// string.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Int64String(pub i64);

impl Int64String {
    /// Wraps a value.
    pub const fn new(value: i64) -> Self {
        Self(value)
    }

    /// The value.
    pub const fn get(self) -> i64 {
        self.0
    }
}

impl From<i64> for Int64String {
    fn from(value: i64) -> Self {
        Self(value)
    }
}

impl From<Int64String> for i64 {
    fn from(value: Int64String) -> Self {
        value.0
    }
}

impl fmt::Display for Int64String {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A string that is not a base-10 int64.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseInt64Error(String);

impl fmt::Display for ParseInt64Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "expected an int64 (as a string or number), got {:?}",
            self.0
        )
    }
}

impl std::error::Error for ParseInt64Error {}

impl FromStr for Int64String {
    type Err = ParseInt64Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.trim()
            .parse()
            .map(Self)
            .map_err(|_| ParseInt64Error(s.to_owned()))
    }
}

impl TryFrom<&str> for Int64String {
    type Error = ParseInt64Error;

    fn try_from(value: &str) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl Serialize for Int64String {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Int64String {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Int64Visitor;

        impl Visitor<'_> for Int64Visitor {
            type Value = Int64String;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an int64 as a string or a number")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                v.parse().map_err(E::custom)
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Int64String(v))
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                i64::try_from(v)
                    .map(Int64String)
                    .map_err(|_| E::custom(format!("{v} does not fit an int64")))
            }
        }

        deserializer.deserialize_any(Int64Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_strings_and_numbers_and_writes_strings() {
        let cases: &[(&str, Option<i64>)] = &[
            (r#""2""#, Some(2)),
            ("2", Some(2)),
            (r#""-7""#, Some(-7)),
            (r#""9223372036854775807""#, Some(i64::MAX)),
            ("9223372036854775808", None),
            (r#""two""#, None),
            (r#""""#, None),
            ("2.5", None),
            ("null", None),
            ("true", None),
        ];
        for (json, expected) in cases {
            let decoded = serde_json::from_str::<Int64String>(json)
                .ok()
                .map(Int64String::get);
            assert_eq!(decoded, *expected, "decoding {json}");
            if let Some(value) = expected {
                let encoded = serde_json::to_string(&Int64String(*value)).unwrap();
                assert_eq!(encoded, format!("\"{value}\""));
            }
        }
    }

    #[test]
    fn parse_errors_name_the_input() {
        let err = "x1".parse::<Int64String>().unwrap_err();
        assert!(err.to_string().contains("\"x1\""), "{err}");
    }
}
