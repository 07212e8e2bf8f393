# Shared steps of the load scripts, sourced by them: waiting for the server,
# reading a form's CSRF token and a cookie jar's session, and registering an
# account through the page, as a person would. Expects $base (the server)
# and $password.

# Waits until the server at $base answers /healthz, for at most $1 tenths of
# a second (default 100).
wait_for_server() {
  for _ in $(seq 1 "${1:-100}"); do curl -sf "$base/healthz" >/dev/null && return 0; sleep 0.1; done
}

# The CSRF token of the form on stdin.
csrf_of() { sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p'; }

# The session cookie kept in the curl cookie jar $1.
session_of() { awk '$6=="rampart_session"{print $7}' "$1"; }

# Registers the account $2 (mail $2@example.com, password $password) with the
# cookie jar $1, which then holds its session.
register_account() {
  local jar=$1 name=$2 csrf
  csrf=$(curl -s -c "$jar" -b "$jar" "$base/register" | csrf_of)
  curl -s -o /dev/null -c "$jar" -b "$jar" -X POST "$base/register" \
    --data-urlencode "csrf_token=$csrf" --data-urlencode "username=$name" \
    --data-urlencode "email=$name@example.com" --data-urlencode "password=$password" \
    --data-urlencode "password_confirm=$password"
}
