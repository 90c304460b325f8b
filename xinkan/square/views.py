"""The staff pages of the square: the sessions list, planning a session, the session page (who
answers, moderation, the queue, the answers), the control page used during a live session, the
questions put to one's department, and the figures per department. Thin: parse, call a service or a
selector, render."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from xinkan.accounts.http import request_user
from xinkan.accounts.models import User
from xinkan.core.paging import CappedPaginator
from xinkan.core.phones import mask_phone
from xinkan.matters.services import MatterError
from xinkan.org.models import Department
from xinkan.org.roles import Perm
from xinkan.org.scope import get_scope
from xinkan.square import forms as square_forms
from xinkan.square import indicators, selectors, services
from xinkan.square.models import Panelist, Question, QuestionState, Session
from xinkan.square.services._core import can_prepare, can_run

PAGE_SIZE = 25
TABS = [
    ("upcoming", gettext_lazy("Coming and live")),
    ("finished", gettext_lazy("Finished")),
]


def _require_view(user: User) -> None:
    if not get_scope(user).has_perm(Perm.SQUARE_VIEW):
        raise PermissionDenied


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    """To the page the form was on (the control page or the session page)."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(fallback)


def _report(request: HttpRequest, form: Any) -> None:
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, str(error))


def _act(request: HttpRequest, action: Callable[[], Any], done: str) -> bool:
    """Run a service; its refusal the user can understand becomes a message."""
    try:
        action()
    except services.SquareError as exc:
        messages.error(request, exc.message)
        return False
    except MatterError as exc:
        messages.error(request, exc.message)
        return False
    messages.success(request, done)
    return True


# --- Sessions --------------------------------------------------------------------------------------


