//! Any bytes as a query body (filter, sort, paging, cursor): the emulator plans it or refuses it
//! with a 400, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use referral_emulator::engine::{CUSTOMER_SCHEMA, FRIEND_SCHEMA, Site};

fuzz_target!(|data: &[u8]| {
    let Ok(query) = serde_json::from_slice::<serde_json::Value>(data) else { return };
    let site = Site::new(Default::default(), Default::default());
    for schema in [&CUSTOMER_SCHEMA, &FRIEND_SCHEMA] {
        if let Err(e) = site.plan(schema, &query, None) {
            assert_eq!(e.status.as_u16(), 400);
        }
    }
});
