//! `#[backend_test]`: an `async fn name(backend: Backend)` becomes two
//! tests, `name::sqlite` and `name::postgres`, so that every storage rule is
//! proved on both backends. The PostgreSQL one says that it skipped when
//! `RAMPART_TEST_DATABASE_URL` is not set (`rampart_testkit::Backend::postgres`).
//!
//! The attribute sits on the function it runs, where a list of names kept
//! apart from the functions used to be: a test cannot be written and then
//! forgotten in the list. Written with `proc_macro` alone: it needs only the
//! function's name, so it parses no more than that.

use proc_macro::{Delimiter, TokenStream, TokenTree};

/// Runs the annotated `async fn name(backend: rampart_testkit::Backend)`
/// once per storage backend, as the tests `name::sqlite` and
/// `name::postgres`.
#[proc_macro_attribute]
pub fn backend_test(attr: TokenStream, item: TokenStream) -> TokenStream {
    if !attr.is_empty() {
        return error("#[backend_test] takes no arguments");
    }
    let Some(name) = function_name(&item) else {
        return error("#[backend_test] goes on an `async fn name(backend: Backend)`");
    };
    let runners = format!(
        r#"
        #[doc(hidden)]
        mod {name} {{
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {{
                super::{name}(rampart_testkit::Backend::Sqlite).await
            }}
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {{
                if let Some(backend) = rampart_testkit::Backend::postgres("{name}") {{
                    super::{name}(backend).await
                }}
            }}
        }}
        "#
    );
    let mut out = item;
    out.extend(runners.parse::<TokenStream>().unwrap_or_default());
    out
}

/// The identifier after the first top-level `fn`.
fn function_name(item: &TokenStream) -> Option<String> {
    let mut tokens = item.clone().into_iter();
    while let Some(token) = tokens.next() {
        if let TokenTree::Ident(ident) = &token
            && ident.to_string() == "fn"
        {
            return match tokens.next() {
                Some(TokenTree::Ident(name)) => Some(name.to_string()),
                _ => None,
            };
        }
        if let TokenTree::Group(group) = &token
            && group.delimiter() == Delimiter::Brace
        {
            return None;
        }
    }
    None
}

/// A `compile_error!` at the attribute.
fn error(message: &str) -> TokenStream {
    format!("compile_error!({message:?});")
        .parse()
        .unwrap_or_default()
}
