from __future__ import annotations

from tests.matters import factories as mf
from xinkan.matters import services
from xinkan.matters.models import MatterEvent, Outcome, Rating, State


def test_full_ladder_to_conclusion(cast):
    matter = mf.matter(cast.grid, cast.grid_worker)
    assert matter.state == State.REGISTERED
    assert matter.handling_unit == cast.community
    services.accept_matter(matter, by=cast.community_worker)
    services.dispatch_matter(matter, lead=cast.department, by=cast.community_worker)
    services.sign_for(matter, by=cast.handler)
    services.reply_to_matter(
        matter,
        by=cast.handler,
        text="已联系物业维修电梯，预计三日内修好。",
        outcome=Outcome.SUPPORTED,
    )
    services.record_follow_up(matter, rating=Rating.DISSATISFIED, by=cast.community_worker)
    services.request_review(matter, by=cast.community_worker, reason="三天后仍未修好")
    assert matter.state == State.REVIEW
    assert matter.handling_unit == cast.subdistrict
    services.decide_review(
        matter, by=cast.cadre, text="经复查，责令物业一周内修复并赔偿。", outcome=Outcome.SUPPORTED
    )
    services.record_follow_up(matter, rating=Rating.DISSATISFIED, by=cast.community_worker)
    services.request_review(matter, by=cast.community_worker, reason="仍不满意赔偿方案")
    assert matter.state == State.REREVIEW
    assert matter.handling_unit == cast.district
    services.decide_review(
        matter, by=cast.leader, text="经复核，维持复查意见，本事项终结。", outcome=Outcome.EXPLAINED
    )
    assert matter.state == State.CONCLUDED
    actions = list(MatterEvent.objects.filter(matter=matter).values_list("action", flat=True))
    assert actions[0] == "registered"
    assert actions[-1] == "concluded"
