//! The per-tenant change log that drives delta (graph.md §2.6–2.7): a monotonic sequence,
//! one append-only vector per collection, and the "plan" of an incremental round — which
//! objects changed in `(from, to]`, computed once per round and cached, so each page of the
//! round costs O(page) rather than a rescan of the log.

use crate::directory::{Id, Kind};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Collection {
    Users,
    Groups,
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum What {
    /// Created, soft-deleted, restored or permanently deleted: the round looks at the
    /// object's current state to tell which, and always sends it whole.
    Lifecycle,
    /// These properties changed (a schema bit mask).
    Props(u64),
    /// This direct member was added or removed (current membership tells which).
    Member(Id, Kind),
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Entry {
    pub seq: u64,
    pub id: Id,
    pub what: What,
}

/// One object of an incremental round.
#[derive(Debug)]
pub(crate) struct PlanItem {
    pub id: Id,
    pub mask: u64,
    pub lifecycle: bool,
    /// Members whose membership changed, sorted by id (groups with `members` selected).
    pub members: Vec<(Id, Kind)>,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct PlanKey {
    collection: Collection,
    from: u64,
    to: u64,
    select: u64,
    members: bool,
}

/// Plans kept for rounds in progress; a round whose plan was evicted recomputes it (the log
/// is immutable, so the result is the same).
const PLAN_CACHE: usize = 16;

#[derive(Default)]
pub(crate) struct ChangeLog {
    seq: u64,
    users: Vec<Entry>,
    groups: Vec<Entry>,
    plans: HashMap<PlanKey, Arc<Vec<PlanItem>>>,
}

impl ChangeLog {
    /// The sequence number of the latest change.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    pub fn record(&mut self, collection: Collection, id: Id, what: What) {
        self.seq += 1;
        let entry = Entry {
            seq: self.seq,
            id,
            what,
        };
        match collection {
            Collection::Users => self.users.push(entry),
            Collection::Groups => self.groups.push(entry),
        }
    }

    /// Objects of `collection` changed in `(from, to]` in a way the round can see: lifecycle
    /// changes, changes to a selected property (`select` mask), or membership changes when
    /// `members` is selected. Sorted by id.
    pub fn plan(
        &mut self,
        collection: Collection,
        from: u64,
        to: u64,
        select: u64,
        members: bool,
    ) -> Arc<Vec<PlanItem>> {
        let key = PlanKey {
            collection,
            from,
            to,
            select,
            members,
        };
        if let Some(plan) = self.plans.get(&key) {
            return Arc::clone(plan);
        }
        let log = match collection {
            Collection::Users => &self.users,
            Collection::Groups => &self.groups,
        };
        let lo = log.partition_point(|e| e.seq <= from);
        let hi = log.partition_point(|e| e.seq <= to);
        let mut touched: BTreeMap<Id, PlanItem> = BTreeMap::new();
        for e in log.get(lo..hi).unwrap_or_default() {
            let item = touched.entry(e.id).or_insert_with(|| PlanItem {
                id: e.id,
                mask: 0,
                lifecycle: false,
                members: Vec::new(),
            });
            match e.what {
                What::Lifecycle => item.lifecycle = true,
                What::Props(m) => item.mask |= m,
                What::Member(m, kind) if members => item.members.push((m, kind)),
                What::Member(..) => {}
            }
        }
        let plan: Vec<PlanItem> = touched
            .into_values()
            .filter(|i| i.lifecycle || i.mask & select != 0 || !i.members.is_empty())
            .map(|mut i| {
                i.members.sort_by_key(|(m, _)| *m);
                i.members.dedup_by_key(|(m, _)| *m);
                i
            })
            .collect();
        if self.plans.len() >= PLAN_CACHE {
            self.plans.clear();
        }
        let plan = Arc::new(plan);
        self.plans.insert(key, Arc::clone(&plan));
        plan
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u128) -> Id {
        Id::from_u128(n)
    }

    #[test]
    fn plan_merges_an_objects_changes_and_honours_the_selection() {
        let mut log = ChangeLog::default();
        log.record(Collection::Users, id(2), What::Lifecycle); // seq 1
        log.record(Collection::Users, id(1), What::Props(0b100)); // 2
        log.record(Collection::Users, id(1), What::Props(0b010)); // 3
        log.record(Collection::Users, id(3), What::Props(0b001)); // 4
        let plan = log.plan(Collection::Users, 1, 4, 0b110, false);
        let ids: Vec<_> = plan.iter().map(|i| (i.id, i.mask)).collect();
        assert_eq!(
            ids,
            [(id(1), 0b110)],
            "id 2 is before the window, id 3 unselected"
        );
        assert_eq!(log.plan(Collection::Users, 0, 4, 0b110, false).len(), 2);
    }

    #[test]
    fn plan_collects_member_changes_once_each() {
        let mut log = ChangeLog::default();
        for m in [5, 4, 5] {
            log.record(Collection::Groups, id(1), What::Member(id(m), Kind::User));
        }
        let plan = log.plan(Collection::Groups, 0, log.seq(), 0, true);
        let members: Vec<_> = plan[0].members.iter().map(|(m, _)| *m).collect();
        assert_eq!(members, [id(4), id(5)]);
        assert!(log
            .plan(Collection::Groups, 0, log.seq(), 0, false)
            .is_empty());
    }
}
