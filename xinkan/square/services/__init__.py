"""Every write to the square. Import the functions from here.

from xinkan.square import services
services.promise(question, by=user, answer=..., due=..., category=...)
"""

from xinkan.square.services._core import SquareError, require_run
from xinkan.square.services.answers import answer_on_spot, matter_key, promise
from xinkan.square.services.questions import (
    NewQuestion,
    approve_question,
    assign_question,
    call_question,
    decline_question,
    merge_question,
    move_question,
    prepare_answer,
    register_question,
    submit_question,
)
from xinkan.square.services.sessions import (
    SessionDetails,
    add_panelist,
    change_session,
    finish_session,
    go_live,
    open_for_questions,
    plan_session,
    record_attendance,
    remove_panelist,
)

__all__ = [
    "NewQuestion",
    "SessionDetails",
    "SquareError",
    "add_panelist",
    "answer_on_spot",
    "approve_question",
    "assign_question",
    "call_question",
    "change_session",
    "decline_question",
    "finish_session",
    "go_live",
    "matter_key",
    "merge_question",
    "move_question",
    "open_for_questions",
    "plan_session",
    "prepare_answer",
    "promise",
    "record_attendance",
    "register_question",
    "remove_panelist",
    "require_run",
    "submit_question",
]
