"""The official-style summary sentence of a self-check, built from computed counts only.

Example: “39项指标任务总体按计划推进，其中，11项季度指标均已完成，28项年度指标中26项按序推进、2项超额完成。”
"""

from __future__ import annotations

from collections.abc import Sequence

from app.engine.progress import Status

# The order in which statuses are named within a group; the good ones first, as in official reports.
_ORDER = (
    Status.ON_TRACK,
    Status.COMPLETED,
    Status.EXCEEDED,
    Status.WITHIN_CAP,
    Status.CAP_WARNING,
    Status.OVER_CAP,
    Status.BEHIND,
    Status.MISSING,
)
_PHRASE = {
    Status.ON_TRACK: "按序推进",
    Status.COMPLETED: "已完成",
    Status.EXCEEDED: "超额完成",
    Status.WITHIN_CAP: "控制在目标以内",
    Status.CAP_WARNING: "超出进度预警",
    Status.OVER_CAP: "超出控制目标",
    Status.BEHIND: "滞后",
    Status.MISSING: "未填报",
}
# Statuses that need attention: they make the sentence say so, and their indicators are named in brackets.
_BAD = frozenset({Status.BEHIND, Status.CAP_WARNING, Status.OVER_CAP, Status.MISSING})
_MAX_NAMES = 5


def summarize(items: Sequence[tuple[str, bool, Status]]) -> str:
    """Sentence for ``items``: (indicator name, is quarterly, status) of every assessed indicator."""
    total = len(items)
    if total == 0:
        return "本期没有需要考核的指标。"
    bad = [s for _, _, s in items if s in _BAD]
    if not bad:
        head = f"{total}项指标任务总体按计划推进"
    elif all(s == Status.MISSING for s in bad) and len(bad) == total:
        return f"{total}项指标均未填报。" if total > 1 else "1项指标未填报。"
    else:
        head = f"{total}项指标任务中{len(bad)}项需关注"
    groups = [
        ("季度指标", [(n, s) for n, q, s in items if q]),
        ("年度指标", [(n, s) for n, q, s in items if not q]),
    ]
    parts = [_group(label, members) for label, members in groups if members]
    return f"{head}，其中，{'，'.join(parts)}。"


def _group(label: str, members: list[tuple[str, Status]]) -> str:
    count = len(members)
    statuses = {s for _, s in members}
    if len(statuses) == 1:
        (only,) = statuses
        # “均” (all) reads oddly for a single indicator.
        every = "均" if count > 1 else ""
        return f"{count}项{label}{every}{_PHRASE[only]}{_names(only, [n for n, _ in members])}"
    named: dict[Status, list[str]] = {}
    for name, status in members:
        named.setdefault(status, []).append(name)
    pieces = []
    for status in _ORDER:
        names = named.get(status)
        if names:
            pieces.append(f"{len(names)}项{_PHRASE[status]}{_names(status, names)}")
    return f"{count}项{label}中" + "、".join(pieces)


def _names(status: Status, names: list[str]) -> str:
    if status not in _BAD:
        return ""
    shown = "、".join(names[:_MAX_NAMES])
    if len(names) > _MAX_NAMES:
        shown += f"等{len(names)}项"
    return f"（{shown}）"
