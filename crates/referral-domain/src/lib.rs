#![doc = include_str!("../README.md")]

/// The generated low-level client this crate wraps.
pub use referral_api as api;
