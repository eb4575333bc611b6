//! A friend's actions, the rewards and events they cause, and the statistics (docs/decisions.md items 18–21).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use rand::Rng;
use serde_json::{Value, json};
use uuid::Uuid;

use super::*;
use crate::error::{ApiError, ApiResult};
use crate::table::IndexKey;

impl Site {
    pub fn record_action(
        &mut self,
        action: &FriendAction,
        rng: &mut impl Rng,
        at: DateTime<Utc>,
    ) -> ApiResult<ActionOutcome> {
        let friend = self
            .friends
            .find("contactId", &IndexKey::Id(action.contact))
            .cloned()
            .ok_or_else(|| {
                ApiError::not_found("referred friend for contact", &action.contact.to_string())
            })?;
        let action_index = action_index(&action.action).ok_or_else(|| {
            ApiError::invalid(
                "action",
                &format!("{:?} is not a referral action", action.action),
            )
        })?;
        let amount_cents = action.amount_cents;
        let mut outcome = ActionOutcome::default();
        // An order told twice (a retried webhook of the store, say) is recorded once.
        if let Some(order) = &action.order_id
            && self
                .friend_actions
                .get(&friend.meta.id)
                .is_some_and(|fa| fa.order_ids.contains(order))
        {
            outcome.notes.push(format!(
                "order {order:?} was recorded before: nothing changed"
            ));
            return Ok(outcome);
        }
        // One currency per site: amounts in two are never summed.
        if amount_cents > 0
            && let Some(currency) = &action.currency
        {
            match &self.currency {
                Some(site) if site != currency => {
                    return Err(ApiError::invalid(
                        "currency",
                        &format!(
                            "this site's amounts are in {site}; an action in {currency} would be summed with them"
                        ),
                    ));
                }
                Some(_) => {}
                None => self.currency = Some(currency.clone()),
            }
        }
        let event = self.record_event(
            EventKind::Action {
                friend: friend.meta.id,
                customer: friend.referring_customer_id,
                action: action_index,
                amount_cents,
                currency: action.currency.clone(),
                order_id: action.order_id.clone(),
            },
            rng,
            at,
        );
        outcome.events.push(event);
        self.actions += 1;
        self.amount_cents = self.amount_cents.saturating_add(amount_cents);
        // A program that is not ACTIVE (DRAFT or PAUSED) completes no referral and grants no
        // reward; the action itself is recorded, and a later one while ACTIVE completes it.
        let active = self.program.status == "ACTIVE";
        let successful = active
            && self
                .program
                .successful_referral_actions
                .contains(&action.action);
        if !active
            && self
                .program
                .successful_referral_actions
                .contains(&action.action)
        {
            outcome.notes.push(format!(
                "the program is {}: the action is recorded, but completes no referral and grants no reward",
                self.program.status
            ));
        }
        let (first_action, first_success) = self
            .friend_actions
            .update(&friend.meta.id, |fa| {
                let first = fa.first_action.is_none();
                if first {
                    fa.first_action = Some((at, action_index));
                }
                fa.total_actions += 1;
                fa.amount_cents = fa.amount_cents.saturating_add(amount_cents);
                if let Some(order) = &action.order_id {
                    fa.order_ids.push(order.clone());
                }
                // Only the friend's first successful action completes the referral and rewards.
                let first_success = successful && fa.successful_at.is_none();
                if first_success {
                    fa.successful_at = Some(at);
                }
                (first, first_success)
            })
            .unwrap_or((false, false));
        self.totals.update(&friend.referring_customer_id, |t| {
            t.amount_cents = t.amount_cents.saturating_add(amount_cents);
            t.last_friend_action = Some(at);
            if first_action {
                t.total_friends_with_actions += 1;
            }
        });
        if !first_success {
            return Ok(outcome);
        }
        if friend.status != FriendStatus::ActionsCompleted {
            self.set_friend_status(friend.meta.id, FriendStatus::ActionsCompleted, at);
        }
        let event = self.record_event(
            EventKind::Successful {
                friend: friend.meta.id,
                customer: friend.referring_customer_id,
            },
            rng,
            at,
        );
        outcome.events.push(event);
        self.totals.update(&friend.referring_customer_id, |t| {
            t.total_successful_referrals += 1;
            t.last_successful_referral = Some(at);
        });
        let customer_contact = self
            .customers
            .get(&friend.referring_customer_id)
            .map(|c| c.contact_id);
        if customer_contact.is_none() {
            outcome.notes.push(format!(
                "the referring customer {} was deleted: the referral is complete, but nobody is rewarded for it",
                friend.referring_customer_id
            ));
        }
        if let (Some(reward), Some(contact)) = (
            self.program.referring_customer_reward.clone(),
            customer_contact,
        ) && let Some((reward_id, event_id)) = self.grant(
            &reward,
            Receiver::Customer(friend.referring_customer_id),
            contact,
            rng,
            at,
        ) {
            outcome.rewards.push(reward_id);
            outcome.events.push(event_id);
        }
        Ok(outcome)
    }

