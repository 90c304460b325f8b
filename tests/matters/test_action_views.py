"""The action endpoints (POST /matters/<id>/<action>/): each works for the member whose part it is,
is refused (403/404, nothing changed) to the outsider and to every other role, refuses a stale form
and invalid input with a message and no change, and answers only POST."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.utils import timezone, translation

from tests import factories
from tests.conftest import login_as
from tests.matters import factories as mf
from tests.matters.checks import denials, snapshot
from tests.matters.web import messages_of, refusal, zh
from tests.scope import Probe, assert_scope
from xinkan.accounts.models import User
from xinkan.matters import forms, services
from xinkan.matters.access import dispatch_targets
from xinkan.matters.models import (
    AccompaniedVisit,
    Assignment,
    AssignmentState,
    Attachment,
    Companion,
    CompanionMode,
    Deadline,
    ExtensionRequest,
    FollowUp,
    LinkKind,
    Matter,
    MatterLink,
    Objection,
    Outcome,
    Stage,
    State,
)
from xinkan.matters.views.actions import ACTIONS
from xinkan.org.models import Department

STALE = "This matter was changed by someone else. Reload it and try again."
REQUIRED = "This field is required."


@dataclass
class More:
    """A second department of the district (城管局) with its own handler."""

    department: Department
    handler: User


@pytest.fixture
def more(cast) -> More:  # type: ignore[no-untyped-def]
    department = factories.department("清河区城市管理局", cast.district, code="139901-CGJ")
    return More(department, mf.handler_of(department, "handler2"))


def url(matter: Matter, action: str) -> str:
    return f"/matters/{matter.pk}/{action}/"


def fresh(matter: Matter) -> Matter:
    return Matter.objects.get(pk=matter.pk)


def earlier(hours: int = 1) -> str:
    """A moment `hours` ago, as a datetime-local field sends it."""
    return (timezone.localtime() - dt.timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M")


def later(days: int = 2) -> str:
    return (timezone.localtime() + dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


# --- Matters in the state each action needs ------------------------------------------------------


def registered(cast, more) -> Matter:  # type: ignore[no-untyped-def]
    return mf.matter(cast.grid, cast.grid_worker)


def accepted(cast, more) -> Matter:  # type: ignore[no-untyped-def]
    return mf.accepted(cast)


def dispatched(cast, more) -> Matter:  # type: ignore[no-untyped-def]
    return mf.dispatched(cast)


def handling(cast, more) -> Matter:  # type: ignore[no-untyped-def]
    return mf.handling(cast)


def co_handled(cast, more) -> Matter:  # type: ignore[no-untyped-def]
    matter = mf.handling(cast, co=[more.department])
    services.sign_for(matter, by=more.handler)
    return matter


def extension_asked(cast, more) -> Matter:  # type: ignore[no-untyped-def]
    matter = mf.handling(cast)
    services.request_extension(matter, by=cast.handler, days=10, reason="需要协调多个单位现场勘查")
    return matter


def objected(cast, more) -> Matter:  # type: ignore[no-untyped-def]
    matter = mf.dispatched(cast)
    services.object_to_dispatch(
        matter, by=cast.handler, reason="该事项属于物业公司职责，不属于本局"
    )
    return matter


def replied(cast, more) -> Matter:  # type: ignore[no-untyped-def]
    return mf.replied(cast)


def in_review(cast, more) -> Matter:  # type: ignore[no-untyped-def]
    matter = mf.replied(cast)
    services.request_review(matter, by=cast.community_worker, reason="居民认为电梯仍未修好")
    return matter


def taken(cast, more) -> Matter:  # type: ignore[no-untyped-def]
    matter = mf.matter(cast.grid, cast.grid_worker)
    services.take_matter(matter, by=cast.cadre, mode=CompanionMode.ACCOMPANY)
    return matter


def with_candidate(cast, more) -> Matter:  # type: ignore[no-untyped-def]
    mf.matter(cast.grid, cast.grid_worker, contact_phone="13700137000")
    matter = mf.matter(cast.grid, cast.grid_worker)  # another resident, the same lift
    assert MatterLink.objects.filter(matter=matter, kind=LinkKind.CANDIDATE).exists()
    return matter


# --- The cases -----------------------------------------------------------------------------------

Data = Callable[[Any, More, Matter], dict[str, Any]]


@dataclass
class Case:
    make: Callable[[Any, More], Matter]
    actor: str  # a role of the cast, or "handler2" for the second department's handler
    data: Data
    done: Callable[[Any, More, Matter], bool]
    denied: list[str] = field(default_factory=list)
    # The name of the version field, for the actions that check it.
    version: str | None = "version"


def _version(data: Data, name: str = "version") -> Data:
    return lambda cast, more, matter: {**data(cast, more, matter), name: fresh(matter).version}


def _state(state: str) -> Callable[[Any, More, Matter], bool]:
    return lambda cast, more, matter: fresh(matter).state == state


CASES: dict[str, Case] = {
    "accept": Case(
        registered,
        "community_worker",
        _version(lambda c, m, x: {"note": "已核实情况"}),
        _state(State.ACCEPTED),
        ["outsider", "grid_worker", "handler", "admin"],
    ),
    "decline": Case(
        registered,
        "community_worker",
        _version(
            lambda c, m, x: {"decline-reason": "属于民事纠纷，已告知居民向人民法院起诉"},
            "decline-version",
        ),
        _state(State.DECLINED),
        ["outsider", "grid_worker", "handler", "admin"],
        version="decline-version",
    ),
    "dispatch": Case(
        accepted,
        "community_worker",
        _version(lambda c, m, x: {"lead": c.department.pk, "co": [m.department.pk]}),
        lambda c, m, x: (
            fresh(x).state == State.DISPATCHED
            and fresh(x).lead_department == c.department
            and Assignment.objects.filter(matter=x, department=m.department, role="co").exists()
        ),
        ["outsider", "grid_worker", "handler", "handler2", "admin"],
    ),
    "handle": Case(
        registered,
        "community_worker",
        _version(lambda c, m, x: {"note": "社区自行协调物业处理"}),
        lambda c, m, x: fresh(x).state == State.HANDLING and fresh(x).lead_department is None,
        ["outsider", "grid_worker", "handler", "leader", "admin"],
    ),
    "sign": Case(
        dispatched,
        "handler",
        _version(lambda c, m, x: {}),
        _state(State.HANDLING),
        ["outsider", "grid_worker", "community_worker", "cadre", "leader", "handler2"],
    ),
    "object": Case(
        dispatched,
        "handler",
        lambda c, m, x: {"reason": "该事项属于物业公司职责，不属于本局"},
        lambda c, m, x: Objection.objects.filter(assignment__matter=x, upheld=None).exists(),
        ["outsider", "grid_worker", "community_worker", "leader", "handler2"],
        version=None,
    ),
    "return": Case(
        handling,
        "handler",
        _version(lambda c, m, x: {"reason": "该事项应由城管部门办理"}),
        lambda c, m, x: fresh(x).state == State.ACCEPTED and fresh(x).lead_department is None,
        ["outsider", "grid_worker", "community_worker", "handler2"],
    ),
    "transfer": Case(
        handling,
        "community_worker",
        _version(lambda c, m, x: {"to": m.department.pk, "reason": "路灯归城管局管理"}),
        lambda c, m, x: fresh(x).lead_department == m.department,
        ["outsider", "grid_worker", "handler", "handler2"],
    ),
    "report": Case(
        co_handled,
        "handler2",
        lambda c, m, x: {"report": "已核查供电线路，属于物业维护范围"},
        lambda c, m, x: (
            Assignment.objects.get(matter=x, department=m.department).state
            == AssignmentState.REPORTED
        ),
        ["outsider", "grid_worker", "community_worker", "handler"],
        version=None,
    ),
    "reply": Case(
        handling,
        "handler",
        _version(
            lambda c, m, x: {
                "outcome": Outcome.SUPPORTED,
                "text": mf.REPLY,
                "attachments": [mf.upload("维修单.pdf", mf.PDF)],
            }
        ),
        lambda c, m, x: (
            fresh(x).state == State.REPLIED
            and Attachment.objects.filter(matter=x, reply__isnull=False).count() == 1
        ),
        ["outsider", "grid_worker", "community_worker", "leader", "handler2"],
    ),
    "extension": Case(
        handling,
        "handler",
        lambda c, m, x: {"days": 10, "reason": "需要协调多个单位现场勘查"},
        lambda c, m, x: ExtensionRequest.objects.filter(matter=x, approved=None, days=10).exists(),
        ["outsider", "grid_worker", "community_worker", "handler2"],
        version=None,
    ),
    "decide-extension": Case(
        extension_asked,
        "community_worker",
        lambda c, m, x: {
            "target": ExtensionRequest.objects.get(matter=x).pk,
            "approve": "1",
            "note": "同意延期",
        },
        lambda c, m, x: (
            ExtensionRequest.objects.get(matter=x).approved is True
            and Deadline.objects.get(matter=x, stage=Stage.HANDLE).extended_days == 10
        ),
        ["outsider", "grid_worker", "handler", "handler2"],
        version=None,
    ),
    "decide-objection": Case(
        objected,
        "community_worker",
        lambda c, m, x: {
            "target": Objection.objects.get(assignment__matter=x).pk,
            "upheld": "1",
            "redirect_to": m.department.pk,
            "note": "改派城管局",
        },
        lambda c, m, x: (
            Objection.objects.get(assignment__matter=x).upheld is True
            and fresh(x).lead_department == m.department
        ),
        ["outsider", "grid_worker", "handler", "handler2"],
        version=None,
    ),
    "follow-up": Case(
        replied,
        "community_worker",
        _version(
            lambda c, m, x: {"rating": "satisfied", "contacted": "on", "comment": "居民表示满意"}
        ),
        lambda c, m, x: (
            fresh(x).state == State.RESOLVED
            and FollowUp.objects.filter(matter=x, by=c.community_worker).exists()
        ),
        ["outsider", "handler", "leader", "admin"],
    ),
    "review": Case(
        replied,
        "community_worker",
        _version(lambda c, m, x: {"review-reason": "居民认为电梯仍未修好"}, "review-version"),
        lambda c, m, x: fresh(x).state == State.REVIEW and fresh(x).handling_unit == c.subdistrict,
        ["outsider", "handler", "leader"],
        version="review-version",
    ),
    "decide-review": Case(
        in_review,
        "cadre",
        _version(
            lambda c, m, x: {
                "outcome": Outcome.SUPPORTED,
                "text": "经复查，责令物业一周内修复电梯。",
            }
        ),
        lambda c, m, x: fresh(x).state == State.REPLIED and fresh(x).review_round == 1,
        ["outsider", "grid_worker", "community_worker", "handler"],
    ),
    "take": Case(
        registered,
        "cadre",
        lambda c, m, x: {"mode": CompanionMode.PROXY},
        lambda c, m, x: Companion.objects.filter(
            matter=x, cadre=c.cadre, active=True, mode=CompanionMode.PROXY
        ).exists(),
        ["outsider", "grid_worker", "handler", "leader"],
        version=None,
    ),
    "visit": Case(
        taken,
        "cadre",
        lambda c, m, x: {
            "at": earlier(),
            "place": "区住建局信访接待室",
            "department": c.department.pk,
            "met": "李科长",
            "summary": "住建局答应本周内约谈物业公司",
        },
        lambda c, m, x: AccompaniedVisit.objects.filter(companion__matter=x, met="李科长").exists(),
        ["outsider", "grid_worker", "community_worker", "leader"],
        version=None,
    ),
    "link": Case(
        with_candidate,
        "community_worker",
        lambda c, m, x: {"target": MatterLink.objects.get(matter=x).pk, "kind": "related"},
        lambda c, m, x: MatterLink.objects.get(matter=x).kind == LinkKind.RELATED,
        ["outsider", "grid_worker", "handler"],
        version=None,
    ),
}


def test_every_action_is_covered():
    assert set(CASES) == set(ACTIONS)


@dataclass(frozen=True)
class EachTime(Probe):
    """A POST whose data is made anew for every user (an uploaded file is read once per post)."""

    make: Callable[[], dict[str, Any]] = dict

    def send(self, client: Any) -> Any:
        return client.post(self.url, self.make())


def person(cast, more: More, name: str) -> User:  # type: ignore[no-untyped-def]
    return more.handler if name == "handler2" else getattr(cast, name)


@pytest.mark.parametrize("action", CASES)
def test_the_action_works_for_the_member_whose_part_it_is(cast, more, client, action):
    case = CASES[action]
    matter = case.make(cast, more)
    login_as(client, person(cast, more, case.actor))
    response = client.post(url(matter, action), case.data(cast, more, matter))
    assert response.status_code == 302
    assert response["Location"] == f"/matters/{matter.pk}/"
    assert messages_of(response) == [zh(ACTIONS[action].done)]
    assert case.done(cast, more, matter)


@pytest.mark.parametrize("action", CASES)
def test_the_action_is_refused_to_the_outsider_and_other_roles(cast, more, client, action):
    case = CASES[action]
    matter = case.make(cast, more)
    assert "outsider" in case.denied
    assert_scope(
        client,
        EachTime("post", url(matter, action), make=lambda: case.data(cast, more, matter)),
        allowed=[],
        denied=[person(cast, more, name) for name in case.denied],
        state=lambda: snapshot(matter),
    )
    assert not case.done(cast, more, matter)


def test_a_refusal_inside_the_scope_is_forbidden_and_audited(cast, more, client):
    matter = registered(cast, more)
    login_as(client, cast.grid_worker)  # sees the matter; accepting is not the grid's part
    before = snapshot(matter)
    response = client.post(url(matter, "accept"), {"version": matter.version})
    assert response.status_code == 403
    assert snapshot(matter) == before
    assert denials("accept") == 1


# --- Stale forms ---------------------------------------------------------------------------------

VERSIONED = [name for name, case in CASES.items() if case.version]


@pytest.mark.parametrize("action", VERSIONED)
def test_a_stale_form_is_refused_with_a_message_and_changes_nothing(cast, more, client, action):
    case = CASES[action]
    matter = case.make(cast, more)
    data = case.data(cast, more, matter)
    data[case.version] = fresh(matter).version - 1  # someone acted since the form was loaded
    before = snapshot(matter)
    login_as(client, person(cast, more, case.actor))
    response = client.post(url(matter, action), data)
    assert response.status_code == 302
    assert messages_of(response) == [zh(STALE)]
    assert snapshot(matter) == before


def test_the_second_of_two_people_acting_on_the_same_form_is_told(cast, more, client):
    matter = registered(cast, more)
    version = matter.version
    login_as(client, cast.cadre)
    client.post(url(matter, "accept"), {"version": version})
    client.get(f"/matters/{matter.pk}/")  # read the first message
    login_as(client, cast.community_worker)
    response = client.post(url(matter, "handle"), {"version": version})
    assert messages_of(response) == [zh(STALE)]
    assert fresh(matter).state == State.ACCEPTED


# --- Invalid input -------------------------------------------------------------------------------


def _field(form: type, name: str, error: str, **params: Any) -> Callable[..., str]:
    """A form error as the action view shows it: the field's label, then Django's message."""
    return lambda c, m, x: f"{zh(form.base_fields[name].label)}: {zh(error, **params)}"


def _refused(call: Callable[[Any, More, Matter], object]) -> Callable[..., str]:
    """The service's own refusal, as the view passes it on."""

    def message(c: Any, m: More, x: Matter) -> str:
        found = refusal(lambda: call(c, m, x))
        return found if isinstance(found, str) else found[0]

    return message


