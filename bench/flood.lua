-- wrk script: a wrong-password flood on POST /login that the brute-force
-- defence cannot turn away before hashing: every request comes from another
-- address (X-Forwarded-For, the server trusting 127.0.0.1 as its proxy) and
-- names another unknown account, so each one costs an Argon2id run (the
-- dummy hash). RAMPART_BENCH_COOKIE and RAMPART_BENCH_CSRF come from
-- bench/flood.sh.
-- Seeded by the clock: bench/flood.sh floods the same server once a round,
-- and each round must name new accounts from new addresses.
math.randomseed(os.time())
local n = 0
request = function()
  n = n + 1
  local id = math.random(1, 2000000000)
  local body = "csrf_token=" .. os.getenv("RAMPART_BENCH_CSRF") ..
    "&username=nobody" .. id .. "&password=wrong+guess+" .. n
  local headers = {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = "rampart_session=" .. os.getenv("RAMPART_BENCH_COOKIE"),
    ["X-Forwarded-For"] = string.format("10.%d.%d.%d", math.random(0, 255), math.random(0, 255), math.random(1, 254)),
  }
  return wrk.format("POST", "/login", headers, body)
end
