//! The served OpenAPI document matches the implementation: every documented
//! operation exists, and no undocumented method answers on a documented path.

use rampart_testkit::{Backend, Fetch, TestApp, backend_test};
use reqwest::{Method, StatusCode};
use serde_json::Value;

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

#[backend_test]
async fn document_and_routes_agree(backend: Backend) {
    // Every method on every path: more calls than the default burst.
    let app = TestApp::spawn_with(&backend, |raw| {
        raw.api = rampart_testkit::api_rate(1000, 10_000);
        // The document states the configured minimum, not a default.
        raw.password.get_or_insert_with(Default::default).min_length = Some(12);
    })
    .await;
    let client = reqwest::Client::new();
    let doc: Value = client
        .get(app.url("/api/v1/openapi.json"))
        .fetch_json()
        .await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."), "{doc}");
    assert_eq!(doc["servers"][0]["url"], "/api/v1");
    // The scope list names every scope, `proxy` (forward-auth) included.
    let scopes = &doc["components"]["schemas"]["ScopeName"]["enum"];
    assert_eq!(
        scopes,
        &serde_json::json!(["read:me", "write:me", "admin", "proxy"]),
        "{}",
        doc["components"]["schemas"]
    );
    // ... exactly the domain's scopes.
    let domain: Vec<&str> = rampart_core::Scope::ALL
        .iter()
        .map(|s| s.as_str())
        .collect();
    assert_eq!(scopes, &serde_json::json!(domain));
    // Constraints come from the rules that validate: the patterns are the
    // domain's (whose parsers a property test keeps equal to them).
    let schemas = &doc["components"]["schemas"];
    assert_eq!(
        schemas["NewUser"]["properties"]["username"]["$ref"],
        "#/components/schemas/UsernameText"
    );
    assert_eq!(
        schemas["UsernameText"]["pattern"],
        rampart_core::Username::PATTERN
    );
    assert_eq!(
        schemas["RoleNameText"]["pattern"],
        rampart_core::RoleName::PATTERN,
        "{schemas}"
    );
    assert_eq!(
        schemas["EmailText"]["pattern"],
        rampart_core::Email::PATTERN
    );
    assert_eq!(schemas["EmailText"]["format"], "email");
    assert_eq!(schemas["EmailText"]["maxLength"], 254);
    assert_eq!(schemas["NewPasswordText"]["minLength"], 12, "{schemas}");
    assert_eq!(schemas["NewPasswordText"]["x-max-bytes"], 1024);
    for (schema, field) in [
        ("NewUser", "password"),
        ("PasswordChange", "new_password"),
        ("ResetConfirm", "password"),
    ] {
        assert_eq!(
            schemas[schema]["properties"][field]["$ref"], "#/components/schemas/NewPasswordText",
            "{schema}.{field}"
        );
    }
    // One shared error schema whose code lists every code the API answers.
    let codes = schemas["ErrorCode"]["enum"].as_array().unwrap();
    for code in [
        "validation_failed",
        "invalid_password",
        "invalid_mfa_code",
        "invalid_token",
        "rate_limited",
        "busy",
        "malformed_json",
    ] {
        assert!(codes.iter().any(|c| c == code), "{code} in {codes:?}");
    }
    assert_eq!(
        schemas["ErrorObject"]["properties"]["code"]["$ref"],
        "#/components/schemas/ErrorCode"
    );
    let paths = doc["paths"].as_object().unwrap();
    // Business refusals are documented with their code and an example.
    for (path, method, status, code) in [
        ("/me/password", "put", "422", "invalid_password"),
        ("/me/mfa/totp", "delete", "422", "invalid_password"),
        ("/me/mfa/totp/confirm", "post", "422", "invalid_mfa_code"),
        ("/password-resets/confirm", "post", "400", "invalid_token"),
        ("/users", "post", "403", "registration_closed"),
        ("/users", "post", "409", "conflict"),
        ("/users", "post", "422", "validation_failed"),
        ("/sessions", "post", "401", "invalid_credentials"),
        ("/sessions", "post", "401", "mfa_required"),
        ("/sessions", "post", "401", "invalid_mfa_code"),
        ("/me/mfa/totp", "post", "409", "mfa_already_enabled"),
        ("/me/mfa/totp/confirm", "post", "409", "mfa_not_enrolled"),
        ("/me/mfa/recovery-codes", "post", "409", "mfa_not_enrolled"),
        ("/admin/users/{id}", "patch", "409", "last_administrator"),
        ("/admin/users/{id}", "delete", "409", "last_administrator"),
        ("/admin/users/{id}/mfa", "delete", "409", "not_enrolled"),
    ] {
        let response = &paths[path][method]["responses"][status];
        let example = &response["content"]["application/json"]["examples"][code]["value"];
        assert_eq!(
            example["error"]["code"], code,
            "{method} {path}: {response}"
        );
        assert!(
            response["description"].as_str().unwrap().contains(code),
            "{method} {path}"
        );
    }
    // ... and so is every refusal the API's table documents.
    for (path, method, refusal) in rampart_web::api::refusal::DOCUMENTED {
        let error = refusal();
        let status = error.status().as_u16().to_string();
        let example = &paths[*path][*method]["responses"][&status]["content"]["application/json"]["examples"]
            [error.code_text()]["value"];
        assert_eq!(example, &error.body_json(), "{method} {path}");
    }
    for expected in [
        "/users",
        "/sessions",
        "/sessions/current",
        "/me",
        "/me/password",
        "/me/sessions",
        "/me/sessions/{id}",
        "/me/tokens",
        "/me/tokens/{id}",
    ] {
        assert!(paths.contains_key(expected), "{expected} is not documented");
    }
    for (path, item) in paths {
        let concrete = path.replace("{id}", "00000000-0000-0000-0000-000000000000");
        let url = app.url(&format!("/api/v1{concrete}"));
        for method in METHODS {
            let resp = client
                .request(
                    Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(),
                    &url,
                )
                .header("content-type", "application/json")
                .body("{}")
                .fetch()
                .await;
            let status = resp.status();
            let body: Value = resp.json().await.unwrap_or(Value::Null);
            let documented = item.get(method).is_some();
            if documented {
                let answered = status != StatusCode::METHOD_NOT_ALLOWED
                    && !(status == StatusCode::NOT_FOUND
                        && body["error"]["message"] == "There is no API route at this address.");
                assert!(
                    answered,
                    "{method} {path} is documented but not routed ({status})"
                );
                let statuses = item[method]["responses"].as_object().unwrap();
                assert!(
                    statuses.contains_key(status.as_str()),
                    "{method} {path} answered {status}, which its entry does not list"
                );
            } else {
                assert_eq!(
                    status,
                    StatusCode::METHOD_NOT_ALLOWED,
                    "{method} {path} answers but is not documented"
                );
            }
        }
    }
}
