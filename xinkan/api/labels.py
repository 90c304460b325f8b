"""Audit labels of the API's own actions."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

LABELS = {
    "api.token.created": _("Created an API token"),
    "api.token.revoked": _("Revoked an API token"),
    "api.token.denied": _("Refused: an API token"),
    "api.token.create_denied": _("Refused: creating an API token"),
    "api.token.revoke_denied": _("Refused: revoking an API token"),
    "api.open311.request_created": _("Received an Open311 request"),
    "api.open311.request_denied": _("Refused: an Open311 request"),
}
