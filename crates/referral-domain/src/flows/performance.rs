//! Flow 4: track referral program performance.
//!
//! Everything is streamed, one page at a time, and folded into counters: the client's memory
//! does not grow with the number of customers, friends or rewards. Referred friends are read
//! sorted by `referringCustomerId` (as the sample flow does), so each customer's referrals are
//! one run of consecutive friends and only the top N runs are kept.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::fmt;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use futures::TryStreamExt;
use serde::Serialize;

use crate::query::{customers, friends, rewards};
use crate::{
    CouponStatus, Error, FriendStatus, IssuedReward, OptionalExt, ReferralReward, ReferralRewards,
    ReferralRewardsExt, ReferralStatistics, ReferralTracker, ReferredFriend, ReferredFriends,
    ReferredFriendsExt, ReferringCustomer, ReferringCustomerId, ReferringCustomers,
    ReferringCustomersExt, RewardReceiver,
};

/// What [`performance_report`] covers. Defaults: everything since the start, the top 10
/// referrers, pages of 100.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReportOptions {
    /// Only what was created at or after this instant (customers, friends, rewards).
    pub since: Option<DateTime<Utc>>,
    /// How many top referrers to list.
    pub top: usize,
    /// Items per page while streaming (1 to 100).
    pub page_size: u32,
}

impl Default for ReportOptions {
    fn default() -> Self {
        Self {
            since: None,
            top: 10,
            page_size: 100,
        }
    }
}

impl ReportOptions {
    /// Counts only what was created at or after `since` (default: everything).
    pub fn since(mut self, since: DateTime<Utc>) -> Self {
        self.since = Some(since);
        self
    }

    /// How many top referrers to list (default 10; 0 lists none). Memory grows with
    /// `min(top, referring customers)`, never with `top` alone.
    pub fn top(mut self, top: usize) -> Self {
        self.top = top;
        self
    }

    /// Items per page while streaming (default 100, Wix's maximum; 1 to 100).
    pub fn page_size(mut self, page_size: u32) -> Self {
        self.page_size = page_size;
        self
    }
}

/// A referring customer and how many friends they referred.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TopReferrer {
    /// The referring customer.
    pub referring_customer_id: ReferringCustomerId,
    /// Friends they referred.
    pub referrals: u64,
}

/// Rewards counted by kind and by receiver.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RewardCounts {
    /// Every reward counted.
    pub total: u64,
    /// Coupon rewards.
    pub coupons: u64,
    /// Loyalty-points rewards.
    pub loyalty_points: u64,
    /// `NOTHING` rewards.
    pub nothing: u64,
    /// Types this SDK does not know, and rewards that break their one-of.
    pub other: u64,
    /// Rewards received by referring customers.
    pub to_referring_customers: u64,
    /// Rewards received by referred friends.
    pub to_referred_friends: u64,
    /// Rewards whose receiver is missing or doubled.
    pub to_unclear_receivers: u64,
    /// Of the coupons: how many were used.
    pub coupons_applied: u64,
    /// The points of every loyalty reward, added up.
    pub points_given: u64,
}

/// The program's performance (serializable; `Display` prints a readable summary).
///
/// Its JSON (`serde_json::to_string(&report)`): rates and averages are numbers (0 when there is
/// nothing to divide by), money is a decimal string, `since` is RFC 3339 or `null`, and
/// `topReferrers` has at most [`ReportOptions::top`] entries, most referrals first. For example
/// (checked against the type by a test):
///
#[doc = concat!("```json\n", include_str!("performance_report.json"), "```")]
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PerformanceReport {
    /// The start of the period counted ([`ReportOptions::since`]); `None` for everything.
    pub since: Option<DateTime<Utc>>,
    /// Referring customers (created since `since`).
    pub referring_customers: u64,
    /// Referred friends: every referral.
    pub total_referrals: u64,
    /// Customers who referred at least one friend.
    pub customers_who_referred: u64,
    /// `customers_who_referred / referring_customers`.
    pub share_of_customers_who_referred: f64,
    /// Referrals per customer who referred anyone.
    pub referrals_per_referring_customer: f64,
    /// The most referrals of one customer.
    pub most_referrals: u64,
    /// Friends who completed a successful action.
    pub friends_with_completed_actions: u64,
    /// `friends_with_completed_actions / total_referrals`.
    pub conversion_rate: f64,
    /// The top referrers, most referrals first (ties: lower id first).
    pub top_referrers: Vec<TopReferrer>,
    /// The rewards, by kind and by receiver.
    pub rewards: RewardCounts,
    /// Rewards received by referring customers, per referring customer.
    pub average_rewards_per_referring_customer: f64,
    /// The tracker's program-wide statistics (not limited by `since`).
    pub statistics: ReferralStatistics,
    /// Referrals per ISO week, oldest first, with no week left out between the first (the week
    /// of `since`, or of the first referral) and the last: at most [`MAX_REPORT_WEEKS`] weeks,
    /// the newest.
    pub referrals_per_week: Vec<WeekCount>,
    /// Referrals of weeks older than those listed (a period longer than [`MAX_REPORT_WEEKS`]).
    pub referrals_before_listed_weeks: u64,
}

