//! Any bytes as a response body: the SDK's decoding and conversion into its types ends in a value
//! or an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use referral_domain::api::types as api;

fn decode<W: serde::de::DeserializeOwned, T: From<W>>(data: &[u8]) {
    if let Ok(wire) = serde_json::from_slice::<W>(data) {
        let _typed: T = wire.into();
    }
}

fuzz_target!(|data: &[u8]| {
    decode::<api::ReferralProgram, referral_domain::Program>(data);
    decode::<api::ReferringCustomer, referral_domain::ReferringCustomer>(data);
    decode::<api::ReferredFriend, referral_domain::ReferredFriend>(data);
    decode::<api::ReferralReward, referral_domain::ReferralReward>(data);
    decode::<api::ReferralEvent, referral_domain::ReferralEvent>(data);
    decode::<api::ReferringCustomerTotal, referral_domain::ReferringCustomerTotal>(data);
    decode::<api::ReferredFriendAction, referral_domain::ReferredFriendAction>(data);
    decode::<api::GetReferralStatisticsResponse, referral_domain::ReferralStatistics>(data);
});
