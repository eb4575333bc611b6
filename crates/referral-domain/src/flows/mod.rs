//! The documented flows of the Wix "Referral Program APIs: Sample Flows" article, each generic
//! over the service traits, so that it runs on [`crate::WixReferralClient`], on the emulator and
//! on mocks alike.
//!
//! 1. [`set_up_program`]: configure the program and activate it; converges when run twice.
//! 2. [`enroll_referring_customer`]: create-or-return a referring customer for a contact.
//! 3. [`process_friend_signup`]: validate a code and link the friend, exactly once.
//! 4. [`performance_report`]: the program's numbers, streamed in bounded memory.

mod enroll;
mod performance;
#[cfg(feature = "html")]
mod report_html;
mod set_up;
mod signup;

pub use enroll::enroll_referring_customer;
pub use performance::{
    MAX_REPORT_WEEKS, PerformanceReport, ReferrerLabel, ReportBuilder, ReportOptions,
    ReportProgress, RewardCounts, TopReferrer, WeekCount, performance_report,
    performance_report_observed, top_referrer_labels,
};
#[cfg(feature = "html")]
pub use report_html::ReportPage;
pub use set_up::{ProgramConfig, set_up_program};
pub use signup::{SignupOutcome, process_friend_signup};
