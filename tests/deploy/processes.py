"""Running a small Xinkan deployment on this machine for a test: a scratch PostgreSQL database,
gunicorn web processes and Celery workers started with the production commands and settings
(docs/deploy.md), a broker client to send them work, and what their logs say they did.

Every process is started in its own session and stopped by the test (TERM, then KILL), or by the
kernel when the test process dies; the database is dropped. A run's Celery queue and worker names carry a random run id, so runs on one
Redis never take each other's work.
"""

from __future__ import annotations

import ast
import base64
import contextlib
import ctypes
import http.client
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
from celery import Celery

ROOT = Path(__file__).resolve().parents[2]
# Carried over from the test's environment; everything else a process sees is set here.
_PASSED_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "PYTHONPATH", "VIRTUAL_ENV")


# Linux's prctl, looked up here: the child between fork and exec only calls it.
_PRCTL = ctypes.CDLL(None).prctl if sys.platform.startswith("linux") else None
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child before exec: TERM it when the test process dies, so a killed test run leaves
    no servers behind."""
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, signal.SIGTERM)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def random_key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


# --- The database -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PgServer:
    host: str
    port: int
    user: str
    password: str

    @classmethod
    def from_django(cls, database: Mapping[str, Any]) -> PgServer:
        return cls(
            host=database.get("HOST") or "127.0.0.1",
            port=int(database.get("PORT") or 5432),
            user=database.get("USER") or "postgres",
            password=database.get("PASSWORD") or "",
        )

    def url(self, name: str) -> str:
        auth = quote(self.user, safe="")
        if self.password:
            auth += ":" + quote(self.password, safe="")
        return f"postgresql://{auth}@{self.host}:{self.port}/{name}"

    def connect(self, name: str = "postgres") -> psycopg.Connection[Any]:
        return psycopg.connect(self.url(name), autocommit=True, connect_timeout=3)

    def create(self, name: str) -> None:
        with self.connect() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')

    def drop(self, name: str) -> None:
        with self.connect() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def redis_answers(url: str) -> bool:
    import redis

    server = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        server.ping()
    except Exception:
        return False
    finally:
        server.close()
    return True


# --- The processes ------------------------------------------------------------------------------


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def signal(self, signum: int) -> None:
        """Signal its process group (the master and its children, which it started)."""
        with contextlib.suppress(ProcessLookupError):  # the whole group has ended
            os.killpg(self.popen.pid, signum)

    def finish(self, timeout: float = 10) -> None:
        """Wait for it to end after a TERM; KILL the group when it does not, or left children."""
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout)
        self.signal(signal.SIGKILL)
        self.popen.wait(5)


@dataclass
class Web(Process):
    port: int = 0

    def request(
        self, method: str, path: str, body: Any = None, headers: Mapping[str, str] | None = None
    ) -> tuple[int, dict[str, str], Any]:
        """One HTTP request on a new connection: (status, headers, decoded JSON or None)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            payload = None if body is None else json.dumps(body, ensure_ascii=False).encode()
            sent = {"Content-Type": "application/json", **(headers or {})}
            conn.request(method, path, body=payload, headers=sent)
            response = conn.getresponse()
            raw = response.read()
            answer = {key.lower(): value for key, value in response.getheaders()}
        finally:
            conn.close()
        try:
            data = json.loads(raw) if raw else None
        except ValueError:
            data = None
        return response.status, answer, data


@dataclass
class Worker(Process):
    node: str = ""


@dataclass
class TaskRun:
    worker: str
    name: str
    ok: bool
    result: Any


_TASK_LINE = re.compile(
    r"Task (?P<name>[\w.]+)\[(?P<id>[0-9a-f-]{36})\] "
    r"(?:succeeded in [\d.e-]+s: (?P<result>.*)|(?P<failure>raised .*))$"
)


def _literal(text: str) -> Any:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


