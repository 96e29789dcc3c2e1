//! Bearer authentication of the admin API: admin tokens only (`scimdadm_…`). A tenant's SCIM
//! token is refused here, as an admin token is refused on the SCIM endpoints.

use super::admin_api::blocking;
use super::auth::bearer;
use super::error::AdminError;
use super::AppState;
use crate::service::AdminPrincipal;
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use std::future::Future;
use std::pin::Pin;

/// The authenticated caller of an admin endpoint.
#[derive(Debug, Clone)]
pub struct Admin(pub AdminPrincipal);

impl FromRequest for Admin {
    type Error = AdminError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let secret = bearer(req);
        Box::pin(async move {
            let (Some(state), Some(secret)) = (state, secret) else {
                return Err(AdminError::unauthorized());
            };
            let found = blocking(&state.services, move |s| s.authenticate_admin(&secret)).await?;
            found.map(Admin).ok_or_else(AdminError::unauthorized)
        })
    }
}
