//! Coupons and loyalty points: what a program promises (a coupon specification) and what a
//! participant receives (an issued coupon, awarded points). Shared by programs, rewards, friend
//! actions and webhooks.
//!
//! Wix's one-of groups become enums here. A payload that breaks one (both members set, or the
//! type naming one member while the other is set) still decodes, into an `Inconsistent` variant
//! that keeps every part, so the oddity is visible and nothing is lost.

use referral_api::types as api;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::enums::{CouponStatus, DiscountType};
use crate::error::FieldViolation;

/// A JSON number as an exact decimal. serde_json reads numbers as `f64`; the shortest text that
/// reads back as the same `f64` is the number the server wrote (for up to 15 significant digits).
pub(crate) fn decimal_from_f64(value: f64) -> Decimal {
    value.to_string().parse().unwrap_or_default()
}

/// The decimal as the `f64` the wire format carries.
pub(crate) fn decimal_to_f64(value: Decimal) -> f64 {
    value.to_string().parse().unwrap_or_default()
}

/// A coupon specification: what a coupon reward gives.
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CouponSpec {
    /// Coupon name shown to the customer.
    pub name: Option<String>,
    /// What the coupon takes off.
    pub discount: Discount,
    /// Where the coupon applies.
    pub applies_to: CouponAppliesTo,
    /// Whether the discount applies only to the lowest-priced item.
    pub limited_to_one_item: Option<bool>,
    /// Whether the discount also applies to subscriptions.
    pub applies_to_subscriptions: Option<bool>,
    /// Billing cycles a pricing-plan discount covers; at most 999.
    pub discounted_cycle_count: Option<i32>,
}

impl CouponSpec {
    /// A coupon named `name` with `discount`, applying to anything.
    pub fn new(name: impl Into<String>, discount: Discount) -> Self {
        Self {
            name: Some(name.into()),
            discount,
            applies_to: CouponAppliesTo::Anything,
            limited_to_one_item: None,
            applies_to_subscriptions: None,
            discounted_cycle_count: None,
        }
    }

    /// Where the coupon applies (default: anything).
    pub fn applies_to(mut self, applies_to: CouponAppliesTo) -> Self {
        self.applies_to = applies_to;
        self
    }

    /// The documented input rules, with field paths under `prefix`.
    pub(crate) fn violations(&self, prefix: &str) -> Vec<FieldViolation> {
        let mut out = Vec::new();
        if self
            .discounted_cycle_count
            .is_some_and(|n| !(0..=999).contains(&n))
        {
            out.push(FieldViolation::new(
                format!("{prefix}.discountedCycleCount"),
                "must be 0 to 999",
            ));
        }
        match &self.discount {
            Discount::Inconsistent { .. } => out.push(FieldViolation::new(
                format!("{prefix}.discountType"),
                "a discount that breaks its one-of cannot be sent; pick one kind",
            )),
            Discount::Percentage(p) if *p < Decimal::ZERO || *p > Decimal::ONE_HUNDRED => {
                out.push(FieldViolation::new(
                    format!("{prefix}.percentageOptions.percentage"),
                    "must be 0 to 100",
                ));
            }
            Discount::FixedAmount(a) if *a < Decimal::ZERO => out.push(FieldViolation::new(
                format!("{prefix}.fixedAmountOptions.amount"),
                "must not be negative",
            )),
            _ => {}
        }
        if let CouponAppliesTo::Inconsistent { .. } = self.applies_to {
            out.push(FieldViolation::new(
                format!("{prefix}.scope"),
                "set either a minimum subtotal or a scope, not both",
            ));
        }
        out
    }
}

