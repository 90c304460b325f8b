"""Every write to matters. One module per part of the flow; import the functions from here.

from xinkan.matters import services
services.register_matter(Intake(...), by=user)
"""

from xinkan.matters.services._core import InvalidTransition, MatterError, StaleMatter
from xinkan.matters.services.companions import record_visit, release_matter, take_matter
from xinkan.matters.services.follow_up import decide_review, record_follow_up, request_review
from xinkan.matters.services.intake import Intake, IntakeResult, register_matter
from xinkan.matters.services.links import decide_candidate, link_related, merge_into
from xinkan.matters.services.sweep import SweepReport, sweep, sweep_all
from xinkan.matters.services.workflow import (
    accept_matter,
    decide_extension,
    decide_objection,
    decline_matter,
    dispatch_matter,
    handle_by_unit,
    object_to_dispatch,
    reply_to_matter,
    report_as_co_handler,
    request_extension,
    return_to_dispatcher,
    sign_for,
    transfer_matter,
)

__all__ = [
    "Intake",
    "IntakeResult",
    "InvalidTransition",
    "MatterError",
    "StaleMatter",
    "SweepReport",
    "accept_matter",
    "decide_candidate",
    "decide_extension",
    "decide_objection",
    "decide_review",
    "decline_matter",
    "dispatch_matter",
    "handle_by_unit",
    "link_related",
    "merge_into",
    "object_to_dispatch",
    "record_follow_up",
    "record_visit",
    "register_matter",
    "release_matter",
    "reply_to_matter",
    "report_as_co_handler",
    "request_extension",
    "request_review",
    "return_to_dispatcher",
    "sign_for",
    "sweep",
    "sweep_all",
    "take_matter",
    "transfer_matter",
]
