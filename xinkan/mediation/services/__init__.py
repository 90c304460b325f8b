"""Every write to disputes. One module per part of the ladder; import the functions from here.

from xinkan.mediation import services
services.register_dispute(NewDispute(...), by=user)
"""

from xinkan.mediation.services._core import MediationError, StaleDispute
from xinkan.mediation.services.agreements import (
    NewTerm,
    Settlement,
    record_confirmation,
    record_performance,
    settle,
)
from xinkan.mediation.services.ladder import (
    assign_mediator,
    complete_session,
    escalate,
    record_session,
    refer,
    withdraw,
)
from xinkan.mediation.services.register import NewDispute, NewParty, register_dispute
from xinkan.mediation.services.roster import add_representation
from xinkan.mediation.services.sweep import MediationSweep, sweep

__all__ = [
    "MediationError",
    "MediationSweep",
    "NewDispute",
    "NewParty",
    "NewTerm",
    "Settlement",
    "StaleDispute",
    "add_representation",
    "assign_mediator",
    "complete_session",
    "escalate",
    "record_confirmation",
    "record_performance",
    "record_session",
    "refer",
    "register_dispute",
    "settle",
    "sweep",
    "withdraw",
]
