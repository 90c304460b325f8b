"""Locust file for Xinkan itself (run by `manage.py bench`, one tag per run; request names are
stable: "intake", "worklist", "matter", "dashboard").

- "intake": POST /api/v1/matters through the REST API with a Bearer token, a fresh
  Idempotency-Key per request and a JSON body (a problem text of the benchmark matters, its
  category, a random unit of the list given, a phone intake with a contact) — expects 201, or 200
  when Xinkan folds the submission into an earlier matter of the same person;
- "worklist": the staff worklist page (first page of the default list), logged in;
- "matter": a matter's page, logged in (ids from XINKAN_BENCH_MATTERS, all in the user's scope);
- "dashboard": the performance dashboard (/metrics/), logged in.

The pages need a session: the first simulated user to need one logs in through the login form
with its CSRF token (request names "login_form"/"login", not part of any operation) and the
others share that session; an intake-only run never logs in. A failed login ends the run at once
and is reported as the operation's failure, with the reason. The bench user must be of a role that logs in
without a second factor (XINKAN_2FA_REQUIRED_ROLES; a community worker or a subdistrict cadre
by default) and not be due to change its password. Over plain HTTP the server must run with
XINKAN_SECURE_COOKIES=0, or the session cookie is never sent back.

Environment:
  XINKAN_BENCH_TOKEN        API token allowed matters.register on the units below
  XINKAN_BENCH_CATEGORIES   category codes, comma list (problem texts are limited to these)
  XINKAN_BENCH_UNITS        unit ids (grids or communities in the token's scope), comma list
  XINKAN_BENCH_MATTERS      matter ids for "matter": comma list, or "first-last"
  XINKAN_BENCH_USERNAME, XINKAN_BENCH_PASSWORD   the staff user for the pages
  XINKAN_BENCH_WORKLIST     worklist URL (default /matters/)
  BENCH_TEXTS               problem texts JSON (written by xinkan.bench.peer_helpdesk.write_texts)
"""

from __future__ import annotations

import copy
import json
import os
import random
import uuid
from pathlib import Path
from typing import Any

from gevent.lock import Semaphore
from locust import HttpUser, constant, tag, task
from locust.exception import StopUser

TEXTS: dict[str, Any] = (
    json.loads(Path(os.environ["BENCH_TEXTS"]).read_text(encoding="utf-8"))
    if os.environ.get("BENCH_TEXTS")
    else {
        "problems": [["roads.lights", "{s}{n}号附近的路灯坏了{d}天，晚上出行很不安全。"]],
        "streets": ["建设路"],
    }
)
CATEGORIES = {c for c in os.environ.get("XINKAN_BENCH_CATEGORIES", "").split(",") if c}
PROBLEMS = [p for p in TEXTS["problems"] if not CATEGORIES or p[0] in CATEGORIES] or [
    [code, "{s}附近有问题{d}天了，请尽快处理。"] for code in sorted(CATEGORIES)
]
UNITS = [int(u) for u in os.environ.get("XINKAN_BENCH_UNITS", "").split(",") if u]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "秀英桂英玉兰建国建华志强国华红梅海燕丽娟明军淑珍"


def _matter_ids() -> list[int]:
    raw = os.environ.get("XINKAN_BENCH_MATTERS", "")
    if "-" in raw and "," not in raw:
        first, _, last = raw.partition("-")
        return list(range(int(first), int(last) + 1))
    return [int(m) for m in raw.split(",") if m]


MATTERS = _matter_ids()


def fill(template: str) -> str:
    # The placeholders of xinkan/bench/scale/texts.py's problem texts.
    return template.format(
        b=random.randint(1, 40),
        u=random.randint(1, 6),
        d=random.randint(2, 20),
        f=random.randint(1, 18),
        t=random.randint(10, 16),
        s=random.choice(TEXTS["streets"]),
        n=random.randint(1, 300),
        h=random.randint(1, 3),
        m=random.randint(3, 60) * 1000,
        c=random.randint(2, 9),
    )


def intake_body() -> dict[str, Any]:
    code, template = random.choice(PROBLEMS)
    given = random.randrange(0, len(GIVEN), 2)
    return {
        "category": code,
        "unit": random.choice(UNITS),
        "description": fill(template),
        "channel": "phone",
        "contact_name": random.choice(SURNAMES) + GIVEN[given : given + 2],
        "contact_phone": f"13{random.randint(100000000, 999999999)}",
    }