def _form_error(make: Callable[[Any, More, Matter], Any], name: str) -> Callable[..., str]:
    """A form's own error for `name` (the form decides its wording), as the view shows it."""

    def message(c: Any, m: More, x: Matter) -> str:
        with translation.override("zh-hans"):
            form = make(c, m, x)
            return f"{form.fields[name].label}: {form.errors[name][0]}"

    return message


CHOICE = "Select a valid choice. %(value)s is not one of the available choices."

INVALID: list[tuple[str, Data, Callable[..., str]]] = [
    (
        "decline",
        lambda c, m, x: {"decline-reason": ""},
        _field(forms.ReasonForm, "reason", REQUIRED),
    ),
    (
        "decline",
        lambda c, m, x: {"decline-reason": "不行"},
        _refused(lambda c, m, x: services.decline_matter(x, by=c.community_worker, reason="不行")),
    ),
    (
        "dispatch",
        lambda c, m, x: {"lead": ""},
        _field(forms.DispatchForm, "lead", REQUIRED),
    ),
    (
        "dispatch",
        lambda c, m, x: {"lead": c.department.pk, "co": [c.department.pk]},
        _form_error(
            lambda c, m, x: forms.DispatchForm(
                {"lead": c.department.pk, "co": [c.department.pk]},
                departments=dispatch_targets(x),
            ),
            "co",
        ),
    ),
    (
        "dispatch",  # a department that cannot take matters of this community
        lambda c, m, x: {"lead": factories.department("胜利街道城管科", c.other_subdistrict).pk},
        _field(
            forms.DispatchForm,
            "lead",
            "Select a valid choice. That choice is not one of the available choices.",
        ),
    ),
    (
        "transfer",
        lambda c, m, x: {"to": m.department.pk, "reason": ""},
        _field(forms.TransferForm, "reason", REQUIRED),
    ),
    (
        "reply",
        lambda c, m, x: {"outcome": Outcome.SUPPORTED, "text": "好的"},
        _refused(
            lambda c, m, x: services.reply_to_matter(
                x, by=c.handler, text="好的", outcome=Outcome.SUPPORTED
            )
        ),
    ),
    (
        "reply",
        lambda c, m, x: {"outcome": "maybe", "text": mf.REPLY},
        _field(forms.ReplyForm, "outcome", CHOICE, value="maybe"),
    ),
    (
        "reply",
        lambda c, m, x: {
            "outcome": Outcome.SUPPORTED,
            "text": mf.REPLY,
            "attachments": [mf.upload("脚本.html", b"<script>alert(1)</script>")],
        },
        _refused(
            lambda c, m, x: services.reply_to_matter(
                x,
                by=c.handler,
                text=mf.REPLY,
                outcome=Outcome.SUPPORTED,
                attachments=[mf.upload("脚本.html", b"<script>alert(1)</script>")],
            )
        ),
    ),
    (
        "extension",
        lambda c, m, x: {"days": 40, "reason": "需要更多时间"},
        _field(
            forms.ExtensionForm,
            "days",
            "Ensure this value is less than or equal to %(limit_value)s.",
            limit_value=30,
        ),
    ),
    (
        "follow-up",
        lambda c, m, x: {"rating": "happy"},
        _field(forms.FollowUpForm, "rating", CHOICE, value="happy"),
    ),
    (
        "review",
        lambda c, m, x: {"review-reason": "不"},
        _refused(lambda c, m, x: services.request_review(x, by=c.community_worker, reason="不")),
    ),
    (
        "decide-review",
        lambda c, m, x: {"outcome": "supported"},
        _field(forms.ReviewDecisionForm, "text", REQUIRED),
    ),
    (
        "take",
        lambda c, m, x: {"mode": "carry"},
        _field(forms.TakeForm, "mode", CHOICE, value="carry"),
    ),
    (
        "visit",
        lambda c, m, x: {"at": later(), "place": "区住建局", "summary": "约谈物业公司"},
        _refused(
            lambda c, m, x: services.record_visit(
                Companion.objects.get(matter=x),
                by=c.cadre,
                at=timezone.now() + dt.timedelta(days=2),
                place="区住建局",
                summary="约谈物业公司",
            )
        ),
    ),
    (
        "link",
        lambda c, m, x: {"target": MatterLink.objects.get(matter=x).pk, "kind": "merge"},
        _refused(
            lambda c, m, x: services.decide_candidate(
                MatterLink.objects.get(matter=x), by=c.community_worker, kind="merge"
            )
        ),
    ),
    ("object", lambda c, m, x: {"reason": ""}, _field(forms.ReasonForm, "reason", REQUIRED)),
    ("report", lambda c, m, x: {"report": ""}, _field(forms.ReportForm, "report", REQUIRED)),
    (
        "decide-extension",
        lambda c, m, x: {"target": ExtensionRequest.objects.get(matter=x).pk},
        _field(forms.DecisionForm, "approve", REQUIRED),
    ),
]


