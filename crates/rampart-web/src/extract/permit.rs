//! The one way a route requires a permission: take a [`Permit`] as an
//! argument. `Permit<UsersRead, ApiCaller>` guards a JSON route,
//! `Permit<UsersWrite, FreshSession>` a console page; both ask the
//! deployment's [`rampart_core::RoleBook`] whether the caller's roles grant
//! the permission, and refuse with 403 otherwise (JSON `forbidden`, or the
//! error page), before the handler runs.
//!
//! A personal access token must also carry the `admin` scope; a console page
//! also needs a fresh sign-in (checked after the permission, so that a caller
//! without it is never invited to re-authenticate).

use crate::api::error::ApiError;
use crate::api::extract::{ApiCaller, Credential};
use crate::error::WebError;
use crate::extract::{FreshSession, SignedIn};
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use rampart_core::Words;
use rampart_core::{Permission, Scope};
use std::marker::PhantomData;

/// A permission, as a type (so that a route names it in its signature).
pub trait Need: Send + Sync + 'static {
    /// The permission.
    const PERMISSION: Permission;
}

macro_rules! needs {
    ($($name:ident => $permission:ident),* $(,)?) => {$(
        #[doc = concat!("Needs `", stringify!($permission), "`.")]
        pub struct $name;
        impl Need for $name {
            const PERMISSION: Permission = Permission::$permission;
        }
    )*};
}
needs!(
    UsersRead => UsersRead,
    UsersWrite => UsersWrite,
    RolesWrite => RolesWrite,
    AuditRead => AuditRead,
);

/// Proof that the caller (`via`) holds `N`'s permission.
pub struct Permit<N, Via> {
    /// The caller as the route's surface knows it.
    pub via: Via,
    need: PhantomData<N>,
}

fn refusal(permission: Permission) -> Words {
    Words::new(
        "error-permission",
        format!(
            "This needs the {} permission, which your roles do not grant.",
            permission.as_str()
        ),
    )
    .with("permission", permission.as_str())
}

impl<N: Need> FromRequestParts<AppState> for Permit<N, ApiCaller> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let caller = ApiCaller::from_request_parts(parts, state).await?;
        if !state.admin.roles().allows(&caller.user, N::PERMISSION) {
            return Err(ApiError::forbidden(&refusal(N::PERMISSION).english));
        }
        if matches!(caller.credential, Credential::Token(_))
            && caller.require(Scope::Admin).is_err()
        {
            return Err(ApiError::forbidden(
                "Administration with a personal access token needs the admin scope.",
            ));
        }
        Ok(Permit {
            via: caller,
            need: PhantomData,
        })
    }
}

impl<N: Need> FromRequestParts<AppState> for Permit<N, FreshSession> {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let SignedIn(session) = SignedIn::from_request_parts(parts, state).await?;
        if !state.admin.roles().allows(&session.user, N::PERMISSION) {
            return Err(WebError::Forbidden(refusal(N::PERMISSION)).into_response());
        }
        let fresh = FreshSession::from_request_parts(parts, state).await?;
        Ok(Permit {
            via: fresh,
            need: PhantomData,
        })
    }
}
