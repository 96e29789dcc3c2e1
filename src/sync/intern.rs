//! Entra ids as small numbers: a run's scope holds every mirrored id, so each string is stored
//! once, and the lookup table holds only numbers (hashed through the string they stand for).

use hashbrown::hash_table::{Entry, HashTable};
use std::hash::{BuildHasher, RandomState};

#[derive(Default)]
pub struct Interner {
    names: Vec<Box<str>>,
    table: HashTable<u32>,
    hasher: RandomState,
}

impl Interner {
    /// The number standing for `id`, numbering it if it is new.
    pub fn intern(&mut self, id: &str) -> u32 {
        let Interner {
            names,
            table,
            hasher,
        } = self;
        let hash = hasher.hash_one(id);
        let entry = table.entry(
            hash,
            |&i| &*names[i as usize] == id,
            |&i| hasher.hash_one(&*names[i as usize]),
        );
        match entry {
            Entry::Occupied(e) => *e.get(),
            Entry::Vacant(e) => {
                let i = names.len() as u32;
                e.insert(i);
                names.push(id.into());
                i
            }
        }
    }

    /// The number standing for `id`, if it has one.
    pub fn get(&self, id: &str) -> Option<u32> {
        let hash = self.hasher.hash_one(id);
        self.table
            .find(hash, |&i| &*self.names[i as usize] == id)
            .copied()
    }

    /// The id a number stands for.
    pub fn name(&self, i: u32) -> &str {
        &self.names[i as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_keep_their_first_number_and_read_back() {
        let mut ids = Interner::default();
        let a = ids.intern("a");
        let b = ids.intern("b");
        assert_ne!(a, b);
        assert_eq!(ids.intern("a"), a);
        assert_eq!(ids.get("b"), Some(b));
        assert_eq!(ids.get("c"), None);
        assert_eq!(ids.name(b), "b");
        for n in 0..10_000 {
            ids.intern(&format!("id-{n}"));
        }
        assert_eq!(ids.get("a"), Some(a), "still found after the table grew");
        assert_eq!(ids.name(ids.get("id-9999").expect("interned")), "id-9999");
    }
}
