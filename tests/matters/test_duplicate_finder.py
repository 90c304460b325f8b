"""How well the duplicate finder (xinkan/matters/text.py) tells the same matter from a different one.

The labelled pairs in data/duplicate_pairs.json are descriptions as residents give them to community
workers and the 12345 hotline: half the same matter reworded (other words and order, more or less
detail, typos, dialect), half a different matter at the same place and on the same topic (the lift
of building 3 vs building 5, heating too cold vs heating bill too high, 低保 vs 临时救助), which
plain word overlap cannot tell apart.

Every 4th pair (the 4th, 8th, 12th, …) is held out: tune the finder on the others and check that
the held-out figures stay close. No database is needed. Run with `-s` to see the figures.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from xinkan.matters import text
from xinkan.matters.services.intake import CANDIDATE_THRESHOLD, REPEAT_THRESHOLD, _title_from

PAIRS = json.loads((Path(__file__).parent / "data" / "duplicate_pairs.json").read_text("utf-8"))
HELD_OUT = [pair for index, pair in enumerate(PAIRS) if index % 4 == 3]
TUNED_ON = [pair for index, pair in enumerate(PAIRS) if index % 4 != 3]

MIN_PRECISION = 0.85
MIN_RECALL = 0.90
MAX_HELD_OUT_DROP = 0.15  # the held-out part may trail the whole set by at most this much


def _precision_recall(pairs: Sequence[dict[str, object]], threshold: float) -> tuple[float, float]:
    found = [text.similarity(str(p["a"]), str(p["b"])) >= threshold for p in pairs]
    same = [bool(p["same"]) for p in pairs]
    true_pos = sum(f and s for f, s in zip(found, same, strict=True))
    precision = true_pos / sum(found) if any(found) else 1.0
    recall = true_pos / sum(same)
    return precision, recall


def test_the_pair_set_is_balanced_and_well_formed():
    assert len(PAIRS) >= 80
    same = sum(1 for p in PAIRS if p["same"])
    assert 0.4 <= same / len(PAIRS) <= 0.6
    for pair in PAIRS:
        assert set(pair) == {"a", "b", "same", "note"}
        assert all(15 <= len(pair[key]) <= 120 for key in ("a", "b")), pair
    assert any(p["same"] for p in HELD_OUT)
    assert not all(p["same"] for p in HELD_OUT)


def test_precision_and_recall_of_the_candidate_threshold():
    figures = {
        name: _precision_recall(part, CANDIDATE_THRESHOLD)
        for name, part in (("all", PAIRS), ("tuned on", TUNED_ON), ("held out", HELD_OUT))
    }
    repeat = {
        name: _precision_recall(part, REPEAT_THRESHOLD)
        for name, part in (("all", PAIRS), ("held out", HELD_OUT))
    }
    same = sum(1 for p in PAIRS if p["same"])
    print(f"\nduplicate pairs: {len(PAIRS)} ({same} same, {len(PAIRS) - same} different)")
    print(f"CANDIDATE_THRESHOLD = {CANDIDATE_THRESHOLD}")
    for name, (precision, recall) in figures.items():
        size = {"all": len(PAIRS), "tuned on": len(TUNED_ON), "held out": len(HELD_OUT)}[name]
        print(f"  {name:<9} ({size:>3} pairs) precision {precision:.2f}  recall {recall:.2f}")
    print(f"REPEAT_THRESHOLD = {REPEAT_THRESHOLD}")
    for name, (precision, recall) in repeat.items():
        print(f"  {name:<9} precision {precision:.2f}  recall {recall:.2f}")

    precision, recall = figures["all"]
    assert precision >= MIN_PRECISION
    assert recall >= MIN_RECALL
    held_precision, held_recall = figures["held out"]
    assert held_precision >= precision - MAX_HELD_OUT_DROP
    assert held_recall >= recall - MAX_HELD_OUT_DROP


def test_the_repeat_threshold_is_stricter_than_the_candidate_threshold():
    # Folding a repeat hides the new matter, so it must be surer than a candidate for staff.
    assert REPEAT_THRESHOLD >= CANDIDATE_THRESHOLD
    precision, _ = _precision_recall(PAIRS, REPEAT_THRESHOLD)
    assert precision >= 0.95


@pytest.mark.parametrize("pair", PAIRS[:: max(1, len(PAIRS) // 40)], ids=lambda p: p["note"][:40])
def test_the_order_of_a_pair_does_not_matter(pair):
    assert text.similarity(pair["a"], pair["b"]) == text.similarity(pair["b"], pair["a"])
    fa, fb = text.features(pair["a"]), text.features(pair["b"])
    assert text.similarity(fa, fb) == text.similarity(fb, fa)


def test_identical_texts_score_one():
    for pair in PAIRS[:20]:
        for description in (pair["a"], pair["b"]):
            assert text.similarity(description, description) == 1.0
            assert text.similarity(description, text.features(description)) == 1.0
    assert text.similarity("", "") == 0.0


def test_the_building_number_tells_matters_apart():
    same_lift = "幸福里小区3号楼2单元电梯坏了三天，没人来修"
    assert (
        text.similarity(same_lift, "三号楼二单元的电梯停运三天了，物业没人修")
        >= CANDIDATE_THRESHOLD
    )
    assert (
        text.similarity(same_lift, "幸福里小区5号楼2单元电梯坏了三天，没人来修")
        < CANDIDATE_THRESHOLD
    )


def test_the_public_helpers_keep_their_shape():
    assert "电梯" in text.words("小区电梯坏了")
    assert text.search_text("电梯坏了", "电梯停运") == "电梯 坏 停运"
    assert text.bigrams("电梯坏了") == ["电梯", "梯坏", "坏了"]
    found = text.best_matches(
        "3号楼电梯坏了，没人修", [(1, "3号楼的电梯坏了好几天"), (2, "路灯不亮")], threshold=0.2
    )
    assert [pk for pk, _ in found] == [1]


def test_the_concept_index_finds_what_searching_every_concept_finds():
    # To save time, a text is searched only for the concepts whose first characters it holds.
    concepts = {key for key, _, _ in text._CONCEPTS}
    for pair in PAIRS:
        for description in (pair["a"], pair["b"]):
            norm = text._normalise(description)
            everything = {key for key, pattern, _ in text._CONCEPTS if pattern.search(norm)}
            assert set(text._features(description)) & concepts == everything, description


def _median_ms(run: Callable[[], object], before: Callable[[], object] = lambda: None) -> float:
    times = []
    for _ in range(5):
        before()
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def test_time_to_compare_one_text_with_300_candidates():
    # As intake compares them: "title description", the title made from the description's start.
    descriptions = [pair[key] for pair in PAIRS for key in ("a", "b")]
    candidates = []
    for i in range(300):
        description = f"{descriptions[i % len(descriptions)]}（第{i}件）"
        candidates.append((i, f"{_title_from(description)} {description}"))
    target = "幸福里小区3号楼2单元电梯坏了好几天了，老人上下楼特别困难，物业一直没人来修。"
    text.similarity(target, target)  # load jieba's dictionary once, as a running server has

    def compare() -> None:
        text.best_matches(target, candidates, threshold=CANDIDATE_THRESHOLD)

    def forget_texts() -> None:
        text._cached_features.cache_clear()

    def forget_all() -> None:
        forget_texts()
        text._run_weights.clear()

    first = _median_ms(compare, before=forget_all)
    unseen = _median_ms(compare, before=forget_texts)
    seen = _median_ms(compare)
    length = statistics.mean(len(t) for _, t in candidates)
    print(
        f"\n1 text vs 300 candidates (~{length:.0f} characters each), median of 5: "
        f"{seen:.1f} ms texts seen before, {unseen:.1f} ms texts not seen before, "
        f"{first:.1f} ms nothing seen before (fresh process)"
    )
