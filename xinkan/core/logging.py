"""Log filters: request ids on every line, and no personal data, passwords or tokens in logs."""

from __future__ import annotations

import logging
import re
from typing import Any

from django.views.debug import SafeExceptionReporterFilter

from xinkan.core import context
from xinkan.core.redaction import redact


class RequestContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = context.current().request_id or "-"
        return True


class RedactingFilter(logging.Filter):
    """Masks ID card numbers, phone numbers and secrets in the message and its arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not stop logging
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            # Render the traceback now so that redaction applies to the exception text as well.
            formatter = logging.Formatter()
            record.exc_text = redact(formatter.formatException(record.exc_info))
            record.exc_info = None
        return True


class PersonalDataExceptionReporterFilter(SafeExceptionReporterFilter):
    """Error reports hide personal fields as well as Django's default secrets."""

    hidden_settings = re.compile(
        "API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|DATABASE_URL|REDIS_URL", flags=re.I
    )
    PERSONAL_FIELDS = re.compile(r"password|token|otp|id_number|id_card|phone|secret", flags=re.I)

    def get_post_parameters(self, request: Any) -> Any:
        params = super().get_post_parameters(request)
        if request is None or not params:
            return params
        cleaned = params.copy()
        for key in list(cleaned.keys()):
            if self.PERSONAL_FIELDS.search(key):
                cleaned[key] = self.cleansed_substitute
        return cleaned