/// The most weeks a report lists (20 years): the weekly counts' memory is bounded by this, never
/// by the number of referrals or the dates a server sends.
pub const MAX_REPORT_WEEKS: usize = 1040;

/// Referrals of one ISO week.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WeekCount {
    /// Such as `2026-W48`.
    pub week: String,
    /// The week's Monday.
    pub starts: NaiveDate,
    /// Referred friends created that week.
    pub referrals: u64,
}

/// Counts referrals per ISO week within [`MAX_REPORT_WEEKS`] of the newest week seen.
#[derive(Default)]
struct Weeks {
    /// Monday → referrals.
    counts: BTreeMap<NaiveDate, u64>,
    /// Referrals of weeks pushed out of the window.
    before: u64,
}

impl Weeks {
    fn monday(date: DateTime<Utc>) -> NaiveDate {
        let day = date.date_naive();
        day - chrono::Days::new(u64::from(day.weekday().num_days_from_monday()))
    }

    fn add(&mut self, created: DateTime<Utc>) {
        let monday = Self::monday(created);
        if let Some((newest, _)) = self.counts.last_key_value()
            && (*newest - monday).num_weeks() >= MAX_REPORT_WEEKS as i64
        {
            self.before += 1;
            return;
        }
        *self.counts.entry(monday).or_default() += 1;
        self.trim();
    }

    /// Drops weeks older than the window of the newest one.
    fn trim(&mut self) {
        while let (Some((oldest, _)), Some((newest, _))) =
            (self.counts.first_key_value(), self.counts.last_key_value())
        {
            if (*newest - *oldest).num_weeks() < MAX_REPORT_WEEKS as i64 {
                break;
            }
            if let Some((_, count)) = self.counts.pop_first() {
                self.before += count;
            }
        }
    }

    /// The weeks from the first (the week of `since` if given) to the newest, zeros included.
    fn into_list(self, since: Option<DateTime<Utc>>) -> (Vec<WeekCount>, u64) {
        let Some((&newest, _)) = self.counts.last_key_value() else {
            return (Vec::new(), self.before);
        };
        let oldest_seen = self.counts.first_key_value().map_or(newest, |(d, _)| *d);
        let first = since
            .map(Self::monday)
            .filter(|since| *since <= oldest_seen)
            .unwrap_or(oldest_seen)
            .max(newest - chrono::Days::new(7 * (MAX_REPORT_WEEKS as u64 - 1)));
        let mut weeks = Vec::new();
        let mut monday = first;
        while monday <= newest {
            let week = monday.iso_week();
            weeks.push(WeekCount {
                week: format!("{}-W{:02}", week.year(), week.week()),
                starts: monday,
                referrals: self.counts.get(&monday).copied().unwrap_or(0),
            });
            monday = monday + chrono::Days::new(7);
        }
        (weeks, self.before)
    }
}

fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// The most heap entries reserved before any are offered.
const PREALLOCATED_TOP: usize = 1024;

/// Keeps the `n` largest runs: a min-heap of at most `n` entries.
struct TopN {
    n: usize,
    heap: BinaryHeap<Reverse<(u64, Reverse<ReferringCustomerId>)>>,
}

impl TopN {
    fn new(n: usize) -> Self {
        // The heap grows with what is offered, never with `n`: any `top` a caller passes, even
        // `usize::MAX`, costs what the data holds.
        Self {
            n,
            heap: BinaryHeap::with_capacity(n.saturating_add(1).min(PREALLOCATED_TOP)),
        }
    }

