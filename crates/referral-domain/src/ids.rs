//! Identifiers and small value types.
//!
//! Values a user builds are checked (`parse`, `FromStr`) and fail with an error naming the rule;
//! values the server sends are taken as they come (the tolerant reader of docs/decisions.md item 27),
//! so an odd id or code never fails a response. `is_well_formed` tells the two apart.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::InvalidInput;

/// Whether `s` is a GUID in its canonical 8-4-4-4-12 hexadecimal form.
pub(crate) fn is_guid(s: &str) -> bool {
    let bytes = s.as_bytes();
    bytes.len() == 36
        && bytes.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// A GUID in lower case (Wix GUIDs compare case-insensitively); anything else as it is.
fn normalized(id: String) -> String {
    if is_guid(&id) && id.bytes().any(|b| b.is_ascii_uppercase()) {
        id.to_ascii_lowercase()
    } else {
        id
    }
}

/// Ids deserialize through `from_server`: the tolerant reader, normalised.
macro_rules! deserialize_via_from_server {
    ($name:ident) => {
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                String::deserialize(deserializer).map(Self::from_server)
            }
        }
    };
}

macro_rules! guid_id {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        ///
        /// GUIDs compare case-insensitively, as Wix's do: an id is kept in lower case.
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        deserialize_via_from_server!($name);

        impl $name {
            /// Checks that `id` is a GUID, as Wix ids are (in either case; kept in lower case).
            pub fn parse(id: impl Into<String>) -> Result<Self, InvalidInput> {
                let id = id.into();
                if is_guid(&id) {
                    Ok(Self(normalized(id)))
                } else {
                    Err(InvalidInput::new(
                        $what,
                        format!("expected a GUID such as 3857d039-b129-4393-b983-947078b6a007, got {id:?}"),
                    ))
                }
            }

            /// An id as the server sent it, unchecked (a GUID in lower case).
            pub(crate) fn from_server(id: String) -> Self {
                Self(normalized(id))
            }

            /// The id, a lower-case GUID.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Whether the id is a GUID (server values are not checked).
            pub fn is_well_formed(&self) -> bool {
                is_guid(&self.0)
            }
        }

        impl FromStr for $name {
            type Err = InvalidInput;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

guid_id!(
    /// Id of a referring customer.
    ReferringCustomerId,
    "referringCustomerId"
);
guid_id!(
    /// Id of a referred friend.
    ReferredFriendId,
    "referredFriendId"
);
guid_id!(
    /// Id of a referral reward.
    ReferralRewardId,
    "referralRewardId"
);
guid_id!(
    /// Id of a referral event.
    ReferralEventId,
    "referralEventId"
);

/// A contact id, or [`ContactId::me`]: the calling member's own contact (member identities only;
/// an admin identity gets a 400 for it). GUIDs compare case-insensitively: kept in lower case.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct ContactId(String);

deserialize_via_from_server!(ContactId);

impl ContactId {
    const ME: &'static str = "me";

    /// The calling member's own contact.
    pub fn me() -> Self {
        Self(Self::ME.to_owned())
    }

    /// `"me"` or a GUID.
    pub fn parse(id: impl Into<String>) -> Result<Self, InvalidInput> {
        let id = id.into();
        if id == Self::ME || is_guid(&id) {
            Ok(Self(normalized(id)))
        } else {
            Err(InvalidInput::new(
                "contactId",
                format!("expected a GUID or \"me\", got {id:?}"),
            ))
        }
    }

    pub(crate) fn from_server(id: String) -> Self {
        Self(normalized(id))
    }

    /// Whether this is the calling member's `me`.
    pub fn is_me(&self) -> bool {
        self.0 == Self::ME
    }

    /// The id as sent: a lower-case GUID or `me`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether it is `me` or a GUID (server values are not checked).
    pub fn is_well_formed(&self) -> bool {
        self.is_me() || is_guid(&self.0)
    }
}

impl FromStr for ContactId {
    type Err = InvalidInput;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for ContactId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ContactId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ContactId({:?})", self.0)
    }
}

/// The code a referring customer shares: 12 ASCII letters and digits when a user builds one.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ReferralCode(String);

impl ReferralCode {
    /// The length of every referral code.
    pub const LEN: usize = 12;

    /// Checks the documented form: exactly 12 ASCII letters and digits.
    pub fn parse(code: impl Into<String>) -> Result<Self, InvalidInput> {
        let code = code.into();
        if Self::well_formed(&code) {
            Ok(Self(code))
        } else {
            Err(InvalidInput::new(
                "referralCode",
                format!(
                    "expected exactly 12 letters and digits, got {} characters",
                    code.chars().count()
                ),
            ))
        }
    }

    pub(crate) fn from_server(code: String) -> Self {
        Self(code)
    }

    fn well_formed(code: &str) -> bool {
        code.len() == Self::LEN && code.bytes().all(|b| b.is_ascii_alphanumeric())
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the code has the documented form (server values are not checked).
    pub fn is_well_formed(&self) -> bool {
        Self::well_formed(&self.0)
    }
}

impl FromStr for ReferralCode {
    type Err = InvalidInput;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for ReferralCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ReferralCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ReferralCode({:?})", self.0)
    }
}

/// An entity's revision: increases by 1 on every write; updates and deletes must send the
/// current one. An int64 that travels as a JSON string.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct Revision(i64);

impl Revision {
    /// A revision with this number.
    pub const fn new(value: i64) -> Self {
        Self(value)
    }

    /// Its number.
    pub const fn get(self) -> i64 {
        self.0
    }

    /// The revision after one more write.
    pub const fn next(self) -> Self {
        Self(self.0.saturating_add(1))
    }
}

impl fmt::Display for Revision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for Revision {
    type Err = InvalidInput;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse()
            .map(Self)
            .map_err(|_| InvalidInput::new("revision", format!("expected an integer, got {s:?}")))
    }
}