@pytest.mark.parametrize(
    ("action", "data", "message"), INVALID, ids=[f"{a}-{n}" for n, (a, *_) in enumerate(INVALID)]
)
def test_invalid_input_is_explained_and_changes_nothing(cast, more, client, action, data, message):
    case = CASES[action]
    matter = case.make(cast, more)
    values = data(cast, more, matter)
    if case.version and case.version not in values:
        values[case.version] = fresh(matter).version
    expected = message(cast, more, matter)
    before = snapshot(matter)
    login_as(client, person(cast, more, case.actor))
    response = client.post(url(matter, action), values)
    assert response.status_code == 302
    assert expected in messages_of(response)
    assert snapshot(matter) == before


# --- Decisions on pending requests: only this matter's ------------------------------------------


@pytest.mark.parametrize("target", ["", "abc", "-1", "999999", "1.5"])
def test_an_unknown_pending_request_is_not_found(cast, more, client, target):
    matter = extension_asked(cast, more)
    before = snapshot(matter)
    login_as(client, cast.community_worker)
    response = client.post(url(matter, "decide-extension"), {"target": target, "approve": "1"})
    assert response.status_code == 404
    assert snapshot(matter) == before


@pytest.mark.parametrize(
    ("action", "make", "data"),
    [
        (
            "decide-extension",
            extension_asked,
            lambda x: {"target": ExtensionRequest.objects.get(matter=x).pk, "approve": "1"},
        ),
        (
            "decide-objection",
            objected,
            lambda x: {"target": Objection.objects.get(assignment__matter=x).pk, "upheld": "0"},
        ),
        (
            "link",
            with_candidate,
            lambda x: {"target": MatterLink.objects.get(matter=x).pk, "kind": "dismissed"},
        ),
    ],
)
def test_a_pending_request_of_another_matter_cannot_be_decided_through_this_one(
    cast, more, client, action, make, data
):
    other = make(cast, more)
    matter = mf.matter(cast.grid, cast.grid_worker, contact_phone="13600136000")
    before = (snapshot(other), snapshot(matter))
    login_as(client, cast.community_worker)
    response = client.post(url(matter, action), data(other))
    assert response.status_code == 404
    assert (snapshot(other), snapshot(matter)) == before


# --- Methods and names ---------------------------------------------------------------------------


@pytest.mark.parametrize("action", CASES)
def test_get_on_an_action_is_not_allowed(cast, more, client, action):
    matter = registered(cast, more)
    before = snapshot(matter)
    login_as(client, cast.community_worker)
    assert client.get(url(matter, action)).status_code == 405
    assert snapshot(matter) == before


def test_an_unknown_action_is_not_found(cast, more, client):
    matter = registered(cast, more)
    before = snapshot(matter)
    login_as(client, cast.community_worker)
    for action in ("frobnicate", "merge", "delete", "release"):
        assert client.post(url(matter, action), {"version": matter.version}).status_code == 404
    assert snapshot(matter) == before


def test_visitors_are_sent_to_log_in(cast, more, client):
    matter = registered(cast, more)
    before = snapshot(matter)
    response = client.post(url(matter, "accept"), {"version": matter.version})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert snapshot(matter) == before
