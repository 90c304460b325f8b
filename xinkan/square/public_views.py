"""The square's public pages, for residents without accounts: the sessions announced, a session's
announcement, the question form (rate limited per client address), the live screen for projection
and broadcast, the published results and the yearly summary.

No personal data on any of them: askers are shown as 王** or "a resident", phone numbers and ID
numbers in a question's words are masked, and no matter code or contact is shown.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from xinkan.core import context
from xinkan.core.ratelimit import allow
from xinkan.core.redaction import redact
from xinkan.square import selectors, services
from xinkan.square.forms import AskForm
from xinkan.square.models import Question, Session, SessionState, public_asker

ASK_LIMIT = (5, 60 * 60)  # five questions an hour per address
ASKED_KEY = "square_asked"


def _client() -> str:
    return context.current().client_ip or "unknown"


def public_question(question: Question) -> dict[str, object]:
    """What a public page may show of a question: never the asker's name, phone or matter."""
    panelist = question.panelist
    return {
        "pk": question.pk,
        "text": redact(question.text),
        "asker": public_asker(question.asker_name),
        "asked_by": 1 + int(getattr(question, "asked_by", 0) or 0),
        "answerer": panelist.answerer if panelist else "",
        "state": question.state,
        "state_label": question.get_state_display(),
        "answer": redact(question.answer),
        "on_spot": question.on_spot,
        "on_spot_label": question.get_on_spot_display() if question.on_spot else "",
        "promised_by": question.promised_by,
        "promise_status": question.promise_status,
        "position": question.position,
    }


def session_list(request: HttpRequest) -> HttpResponse:
    sessions = list(selectors.public_sessions().order_by("-starts_at", "-pk")[:60])
    coming = sorted(
        (s for s in sessions if s.state != SessionState.FINISHED), key=lambda s: s.starts_at
    )
    finished = [s for s in sessions if s.state == SessionState.FINISHED][:20]
    return render(
        request,
        "square/public/list.html",
        {"coming": coming, "finished": finished, "years": selectors.summary_years()},
    )


def session_page(request: HttpRequest, session_id: int) -> HttpResponse:
    """The announcement: theme, time, place, who answers, where it is broadcast."""
    session = selectors.get_public_session(session_id)
    return render(
        request,
        "square/public/session.html",
        {
            "session": session,
            "panelists": list(session.panelists.select_related("department")),
        },
    )


@sensitive_post_parameters("phone", "name")
@never_cache
def ask(request: HttpRequest, session_id: int) -> HttpResponse:
    session = selectors.get_public_session(session_id)
    if session.state != SessionState.OPEN:
        messages.info(request, _("This session does not take questions now."))
        return redirect("square_public:session", session.pk)
    form = AskForm(request.POST or None, session=session)
    if request.method == "POST":
        if not allow("square-ask", _client(), limit=ASK_LIMIT[0], window=ASK_LIMIT[1]):
            return render(
                request,
                "square/public/ask.html",
                {
                    "form": form,
                    "session": session,
                    "limited": _(
                        "Too many attempts from your network. Please wait a while and try again."
                    ),
                },
                status=429,
            )
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.submit_question(
                    session,
                    services.NewQuestion(
                        text=data["text"],
                        asker_name=data["name"],
                        asker_phone=data["phone"],
                        community=data["community"],
                        idempotency_key=f"portal:{data['idempotency_key']}",
                    ),
                )
            except services.SquareError as exc:
                form.add_error(None, exc.message)
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                request.session[ASKED_KEY] = session.pk
                return redirect("square_public:asked", session.pk)
    return render(request, "square/public/ask.html", {"form": form, "session": session})


@never_cache
def asked(request: HttpRequest, session_id: int) -> HttpResponse:
    session = selectors.get_public_session(session_id)
    if request.session.get(ASKED_KEY) != session.pk:
        return redirect("square_public:session", session.pk)
    return render(request, "square/public/asked.html", {"session": session})


def _live_context(session: Session) -> dict[str, object]:
    current = session.current
    queue = [public_question(q) for q in selectors.queue(session)[:6] if q.pk != session.current_id]
    return {
        "session": session,
        "current": public_question(current) if current is not None else None,
        "queue": queue,
        "counts": selectors.counts(session),
        "now": timezone.now(),
    }


def live(request: HttpRequest, session_id: int) -> HttpResponse:
    """The big screen: projected at the square and shown in the broadcast. It asks for its
    changing part every few seconds (htmx), so nobody reloads it by hand."""
    session = selectors.get_public_session(session_id)
    return render(request, "square/public/live.html", _live_context(session))


@never_cache
def live_panel(request: HttpRequest, session_id: int) -> HttpResponse:
    session = selectors.get_public_session(session_id)
    return render(request, "square/public/_live_panel.html", _live_context(session))


def results(request: HttpRequest, session_id: int) -> HttpResponse:
    """Every question taken up at a finished session, with the answer or the promise and how it
    stands now."""
    session = selectors.get_public_session(session_id)
    if session.state != SessionState.FINISHED:
        if session.state == SessionState.LIVE:
            return redirect("square_public:live", session.pk)
        raise Http404
    questions = [public_question(q) for q in selectors.published(session)]
    return render(
        request,
        "square/public/results.html",
        {"session": session, "questions": questions, "counts": selectors.counts(session)},
    )


def summary(request: HttpRequest) -> HttpResponse:
    years = selectors.summary_years()
    value = request.GET.get("year", "")
    if value.isascii() and value.isdigit() and 2000 <= int(value) <= 2100:
        year = int(value)
    else:
        year = years[0] if years else timezone.localdate().year
    return render(
        request,
        "square/public/summary.html",
        {"summary": selectors.year_summary(year), "years": years, "year": year},
    )
