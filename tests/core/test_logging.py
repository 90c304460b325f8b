"""Log filters: request ids on every line; personal data and secrets masked in messages, their
arguments and exception text; error reports hide personal form fields."""

from __future__ import annotations

import logging
import sys

from django.test import RequestFactory

from tests.logcapture import configured_console_handler
from xinkan.core import context
from xinkan.core.logging import (
    PersonalDataExceptionReporterFilter,
    RedactingFilter,
    RequestContextFilter,
)

ID_NUMBER = "11010519900307123X"


def make_record(msg: str, *args: object, exc_info: object = None) -> logging.LogRecord:
    return logging.LogRecord("xinkan.test", logging.WARNING, __file__, 1, msg, args, exc_info)  # type: ignore[arg-type]


def test_message_and_arguments_are_redacted() -> None:
    record = make_record("resident %s phone %s", ID_NUMBER, "13812345678")

    assert RedactingFilter().filter(record)

    assert record.getMessage() == "resident 110105********123X phone 138****5678"
    assert record.args is None


def test_exception_text_is_redacted() -> None:
    try:
        raise ValueError(f"bad id {ID_NUMBER} with password=S3cret!Value-xyz")
    except ValueError:
        record = make_record("import failed", exc_info=sys.exc_info())

    RedactingFilter().filter(record)

    text = logging.Formatter().format(record)
    assert ID_NUMBER not in text
    assert "S3cret!Value-xyz" not in text
    assert "110105********123X" in text
    assert "ValueError" in text  # the traceback itself is kept


def test_broken_format_string_still_logs() -> None:
    record = make_record("value %d for %s", "not-a-number")

    assert RedactingFilter().filter(record)
    assert record.getMessage() == "value %d for %s"


def test_the_configured_handler_writes_lines_without_personal_data() -> None:
    lines: list[str] = []
    logger = logging.getLogger("xinkan.test.configured")
    handler = configured_console_handler(lines)
    logger.addHandler(handler)
    token = context.activate(context.RequestContext(request_id="req-abcdef12", client_ip=""))
    try:
        logger.warning("resident %s, token=%s", ID_NUMBER, "tok-123")
        try:
            raise RuntimeError(f"lookup of {ID_NUMBER}")
        except RuntimeError:
            logger.exception("failed")
    finally:
        context.reset(token)
        logger.removeHandler(handler)

    output = "\n".join(lines)
    assert ID_NUMBER not in output
    assert "tok-123" not in output
    assert "[req-abcdef12] resident 110105********123X, token=********" in lines[0]
    assert "RuntimeError: lookup of 110105********123X" in lines[1]


def test_request_id_is_dash_outside_a_request() -> None:
    record = make_record("job ran")

    RequestContextFilter().filter(record)

    assert record.request_id == "-"  # type: ignore[attr-defined]


def test_error_reports_hide_personal_form_fields() -> None:
    request = RequestFactory().post(
        "/residents/new/",
        {
            "name": "张三",
            "id_number": ID_NUMBER,
            "phone": "13812345678",
            "password": "S3cret!Value-xyz",
            "otp_token": "123456",
        },
    )
    reporter_filter = PersonalDataExceptionReporterFilter()

    cleaned = reporter_filter.get_post_parameters(request)

    assert cleaned["name"] == "张三"
    for key in ("id_number", "phone", "password", "otp_token"):
        assert cleaned[key] == reporter_filter.cleansed_substitute


def test_error_reports_hide_connection_urls_in_settings() -> None:
    cleaned = PersonalDataExceptionReporterFilter().get_safe_settings()

    for name in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY"):
        assert cleaned[name] == PersonalDataExceptionReporterFilter.cleansed_substitute
