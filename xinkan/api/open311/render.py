"""GeoReport v2 answers in XML and JSON: the same data, the spec's root and item element names."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from xml.etree import ElementTree as ET

from django.http import HttpResponse
from django.utils import timezone

CONTENT_TYPES = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}


def w3c(value: dt.datetime | None) -> str:
    """W3C / ISO 8601 with the offset, e.g. 2026-05-04T09:30:00+08:00."""
    if value is None:
        return ""
    return timezone.localtime(value).isoformat(timespec="seconds")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# How a list is written in XML: the element that holds each item.
_ITEM_NAMES = {
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
    "keywords": None,
}


def _fill(parent: ET.Element, data: dict[str, Any]) -> None:
    for key, value in data.items():
        child = ET.SubElement(parent, key)
        if isinstance(value, dict):
            _fill(child, value)
        elif isinstance(value, list):
            item_name = _ITEM_NAMES.get(key)
            if item_name is None:
                child.text = ",".join(_text(v) for v in value)
                continue
            for item in value:
                element = ET.SubElement(child, item_name)
                if isinstance(item, dict):
                    _fill(element, item)
                else:
                    element.text = _text(item)
        else:
            child.text = _text(value)


def xml_document(root: str, item: str | None, data: list[dict[str, Any]] | dict[str, Any]) -> bytes:
    element = ET.Element(root)
    if isinstance(data, list):
        assert item is not None
        for entry in data:
            _fill(ET.SubElement(element, item), entry)
    else:
        _fill(element, data)
    return ET.tostring(element, encoding="utf-8", xml_declaration=True)


def respond(
    fmt: str,
    root: str,
    item: str | None,
    data: list[dict[str, Any]] | dict[str, Any],
    status: int = 200,
) -> HttpResponse:
    if fmt == "xml":
        body = xml_document(root, item, data)
    else:
        body = json.dumps(data, ensure_ascii=False).encode("utf-8")
    return HttpResponse(body, status=status, content_type=CONTENT_TYPES[fmt])


def errors(fmt: str, status: int, description: str) -> HttpResponse:
    """The spec's error answer: a list of {code, description}."""
    return respond(fmt, "errors", "error", [{"code": status, "description": description}], status)
