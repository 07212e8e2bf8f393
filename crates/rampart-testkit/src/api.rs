//! The JSON API as a test drives it: one call with an optional bearer token
//! and body, answered as status and JSON; sign-up, sign-in, tokens and a
//! password change as one step each; the error code of a refusal.

use crate::Fetch;
use crate::{GOOD_PASSWORD, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A client of `/api/v1`.
pub struct Api {
    /// The HTTP client (no cookies: the API authenticates by bearer token).
    pub client: reqwest::Client,
    /// `…/api/v1`, for requests the test builds itself.
    pub base: String,
}

impl Api {
    /// A client of `app`'s API.
    pub fn new(app: &TestApp) -> Api {
        Api::at(&app.base, reqwest::Client::new())
    }

    /// A client of the API of the server at `base`, through `client`.
    pub fn at(base: &str, client: reqwest::Client) -> Api {
        Api {
            client,
            base: format!("{base}/api/v1"),
        }
    }

    /// One call: `path` under `/api/v1`, with a bearer token and a JSON body
    /// when given; the status and the JSON answer (`Null` when empty).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let resp = self.respond(method, path, token, body).await;
        let status = resp.status();
        let text = resp.text().await.unwrap();
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
        };
        (status, value)
    }

    /// One call as `bearer`, answered as the response itself (for its
    /// headers, or a body that is not JSON).
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        bearer: &str,
        body: Option<Value>,
    ) -> reqwest::Response {
        self.respond(method, path, Some(bearer), body).await
    }

    /// The response to one call, with a bearer token and a JSON body when
    /// given.
    async fn respond(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> reqwest::Response {
        let mut req = self
            .client
            .request(method, format!("{}{}", self.base, path));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        req.fetch().await
    }

    /// [`Api::call`]: GET `path` as `bearer`.
    pub async fn get(&self, path: &str, bearer: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, Some(bearer), None).await
    }

    /// [`Api::call`]: DELETE `path` as `bearer`.
    pub async fn delete(&self, path: &str, bearer: &str) -> (StatusCode, Value) {
        self.call(Method::DELETE, path, Some(bearer), None).await
    }

    /// [`Api::call`]: POST `body` to `path` as `bearer`.
    pub async fn post(&self, path: &str, bearer: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(bearer), Some(body))
            .await
    }

    /// [`Api::call`]: POST to `path` as `bearer`, without a body.
    pub async fn post_empty(&self, path: &str, bearer: &str) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(bearer), None).await
    }

    /// [`Api::call`]: PATCH `path` with `body` as `bearer`.
    pub async fn patch(&self, path: &str, bearer: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PATCH, path, Some(bearer), Some(body))
            .await
    }

    /// [`Api::patch`] of the account `id` (`/admin/users/{id}`) as `bearer`.
    pub async fn patch_user(&self, bearer: &str, id: &str, body: Value) -> (StatusCode, Value) {
        self.patch(&format!("/admin/users/{id}"), bearer, body)
            .await
    }

    /// [`Api::call`]: PUT `body` at `path` as `bearer`.
    pub async fn put(&self, path: &str, bearer: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PUT, path, Some(bearer), Some(body)).await
    }

    /// POSTs `/users` without a token: registers `username` with `email`
    /// and `password`; answers the status and the answer.
    pub async fn register(
        &self,
        username: &str,
        email: &str,
        password: &str,
    ) -> (StatusCode, Value) {
        let body = json!({"username": username, "email": email, "password": password});
        self.call(Method::POST, "/users", None, Some(body)).await
    }

    /// POSTs `/sessions` without a token: signs `username` in with
    /// `password`; answers the status and the answer.
    pub async fn sign_in(&self, username: &str, password: &str) -> (StatusCode, Value) {
        let body = json!({"username": username, "password": password});
        self.call(Method::POST, "/sessions", None, Some(body)).await
    }

    /// Creates `username` (`username@example.com`, [`GOOD_PASSWORD`]);
    /// asserts 201 and answers the account.
    pub async fn signup(&self, username: &str) -> Value {
        let email = format!("{username}@example.com");
        let (status, body) = self.register(username, &email, GOOD_PASSWORD).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body
    }

    /// Signs `username` in with [`GOOD_PASSWORD`]; asserts 201 and answers
    /// the session token.
    pub async fn login(&self, username: &str) -> String {
        let (status, body) = self.sign_in(username, GOOD_PASSWORD).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["token"].as_str().unwrap().to_owned()
    }

    /// [`Api::signup`] then [`Api::login`]: a new account `username`,
    /// signed in; answers the session token.
    pub async fn signed_in(&self, username: &str) -> String {
        self.signup(username).await;
        self.login(username).await
    }

    /// Creates a personal access token with `scopes` for a day; answers the
    /// status and the answer (`token`, `id`, …).
    pub async fn create_token(&self, bearer: &str, scopes: &[&str]) -> (StatusCode, Value) {
        self.new_token(bearer, "test", scopes, 1).await
    }

    /// Creates a personal access token called `name` with `scopes` for
    /// `days`; answers the status and the answer (`token`, `id`, …).
    pub async fn new_token(
        &self,
        bearer: &str,
        name: &str,
        scopes: &[&str],
        days: u32,
    ) -> (StatusCode, Value) {
        let body = json!({"name": name, "scopes": scopes, "expires_in_days": days});
        self.post("/me/tokens", bearer, body).await
    }

    /// [`Api::create_token`], asserting 201; answers the secret.
    pub async fn token(&self, bearer: &str, scopes: &[&str]) -> String {
        let (status, body) = self.create_token(bearer, scopes).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["token"].as_str().unwrap().to_owned()
    }
}

/// The `error.code` of a refusal; panics (showing the body) without one.
pub fn error_code(body: &Value) -> &str {
    body["error"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error code in {body}"))
}

/// The header `name` as text, or `""` (absent, or not text).
pub fn header<'a>(headers: &'a reqwest::header::HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// The `Location` of a redirect, or `""`.
pub fn location(resp: &reqwest::Response) -> &str {
    header(resp.headers(), "location")
}