    fn offer(&mut self, customer: ReferringCustomerId, referrals: u64) {
        if self.n == 0 {
            return;
        }
        self.heap.push(Reverse((referrals, Reverse(customer))));
        if self.heap.len() > self.n {
            self.heap.pop();
        }
    }

    fn into_sorted(self) -> Vec<TopReferrer> {
        let mut top: Vec<TopReferrer> = self
            .heap
            .into_iter()
            .map(|Reverse((referrals, Reverse(id)))| TopReferrer {
                referring_customer_id: id,
                referrals,
            })
            .collect();
        top.sort_by(|a, b| {
            b.referrals
                .cmp(&a.referrals)
                .then_with(|| a.referring_customer_id.cmp(&b.referring_customer_id))
        });
        top
    }
}

/// Counts friends run by run (the stream is sorted by referring customer).
#[derive(Default)]
struct Runs {
    current: Option<(ReferringCustomerId, u64)>,
    customers: u64,
    most: u64,
}

impl Runs {
    /// Counts a friend of `customer`; `false` (and nothing counted) if `customer` sorts before
    /// the current run's: the friends are not sorted, and a run would be split.
    fn add(&mut self, customer: &ReferringCustomerId, top: &mut TopN) -> bool {
        match &mut self.current {
            Some((id, count)) if id == customer => *count += 1,
            Some((id, _)) if customer < id => return false,
            _ => {
                self.finish(top);
                self.current = Some((customer.clone(), 1));
            }
        }
        true
    }

    fn finish(&mut self, top: &mut TopN) {
        if let Some((id, count)) = self.current.take() {
            self.customers += 1;
            self.most = self.most.max(count);
            top.offer(id, count);
        }
    }
}

/// Folds referring customers, referred friends and rewards into a [`PerformanceReport`], one at
/// a time: what [`performance_report`] does with each page it reads, for callers that hold the
/// items already (the emulator's inspector draws a site's report from its own store this way).
/// Its memory is the top referrers and the weeks, never the items.
///
/// Give it the friends sorted by referring customer, as [`performance_report`] asks the server
/// to: a customer's referrals are counted as one run of consecutive friends. Items created before
/// [`ReportOptions::since`] (or with no creation date while `since` is set) are left out, so a
/// server that sends more than it was asked for does not skew the report.
///
/// ```
/// use referral_domain::flows::{ReportBuilder, ReportOptions};
/// use referral_domain::ReferralStatistics;
/// let mut report = ReportBuilder::new(&ReportOptions::default());
/// // report.add_customer(&customer); report.add_friend(&friend); report.add_reward(&reward);
/// let report = report.finish(ReferralStatistics::default());
/// assert_eq!(report.total_referrals, 0);
/// ```
pub struct ReportBuilder {
    since: Option<DateTime<Utc>>,
    referring_customers: u64,
    total_referrals: u64,
    converted: u64,
    top: TopN,
    runs: Runs,
    weeks: Weeks,
    rewards: RewardCounts,
}

impl fmt::Debug for ReportBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReportBuilder")
            .field("since", &self.since)
            .field("referring_customers", &self.referring_customers)
            .field("total_referrals", &self.total_referrals)
            .field("rewards", &self.rewards.total)
            .finish_non_exhaustive()
    }
}

impl ReportBuilder {
    /// An empty report over `options.since` keeping `options.top` referrers (`page_size` is for
    /// streaming and unused here).
    pub fn new(options: &ReportOptions) -> Self {
        Self {
            since: options.since,
            referring_customers: 0,
            total_referrals: 0,
            converted: 0,
            top: TopN::new(options.top),
            runs: Runs::default(),
            weeks: Weeks::default(),
            rewards: RewardCounts::default(),
        }
    }

    /// Whether something created at `created` falls in the period.
    fn in_period(&self, created: Option<DateTime<Utc>>) -> bool {
        match self.since {
            None => true,
            Some(since) => created.is_some_and(|created| created >= since),
        }
    }

    /// Counts a referring customer; `false` if it was created before the period.
    pub fn add_customer(&mut self, customer: &ReferringCustomer) -> bool {
        if !self.in_period(customer.created_date) {
            return false;
        }
        self.referring_customers += 1;
        true
    }