impl Serialize for Revision {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Revision {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        referral_api::wire::Int64String::deserialize(deserializer).map(|v| Self(v.0))
    }
}

impl From<referral_api::wire::Int64String> for Revision {
    fn from(value: referral_api::wire::Int64String) -> Self {
        Self(value.0)
    }
}

impl From<Revision> for referral_api::wire::Int64String {
    fn from(value: Revision) -> Self {
        Self(value.0)
    }
}

/// Cursor of the next page of a query: opaque, from the server.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Cursor(String);

impl Cursor {
    /// A cursor that an earlier page returned (for resuming a walk later).
    pub fn new(cursor: impl Into<String>) -> Self {
        Self(cursor.into())
    }

    /// The cursor as the server sent it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Cursor {
    // Cursors can be long: show their start.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown: String = self.0.chars().take(16).collect();
        if shown.len() < self.0.len() {
            write!(f, "Cursor({shown:?}…)")
        } else {
            write!(f, "Cursor({shown:?})")
        }
    }
}

impl AsRef<str> for ContactId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for ReferralCode {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guids_compare_case_insensitively_and_read_in_lower_case() {
        let lower = "3857d039-b129-4393-b983-947078b6a007";
        let upper = "3857D039-B129-4393-B983-947078B6A007";
        let ways: [(&str, ContactId); 4] = [
            ("parse", ContactId::parse(upper).unwrap()),
            ("from_str", upper.parse().unwrap()),
            ("server", ContactId::from_server(upper.to_owned())),
            (
                "serde",
                serde_json::from_value(serde_json::json!(upper)).unwrap(),
            ),
        ];
        for (how, id) in ways {
            assert_eq!(id, ContactId::parse(lower).unwrap(), "{how}");
            assert_eq!(id.as_str(), lower, "{how}");
        }
        assert_eq!(
            ReferredFriendId::parse(upper).unwrap(),
            ReferredFriendId::from_server(lower.to_owned())
        );
        assert_eq!(ReferralEventId::parse(upper).unwrap().to_string(), lower);
        // Not a GUID: kept exactly (a server's odd id, the member's `me`).
        assert_eq!(
            ReferringCustomerId::from_server("AbC".into()).as_str(),
            "AbC"
        );
        assert_eq!(ContactId::parse("me").unwrap(), ContactId::me());
    }

    #[test]
    fn user_built_values_are_checked_and_name_their_field() {
        let guid = "3857d039-b129-4393-b983-947078b6a007";
        assert_eq!(ReferredFriendId::parse(guid).unwrap().as_str(), guid);
        let cases: [(Result<(), InvalidInput>, &str); 7] = [
            (
                ReferredFriendId::parse("nope").map(drop),
                "referredFriendId",
            ),
            (
                ReferringCustomerId::parse("").map(drop),
                "referringCustomerId",
            ),
            (
                ReferralRewardId::parse(guid.replace('-', "_")).map(drop),
                "referralRewardId",
            ),
            (
                ReferralEventId::parse(&guid[1..]).map(drop),
                "referralEventId",
            ),
            (ContactId::parse("you").map(drop), "contactId"),
            (ReferralCode::parse("short").map(drop), "referralCode"),
            (
                ReferralCode::parse("GxpxwAoMqx-8").map(drop),
                "referralCode",
            ),
        ];
        for (result, field) in cases {
            let err = result.unwrap_err();
            assert_eq!(err.violations()[0].field, field, "{err}");
        }
        assert!(ContactId::parse("me").unwrap().is_me());
        assert_eq!(ContactId::me().as_str(), "me");
        assert!(ReferralCode::parse("GxpxwAoMqxH8").is_ok());
    }

    #[test]
    fn server_values_are_kept_as_sent_and_their_oddity_is_visible() {
        let code = ReferralCode::from_server("ABC".into());
        assert!(!code.is_well_formed());
        assert_eq!(code.to_string(), "ABC");
        let id = ReferringCustomerId::from_server("legacy-42".into());
        assert!(!id.is_well_formed());
        assert_eq!(serde_json::to_value(&id).unwrap(), "legacy-42");
    }

    #[test]
    fn revisions_travel_as_strings_and_read_numbers_too() {
        let r: Revision = serde_json::from_value(serde_json::json!("7")).unwrap();
        assert_eq!(r, Revision::new(7));
        let r: Revision = serde_json::from_value(serde_json::json!(7)).unwrap();
        assert_eq!(serde_json::to_value(r).unwrap(), serde_json::json!("7"));
        assert_eq!(r.next().get(), 8);
        assert_eq!("12".parse::<Revision>().unwrap().get(), 12);
        assert_eq!(
            "x".parse::<Revision>().unwrap_err().violations()[0].field,
            "revision"
        );
    }
}
