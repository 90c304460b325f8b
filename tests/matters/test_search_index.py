"""Search words: domain words stay whole, and `reindex_matters` brings stored matters in step."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command

from tests.matters import factories as mf
from xinkan.audit.models import AuditEntry
from xinkan.matters import selectors, text
from xinkan.matters.models import Matter

STREET_LIGHT = "胜利路路灯不亮了，晚上走路看不清，请尽快修好。"


def test_domain_words_are_kept_whole():
    assert "路灯" in text.words("路灯不亮了")
    assert "高空抛物" in text.words("楼上高空抛物很危险")
    assert "飞线充电" in text.words("有人从楼上飞线充电")


def test_a_street_light_is_found_by_the_word_street_light(cast):
    matter = mf.matter(cast.grid, cast.grid_worker, description=STREET_LIGHT)
    assert list(selectors.search(Matter.objects.all(), "路灯")) == [matter]


def test_reindexing_brings_stored_words_up_to_date_and_is_audited(cast):
    matter = mf.matter(cast.grid, cast.grid_worker, description=STREET_LIGHT)
    untouched = mf.matter(cast.other_grid, None, channel="online", contact_phone="13900139000")
    # As stored before 路灯 was a known word.
    Matter.objects.filter(pk=matter.pk).update(search_text="胜利 路 灯不亮 晚上 走路 看不清 修好")
    assert not selectors.search(Matter.objects.all(), "路灯").exists()

    out = StringIO()
    call_command("reindex_matters", "--batch-size", "1", stdout=out)

    assert "1 matters changed" in out.getvalue()
    assert list(selectors.search(Matter.objects.all(), "路灯")) == [matter]
    assert Matter.objects.get(pk=untouched.pk).search_text == untouched.search_text
    entry = AuditEntry.objects.filter(action="matters.search_reindexed").get()
    assert entry.data == {"changed": 1}


def test_a_compound_word_is_asked_for_without_its_parts():
    # 拖欠工资 also gives 拖欠 and 工资 in search mode; a matter with the compound has them too.
    assert set(text.words("拖欠工资")) >= {"拖欠", "工资", "拖欠工资"}
    assert selectors.search_terms("拖欠工资") == ["拖欠工资"]
    assert selectors.search_terms("电梯 坏了") == text.words("电梯 坏了")
    assert selectors.search_terms("  ") == [""]


def test_a_compound_search_finds_what_the_words_together_found(cast):
    owed = mf.matter(
        cast.grid,
        cast.grid_worker,
        description="施工单位拖欠工资三个月，工人讨薪无门。",
        contact_phone="13600000301",
    )
    mf.matter(
        cast.grid,
        cast.grid_worker,
        description="小区工资不高的保安拖欠了物业费。",
        contact_phone="13600000302",
    )
    assert list(selectors.search(Matter.objects.all(), "拖欠工资")) == [owed]
    assert set(selectors.search(Matter.objects.all(), "工资")) >= {owed}
