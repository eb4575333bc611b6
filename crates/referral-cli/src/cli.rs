//! The command line: what `wix-referral --help` shows.

use std::path::PathBuf;

use chrono::{DateTime, NaiveDate, Utc};
use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand, ValueEnum};
use referral_domain::{
    ContactId, EventType, FriendStatus, OpenEnum, ReferralAction, ReferralCode, ReferralRewardId,
    ReferredFriendId, ReferringCustomerId, RewardType,
};

/// Manage a Wix referral program from a terminal or a script.
///
/// Credentials come from WIX_API_KEY with WIX_SITE_ID (or WIX_ACCOUNT_ID), from an app's
/// WIX_APP_ID, WIX_APP_SECRET and WIX_INSTANCE_ID, or from a profile in the config directory's
/// wix-referral/config.toml. `--local` works on a local emulator whose state is kept in the data
/// directory instead. `wix-referral demo` shows everything working offline.
#[derive(Debug, Parser)]
#[command(name = "wix-referral", version, propagate_version = true)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub(crate) struct Global {
    /// Any Wix-compatible endpoint (default: https://www.wixapis.com, or WIX_BASE_URL).
    #[arg(long, global = true, value_name = "URL")]
    pub base_url: Option<String>,
    /// A profile of config.toml (default: `default`).
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// Work on the local store (a local emulator server kept in the data directory) instead of
    /// Wix.
    #[arg(long, global = true, conflicts_with = "profile")]
    pub local: bool,
    /// Output: tables for people, JSON or CSV for scripts; `html` (for `report` only) is one
    /// self-contained page with charts.
    #[arg(long, global = true, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    Table,
    Json,
    Csv,
    Html,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// The referral program: show, configure, activate, pause.
    #[command(subcommand)]
    Program(ProgramCommand),
    /// Referring customers: enrol a contact, look one up, list, delete.
    #[command(subcommand)]
    Customers(CustomersCommand),
    /// Referred friends: sign one up with a code, look up, list, change status, delete.
    #[command(subcommand)]
    Friends(FriendsCommand),
    /// Rewards given to customers and friends.
    #[command(subcommand)]
    Rewards(RewardsCommand),
    /// Referral events and the program's statistics.
    #[command(subcommand)]
    Events(EventsCommand),
    /// The program's performance: referrals, top referrers, conversion, rewards.
    Report(ReportArgs),
    /// Webhooks Wix sends.
    #[command(subcommand)]
    Webhooks(WebhooksCommand),
    /// Named credentials in config.toml.
    #[command(subcommand)]
    Profile(ProfileCommand),
    /// Run the local emulator of the Wix Referral API in the foreground.
    Emulator(referral_emulator::EmulatorArgs),
    /// The local server that keeps the local store (started by the first local command).
    #[command(subcommand)]
    Local(LocalCommand),
    /// Print a shell completion script.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// See it all work: an embedded emulator, a realistic dataset, the set-up, enrolment and
    /// signup flows, then the performance report.
    Demo(DemoArgs),
}