    /// Counts a referral; `Ok(false)` if the friend was created before the period.
    ///
    /// # Errors
    /// [`Error::Unsorted`] when `friend` sorts before the previous one by referring customer:
    /// the report would count a customer twice. Nothing of `friend` is counted then.
    pub fn add_friend(&mut self, friend: &ReferredFriend) -> Result<bool, Error> {
        if !self.in_period(friend.created_date) {
            return Ok(false);
        }
        if !self.runs.add(&friend.referring_customer_id, &mut self.top) {
            return Err(Error::Unsorted {
                entity: "referredFriend",
                field: "referringCustomerId",
                item: self.total_referrals + 1,
            });
        }
        self.total_referrals += 1;
        if let Some(created) = friend.created_date {
            self.weeks.add(created);
        }
        if friend.status == FriendStatus::ActionsCompleted {
            self.converted += 1;
        }
        Ok(true)
    }

    /// Counts a reward by kind and receiver; `false` if it was created before the period.
    pub fn add_reward(&mut self, reward: &ReferralReward) -> bool {
        if !self.in_period(reward.created_date) {
            return false;
        }
        let counts = &mut self.rewards;
        counts.total += 1;
        match &reward.kind {
            IssuedReward::Coupon(coupon) => {
                counts.coupons += 1;
                if coupon.status == Some(CouponStatus::Applied) {
                    counts.coupons_applied += 1;
                }
            }
            IssuedReward::LoyaltyPoints(points) => {
                counts.loyalty_points += 1;
                counts.points_given = counts
                    .points_given
                    .saturating_add(points.points.max(0) as u64);
            }
            IssuedReward::Nothing => counts.nothing += 1,
            _ => counts.other += 1,
        }
        match reward.receiver {
            RewardReceiver::ReferringCustomer(_) => counts.to_referring_customers += 1,
            RewardReceiver::ReferredFriend(_) => counts.to_referred_friends += 1,
            _ => counts.to_unclear_receivers += 1,
        }
        true
    }

    /// The report, with the tracker's program-wide `statistics`.
    pub fn finish(mut self, statistics: ReferralStatistics) -> PerformanceReport {
        self.runs.finish(&mut self.top);
        let (referrals_per_week, referrals_before_listed_weeks) = self.weeks.into_list(self.since);
        let referring_customers = self.referring_customers;
        let total_referrals = self.total_referrals;
        PerformanceReport {
            since: self.since,
            referring_customers,
            total_referrals,
            customers_who_referred: self.runs.customers,
            share_of_customers_who_referred: ratio(self.runs.customers, referring_customers),
            referrals_per_referring_customer: ratio(total_referrals, self.runs.customers),
            most_referrals: self.runs.most,
            friends_with_completed_actions: self.converted,
            conversion_rate: ratio(self.converted, total_referrals),
            top_referrers: self.top.into_sorted(),
            average_rewards_per_referring_customer: ratio(
                self.rewards.to_referring_customers,
                referring_customers,
            ),
            rewards: self.rewards,
            statistics,
            referrals_per_week,
            referrals_before_listed_weeks,
        }
    }
}

/// Who a top referrer is, for a person: their referral code and contact (what
/// [`top_referrer_labels`] finds).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReferrerLabel {
    /// The referral code, or `-` when the customer is gone.
    pub code: String,
    /// The contact id, or `-` when the customer is gone.
    pub contact: String,
}

impl ReferrerLabel {
    /// A referrer known by `code` and `contact`.
    pub fn new(code: impl Into<String>, contact: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            contact: contact.into(),
        }
    }

    /// A referring customer who is gone (deleted since the report was made): `-` and `-`.
    pub fn gone() -> Self {
        Self::new("-", "-")
    }
}

/// The code and contact of each of the report's top referrers, in its order: one read per top
/// referrer (at most [`ReportOptions::top`]); a customer deleted meanwhile is
/// [`ReferrerLabel::gone`].
pub async fn top_referrer_labels<S>(
    service: &S,
    report: &PerformanceReport,
) -> Result<Vec<ReferrerLabel>, Error>
where
    S: ReferringCustomers + ?Sized,
{
    let mut labels = Vec::with_capacity(report.top_referrers.len());
    for top in &report.top_referrers {
        let customer = service
            .get_referring_customer(&top.referring_customer_id)
            .await
            .optional()?;
        labels.push(customer.map_or_else(ReferrerLabel::gone, |c| {
            ReferrerLabel::new(c.referral_code.to_string(), c.contact_id.to_string())
        }));
    }
    Ok(labels)
}