    pub(super) fn record_event(
        &mut self,
        kind: EventKind,
        rng: &mut impl Rng,
        at: DateTime<Utc>,
    ) -> Uuid {
        let event = Event {
            meta: Meta::new(random_uuid(rng), at),
            kind,
        };
        let id = event.meta.id;
        self.emit(EVENT_FQDN, "created", Some(id), 1, || event.to_json());
        self.events.insert(event);
        id
    }

    /// Grants the configured reward; `NOTHING` (or no type) grants none.
    /// Returns the ids of the reward and of its reward event.
    pub(super) fn grant(
        &mut self,
        config: &ProgramReward,
        receiver: Receiver,
        contact: Uuid,
        rng: &mut impl Rng,
        at: DateTime<Utc>,
    ) -> Option<(Uuid, Uuid)> {
        let granted = match config.reward_type() {
            "COUPON" => {
                let code: String = (0..12)
                    .map(|_| {
                        COUPON_CODE_ALPHABET[rng.gen_range(0..COUPON_CODE_ALPHABET.len())] as char
                    })
                    .collect();
                Granted::Coupon {
                    id: random_uuid(rng),
                    code,
                    applied: false,
                    specification: config.coupon.clone().unwrap_or_else(|| Arc::new(json!({}))),
                }
            }
            "LOYALTY_POINTS" => Granted::LoyaltyPoints {
                transaction_id: random_uuid(rng),
                amount: config.loyalty_points(),
            },
            _ => return None,
        };
        let coupon = matches!(granted, Granted::Coupon { .. });
        let reward = Reward {
            meta: Meta::new(random_uuid(rng), at),
            receiver,
            granted,
            contact_id: contact,
        };
        let reward_id = reward.meta.id;
        if let Receiver::Friend(friend) = receiver {
            let granted = reward.granted.clone();
            self.friend_actions
                .update(&friend, |fa| fa.reward = Some(granted));
        }
        self.rewards.insert(reward);
        let event_id = self.record_event(
            EventKind::Reward {
                receiver,
                reward: reward_id,
                coupon,
            },
            rng,
            at,
        );
        Some((reward_id, event_id))
    }

    /// The receiver used a coupon reward (at the store's checkout): its coupon becomes
    /// `APPLIED` ("was applied and can't be used again") and the reward's revision advances
    /// (docs/decisions.md item 37). A reward that is no coupon is a 400; one already applied
    /// a 409 `COUPON_ALREADY_APPLIED`.
    pub(crate) fn redeem_coupon(&mut self, id: Uuid, at: DateTime<Utc>) -> ApiResult<Value> {
        let reward = self
            .rewards
            .get(&id)
            .ok_or_else(|| ApiError::not_found("referral reward", &id.to_string()))?;
        match &reward.granted {
            Granted::Coupon { applied: false, .. } => {}
            Granted::Coupon { applied: true, .. } => {
                return Err(ApiError::application(
                    axum::http::StatusCode::CONFLICT,
                    "COUPON_ALREADY_APPLIED",
                    "the coupon was applied and can't be used again",
                ));
            }
            Granted::LoyaltyPoints { .. } => {
                return Err(ApiError::invalid(
                    "rewardId",
                    "the reward is loyalty points, not a coupon",
                ));
            }
        }
        self.rewards.update(&id, |reward| {
            if let Granted::Coupon { applied, .. } = &mut reward.granted {
                *applied = true;
            }
            reward.meta.touch(at);
        });
        Ok(self
            .rewards
            .get(&id)
            .map(Reward::to_json)
            .unwrap_or_default())
    }

    pub fn statistics(&self) -> Value {
        json!({
            "totalSignUpsCompleted": self.signups,
            "totalActionsCompleted": self.actions,
            "totalAmountGenerated": money(self.amount_cents),
        })
    }
}
