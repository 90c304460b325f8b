"""Locust file for the django-helpdesk peer (run by xinkan/bench/peer_helpdesk.py, one tag per run).

The first simulated user logs in through helpdesk's login form (request names "login_form" and
"login", not part of any operation) and the others share its session; each then repeats its
operation without pause:

- "worklist": the ticket list page ("worklist_page") and the data request its table makes
  ("worklist_data", first 25 rows); the two together are reported as "worklist";
- "matter": a random loaded ticket's page;
- "dashboard": the staff dashboard;
- "intake": the staff "new ticket" form POST (the redirect to the ticket is not followed);
- "intake_api": POST /api/tickets/ (helpdesk's REST API, session authentication).

Environment: HELPDESK_BENCH_USERNAME, HELPDESK_BENCH_PASSWORD, HELPDESK_BENCH_QUEUES (queue ids,
comma list), HELPDESK_BENCH_TICKETS ("first-last" ticket id), BENCH_TEXTS (problem texts JSON).
"""

from __future__ import annotations

import copy
import json
import os
import random
import re
import time
from pathlib import Path
from typing import Any

from gevent.lock import Semaphore
from locust import HttpUser, constant, tag, task
from locust.exception import StopUser

TEXTS: dict[str, Any] = (
    json.loads(Path(os.environ["BENCH_TEXTS"]).read_text(encoding="utf-8"))
    if os.environ.get("BENCH_TEXTS")
    else {"problems": [["x", "{s}路灯坏了{d}天，晚上出行很不安全。"]], "streets": ["建设路"]}
)
QUEUES = [q for q in os.environ.get("HELPDESK_BENCH_QUEUES", "").split(",") if q]
FIRST, _, LAST = os.environ.get("HELPDESK_BENCH_TICKETS", "1-1").partition("-")
TABLE_URL = re.compile(r"""(/datatables_ticket_list/[^"'?\s]*)""")


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


# One login per locust process, its session shared by all simulated users, as in
# xinkan_intake.py: the password check is not what is measured.
_LOGIN = Semaphore()
_SESSION: dict[str, Any] = {}


class HelpdeskStaff(HttpUser):
    wait_time = constant(0)
    logged_in = False

    def _log_in(self) -> str | None:
        """Log in through helpdesk's login form; the error message, or None when logged in."""
        self.client.get("/login/", name="login_form")
        response = self.client.post(
            "/login/",
            data={
                "username": os.environ.get("HELPDESK_BENCH_USERNAME", ""),
                "password": os.environ.get("HELPDESK_BENCH_PASSWORD", ""),
                "csrfmiddlewaretoken": self.client.cookies.get("csrftoken", ""),
                "next": "/dashboard/",
            },
            name="login",
            allow_redirects=False,
        )
        if response.status_code != 302 or "sessionid" not in self.client.cookies:
            return f"helpdesk login failed (HTTP {response.status_code})"
        return None

    def on_start(self) -> None:
        with _LOGIN:
            if not _SESSION:
                error = self._log_in()
                _SESSION.update(
                    {"error": error}
                    if error
                    else {"cookies": list(self.client.cookies), "jar": self.client.cookies}
                )
        if "error" in _SESSION:
            self.environment.events.request.fire(
                request_type="GET",
                name="login",
                response_time=0,
                response_length=0,
                exception=RuntimeError(_SESSION["error"]),
                context={},
            )
            self.environment.runner.quit()
            raise StopUser()
        if self.client.cookies is not _SESSION["jar"]:
            # The cookies themselves, with their domain and path: a bare name=value copy would
            # sit beside the server's next Set-Cookie of the same name instead of being replaced.
            for cookie in _SESSION["cookies"]:
                self.client.cookies.set_cookie(copy.copy(cookie))

    def _csrf(self) -> str:
        return str(self.client.cookies.get("csrftoken", ""))

    def _problem(self) -> tuple[str, str]:
        _code, template = random.choice(TEXTS["problems"])
        description = fill(template)
        return description[:40], description

    @tag("worklist")
    @task
    def worklist(self) -> None:
        started = time.perf_counter()
        error: Exception | None = None
        size = 0
        with self.client.get("/tickets/", name="worklist_page", catch_response=True) as page:
            found = TABLE_URL.search(page.text or "")
            size += len(page.content or b"")
            if page.status_code != 200 or not found:
                error = RuntimeError(f"ticket list page: HTTP {page.status_code}")
                page.failure(str(error))
        if error is None and found:
            with self.client.get(
                found.group(1),
                params={"draw": 1, "start": 0, "length": 25},
                name="worklist_data",
                catch_response=True,
            ) as data:
                size += len(data.content or b"")
                if data.status_code != 200 or '"data"' not in (data.text or ""):
                    error = RuntimeError(f"ticket list data: HTTP {data.status_code}")
                    data.failure(str(error))
        self.environment.events.request.fire(
            request_type="GET",
            name="worklist",
            response_time=(time.perf_counter() - started) * 1000,
            response_length=size,
            exception=error,
            context={},
        )

    @tag("matter")
    @task
    def matter(self) -> None:
        ticket = random.randint(int(FIRST), int(LAST))
        self.client.get(f"/tickets/{ticket}/", name="matter")

    @tag("dashboard")
    @task
    def dashboard(self) -> None:
        self.client.get("/dashboard/", name="dashboard")

    @tag("intake")
    @task
    def intake(self) -> None:
        title, body = self._problem()
        with self.client.post(
            "/tickets/submit/",
            data={
                "csrfmiddlewaretoken": self._csrf(),
                "queue": random.choice(QUEUES),
                "title": title,
                "body": body,
                "priority": "3",
                "submitter_email": f"resident{random.randint(1, 200000)}@example.cn",
                "assigned_to": "",
                "due_date": "",
            },
            name="intake",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302 or "/tickets/" not in response.headers.get(
                "Location", ""
            ):
                response.failure(f"no ticket created (HTTP {response.status_code})")

    @tag("intake_api")
    @task
    def intake_api(self) -> None:
        title, body = self._problem()
        with self.client.post(
            "/api/tickets/",
            json={
                "queue": int(random.choice(QUEUES)),
                "title": title,
                "description": body,
                "priority": 3,
                "submitter_email": f"resident{random.randint(1, 200000)}@example.cn",
            },
            headers={"X-CSRFToken": self._csrf(), "Referer": self.host},
            name="intake_api",
            catch_response=True,
        ) as response:
            if response.status_code != 201:
                response.failure(f"HTTP {response.status_code}: {(response.text or '')[:200]}")