@dataclass
class Deployment:
    """The scratch database, the environment every part shares, and the started processes."""

    pg: PgServer
    redis_url: str
    workdir: Path
    run: str = field(default_factory=lambda: secrets.token_hex(4))
    processes: list[Process] = field(default_factory=list)

    @property
    def database(self) -> str:
        return f"xinkan_scaleout_{self.run}"

    @property
    def queue(self) -> str:
        return f"xinkan-scaleout-{self.run}"

    def __post_init__(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        # What docs/deploy.md asks of every part: the same secrets, the database and the broker.
        self.env = {key: os.environ[key] for key in _PASSED_ENV if key in os.environ}
        self.env.update(
            {
                "DJANGO_SETTINGS_MODULE": "xinkan.settings",
                "DATABASE_URL": self.pg.url(self.database),
                "REDIS_URL": self.redis_url,
                "SECRET_KEY": secrets.token_urlsafe(50),
                "XINKAN_DATA_KEYS": f"k1:{random_key()}",
                "XINKAN_INDEX_KEY": random_key(),
                "ALLOWED_HOSTS": "127.0.0.1,localhost",
                "XINKAN_VAR_DIR": str(self.workdir / "var"),
                "XINKAN_MEDIA_ROOT": str(self.workdir / "media"),
                "SCALEOUT_QUEUE": self.queue,
                "PYTHONDONTWRITEBYTECODE": "1",
                "PYTHONUNBUFFERED": "1",
            }
        )

    # --- the database

    def create_database(self) -> None:
        self.pg.create(self.database)

    def drop_database(self) -> None:
        self.pg.drop(self.database)

    def sql(self, query: str, params: Any = None) -> list[tuple[Any, ...]]:
        with self.pg.connect(self.database) as conn:
            cursor = conn.execute(query, params)
            return cursor.fetchall() if cursor.description else []

    def python(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """`python <args>` in the deployment's environment; fails with its output when it fails."""
        done = subprocess.run(  # noqa: S603 - our own interpreter and arguments
            [sys.executable, *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode != 0:
            raise AssertionError(
                f"python {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
            )
        return done

    def manage(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return self.python("manage.py", *args, timeout=timeout)

    # --- the processes

    def _start(self, name: str, args: list[str]) -> tuple[subprocess.Popen[bytes], Path]:
        log = self.workdir / f"{name}.log"
        with log.open("wb") as out:
            popen = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
                [sys.executable, *args],
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, stopped as one
                preexec_fn=_die_with_parent,
            )
        return popen, log

    def start_web(self, name: str, *, workers: int = 2) -> Web:
        port = free_port()
        popen, log = self._start(
            name,
            # docs/deploy.md's command, on a port of this run.
            [
                "-m",
                "gunicorn",
                "xinkan.wsgi:application",
                "--workers",
                str(workers),
                "--bind",
                f"127.0.0.1:{port}",
                "--max-requests",
                "2000",
                "--timeout",
                "60",
            ],
        )
        web = Web(name, popen, log, port=port)
        self.processes.append(web)
        return web

    def start_worker(self, name: str, *, concurrency: int = 2) -> Worker:
        node = f"{name}-{self.run}@{socket.gethostname()}"
        popen, log = self._start(
            name,
            [
                "-m",
                "celery",
                "-A",
                "xinkan",
                "worker",
                "--loglevel",
                "INFO",
                "--concurrency",
                str(concurrency),
                "--hostname",
                node,
                # The run's own queue; no gossip or mingle with workers of other runs.
                "--queues",
                self.queue,
                "--without-gossip",
                "--without-mingle",
            ],
        )
        worker = Worker(name, popen, log, node=node)
        self.processes.append(worker)
        return worker

    def stop(self) -> None:
        """All at once: TERM to every process, then wait for each (KILL after 10 s)."""
        for process in self.processes:
            process.signal(signal.SIGTERM)
        for process in self.processes:
            process.finish()

    def check_running(self) -> None:
        for process in self.processes:
            if process.popen.poll() is not None:
                raise AssertionError(
                    f"{process.name} exited with {process.popen.returncode}:\n{process.tail()}"
                )

    def wait_for_web(self, webs: list[Web], timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        waiting = list(webs)
        while waiting:
            self.check_running()
            web = waiting[0]
            try:
                status, _headers, _body = web.request("GET", "/healthz")
            except OSError:
                status = 0
            if status == 200:
                waiting.pop(0)
                continue
            if time.monotonic() > deadline:
                raise AssertionError(f"{web.name} did not answer /healthz:\n{web.tail()}")
            time.sleep(0.2)

    # --- the broker

    def client(self) -> Celery:
        """A plain broker client (not the project's app, which the test process runs eagerly)."""
        client = Celery(f"scaleout-{self.run}", broker=self.redis_url, set_as_current=False)
        client.conf.update(
            task_default_queue=self.queue,
            broker_connection_retry_on_startup=False,
            broker_connection_max_retries=1,
        )
        return client

    def wait_for_workers(self, client: Celery, workers: list[Worker], timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        nodes = {worker.node for worker in workers}
        answered: set[str] = set()
        while answered != nodes:
            self.check_running()
            replies = client.control.ping(destination=sorted(nodes - answered), timeout=0.5)
            for reply in replies or []:
                answered.update(reply)
            if answered != nodes and time.monotonic() > deadline:
                missing = [w for w in workers if w.node not in answered]
                raise AssertionError(
                    "workers did not answer: "
                    + "; ".join(f"{w.name}:\n{w.tail()}" for w in missing)
                )

    def forget_queue(self) -> None:
        """Remove the run's keys from Redis (its queue and the queue's binding)."""
        import redis

        server = redis.Redis.from_url(self.redis_url, socket_connect_timeout=2)
        try:
            for key in server.scan_iter(match=f"*{self.queue}*", count=500):
                server.delete(key)
        finally:
            server.close()

    # --- what the workers did

    def task_runs(self, workers: list[Worker]) -> dict[str, TaskRun]:
        """Every finished task by its id, from the workers' logs."""
        runs: dict[str, TaskRun] = {}
        for worker in workers:
            for line in _lines(worker.log):
                found = _TASK_LINE.search(line)
                if found is None:
                    continue
                failure = found.group("failure")
                runs[found.group("id")] = TaskRun(
                    worker=worker.name,
                    name=found.group("name"),
                    ok=failure is None,
                    result=failure if failure else _literal(found.group("result")),
                )
        return runs

    def wait_for_tasks(
        self, workers: list[Worker], ids: list[str], timeout: float = 30
    ) -> dict[str, TaskRun]:
        deadline = time.monotonic() + timeout
        while True:
            self.check_running()
            runs = self.task_runs(workers)
            if all(task_id in runs for task_id in ids):
                failed = {i: runs[i] for i in ids if not runs[i].ok}
                if failed:
                    raise AssertionError(
                        f"tasks failed: {failed}\n" + "\n".join(w.tail() for w in workers)
                    )
                return {task_id: runs[task_id] for task_id in ids}
            if time.monotonic() > deadline:
                missing = [i for i in ids if i not in runs]
                raise AssertionError(
                    f"{len(missing)} of {len(ids)} tasks not done within {timeout} s:\n"
                    + "\n".join(w.tail() for w in workers)
                )
            time.sleep(0.2)

    def wait_for_runs_of(
        self, workers: list[Worker], name: str, expected: int, timeout: float = 30
    ) -> dict[str, TaskRun]:
        """At least `expected` runs of the task `name`, whoever sent them."""
        deadline = time.monotonic() + timeout
        while True:
            ids = [i for i, run in self.task_runs(workers).items() if run.name == name]
            if len(ids) >= expected or time.monotonic() > deadline:
                return self.wait_for_tasks(workers, ids, timeout=0)
            time.sleep(0.2)


def _lines(path: Path) -> Iterator[str]:
    if path.exists():
        yield from path.read_text(errors="replace").splitlines()
