"""Registering a matter: a form fast enough to fill in during a phone call."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from xinkan.accounts.models import User
from xinkan.matters import selectors, services
from xinkan.matters.extra_fields import EXTRA_PREFIX
from xinkan.matters.forms import IntakeForm, extra_field_name
from xinkan.matters.models import Category
from xinkan.org.roles import Perm
from xinkan.org.scope import get_scope
from xinkan.residents.selectors import residents_for


@login_required
def intake_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    scope = get_scope(user)
    if not scope.has_perm(Perm.MATTERS_REGISTER):
        raise PermissionDenied
    form = IntakeForm(
        request.POST or None, request.FILES or None, scope=scope, language=get_language()
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        resident = None
        if data["resident"]:
            resident = residents_for(user).filter(pk=data["resident"]).first()
            if resident is None:
                form.add_error(None, _("That resident is not in your area."))
        if not form.errors:
            intake = services.Intake(
                channel=data["channel"],
                category=data["category"],
                description=data["description"],
                unit=data["unit"],
                title=data["title"],
                address=data["address"],
                resident=resident,
                contact_name=data["contact_name"],
                contact_phone=data["contact_phone"],
                id_number=data["id_number"],
                group_size=data["group_size"],
                representatives=data["representatives"],
                attachments=data["attachments"],
                idempotency_key=f"staff:{user.pk}:{data['idempotency_key']}",
                new_facts=data["new_facts"],
                extra=data["extra"],
            )
            try:
                result = services.register_matter(intake, by=user)
            except ValidationError as exc:
                _attach_errors(form, exc)
            else:
                matter = result.matter
                if result.resubmitted:
                    messages.info(
                        request,
                        _("This form was already submitted: %(code)s.") % {"code": matter.code},
                    )
                elif (
                    result.folded and not selectors.matters_for(user).filter(pk=matter.pk).exists()
                ):
                    # The same person's open matter lies outside this user's area: it is not named
                    # or opened here; its responsible unit sees the visit on its timeline.
                    messages.warning(
                        request,
                        _(
                            "This person already has this matter open with another unit: the visit was added to it, and that unit will see it."
                        ),
                    )
                    return redirect("matters:intake")
                elif result.folded:
                    messages.warning(
                        request,
                        _(
                            "This is a repeat of %(code)s, which is still open: the visit was added to it."
                        )
                        % {"code": matter.code},
                    )
                elif result.concluded_match is not None:
                    messages.warning(
                        request,
                        _(
                            "The same facts were concluded in %(code)s; the new matter was declined. Tick “new facts” if the resident brings any."
                        )
                        % {"code": result.concluded_match.code},
                    )
                elif not result.created:
                    messages.info(
                        request,
                        _("This form was already submitted: %(code)s.") % {"code": matter.code},
                    )
                else:
                    messages.success(request, _("Registered as %(code)s.") % {"code": matter.code})
                    if result.candidates:
                        messages.warning(
                            request, _("Possible duplicates were found; decide on them below.")
                        )
                return redirect("matters:detail", matter.pk)
    return render(request, "matters/intake.html", {"form": form})


def _attach_errors(form: IntakeForm, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        category = form.cleaned_data.get("category")
        for field, errors in exc.error_dict.items():
            if field.startswith(EXTRA_PREFIX) and isinstance(category, Category):
                field = extra_field_name(category, field.removeprefix(EXTRA_PREFIX))
            target = field if field in form.fields else None
            for error in errors:
                form.add_error(target, error)
    else:
        for message in exc.messages:
            form.add_error(None, message)