/// How a coupon discounts (Wix's `discountType` with its one-of options).
// Adjacently tagged: an amount is not a map, so it cannot carry the tag itself.
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind", content = "value")]
#[non_exhaustive]
pub enum Discount {
    /// A fixed amount off, in the site's currency.
    FixedAmount(#[cfg_attr(feature = "schemars", schemars(with = "f64"))] Decimal),
    /// A percentage off.
    Percentage(#[cfg_attr(feature = "schemars", schemars(with = "f64"))] Decimal),
    /// Free shipping.
    FreeShipping,
    /// A discount type this SDK does not know.
    #[cfg_attr(feature = "schemars", schemars(skip))]
    Unknown {
        /// The type as Wix sent it.
        discount_type: String,
    },
    /// The type and the options disagree, or both options are set.
    #[cfg_attr(feature = "schemars", schemars(skip))]
    Inconsistent {
        /// The type Wix sent, if any.
        discount_type: Option<DiscountType>,
        /// `fixedAmountOptions.amount`, if sent.
        fixed_amount: Option<Decimal>,
        /// `percentageOptions.percentage`, if sent.
        percentage: Option<Decimal>,
    },
}

/// Where a coupon applies (Wix's `scopeOrMinSubtotal` one-of; neither means anywhere).
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind", content = "value")]
#[non_exhaustive]
pub enum CouponAppliesTo {
    /// Any purchase.
    Anything,
    /// Carts whose subtotal exceeds this amount.
    MinimumSubtotal(#[cfg_attr(feature = "schemars", schemars(with = "f64"))] Decimal),
    /// Items of one app's namespace, or of a group within it.
    Scope(CouponScope),
    /// Both were set.
    #[cfg_attr(feature = "schemars", schemars(skip))]
    Inconsistent {
        /// The minimum subtotal that was sent.
        minimum_subtotal: Decimal,
        /// The scope that was sent.
        scope: CouponScope,
    },
}

/// The items a coupon applies to: an app's namespace, optionally narrowed to a group.
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CouponScope {
    /// `stores`, `bookings`, `events`, `pricingPlans`...
    pub namespace: String,
    /// A group of items within the namespace (a product collection, a plan...).
    pub group: Option<CouponScopeGroup>,
}

impl CouponScope {
    /// The whole namespace, no group.
    pub fn namespace(namespace: impl Into<String>) -> Self {
        Self {
            namespace: namespace.into(),
            group: None,
        }
    }
}

/// A group of items within a coupon scope's namespace.
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CouponScopeGroup {
    /// The group's name, such as `collection` or `product`.
    pub name: String,
    /// The group's entity (a collection's id, a product's id), if it names one.
    pub entity_id: Option<String>,
}

impl From<api::Coupon> for CouponSpec {
    fn from(c: api::Coupon) -> Self {
        let fixed = c
            .fixed_amount_options
            .map(|o| o.amount.map(decimal_from_f64).unwrap_or_default());
        let percentage = c
            .percentage_options
            .map(|o| o.percentage.map(decimal_from_f64).unwrap_or_default());
        let discount_type = c.discount_type.map(DiscountType::from);
        let discount = match (&discount_type, fixed, percentage) {
            (Some(DiscountType::FixedAmount) | None, Some(amount), None) => {
                Discount::FixedAmount(amount)
            }
            (Some(DiscountType::Percentage) | None, None, Some(p)) => Discount::Percentage(p),
            (Some(DiscountType::FreeShipping), None, None) => Discount::FreeShipping,
            (Some(DiscountType::Unknown(t)), None, None) => Discount::Unknown {
                discount_type: t.clone(),
            },
            (_, fixed_amount, percentage) => Discount::Inconsistent {
                discount_type,
                fixed_amount,
                percentage,
            },
        };
        let scope = c.scope.map(|s| CouponScope {
            namespace: s.namespace.unwrap_or_default(),
            group: s.group.map(|g| CouponScopeGroup {
                name: g.name.unwrap_or_default(),
                entity_id: g.entity_id,
            }),
        });
        let applies_to = match (c.minimum_subtotal.map(decimal_from_f64), scope) {
            (None, None) => CouponAppliesTo::Anything,
            (Some(min), None) => CouponAppliesTo::MinimumSubtotal(min),
            (None, Some(scope)) => CouponAppliesTo::Scope(scope),
            (Some(minimum_subtotal), Some(scope)) => CouponAppliesTo::Inconsistent {
                minimum_subtotal,
                scope,
            },
        };
        Self {
            name: c.name,
            discount,
            applies_to,
            limited_to_one_item: c.limited_to_one_item,
            applies_to_subscriptions: c.applies_to_subscriptions,
            discounted_cycle_count: c.discounted_cycle_count,
        }
    }
}

impl From<&CouponSpec> for api::Coupon {
    fn from(spec: &CouponSpec) -> Self {
        let mut coupon = api::Coupon {
            name: spec.name.clone(),
            limited_to_one_item: spec.limited_to_one_item,
            applies_to_subscriptions: spec.applies_to_subscriptions,
            discounted_cycle_count: spec.discounted_cycle_count,
            ..Default::default()
        };
        match &spec.discount {
            Discount::FixedAmount(amount) => {
                coupon.discount_type = Some(api::DiscountType::from("FIXED_AMOUNT"));
                coupon.fixed_amount_options = Some(api::FixedAmountDiscount {
                    amount: Some(decimal_to_f64(*amount)),
                });
            }
            Discount::Percentage(p) => {
                coupon.discount_type = Some(api::DiscountType::from("PERCENTAGE"));
                coupon.percentage_options = Some(api::PercentageDiscount {
                    percentage: Some(decimal_to_f64(*p)),
                });
            }
            Discount::FreeShipping => {
                coupon.discount_type = Some(api::DiscountType::from("FREE_SHIPPING"));
            }
            Discount::Unknown { discount_type } => {
                coupon.discount_type = Some(api::DiscountType::from(discount_type.as_str()));
            }
            // Refused before sending (`violations`); sent as it came if it ever got here.
            Discount::Inconsistent {
                discount_type,
                fixed_amount,
                percentage,
            } => {
                coupon.discount_type = discount_type.as_ref().map(Into::into);
                coupon.fixed_amount_options = fixed_amount.map(|a| api::FixedAmountDiscount {
                    amount: Some(decimal_to_f64(a)),
                });
                coupon.percentage_options = percentage.map(|p| api::PercentageDiscount {
                    percentage: Some(decimal_to_f64(p)),
                });
            }
        }
        let scope = |s: &CouponScope| api::CouponScope {
            namespace: Some(s.namespace.clone()),
            group: s.group.as_ref().map(|g| api::CouponScopeGroup {
                name: Some(g.name.clone()),
                entity_id: g.entity_id.clone(),
            }),
        };
        match &spec.applies_to {
            CouponAppliesTo::Anything => {}
            CouponAppliesTo::MinimumSubtotal(min) => {
                coupon.minimum_subtotal = Some(decimal_to_f64(*min));
            }
            CouponAppliesTo::Scope(s) => coupon.scope = Some(scope(s)),
            CouponAppliesTo::Inconsistent {
                minimum_subtotal,
                scope: s,
            } => {
                coupon.minimum_subtotal = Some(decimal_to_f64(*minimum_subtotal));
                coupon.scope = Some(scope(s));
            }
        }
        coupon
    }
}

/// A coupon that was issued as a reward.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IssuedCoupon {
    /// The coupon's id in Wix Coupons.
    pub id: Option<String>,
    /// The code the customer enters at checkout.
    pub code: Option<String>,
    /// Whether it can still be used.
    pub status: Option<CouponStatus>,
    /// What the coupon gives, as specified when it was issued.
    pub specification: Option<CouponSpec>,
}

impl From<api::IssuedCoupon> for IssuedCoupon {
    fn from(c: api::IssuedCoupon) -> Self {
        Self {
            id: c.id,
            code: c.code,
            status: c.status.map(Into::into),
            specification: c.coupon_specification.map(Into::into),
        }
    }
}

/// Loyalty points that were awarded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AwardedPoints {
    /// The loyalty transaction that credited them.
    pub transaction_id: Option<String>,
    /// How many points.
    pub points: i64,
}

impl From<api::AwardedLoyaltyPoints> for AwardedPoints {
    fn from(p: api::AwardedLoyaltyPoints) -> Self {
        Self {
            transaction_id: p.transaction_id,
            points: p.amount.map_or(0, i64::from),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn coupon(json: serde_json::Value) -> CouponSpec {
        serde_json::from_value::<api::Coupon>(json).unwrap().into()
    }

    #[test]
    fn the_two_one_of_groups_decode_and_their_oddities_stay_visible() {
        let ten = Decimal::new(10, 0);
        let cases = [
            (
                serde_json::json!({"discountType": "PERCENTAGE", "percentageOptions": {"percentage": 10}}),
                Discount::Percentage(ten),
                CouponAppliesTo::Anything,
            ),
            (
                serde_json::json!({"discountType": "FIXED_AMOUNT", "fixedAmountOptions": {"amount": 9.99}, "minimumSubtotal": 50}),
                Discount::FixedAmount(Decimal::new(999, 2)),
                CouponAppliesTo::MinimumSubtotal(Decimal::new(50, 0)),
            ),
            (
                serde_json::json!({"discountType": "FREE_SHIPPING", "scope": {"namespace": "stores", "group": null}}),
                Discount::FreeShipping,
                CouponAppliesTo::Scope(CouponScope::namespace("stores")),
            ),
            (
                serde_json::json!({"discountType": "BUY_ONE_GET_ONE"}),
                Discount::Unknown {
                    discount_type: "BUY_ONE_GET_ONE".into(),
                },
                CouponAppliesTo::Anything,
            ),
            (
                serde_json::json!({"discountType": "PERCENTAGE", "percentageOptions": {"percentage": 10}, "fixedAmountOptions": {"amount": 10}, "minimumSubtotal": 5, "scope": {"namespace": "stores"}}),
                Discount::Inconsistent {
                    discount_type: Some(DiscountType::Percentage),
                    fixed_amount: Some(ten),
                    percentage: Some(ten),
                },
                CouponAppliesTo::Inconsistent {
                    minimum_subtotal: Decimal::new(5, 0),
                    scope: CouponScope::namespace("stores"),
                },
            ),
        ];
        for (json, discount, applies_to) in cases {
            let spec = coupon(json.clone());
            assert_eq!(
                (&spec.discount, &spec.applies_to),
                (&discount, &applies_to),
                "{json}"
            );
        }
    }

    #[test]
    fn a_specification_round_trips_through_the_wire_type() {
        let spec = CouponSpec::new("Welcome gift", Discount::Percentage(Decimal::new(125, 1)))
            .applies_to(CouponAppliesTo::Scope(CouponScope::namespace("stores")));
        let wire = api::Coupon::from(&spec);
        assert_eq!(
            serde_json::to_value(&wire).unwrap(),
            serde_json::json!({"name": "Welcome gift", "discountType": "PERCENTAGE",
                "percentageOptions": {"percentage": 12.5}, "scope": {"namespace": "stores"}})
        );
        assert_eq!(CouponSpec::from(wire), spec);
    }

    #[test]
    fn every_shape_serializes_and_reads_back() {
        let ten = Decimal::new(10, 0);
        let discounts = [
            Discount::FixedAmount(ten),
            Discount::Percentage(ten),
            Discount::FreeShipping,
            Discount::Unknown {
                discount_type: "BOGO".into(),
            },
            Discount::Inconsistent {
                discount_type: None,
                fixed_amount: Some(ten),
                percentage: Some(ten),
            },
        ];
        let applies = [
            CouponAppliesTo::Anything,
            CouponAppliesTo::MinimumSubtotal(ten),
            CouponAppliesTo::Scope(CouponScope::namespace("stores")),
            CouponAppliesTo::Inconsistent {
                minimum_subtotal: ten,
                scope: CouponScope::namespace("events"),
            },
        ];
        for discount in discounts {
            for applies_to in applies.clone() {
                let spec = CouponSpec::new("x", discount.clone()).applies_to(applies_to);
                let json = serde_json::to_value(&spec).unwrap();
                assert_eq!(serde_json::from_value::<CouponSpec>(json).unwrap(), spec);
            }
        }
    }

    #[test]
    fn input_rules_name_their_fields() {
        let mut spec = CouponSpec::new("x", Discount::Percentage(Decimal::new(150, 0)));
        spec.discounted_cycle_count = Some(1000);
        let fields: Vec<String> = spec.violations("c").into_iter().map(|v| v.field).collect();
        assert_eq!(
            fields,
            ["c.discountedCycleCount", "c.percentageOptions.percentage"]
        );
    }
}
