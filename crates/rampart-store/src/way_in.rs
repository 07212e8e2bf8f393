//! "Another way in": the rule that an account never loses its last way to
//! sign in (a password, a linked identity, a passkey that signs in by
//! itself). Each removal takes the account's row lock first, then asks the
//! question and makes the change in the same transaction, so two removals
//! at once cannot both pass on either backend (SQLite: the lock is the
//! database's write lock; PostgreSQL, read committed: a row lock, and each
//! later statement sees what the other committed).

/// Takes the account's row lock in the open transaction `$tx` (a no-op
/// write), `?`-returning a `RepoError`.
macro_rules! lock_account {
    ($tx:expr, $user:expr) => {
        $crate::backend::exec!(
            $tx,
            "UPDATE users SET sign_out_epoch = sign_out_epoch WHERE id = $1",
            $user
        )?;
    };
}
pub(crate) use lock_account;

/// An SQL expression over `users`: true when the account keeps a way in
/// besides the identity (`$2` source, `$3` subject) or the passkey (`$4`
/// id) being removed; bind `""` for the one not concerned.
macro_rules! other_way_in {
    () => {
        "(users.password_hash IS NOT NULL \
          OR EXISTS (SELECT 1 FROM external_identities e WHERE e.user_id = users.id \
                     AND NOT (e.source = $2 AND e.subject = $3)) \
          OR EXISTS (SELECT 1 FROM passkeys p WHERE p.user_id = users.id \
                     AND p.discoverable = TRUE AND p.id <> $4))"
    };
}
pub(crate) use other_way_in;
