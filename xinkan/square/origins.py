"""The matter page's link back to the square question whose promise the matter follows."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils.translation import gettext as _

from xinkan.matters.origins import Origin
from xinkan.org.roles import Perm
from xinkan.org.scope import get_scope
from xinkan.square.models import Question

if TYPE_CHECKING:
    from xinkan.accounts.models import User
    from xinkan.matters.models import Matter


def square_origins(user: User, matter: Matter) -> list[Origin]:
    """One query: the questions whose promise this matter follows. Staff who see the square go to
    the session's page; others to its public results."""
    questions = list(Question.objects.filter(matter=matter).select_related("session")[:5])
    if not questions:
        return []
    staff = get_scope(user).has_perm(Perm.SQUARE_VIEW)
    origins = []
    for question in questions:
        session = question.session
        url = (
            reverse("square:detail", args=[session.pk])
            if staff
            else reverse("square_public:results", args=[session.pk])
        )
        text = _("Promised at the public affairs square: “%(theme)s”, %(date)s") % {
            "theme": session.theme,
            "date": f"{session.starts_at:%Y-%m-%d}",
        }
        origins.append(Origin(text=text, url=url))
    return origins
