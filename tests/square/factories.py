"""Square test data, made through the square services (tests/conftest.py's cast acts)."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from django.utils import timezone

from tests.matters import factories as mf
from xinkan.accounts.models import User
from xinkan.org.models import Unit
from xinkan.square import services
from xinkan.square.models import Panelist, Question, Session

TEXT = "东风里小区3号楼电梯坏了三天，老人上下楼很困难，物业一直没人来修，怎么办？"
NAME = "王秀英"
PHONE = "13800138000"
_seq = itertools.count(1)


def session(
    cast: Any,
    *,
    by: User | None = None,
    unit: Unit | None = None,
    days: float = 0,
    state: str = "open",
    theme: str = "住房保障与物业管理专场",
) -> Session:
    """A session of the district (run by the cast's leader) with the district's 住建局 answering,
    moved on to `state`."""
    by = by or cast.leader
    made = services.plan_session(
        services.SessionDetails(
            theme=theme,
            starts_at=timezone.now() + dt.timedelta(days=days),
            place="清河区人民广场",
            unit=unit or cast.district,
            broadcast_media="清河电视台",
        ),
        by=by,
    )
    services.add_panelist(
        made, department=cast.department, leader_name="王建军", leader_title="局长", by=by
    )
    if state in {"open", "live", "finished"}:
        services.open_for_questions(made, by=by)
    if state in {"live", "finished"}:
        services.go_live(made, by=by)
    if state == "finished":
        services.finish_session(made, by=by, attendance=300)
    made.refresh_from_db()
    return made


def panelist(session: Session) -> Panelist:
    return session.panelists.select_related("department").get()


def submitted(session: Session, text: str = TEXT, **values: Any) -> Question:
    values.setdefault("asker_name", NAME)
    values.setdefault("asker_phone", PHONE)
    return services.submit_question(
        session, services.NewQuestion(text=text, idempotency_key=f"t{next(_seq)}", **values)
    )


def queued(session: Session, by: User, text: str = TEXT, **values: Any) -> Question:
    """In the queue, put to 住建局: sent in and approved, or (live) registered by staff."""
    if session.state == "live":
        values.setdefault("asker_name", NAME)
        values.setdefault("asker_phone", PHONE)
        return services.register_question(
            session, services.NewQuestion(text=text, **values), by=by, panelist=panelist(session)
        )
    question = submitted(session, text, **values)
    return services.approve_question(question, by=by, panelist=panelist(session))


def live_session(cast: Any) -> Session:
    return session(cast, state="live")


def promised(
    cast: Any, session: Session | None = None, *, due: dt.date | None = None, **values: Any
) -> Question:
    """A question of a live session promised by 住建局 (by `due`, ten days on by default)."""
    session = session or live_session(cast)
    question = queued(session, cast.leader, **values)
    return services.promise(
        question,
        by=cast.leader,
        answer="住建局承诺十日内督促物业修复电梯。",
        due=due or timezone.localdate() + dt.timedelta(days=10),
        category=mf.category(),
    )
