"""The official-style summary sentence, built from counts."""

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from app.engine.narrative import _ORDER, _PHRASE, _names, summarize
from app.engine.progress import Status
from app.storage.db import Database
from tests.app.helpers import check, enter, store_template
from tests.app.sample_templates import CITY, D1, D2, document, indicator

SEED = "39项指标任务总体按计划推进，其中，11项季度指标均已完成，28项年度指标中26项按序推进、2项超额完成。"


def items(quarterly: bool, *groups: tuple[int, Status], prefix: str = "指标") -> list[tuple[str, bool, Status]]:
    out: list[tuple[str, bool, Status]] = []
    for count, status in groups:
        for _ in range(count):
            out.append((f"{prefix}{len(out) + 1}", quarterly, status))
    return out


def test_the_seed_sentence() -> None:
    quarterly = items(True, (11, Status.COMPLETED), prefix="季")
    annual = items(False, (26, Status.ON_TRACK), (2, Status.EXCEEDED), prefix="年")
    assert summarize(quarterly + annual) == SEED


def test_order_of_items_does_not_change_the_sentence() -> None:
    quarterly = items(True, (11, Status.COMPLETED), prefix="季")
    annual = items(False, (2, Status.EXCEEDED), (26, Status.ON_TRACK), prefix="年")
    mixed = annual[:14] + quarterly + annual[14:]
    assert summarize(mixed) == SEED


def test_behind_items_are_named_in_brackets() -> None:
    members = [
        ("季度甲", True, Status.COMPLETED),
        ("年度甲", False, Status.ON_TRACK),
        ("绿色建筑占比", False, Status.BEHIND),
    ]
    assert summarize(members) == (
        "3项指标任务中1项需关注，其中，1项季度指标已完成，2项年度指标中1项按序推进、1项滞后（绿色建筑占比）。"
    )


def test_several_behind_names_in_catalog_order() -> None:
    members = [("甲", False, Status.BEHIND), ("乙", False, Status.ON_TRACK), ("丙", False, Status.BEHIND)]
    assert summarize(members) == "3项指标任务中2项需关注，其中，3项年度指标中1项按序推进、2项滞后（甲、丙）。"


def test_more_than_five_names_are_truncated() -> None:
    members = [(f"指标{i}", False, Status.BEHIND) for i in range(1, 8)] + [("好", False, Status.ON_TRACK)]
    sentence = summarize(members)
    assert "7项滞后（指标1、指标2、指标3、指标4、指标5等7项）" in sentence
    assert "指标6" not in sentence and "指标7" not in sentence


def test_exactly_five_names_are_all_shown() -> None:
    members = [(f"指标{i}", False, Status.BEHIND) for i in range(1, 6)] + [("好", False, Status.ON_TRACK)]
    sentence = summarize(members)
    assert "5项滞后（指标1、指标2、指标3、指标4、指标5）" in sentence
    assert "等" not in sentence


def test_a_group_all_in_one_status_uses_jun() -> None:
    assert summarize(items(False, (3, Status.ON_TRACK))) == "3项指标任务总体按计划推进，其中，3项年度指标均按序推进。"
    assert summarize(items(True, (2, Status.EXCEEDED))) == "2项指标任务总体按计划推进，其中，2项季度指标均超额完成。"
    behind = [("甲", True, Status.BEHIND), ("乙", True, Status.BEHIND)]
    assert summarize(behind) == "2项指标任务中2项需关注，其中，2项季度指标均滞后（甲、乙）。"


def test_statuses_are_named_good_first() -> None:
    members = [
        ("a", False, Status.MISSING),
        ("b", False, Status.BEHIND),
        ("c", False, Status.EXCEEDED),
        ("d", False, Status.COMPLETED),
        ("e", False, Status.ON_TRACK),
    ]
    assert summarize(members) == (
        "5项指标任务中2项需关注，其中，5项年度指标中1项按序推进、1项已完成、1项超额完成、1项滞后（b）、1项未填报（a）。"
    )


def test_cap_statuses() -> None:
    members = [("能源消费总量", False, Status.WITHIN_CAP), ("用水总量", False, Status.OVER_CAP)]
    assert summarize(members) == (
        "2项指标任务中1项需关注，其中，2项年度指标中1项控制在目标以内、1项超出控制目标（用水总量）。"
    )


def test_nothing_to_assess_and_nothing_reported() -> None:
    assert summarize([]) == "本期没有需要考核的指标。"
    assert summarize(items(False, (3, Status.MISSING))) == "3项指标均未填报。"


def test_check_builds_the_sentence_from_computed_statuses(db: Database, tmp_path: Path) -> None:
    doc = document(
        [
            indicator("Q", frequency="quarterly", name="季度甲"),
            indicator("A", name="年度甲"),
            indicator("B", name="年度乙"),
            indicator("X", tier="basic", assessed=False, name="基础数据"),
        ]
    )
    spec = store_template(db, doc, tmp_path)
    enter(db, spec, D1, "2023Q2", Q="20", A="50", B="101", X="5")
    enter(db, spec, D2, "2023Q2", Q="25", A="10", B="0", X="5")
    assert check(db, D1, "2023Q2").summary == (
        "3项指标任务总体按计划推进，其中，1项季度指标已完成，2项年度指标中1项按序推进、1项超额完成。"
    )
    assert check(db, D2, "2023Q2").summary == (
        "3项指标任务中2项需关注，其中，1项季度指标已完成，2项年度指标均滞后（年度甲、年度乙）。"
    )
    city = check(db, CITY, "2023Q2")  # Q 45 ≥ 20, A 60 ≥ 50, B 101 > 100
    assert city.counts[Status.COMPLETED] == 1
    assert city.counts[Status.ON_TRACK] == 1
    assert city.counts[Status.EXCEEDED] == 1
    assert sum(city.counts.values()) == 3  # the basic indicator is not counted


def test_a_ceiling_ahead_of_pace_is_named_as_a_warning() -> None:
    items = [("能源消费总量", False, Status.CAP_WARNING), ("绿色建筑占比", False, Status.ON_TRACK)]
    assert (
        summarize(items) == "2项指标任务中1项需关注，其中，2项年度指标中1项按序推进、1项超出进度预警（能源消费总量）。"
    )


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(list("甲乙丙丁戊己庚")), st.booleans(), st.sampled_from(list(Status))),
        max_size=30,
    )
)
def test_each_group_names_its_statuses_good_first_with_their_counts_and_bad_names(
    assessed: list[tuple[str, bool, Status]],
) -> None:
    """Whatever the mix, a group of several statuses reads as its plain definition: for each status in the
    module's order, how many of the group's indicators have it, and their names as the module shows them (the
    order, phrases and names are held by the examples above; this holds the grouping)."""
    sentence = summarize(assessed)
    for label, quarterly in (("季度指标", True), ("年度指标", False)):
        members = [(name, status) for name, q, status in assessed if q == quarterly]
        statuses = {status for _, status in members}
        if not members or len(statuses) == 1 or all(s == Status.MISSING for _, _, s in assessed):
            continue
        pieces = []
        for status in _ORDER:
            names = [name for name, s in members if s == status]
            if names:
                pieces.append(f"{len(names)}项{_PHRASE[status]}{_names(status, names)}")
        assert f"{len(members)}项{label}中" + "、".join(pieces) in sentence