@login_required
def session_list(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    _require_view(user)
    current = request.GET.get("list", "upcoming")
    if current not in {key for key, _label in TABS}:
        current = "upcoming"
    page = CappedPaginator(selectors.session_list(user, current), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = list(page.object_list)
    figures = selectors.counts_by_session(rows)
    scope = get_scope(user)
    return render(
        request,
        "square/list.html",
        {
            "tabs": [(key, str(label)) for key, label in TABS],
            "current": current,
            "page": page,
            "rows": [(session, figures[session.pk]) for session in rows],
            "can_plan": bool(scope.unit_paths(Perm.SQUARE_RUN)),
            "can_prepare": bool(scope.department_ids(Perm.SQUARE_ANSWER)),
            "year": timezone.localdate().year,
        },
    )


def _details(data: dict[str, Any]) -> services.SessionDetails:
    return services.SessionDetails(
        theme=data["theme"],
        starts_at=data["starts_at"],
        ends_at=data["ends_at"],
        place=data["place"],
        unit=data["unit"],
        description=data["description"],
        broadcast_media=data["broadcast_media"],
        broadcast_url=data["broadcast_url"],
    )


@login_required
def session_new(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    scope = get_scope(user)
    if not scope.unit_paths(Perm.SQUARE_RUN):
        raise PermissionDenied
    form = square_forms.SessionForm(request.POST or None, scope=scope)
    if request.method == "POST" and form.is_valid():
        key = form.cleaned_data["idempotency_key"]
        try:
            session = services.plan_session(
                _details(form.cleaned_data),
                by=user,
                idempotency_key=f"staff:{user.pk}:{key}" if key else None,
            )
        except services.SquareError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Session planned. Add the departments that answer."))
            return redirect("square:detail", session.pk)
    return render(request, "square/session_form.html", {"form": form, "session": None})


@login_required
def session_edit(request: HttpRequest, session_id: int) -> HttpResponse:
    user = request_user(request)
    _require_view(user)
    session = selectors.get_session_for_user(user, session_id)
    services.require_run(user, session, "change")
    initial = {
        "theme": session.theme,
        "starts_at": timezone.localtime(session.starts_at),
        "ends_at": timezone.localtime(session.ends_at) if session.ends_at else None,
        "place": session.place,
        "unit": session.unit_id,
        "description": session.description,
        "broadcast_media": session.broadcast_media,
        "broadcast_url": session.broadcast_url,
    }
    form = square_forms.SessionForm(request.POST or None, scope=get_scope(user), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.change_session(session, _details(form.cleaned_data), by=user)
        except services.SquareError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Session changed."))
            return redirect("square:detail", session.pk)
    return render(request, "square/session_form.html", {"form": form, "session": session})


def _question_rows(questions: list[Question]) -> dict[str, list[Question]]:
    groups: dict[str, list[Question]] = {
        "pending": [],
        "queued": [],
        "answered": [],
        "set_aside": [],
    }
    for question in questions:
        question.phone_masked = mask_phone(question.asker_phone) if question.asker_phone else ""  # type: ignore[attr-defined]
        if question.state == QuestionState.PENDING:
            groups["pending"].append(question)
        elif question.state == QuestionState.QUEUED:
            groups["queued"].append(question)
        elif question.state in {QuestionState.ANSWERED, QuestionState.PROMISED}:
            groups["answered"].append(question)
        else:
            groups["set_aside"].append(question)
    return groups


def _session_context(user: User, session: Session) -> dict[str, Any]:
    questions = list(selectors.questions_of(session))
    panelists = list(session.panelists.select_related("department"))
    runs = can_run(user, session)
    groups = _question_rows(questions)
    mergeable = [q for q in questions if q.state not in {"declined", "merged"}]
    return {
        "session": session,
        "panelists": panelists,
        "groups": groups,
        "counts": selectors.counts(session),
        "runs": runs,
        "prepares": {q.pk for q in questions if not runs and can_prepare(user, q)},
        "mergeable": mergeable,
        "forms": {
            "panelist": square_forms.PanelistForm(session=session) if runs else None,
            "live": square_forms.LiveQuestionForm(session=session, prefix="live") if runs else None,
            "answer": square_forms.AnswerForm(prefix="answer"),
            "promise": square_forms.PromiseForm(prefix="promise", language=get_language()),
            "attendance": square_forms.AttendanceForm(initial={"attendance": session.attendance}),
        },
        "now": timezone.now(),
    }


@login_required
def session_detail(request: HttpRequest, session_id: int) -> HttpResponse:
    user = request_user(request)
    _require_view(user)
    session = selectors.get_session_for_user(user, session_id)
    return render(request, "square/session.html", _session_context(user, session))


@login_required
def control(request: HttpRequest, session_id: int) -> HttpResponse:
    """The page staff run a live session from: the question being answered, the answer forms,
    the queue in order, questions asked on the spot, the participants."""
    user = request_user(request)
    _require_view(user)
    session = selectors.get_session_for_user(user, session_id)
    services.require_run(user, session, "control")
    context = _session_context(user, session)
    current = session.current
    if current is not None:
        current = next((q for q in context["groups"]["queued"] if q.pk == current.pk), current)
    context["current"] = current
    if current is not None and current.prepared_answer:
        context["forms"]["answer"] = square_forms.AnswerForm(
            prefix="answer", initial={"answer": current.prepared_answer}
        )
        context["forms"]["promise"] = square_forms.PromiseForm(
            prefix="promise", language=get_language(), initial={"answer": current.prepared_answer}
        )
    return render(request, "square/control.html", context)


SESSION_ACTIONS: dict[str, tuple[Callable[..., Any], Any]] = {
    "open": (services.open_for_questions, gettext_lazy("The session is open for questions.")),
    "live": (services.go_live, gettext_lazy("The session is live.")),
    "finish": (
        services.finish_session,
        gettext_lazy("The session is finished; results are published."),
    ),
}


@require_POST
@login_required
def session_action(request: HttpRequest, session_id: int, action: str) -> HttpResponse:
    user = request_user(request)
    _require_view(user)
    session = selectors.get_session_for_user(user, session_id)
    fallback = reverse("square:detail", args=[session.pk])
    if action == "attendance":
        form = square_forms.AttendanceForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Give the number of participants."))
            return _back(request, fallback)
        _act(
            request,
            lambda: services.record_attendance(
                session, attendance=form.cleaned_data["attendance"], by=user
            ),
            _("Participants recorded."),
        )
        return _back(request, fallback)
    if action not in SESSION_ACTIONS:
        raise Http404
    run, done = SESSION_ACTIONS[action]
    _act(request, lambda: run(session, by=user), str(done))
    return _back(request, fallback)


@require_POST
@login_required
def panelist_add(request: HttpRequest, session_id: int) -> HttpResponse:
    user = request_user(request)
    _require_view(user)
    session = selectors.get_session_for_user(user, session_id)
    form = square_forms.PanelistForm(request.POST, session=session)
    if form.is_valid():
        data = form.cleaned_data
        _act(
            request,
            lambda: services.add_panelist(
                session,
                department=data["department"],
                leader_name=data["leader_name"],
                leader_title=data["leader_title"],
                by=user,
            ),
            _("Department added."),
        )
    else:
        services.require_run(user, session, "add_panelist")
        _report(request, form)
    return redirect("square:detail", session.pk)


@require_POST
@login_required
def panelist_remove(request: HttpRequest, session_id: int, panelist_id: int) -> HttpResponse:
    user = request_user(request)
    _require_view(user)
    session = selectors.get_session_for_user(user, session_id)
    panelist = Panelist.objects.filter(session=session, pk=panelist_id).first()
    if panelist is None:
        raise Http404
    panelist.session = session
    _act(request, lambda: services.remove_panelist(panelist, by=user), _("Department removed."))
    return redirect("square:detail", session.pk)


@require_POST
@login_required
def question_register(request: HttpRequest, session_id: int) -> HttpResponse:
    user = request_user(request)
    _require_view(user)
    session = selectors.get_session_for_user(user, session_id)
    fallback = reverse("square:detail", args=[session.pk])
    services.require_run(user, session, "register")
    form = square_forms.LiveQuestionForm(request.POST, session=session, prefix="live")
    if not form.is_valid():
        _report(request, form)
        return _back(request, fallback)
    data = form.cleaned_data
    key = data["idempotency_key"]
    _act(
        request,
        lambda: services.register_question(
            session,
            services.NewQuestion(
                text=data["text"],
                asker_name=data["asker_name"],
                asker_phone=data["asker_phone"],
                community=data["community"],
                idempotency_key=f"staff:{user.pk}:{key}" if key else None,
            ),
            by=user,
            panelist=data["panelist"],
        ),
        _("Question registered and put in the queue."),
    )
    return _back(request, fallback)


def _panelist(session: Session, value: str) -> Panelist | None:
    if not value.isascii() or not value.isdigit():
        return None
    return Panelist.objects.filter(session=session, pk=int(value)).first()


def _sibling(session: Session, value: str) -> Question | None:
    if not value.isascii() or not value.isdigit():
        return None
    return Question.objects.filter(session=session, pk=int(value)).first()


def _question_action(request: HttpRequest, user: User, question: Question, action: str) -> None:
    session = question.session
    post = request.POST
    if action == "approve":
        _act(
            request,
            lambda: services.approve_question(
                question, by=user, panelist=_panelist(session, post.get("panelist", ""))
            ),
            _("Question approved and put in the queue."),
        )
    elif action == "decline":
        _act(
            request,
            lambda: services.decline_question(question, by=user, reason=post.get("reason", "")),
            _("Question declined."),
        )
    elif action == "merge":
        into = _sibling(session, post.get("into", ""))
        if into is None:
            messages.error(request, _("Choose another question of the same session."))
            return
        _act(
            request,
            lambda: services.merge_question(question, into=into, by=user),
            _("Question merged."),
        )
    elif action == "assign":
        panelist = _panelist(session, post.get("panelist", ""))
        if panelist is None:
            messages.error(request, _("Choose a department of the session."))
            return
        _act(
            request,
            lambda: services.assign_question(question, panelist=panelist, by=user),
            _("Question assigned."),
        )
    elif action == "move":
        direction = post.get("direction", "")
        place = post.get("to", "")
        to = int(place) if place.isascii() and place.isdigit() and int(place) > 0 else None
        step = {"up": -1, "down": 1}.get(direction, 0)
        if to is None and not step:
            messages.error(request, _("Give the place in the order of answering."))
            return
        _act(
            request,
            lambda: services.move_question(question, by=user, step=step, to=to),
            _("Order of answering changed."),
        )
    elif action == "call":
        _act(
            request,
            lambda: services.call_question(question, by=user),
            _("Now answering this question."),
        )
    elif action == "answer":
        form = square_forms.AnswerForm(post, prefix="answer")
        if not form.is_valid():
            messages.error(request, _("Write down the answer as it was given."))
            return
        _act(
            request,
            lambda: services.answer_on_spot(
                question,
                by=user,
                answer=form.cleaned_data["answer"],
                on_spot=form.cleaned_data["on_spot"],
            ),
            _("Answer recorded."),
        )
    elif action == "promise":
        promise_form = square_forms.PromiseForm(post, prefix="promise", language=get_language())
        if not promise_form.is_valid():
            _report(request, promise_form)
            return
        data = promise_form.cleaned_data
        _act(
            request,
            lambda: services.promise(
                question,
                by=user,
                answer=data["answer"],
                due=data["due"],
                category=data["category"],
            ),
            _("Promise recorded; it is followed as a matter until resolved."),
        )
    elif action == "prepare":
        prepare_form = square_forms.PrepareForm(post)
        prepare_form.is_valid()
        _act(
            request,
            lambda: services.prepare_answer(
                question, text=prepare_form.cleaned_data.get("text", ""), by=user
            ),
            _("Prepared answer saved."),
        )
    else:
        raise Http404


@require_POST
@login_required
def question_action(request: HttpRequest, question_id: int, action: str) -> HttpResponse:
    user = request_user(request)
    _require_view(user)
    question = selectors.get_question_for_user(user, question_id)
    _question_action(request, user, question, action)
    return _back(request, reverse("square:detail", args=[question.session_id]))


# --- A department's questions, the figures ---------------------------------------------------------


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    _require_view(user)
    page = CappedPaginator(selectors.department_questions(user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "square/mine.html", {"page": page, "questions": list(page.object_list)})


@login_required
def figures(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    _require_view(user)
    today = timezone.localdate()
    value = request.GET.get("year", "")
    year = (
        int(value)
        if value.isascii() and value.isdigit() and 2000 <= int(value) <= 2100
        else today.year
    )
    rows = indicators.by_department(dt.date(year, 1, 1), dt.date(year, 12, 31))
    scope = get_scope(user)
    departments = {
        d.pk: d
        for d in Department.objects.filter(pk__in=rows).filter(
            scope.department_q(Perm.SQUARE_VIEW, "")
        )
    }
    return render(
        request,
        "square/figures.html",
        {
            "year": year,
            "years": list(range(today.year, today.year - 6, -1)),
            "rows": [
                (departments[pk], figures)
                for pk, figures in sorted(rows.items(), key=lambda item: -item[1].answered)
                if pk in departments
            ],
            "summary": selectors.year_summary(year),
        },
    )
