-- wrk script: POST /login with a fixed pre-login cookie and its CSRF token.
-- RAMPART_BENCH_COOKIE and RAMPART_BENCH_BODY come from bench/run.sh.
-- A successful sign-in answers 303; wrk counts anything else under
-- "Non-2xx or 3xx responses".
wrk.method = "POST"
wrk.body = os.getenv("RAMPART_BENCH_BODY")
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = "rampart_session=" .. os.getenv("RAMPART_BENCH_COOKIE")