/// Streams customers, friends and rewards and folds them into a [`PerformanceReport`] (with a
/// [`ReportBuilder`]).
///
/// ```no_run
/// # async fn demo(client: referral_domain::WixReferralClient) -> Result<(), referral_domain::Error> {
/// use referral_domain::flows::{self, ReportOptions};
/// let report = flows::performance_report(&client, ReportOptions::default().top(5)).await?;
/// println!("{report}");
/// println!("{}", serde_json::to_string_pretty(&report).unwrap());
/// # Ok(()) }
/// ```
pub async fn performance_report<S>(
    service: &S,
    options: ReportOptions,
) -> Result<PerformanceReport, Error>
where
    S: ReferringCustomers + ReferredFriends + ReferralRewards + ReferralTracker + ?Sized,
{
    performance_report_observed(service, options, |_| {}).await
}

/// How far a running [`performance_report_observed`] is: the stage and the items read in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReportProgress {
    /// Referring customers counted so far.
    Customers(u64),
    /// Referred friends read so far (the tracker's statistics give their total).
    Friends(u64),
    /// Rewards read so far.
    Rewards(u64),
}

/// [`performance_report`], telling `observe` after each item read (for a progress bar).
pub async fn performance_report_observed<S>(
    service: &S,
    options: ReportOptions,
    mut observe: impl FnMut(ReportProgress) + Send,
) -> Result<PerformanceReport, Error>
where
    S: ReferringCustomers + ReferredFriends + ReferralRewards + ReferralTracker + ?Sized,
{
    let since = options.since;
    let mut report = ReportBuilder::new(&options);

    let mut customer_query = customers::query().page_size(options.page_size);
    if let Some(since) = since {
        customer_query = customer_query.filter(customers::created_date().gte(since));
    }
    let mut read = 0u64;
    let mut customers = service.referring_customers_stream(customer_query);
    while let Some(customer) = customers.try_next().await? {
        report.add_customer(&customer);
        read += 1;
        observe(ReportProgress::Customers(read));
    }
    drop(customers);

    let mut friend_query = friends::query()
        .sort(friends::referring_customer_id().asc())
        .page_size(options.page_size);
    if let Some(since) = since {
        friend_query = friend_query.filter(friends::created_date().gte(since));
    }
    let mut read = 0u64;
    let mut friends = service.referred_friends_stream(friend_query);
    while let Some(friend) = friends.try_next().await? {
        report.add_friend(&friend)?;
        read += 1;
        observe(ReportProgress::Friends(read));
    }
    drop(friends);

    let mut reward_query = rewards::query().page_size(options.page_size);
    if let Some(since) = since {
        reward_query = reward_query.filter(rewards::created_date().gte(since));
    }
    let mut read = 0u64;
    let mut stream = service.referral_rewards_stream(reward_query);
    while let Some(reward) = stream.try_next().await? {
        report.add_reward(&reward);
        read += 1;
        observe(ReportProgress::Rewards(read));
    }
    drop(stream);

    Ok(report.finish(service.get_referral_statistics().await?))
}

