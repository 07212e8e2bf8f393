"""Paced signed-in GETs for bench/flood.sh (PACED=RATE): one request every
1/RATE seconds on one keep-alive connection, open loop (a request sent late
counts its wait from when it was due), so the figure is a person's wait at
a load the server is not saturated by, not a saturating load's queue.
Usage: paced.py PORT PATH SESSION USER_AGENT RATE SECONDS
Prints the p50, p99 and maximum wait, and a wrk-style `99%` line."""

import http.client
import sys
import time

port, path, session, agent = sys.argv[1:5]
rate, seconds = float(sys.argv[5]), float(sys.argv[6])
# The headers the wrk loads send (bench/common.sh `fwd`): a forward-auth
# check (PAGE=/auth/verify) needs them; the page ignores them.
headers = {"Cookie": f"rampart_session={session}", "User-Agent": agent,
           "X-Forwarded-Method": "GET", "X-Forwarded-Proto": "https",
           "X-Forwarded-Host": "app.example.com", "X-Forwarded-Uri": "/page"}
conn = http.client.HTTPConnection("127.0.0.1", int(port), timeout=10)
waits = []
count = int(rate * seconds)
if count < 1:
    sys.exit("RATE × SECONDS must be at least 1")
start = time.perf_counter()
for i in range(count):
    due = start + i / rate
    now = time.perf_counter()
    if due > now:
        time.sleep(due - now)
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    response.read()
    if response.status != 200:
        sys.exit(f"{path}: {response.status}")
    waits.append(time.perf_counter() - due)
waits.sort()
p99 = waits[int(count * 0.99)] * 1e3
print(f"paced {rate:g}/s, {count} requests: p50 {waits[count // 2] * 1e3:.3f}ms, "
      f"p99 {p99:.3f}ms, max {waits[-1] * 1e3:.2f}ms")
print(f"  99%    {p99:.3f}ms")