# One login per locust process, its session shared by all simulated users (kept alike in
# helpdesk.py): the password check is not what is measured, and a wrong password stops the run at
# the first attempt instead of locking the account.
_LOGIN = Semaphore()
_SESSION: dict[str, Any] = {}


class XinkanStaff(HttpUser):
    wait_time = constant(0)
    logged_in = False

    def _log_in(self) -> str | None:
        """Log in through the form; the error message, or None once the session is set."""
        self.client.get("/accounts/login/", name="login_form")
        response = self.client.post(
            "/accounts/login/",
            data={
                "username": os.environ.get("XINKAN_BENCH_USERNAME", ""),
                "password": os.environ.get("XINKAN_BENCH_PASSWORD", ""),
                "csrfmiddlewaretoken": self.client.cookies.get("csrftoken", ""),
            },
            name="login",
            allow_redirects=False,
        )
        target = response.headers.get("Location", "")
        if response.status_code != 302 or "/accounts/" in target:
            # The login page again, the second-factor step or a forced password change.
            return (
                f"Xinkan login failed (HTTP {response.status_code}, to {target or 'nowhere'}): "
                "check the bench user's password, its role (no second factor) and that it "
                "need not change its password"
            )
        if "sessionid" not in self.client.cookies:
            return (
                "Xinkan login set no session cookie usable over plain HTTP: run the server "
                "with XINKAN_SECURE_COOKIES=0"
            )
        return None

    def _login(self, operation: str) -> None:
        if self.logged_in:
            return
        with _LOGIN:
            if not _SESSION:
                error = self._log_in()
                _SESSION.update(
                    {"error": error}
                    if error
                    else {"cookies": list(self.client.cookies), "jar": self.client.cookies}
                )
        if "error" in _SESSION:
            self._give_up(operation, _SESSION["error"])
        if self.client.cookies is not _SESSION["jar"]:
            # The cookies themselves, with their domain and path: a bare name=value copy would
            # sit beside the server's next Set-Cookie of the same name instead of being replaced.
            for cookie in _SESSION["cookies"]:
                self.client.cookies.set_cookie(copy.copy(cookie))
        self.logged_in = True

    def _give_up(self, operation: str, message: str) -> None:
        """Record why the operation cannot run as its failure, and end the whole run."""
        self.environment.events.request.fire(
            request_type="GET",
            name=operation,
            response_time=0,
            response_length=0,
            exception=RuntimeError(message),
            context={},
        )
        self.environment.runner.quit()
        raise StopUser()

    def _page(self, path: str, name: str) -> None:
        self._login(name)
        with self.client.get(
            path, name=name, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(
                    f"HTTP {response.status_code} {response.headers.get('Location', '')}".strip()
                )

    @tag("intake")
    @task
    def intake(self) -> None:
        if not UNITS or not os.environ.get("XINKAN_BENCH_TOKEN"):
            self._give_up("intake", "XINKAN_BENCH_TOKEN and XINKAN_BENCH_UNITS must be set")
        with self.client.post(
            "/api/v1/matters",
            json=intake_body(),
            headers={
                "Authorization": f"Bearer {os.environ.get('XINKAN_BENCH_TOKEN', '')}",
                "Idempotency-Key": uuid.uuid4().hex,
            },
            name="intake",
            catch_response=True,
        ) as response:
            if response.status_code not in (200, 201):
                try:
                    code = response.json()["error"]["code"]
                except (ValueError, KeyError, TypeError):
                    code = "no error body"
                response.failure(f"HTTP {response.status_code} {code}")

    @tag("worklist")
    @task
    def worklist(self) -> None:
        self._page(os.environ.get("XINKAN_BENCH_WORKLIST", "/matters/"), "worklist")

    @tag("matter")
    @task
    def matter(self) -> None:
        if not MATTERS:
            self._give_up(
                "matter", "XINKAN_BENCH_MATTERS (matter ids in the user's scope) is not set"
            )
        self._page(f"/matters/{random.choice(MATTERS)}/", "matter")

    @tag("dashboard")
    @task
    def dashboard(self) -> None:
        self._page("/metrics/", "dashboard")