impl fmt::Display for PerformanceReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pct = |x: f64| format!("{:.1} %", x * 100.0);
        match self.since {
            Some(since) => writeln!(
                f,
                "Referral program performance since {}",
                since.format("%Y-%m-%d %H:%M UTC")
            )?,
            None => writeln!(f, "Referral program performance")?,
        }
        writeln!(
            f,
            "  referring customers        {:>10}",
            self.referring_customers
        )?;
        writeln!(
            f,
            "  referrals (friends)        {:>10}",
            self.total_referrals
        )?;
        writeln!(
            f,
            "  customers who referred     {:>10}  ({} of customers)",
            self.customers_who_referred,
            pct(self.share_of_customers_who_referred)
        )?;
        writeln!(
            f,
            "  referrals per referrer     {:>10.2}  (most: {})",
            self.referrals_per_referring_customer, self.most_referrals
        )?;
        writeln!(
            f,
            "  conversion                 {:>10}  ({} friends with completed actions)",
            pct(self.conversion_rate),
            self.friends_with_completed_actions
        )?;
        let r = &self.rewards;
        writeln!(
            f,
            "  rewards                    {:>10}  ({} coupons, {} applied; {} loyalty, {} points; {} nothing; {} other)",
            r.total,
            r.coupons,
            r.coupons_applied,
            r.loyalty_points,
            r.points_given,
            r.nothing,
            r.other
        )?;
        writeln!(
            f,
            "  rewards by receiver        {:>10}  to customers, {} to friends, {} unclear",
            r.to_referring_customers, r.to_referred_friends, r.to_unclear_receivers
        )?;
        writeln!(
            f,
            "  rewards per customer       {:>10.2}",
            self.average_rewards_per_referring_customer
        )?;
        writeln!(
            f,
            "  tracker: {} sign-ups, {} actions, {} generated",
            self.statistics.total_sign_ups_completed,
            self.statistics.total_actions_completed,
            self.statistics.total_amount_generated.round_dp(2)
        )?;
        // `{:#}` leaves the list out, for callers that draw it themselves.
        if !self.top_referrers.is_empty() && !f.alternate() {
            writeln!(f, "  top referrers")?;
            for (rank, top) in self.top_referrers.iter().enumerate() {
                writeln!(
                    f,
                    "    {:>3}. {}  {:>6}",
                    rank + 1,
                    top.referring_customer_id,
                    top.referrals
                )?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_json_is_the_reports_json() {
        let report = PerformanceReport {
            since: Some("2026-11-01T00:00:00Z".parse().unwrap()),
            referring_customers: 120,
            total_referrals: 300,
            customers_who_referred: 80,
            share_of_customers_who_referred: ratio(80, 120),
            referrals_per_referring_customer: ratio(300, 80),
            most_referrals: 12,
            friends_with_completed_actions: 90,
            conversion_rate: ratio(90, 300),
            top_referrers: vec![TopReferrer {
                referring_customer_id: ReferringCustomerId::from_server(
                    "0b6a5c8e-3c1f-4d6e-9f2a-7d1e2c3b4a50".into(),
                ),
                referrals: 12,
            }],
            rewards: RewardCounts {
                total: 170,
                coupons: 100,
                loyalty_points: 60,
                nothing: 10,
                other: 0,
                to_referring_customers: 80,
                to_referred_friends: 90,
                to_unclear_receivers: 0,
                coupons_applied: 40,
                points_given: 6000,
            },
            average_rewards_per_referring_customer: ratio(80, 120),
            statistics: ReferralStatistics {
                total_sign_ups_completed: 300,
                total_actions_completed: 140,
                total_amount_generated: "12345.67".parse().unwrap(),
            },
            referrals_per_week: vec![
                WeekCount {
                    week: "2026-W44".into(),
                    starts: "2026-10-26".parse().unwrap(),
                    referrals: 120,
                },
                WeekCount {
                    week: "2026-W45".into(),
                    starts: "2026-11-02".parse().unwrap(),
                    referrals: 180,
                },
            ],
            referrals_before_listed_weeks: 0,
        };
        let documented: serde_json::Value =
            serde_json::from_str(include_str!("performance_report.json")).unwrap();
        assert_eq!(serde_json::to_value(&report).unwrap(), documented);
    }

    fn id(n: u32) -> ReferringCustomerId {
        ReferringCustomerId::from_server(format!("c-{n:03}"))
    }

    #[test]
    fn runs_and_top_n_keep_only_the_largest_with_ties_by_id() {
        let sorted_friends = [1, 1, 2, 3, 3, 3, 4, 4, 5, 5, 5];
        let mut top = TopN::new(3);
        let mut runs = Runs::default();
        for customer in sorted_friends {
            assert!(runs.add(&id(customer), &mut top));
        }
        runs.finish(&mut top);
        assert_eq!((runs.customers, runs.most), (5, 3));
        let top: Vec<(String, u64)> = top
            .into_sorted()
            .into_iter()
            .map(|t| (t.referring_customer_id.to_string(), t.referrals))
            .collect();
        assert_eq!(
            top,
            [
                ("c-003".into(), 3),
                ("c-005".into(), 3),
                ("c-001".into(), 2)
            ]
        );
        let mut none = TopN::new(0);
        none.offer(id(1), 9);
        assert!(none.into_sorted().is_empty());
    }

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn weeks_are_iso_weeks_with_the_empty_ones_listed() {
        let mut weeks = Weeks::default();
        // Sunday 2026-11-08 is in W45; Monday 2026-11-09 starts W46; 2027-01-01 is in 2026-W53.
        for date in [
            "2026-11-08T23:59:59Z",
            "2026-11-09T00:00:00Z",
            "2026-11-10T12:00:00Z",
            "2027-01-01T10:00:00Z",
        ] {
            weeks.add(at(date));
        }
        let (list, before) = weeks.into_list(Some(at("2026-10-28T00:00:00Z")));
        assert_eq!(before, 0);
        assert_eq!(
            list.first().unwrap().week,
            "2026-W44",
            "from the week of `since`"
        );
        let count = |name: &str| list.iter().find(|w| w.week == name).unwrap().referrals;
        assert_eq!(
            (count("2026-W44"), count("2026-W45"), count("2026-W46")),
            (0, 1, 2)
        );
        assert_eq!(list.last().unwrap().week, "2026-W53");
        assert_eq!(list.last().unwrap().referrals, 1);
        assert_eq!(list.len(), 10, "W44 to W53, the empty weeks too");
        assert!(
            list.windows(2)
                .all(|w| (w[1].starts - w[0].starts).num_days() == 7)
        );
        assert_eq!(Weeks::default().into_list(None), (Vec::new(), 0));
    }

    #[test]
    fn the_weeks_stay_bounded_whatever_dates_arrive() {
        let mut weeks = Weeks::default();
        weeks.add(at("1990-01-01T00:00:00Z"));
        for year in 2000..2100 {
            weeks.add(at(&format!("{year}-06-01T00:00:00Z")));
        }
        weeks.add(at("1995-01-01T00:00:00Z"));
        assert!(weeks.counts.len() <= MAX_REPORT_WEEKS);
        let (list, before) = weeks.into_list(None);
        // From the oldest week kept (2080) to the newest, every week listed.
        assert!(
            list.len() <= MAX_REPORT_WEEKS && list.len() > 900,
            "{}",
            list.len()
        );
        assert_eq!(list.first().unwrap().starts.year(), 2080);
        let listed: u64 = list.iter().map(|w| w.referrals).sum();
        assert_eq!(
            listed + before,
            102,
            "every referral is counted, listed or before"
        );
        assert_eq!(list.last().unwrap().starts.year(), 2099);
    }

    fn friend(customer: u32, created: Option<&str>, status: FriendStatus) -> ReferredFriend {
        ReferredFriend {
            id: crate::ReferredFriendId::from_server(format!("f-{customer}")),
            contact_id: crate::ContactId::from_server("c".into()),
            referring_customer_id: id(customer),
            status,
            revision: None,
            created_date: created.map(at),
            updated_date: None,
        }
    }

    fn reward(kind: IssuedReward, receiver: RewardReceiver, created: &str) -> ReferralReward {
        ReferralReward {
            id: crate::ReferralRewardId::from_server("r".into()),
            revision: None,
            created_date: Some(at(created)),
            updated_date: None,
            receiver,
            kind,
        }
    }

    #[test]
    fn the_builder_counts_the_period_only_and_refuses_unsorted_friends() {
        use crate::{AwardedPoints, IssuedCoupon, ReferredFriendId};
        let since = at("2026-11-01T00:00:00Z");
        let mut report = ReportBuilder::new(&ReportOptions::default().since(since).top(2));
        let customer = |created: Option<&str>| ReferringCustomer {
            id: id(0),
            contact_id: crate::ContactId::from_server("c".into()),
            referral_code: crate::ReferralCode::from_server("ABCDEFGHIJKL".into()),
            revision: None,
            created_date: created.map(at),
            updated_date: None,
        };
        // (created, counted): before `since`, without a date while `since` is set, at, after.
        for (created, counted) in [
            (Some("2026-10-31T23:59:59Z"), false),
            (None, false),
            (Some("2026-11-01T00:00:00Z"), true),
            (Some("2026-11-20T00:00:00Z"), true),
        ] {
            assert_eq!(
                report.add_customer(&customer(created)),
                counted,
                "{created:?}"
            );
        }
        let in_period = Some("2026-11-02T00:00:00Z");
        for (customer, created, status, counted) in [
            (1, in_period, FriendStatus::ActionsCompleted, true),
            (
                1,
                Some("2026-10-01T00:00:00Z"),
                FriendStatus::SignUpCompleted,
                false,
            ),
            (2, in_period, FriendStatus::SignUpCompleted, true),
            (
                2,
                Some("2026-11-10T00:00:00Z"),
                FriendStatus::ActionsCompleted,
                true,
            ),
            (3, in_period, FriendStatus::SignUpCompleted, true),
        ] {
            assert_eq!(
                report
                    .add_friend(&friend(customer, created, status))
                    .unwrap(),
                counted
            );
        }
        // Customer 1 again after 3: the server ignored the sort.
        let unsorted = report
            .add_friend(&friend(1, in_period, FriendStatus::SignUpCompleted))
            .unwrap_err();
        assert!(
            matches!(
                unsorted,
                Error::Unsorted {
                    entity: "referredFriend",
                    field: "referringCustomerId",
                    item: 5
                }
            ),
            "{unsorted}"
        );
        // ...but a friend before the period is skipped before the order is checked.
        assert!(
            !report
                .add_friend(&friend(
                    1,
                    Some("2026-01-01T00:00:00Z"),
                    FriendStatus::SignUpCompleted
                ))
                .unwrap()
        );

        let friend_id =
            || RewardReceiver::ReferredFriend(ReferredFriendId::from_server("f".into()));
        let customer_id = || RewardReceiver::ReferringCustomer(id(1));
        let coupon = |status| {
            IssuedReward::Coupon(IssuedCoupon {
                id: None,
                code: None,
                status: Some(status),
                specification: None,
            })
        };
        let points = |points| {
            IssuedReward::LoyaltyPoints(AwardedPoints {
                transaction_id: None,
                points,
            })
        };
        let day = "2026-11-03T00:00:00Z";
        for (kind, receiver, created) in [
            (coupon(CouponStatus::Applied), friend_id(), day),
            (coupon(CouponStatus::Active), friend_id(), day),
            (points(i64::MAX), customer_id(), day),
            (points(i64::MAX), customer_id(), day),
            (points(i64::MAX), customer_id(), day),
            (points(-5), customer_id(), day),
            (
                IssuedReward::Nothing,
                RewardReceiver::Inconsistent {
                    referring_customer: None,
                    referred_friend: None,
                },
                day,
            ),
            (
                IssuedReward::Unknown {
                    reward_type: "GIFT".into(),
                },
                friend_id(),
                day,
            ),
            (IssuedReward::Nothing, friend_id(), "2026-10-01T00:00:00Z"),
        ] {
            report.add_reward(&reward(kind, receiver, created));
        }

        let report = report.finish(ReferralStatistics::default());
        assert_eq!(report.since, Some(since));
        assert_eq!(
            (
                report.referring_customers,
                report.total_referrals,
                report.customers_who_referred
            ),
            (2, 4, 3)
        );
        assert_eq!(
            (report.friends_with_completed_actions, report.most_referrals),
            (2, 2)
        );
        assert_eq!(report.conversion_rate, 0.5);
        assert_eq!(report.share_of_customers_who_referred, 1.5);
        let top: Vec<_> = report
            .top_referrers
            .iter()
            .map(|t| (t.referring_customer_id.to_string(), t.referrals))
            .collect();
        assert_eq!(top, [("c-002".to_owned(), 2), ("c-001".to_owned(), 1)]);
        let r = &report.rewards;
        assert_eq!((r.total, r.coupons, r.coupons_applied), (8, 2, 1));
        assert_eq!(
            (r.loyalty_points, r.points_given),
            (4, u64::MAX),
            "points saturate"
        );
        assert_eq!((r.nothing, r.other), (1, 1));
        assert_eq!(
            (
                r.to_referring_customers,
                r.to_referred_friends,
                r.to_unclear_receivers
            ),
            (4, 3, 1)
        );
        assert_eq!(report.average_rewards_per_referring_customer, 2.0);
        let weeks: Vec<_> = report
            .referrals_per_week
            .iter()
            .map(|w| (w.week.as_str(), w.referrals))
            .collect();
        assert_eq!(weeks, [("2026-W44", 0), ("2026-W45", 3), ("2026-W46", 1)]);
    }

    #[test]
    fn ratios_of_nothing_are_zero() {
        assert_eq!(ratio(0, 0), 0.0);
        assert_eq!(ratio(1, 4), 0.25);
    }

    #[test]
    fn any_top_costs_only_what_is_offered() {
        for n in [usize::MAX, 1 << 62, 1_000_000_000_000, 0, 1] {
            let mut top = TopN::new(n);
            assert!(top.heap.capacity() <= PREALLOCATED_TOP, "{n}");
            for i in 0..3u64 {
                top.offer(id(i as u32), i);
            }
            assert_eq!(top.into_sorted().len(), n.min(3), "{n}");
        }
    }
}
