"""Database set-up and bulk load of the django-helpdesk peer site (run with the peer's own
interpreter from the site's directory; prints one JSON object on its last line).

    python loader.py recreate-db
    python loader.py seed --tickets N --texts texts.json --username U --password P

`seed` makes one queue per matter category, ten staff members (the bench user among them) and N
tickets with their "ticket opened" follow-up, by COPY in batches, with the same shape as Xinkan's
benchmark matters: the same Chinese problem texts, registered over three years (recent ones more
often), about a quarter still open. Each figure it prints is measured here.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import time
import uuid
from pathlib import Path
from typing import Any

BATCH = 50_000
STAFF = 10
# Xinkan's benchmark state mix mapped onto helpdesk's statuses: resolved/concluded → closed,
# declined → closed, merged → duplicate, replied (waiting for the rating) → resolved,
# in review → reopened, everything still being handled → open.
STATUS_MIX = [(4, 0.67), (5, 0.02), (3, 0.08), (2, 0.01), (1, 0.22)]
PRIORITIES = [(1, 0.03), (2, 0.12), (3, 0.7), (4, 0.1), (5, 0.05)]


def _connect_admin() -> Any:
    import psycopg

    return psycopg.connect(
        host=os.environ.get("HELPDESK_DB_HOST", "127.0.0.1"),
        port=os.environ.get("HELPDESK_DB_PORT", "5432"),
        user=os.environ.get("HELPDESK_DB_USER", "postgres"),
        password=os.environ.get("HELPDESK_DB_PASSWORD", ""),
        dbname="postgres",
        autocommit=True,
    )


def recreate_db() -> dict[str, object]:
    from psycopg import sql

    name = os.environ.get("HELPDESK_DB_NAME", "helpdesk_peer")
    with _connect_admin() as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return {"database": name}


def _fill(template: str, streets: list[str], rng: random.Random) -> str:
    # The same placeholders as xinkan/bench/scale/texts.py's problem texts.
    return template.format(
        b=rng.randint(1, 40),
        u=rng.randint(1, 6),
        d=rng.randint(2, 20),
        f=rng.randint(1, 18),
        t=rng.randint(10, 16),
        s=rng.choice(streets),
        n=rng.randint(1, 300),
        h=rng.randint(1, 3),
        m=rng.randint(3, 60) * 1000,
        c=rng.randint(2, 9),
    )


def _pick(mix: list[tuple[int, float]], rng: random.Random) -> int:
    return rng.choices([v for v, _w in mix], [w for _v, w in mix])[0]


def seed(tickets: int, texts: Path, username: str, password: str) -> dict[str, object]:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")
    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone
    from helpdesk.models import FollowUp, Queue, Ticket

    data = json.loads(texts.read_text(encoding="utf-8"))
    problems: list[tuple[str, str]] = [tuple(p) for p in data["problems"]]
    streets: list[str] = data["streets"]
    rng = random.Random(7)
    user_model = get_user_model()

    with transaction.atomic():
        queues = []
        for code, _template in problems:
            slug = code.replace(".", "-")
            queue, _ = Queue.objects.get_or_create(
                slug=slug, defaults={"title": code, "allow_public_submission": False}
            )
            queues.append(queue)
        staff = []
        for i in range(STAFF):
            name = username if i == 0 else f"{username}_colleague{i}"
            user = user_model.objects.filter(username=name).first()
            if user is None:
                user = user_model.objects.create_user(
                    username=name, email=f"{name}@example.com", password=password
                )
            user.is_staff = True
            user.set_password(password)
            user.save()
            staff.append(user)
    queue_of = {code: q for (code, _t), q in zip(problems, queues, strict=True)}

    pool = [(code, _fill(template, streets, rng)) for code, template in problems for _ in range(40)]
    now = timezone.now()
    three_years = 3 * 365 * 24 * 3600
    ticket_fields = [f for f in Ticket._meta.concrete_fields if not f.primary_key]
    followup_fields = [f for f in FollowUp._meta.concrete_fields if not f.primary_key]

    def columns(fields: list[Any]) -> str:
        return ", ".join(connection.ops.quote_name(f.column) for f in fields)

    def values(obj: object, fields: list[Any]) -> list[object]:
        return [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields]

    started = time.perf_counter()
    loaded = 0
    with connection.cursor() as cursor:
        raw = cursor.cursor
        while loaded < tickets:
            size = min(BATCH, tickets - loaded)
            batch = []
            for _ in range(size):
                code, description = rng.choice(pool)
                status = _pick(STATUS_MIX, rng)
                created = now - dt.timedelta(seconds=rng.random() ** 1.6 * three_years)
                is_open = status in (1, 2)
                owner = None if (is_open and rng.random() < 0.15) else rng.choice(staff)
                batch.append(
                    Ticket(
                        title=description[:40],
                        queue=queue_of[code],
                        created=created,
                        modified=created + dt.timedelta(days=rng.randint(0, 40)),
                        submitter_email=f"resident{rng.randint(1, 200000)}@example.cn",
                        assigned_to=owner,
                        status=status,
                        description=description,
                        priority=_pick(PRIORITIES, rng),
                        secret_key=str(uuid.uuid4()),
                    )
                )
            with transaction.atomic():
                cursor.execute("SELECT COALESCE(MAX(id), 0) FROM helpdesk_ticket")
                (before,) = cursor.fetchone()
                with raw.copy(
                    f"COPY helpdesk_ticket ({columns(ticket_fields)}) FROM STDIN"
                ) as copy:
                    for ticket in batch:
                        copy.write_row(values(ticket, ticket_fields))
                cursor.execute("SELECT id FROM helpdesk_ticket WHERE id > %s ORDER BY id", [before])
                ids = [row[0] for row in cursor.fetchall()]
                if len(ids) != len(batch):
                    raise RuntimeError(
                        "ticket ids do not line up with the batch (concurrent writes?)"
                    )
                with raw.copy(
                    f"COPY helpdesk_followup ({columns(followup_fields)}) FROM STDIN"
                ) as copy:
                    for ticket_id, ticket in zip(ids, batch, strict=True):
                        followup = FollowUp(
                            ticket_id=ticket_id,
                            date=ticket.created,
                            title="Ticket Opened",
                            comment=ticket.description,
                            public=True,
                            user=rng.choice(staff),
                        )
                        copy.write_row(values(followup, followup_fields))
            loaded += size
            rate = loaded / (time.perf_counter() - started)
            print(f"  {loaded:>10,} / {tickets:,} tickets ({rate:,.0f} tickets/s)", flush=True)
        cursor.execute("ANALYZE helpdesk_ticket; ANALYZE helpdesk_followup")
        cursor.execute("SELECT MIN(id), MAX(id), COUNT(*) FROM helpdesk_ticket")
        low, high, count = cursor.fetchone()
    seconds = time.perf_counter() - started
    return {
        "tickets": count,
        "followups": loaded,
        "seconds": round(seconds, 2),
        "rows_per_s": round(2 * loaded / seconds) if seconds else None,
        "tickets_per_s": round(loaded / seconds) if seconds else None,
        "ticket_ids": [low, high],
        "queues": [q.pk for q in queues],
        "categories": [code for code, _t in problems],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("recreate-db")
    seed_parser = sub.add_parser("seed")
    seed_parser.add_argument("--tickets", type=int, required=True)
    seed_parser.add_argument("--texts", type=Path, required=True)
    seed_parser.add_argument("--username", required=True)
    seed_parser.add_argument("--password", required=True)
    args = parser.parse_args()
    if args.command == "recreate-db":
        result = recreate_db()
    else:
        result = seed(args.tickets, args.texts, args.username, args.password)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
