//! Any text as the CLI's configuration file (`program configure FILE`): parsed into a
//! `ProgramConfig` as TOML and as JSON, exactly as the CLI does, or refused; never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use referral_domain::flows::ProgramConfig;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = toml::from_str::<ProgramConfig>(text);
    let _ = serde_json::from_str::<ProgramConfig>(text);
});
