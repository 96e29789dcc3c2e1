//! The deletion guard (graph.md §5.2.5, after Entra's accidental-deletions prevention): a plan
//! with too many removals, one that would remove everything, or one built from an incomplete
//! read applies its creates and updates but holds its removals until an admin approves
//! exactly those removals.

use super::plan::Plan;

/// Below this many owned resources the percentage rule does not apply (3 of 10 leaving is
/// normal churn, not an accident).
const PERCENT_FLOOR: usize = 20;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thresholds {
    pub max_removals: u64,
    pub max_removal_percent: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Apply everything.
    Allow,
    /// Removals approved by an admin for exactly this set.
    Approved,
    /// Hold removals back, for these reasons.
    Hold(Vec<String>),
}

/// Judge a plan. `incomplete`: why the read cannot be trusted (empty: it can);
/// `approved_hash`: the removal set an admin approved on the latest run, if any.
pub fn check(
    plan: &Plan,
    t: &Thresholds,
    incomplete: &[String],
    approved_hash: Option<&str>,
) -> Verdict {
    let removals = plan.removals().count();
    if removals == 0 {
        return Verdict::Allow;
    }
    let mut reasons = Vec::new();
    if removals as u64 > t.max_removals {
        reasons.push(format!(
            "{removals} removals exceed the limit of {}",
            t.max_removals
        ));
    }
    let owned = plan.owned_users + plan.owned_groups;
    if owned >= PERCENT_FLOOR && removals as u64 * 100 > t.max_removal_percent * owned as u64 {
        reasons.push(format!(
            "{removals} removals are more than {}% of the {owned} users and groups pulled so far",
            t.max_removal_percent
        ));
    }
    let users_removed = plan
        .removals()
        .filter(|o| !matches!(o, super::plan::Op::DeleteGroup { .. }))
        .count();
    let groups_removed = removals - users_removed;
    if plan.owned_users > 0 && users_removed == plan.owned_users {
        reasons.push(format!(
            "the plan would remove every user pulled so far ({users_removed})"
        ));
    }
    if plan.owned_groups > 0 && groups_removed == plan.owned_groups {
        reasons.push(format!(
            "the plan would remove every group pulled so far ({groups_removed})"
        ));
    }
    for why in incomplete {
        reasons.push(format!("the read was incomplete: {why}"));
    }
    if reasons.is_empty() {
        return Verdict::Allow;
    }
    if approved_hash == Some(plan.removals_hash().as_str()) {
        return Verdict::Approved;
    }
    Verdict::Hold(reasons)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::plan::Op;

    fn plan(owned_users: usize, deactivations: usize) -> Plan {
        Plan {
            ops: (0..deactivations)
                .map(|i| Op::DeleteUser {
                    entra_id: format!("u{i}"),
                    resource_id: format!("r{i}"),
                    reason: "x",
                })
                .collect(),
            conflicts: vec![],
            owned_users,
            owned_groups: 0,
        }
    }
    const T: Thresholds = Thresholds {
        max_removals: 5,
        max_removal_percent: 20,
    };

    #[test]
    fn small_churn_passes() {
        assert_eq!(check(&plan(10, 3), &T, &[], None), Verdict::Allow);
        assert_eq!(check(&plan(100, 0), &T, &[], None), Verdict::Allow);
    }

    #[test]
    fn absolute_percentage_and_everything_trip() {
        assert!(matches!(
            check(&plan(1000, 6), &T, &[], None),
            Verdict::Hold(_)
        ));
        let t = Thresholds {
            max_removals: 500,
            max_removal_percent: 20,
        };
        assert!(matches!(
            check(&plan(100, 21), &t, &[], None),
            Verdict::Hold(_)
        ));
        assert_eq!(check(&plan(100, 20), &t, &[], None), Verdict::Allow);
        let Verdict::Hold(why) = check(&plan(2, 2), &t, &[], None) else {
            panic!()
        };
        assert!(why[0].contains("every user"), "{why:?}");
    }

    #[test]
    fn an_incomplete_read_holds_any_removal() {
        let v = check(&plan(100, 1), &T, &["page missing".into()], None);
        assert!(matches!(v, Verdict::Hold(ref w) if w[0].contains("incomplete")));
    }

    #[test]
    fn approval_is_bound_to_the_exact_removals() {
        let p = plan(1000, 6);
        assert_eq!(
            check(&p, &T, &[], Some(&p.removals_hash())),
            Verdict::Approved
        );
        let other = plan(1000, 7);
        assert!(matches!(
            check(&other, &T, &[], Some(&p.removals_hash())),
            Verdict::Hold(_)
        ));
    }
}
