//! The planner's reads of a tenant's store ([`UserReads`]), through the service layer.

use super::plan::UserReads;
use crate::service::pull::{Candidate, MatchKey, OwnedUser};
use crate::service::{ServiceError, Services};
use std::collections::HashMap;

pub struct StoreReads<'a> {
    pub services: &'a Services,
    pub tenant_id: &'a str,
}

impl UserReads for StoreReads<'_> {
    type Error = ServiceError;
    fn owned(&mut self, entra_ids: &[&str]) -> Result<Vec<OwnedUser>, ServiceError> {
        self.services.pull_owned_users(self.tenant_id, entra_ids)
    }
    fn unmirrored(&mut self) -> Result<Vec<OwnedUser>, ServiceError> {
        self.services.pull_unmirrored_users(self.tenant_id)
    }
    fn candidates(
        &mut self,
        key: MatchKey,
        values: &[&str],
    ) -> Result<Vec<Candidate>, ServiceError> {
        self.services.pull_candidates(self.tenant_id, key, values)
    }
    fn docs(&mut self, ids: &[&str]) -> Result<HashMap<String, String>, ServiceError> {
        self.services.pull_user_docs(self.tenant_id, ids)
    }
}