#[derive(Debug, Subcommand)]
pub(crate) enum LocalCommand {
    /// Whether the local server runs: its address, process id and store.
    Status,
    /// Stop the local server (the next local command starts it again).
    Stop,
    /// Run the local server in the foreground (local commands start it themselves).
    #[command(hide = true)]
    Serve {
        /// Stop after this many seconds without a request.
        #[arg(long, default_value_t = crate::local::DEFAULT_IDLE.as_secs())]
        idle_secs: u64,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum ProgramCommand {
    /// Show the program.
    Show,
    /// Apply a configuration (TOML or JSON: name, rewards, successful actions, emails).
    Configure {
        /// The configuration file.
        file: PathBuf,
    },
    /// Print the JSON Schema of the configuration file, for editors to validate and complete
    /// `program.toml` or `program.json`.
    Schema,
    /// Make the program live.
    Activate,
    /// Pause the program.
    Pause,
}

/// How many items a listing prints.
#[derive(Debug, Clone, Copy, Args)]
pub(crate) struct Limit {
    /// Print the first N only (a listing walks every page otherwise).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub limit: Option<u32>,
}

impl Limit {
    /// The page size to ask for: no more than the listing prints, at most a Wix page.
    pub(crate) fn page_size(self) -> u32 {
        self.limit.map_or(100, |n| n.min(100))
    }

    /// How many items to take from the stream.
    pub(crate) fn items(self) -> usize {
        self.limit.map_or(usize::MAX, |n| n as usize)
    }
}

/// The order of `friends list`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum FriendOrder {
    /// Oldest first.
    Created,
    /// By referring customer, then oldest first.
    Customer,
}

#[derive(Debug, Subcommand)]
pub(crate) enum CustomersCommand {
    /// Make a contact a referring customer (or show the one it is) and print its code.
    Enroll {
        /// The contact's id (a GUID).
        contact: ContactId,
    },
    /// Show a referring customer.
    Get {
        /// The referring customer's id (a GUID).
        id: ReferringCustomerId,
    },
    /// Find the referring customer of a referral code.
    Find {
        /// The referral code (12 letters and digits).
        code: ReferralCode,
    },
    /// List referring customers, oldest first.
    List {
        /// Only the customer of this referral code (the signup check of Wix's Sample Flows).
        #[arg(long)]
        code: Option<ReferralCode>,
        /// Only the customer of this contact.
        #[arg(long, value_name = "ID")]
        contact: Option<ContactId>,
        #[command(flatten)]
        limit: Limit,
    },
    /// Delete a referring customer.
    Delete {
        /// The referring customer's id (a GUID).
        id: ReferringCustomerId,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum FriendsCommand {
    /// A friend signs up with a referral code.
    Signup {
        /// The referral code the friend gave.
        #[arg(long)]
        code: ReferralCode,
        /// The friend's contact id (a GUID).
        #[arg(long)]
        contact: ContactId,
    },
    /// Show a referred friend.
    Get {
        /// The referred friend's id (a GUID).
        id: ReferredFriendId,
    },
    /// List referred friends, oldest first.
    List {
        /// Only the friends of this referring customer.
        #[arg(long, value_name = "ID")]
        customer: Option<ReferringCustomerId>,
        /// Only the friend of this contact, if it is one (Get Referred Friend By Contact).
        #[arg(long, value_name = "ID", conflicts_with = "customer")]
        contact: Option<ContactId>,
        /// The order: by creation, or by referring customer (to count each one's referrals).
        #[arg(long, value_enum, default_value_t = FriendOrder::Created)]
        sort: FriendOrder,
        #[command(flatten)]
        limit: Limit,
    },
    /// The friend did one of the program's actions, such as placing an order (the local store
    /// or an emulator only: it is what a store tells Wix, not a Wix API call).
    Order {
        /// The friend's contact id (a GUID).
        #[arg(long)]
        contact: ContactId,
        /// What the friend did.
        #[arg(long, value_parser = known::<ReferralAction>(), default_value = "STORE_ORDER_PLACED")]
        action: ReferralAction,
        /// The amount paid, such as 25.00.
        #[arg(long)]
        amount: Option<String>,
        /// Its currency (ISO 4217, such as USD).
        #[arg(long)]
        currency: Option<String>,
        /// The store's order id: an order told twice is recorded once.
        #[arg(long = "order-id", value_name = "ID")]
        order_id: Option<String>,
    },
    /// Change a referred friend's status.
    SetStatus {
        /// The referred friend's id (a GUID).
        id: ReferredFriendId,
        /// The new status.
        #[arg(value_parser = known::<FriendStatus>())]
        status: FriendStatus,
    },
    /// Delete a referred friend.
    Delete {
        /// The referred friend's id (a GUID).
        id: ReferredFriendId,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum RewardsCommand {
    /// Show a reward.
    Get {
        /// The reward's id (a GUID).
        id: ReferralRewardId,
    },
    /// The receiver used the reward's coupon at checkout: it becomes APPLIED (the local store or
    /// an emulator only).
    Redeem {
        /// The reward's id (a GUID).
        id: ReferralRewardId,
    },
    /// List rewards, oldest first.
    List {
        /// Only rewards given since (YYYY-MM-DD or RFC 3339).
        #[arg(long, value_parser = parse_since)]
        since: Option<DateTime<Utc>>,
        /// Only rewards of this type.
        #[arg(long = "type", value_name = "TYPE", value_parser = known::<RewardType>())]
        reward_type: Option<RewardType>,
        #[command(flatten)]
        limit: Limit,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum EventsCommand {
    /// List referral events, oldest first.
    List {
        /// Only events of this kind.
        #[arg(long = "type", value_name = "TYPE", value_parser = known::<EventType>())]
        event_type: Option<EventType>,
        #[command(flatten)]
        limit: Limit,
    },
    /// The program's statistics.
    Stats,
}

#[derive(Debug, Args)]
pub(crate) struct ReportArgs {
    /// Only what was created since (YYYY-MM-DD or RFC 3339).
    #[arg(long, value_parser = parse_since)]
    pub since: Option<DateTime<Utc>>,
    /// How many top referrers to show (0 to 1000; each costs one read for its code).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(0..=1000))]
    pub top: u16,
    /// Write the report to FILE instead of standard output (with `--format html`, a page to
    /// open in a browser).
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum WebhooksCommand {
    /// Verify a webhook body (the JWT Wix POSTs) and print its typed event.
    Verify {
        /// The app's public key (PEM file).
        #[arg(long, value_name = "PEM")]
        key: PathBuf,
        /// The webhook body; `-` for standard input.
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum ProfileCommand {
    /// Save the credentials of the WIX_* variables (and --base-url) as a profile, in a file only
    /// you can read.
    Save {
        /// The profile's name.
        #[arg(default_value = "default")]
        name: String,
    },
    /// List the profiles (names, kinds and sites; never secrets).
    List,
}

#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// Inject faults (429s, empty 5xx, dropped connections, lost responses) and show what the
    /// SDK did about them.
    #[arg(long)]
    pub chaos: bool,
    /// Referring customers to seed.
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub customers: u32,
    /// Friends per seeded customer.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(0..=100))]
    pub friends: u32,
    /// Seed of the dataset and of the faults.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

/// The values of an open enum this SDK knows, listed in `--help`; any other is a usage error
/// (a value Wix adds later is still shown when read, but not offered as an argument).
fn known<T: OpenEnum + Send + Sync>() -> impl TypedValueParser<Value = T> {
    PossibleValuesParser::new(T::KNOWN.iter().map(|v| v.as_str()))
        .map(|name| name.parse::<T>().unwrap_or_else(|never| match never {}))
}

/// `YYYY-MM-DD` (midnight UTC) or an RFC 3339 instant.
fn parse_since(text: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return date
            .and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc())
            .ok_or_else(|| format!("{text:?} is not a date"));
    }
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| format!("{text:?} is neither YYYY-MM-DD nor an RFC 3339 instant"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_days_or_instants() {
        let cases = [
            ("2024-01-01", Some("2024-01-01T00:00:00+00:00")),
            ("2024-01-01T10:30:00Z", Some("2024-01-01T10:30:00+00:00")),
            ("2024-02-30", None),
            ("yesterday", None),
            ("", None),
        ];
        for (text, expected) in cases {
            assert_eq!(
                parse_since(text).ok().map(|d| d.to_rfc3339()),
                expected.map(str::to_owned),
                "{text}"
            );
        }
    }
}
