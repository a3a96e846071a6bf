"""PocketPaw 0.4.18's own session endpoint and auth middleware, for `make bench`.

Serves, under uvicorn with one worker (as NOTES §2 measured; uvloop and httptools when
installed, as scripts/bench.sh does):
  POST /api/auth/session  - pocketpaw.dashboard_auth.auth_router's exchange_session_token
  GET  /api/protected     - a trivial route behind pocketpaw.dashboard_auth.AuthMiddleware
Both go through PocketPaw's AuthMiddleware unchanged. Its rate limiters (auth: 1 req/s,
burst 5; api: 10 req/s, burst 30) are switched off by raising the rate and capacity of its
module-level limiter instances, so only the work is timed. `localhost_auth_bypass` is set
to false in the config (scripts/bench.sh writes it), so a request without a valid session
token gets 401 instead of the localhost pass: the verified figure times a real HMAC check.

Run: HOME=<scratch> python bench-pocketpaw.py PORT
"""

import sys

import uvicorn
from fastapi import FastAPI

from pocketpaw.security import rate_limiter

for limiter in (rate_limiter.auth_limiter, rate_limiter.api_limiter):
    limiter.rate = 1e12
    limiter.capacity = 10**12

from pocketpaw.dashboard_auth import AuthMiddleware, auth_router  # noqa: E402

app = FastAPI()
app.add_middleware(AuthMiddleware)
app.include_router(auth_router)


@app.get("/api/protected")
async def protected():
    return {"ok": True}


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
