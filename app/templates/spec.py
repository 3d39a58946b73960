"""From a template document to a checked :class:`CatalogSpec`: every rule the schema cannot express
(references, formulas, cycles, targets) is checked, and every problem is reported at once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from decimal import Decimal
from typing import Any

from app.engine.calendar import CalendarError, Window
from app.engine.catalog import CapPacing, CatalogSpec, IndicatorSpec, Part, RuleSpec, TargetSpec, UnitSpec
from app.engine.formula import FormulaError, parse
from app.engine.numbers import NumberError, check_places, parse_decimal
from app.engine.periods import Period, PeriodError
from app.templates.document import TemplateError, check_schema


def spec_from_document(doc: dict[str, Any], source: str = "<模板>") -> CatalogSpec:
    """Check ``doc`` fully and turn it into a :class:`CatalogSpec`, or raise :class:`TemplateError`."""
    check_schema(doc, source)
    problems: list[str] = []
    cat = doc["catalog"]
    year = cat["year"]

    def dec(value: str | None, where: str) -> Decimal | None:
        if value is None:
            return None
        try:
            return parse_decimal(value)
        except NumberError as exc:
            problems.append(f"{where}：{exc}")
            return None

    units = [UnitSpec(u["code"], u["name"], u["parent"]) for u in doc["units"]]
    problems += _check_units(units)

    indicators: list[IndicatorSpec] = []
    seen: set[str] = set()
    for i, raw in enumerate(doc["indicators"]):
        where = f"indicators[{i}]（{raw['code']}）"
        if raw["code"] in seen:
            problems.append(f"{where}：指标代码 {raw['code']} 重复")
        seen.add(raw["code"])
        ind = _indicator(raw, where, dec, problems)
        if ind is not None:
            indicators.append(ind)
    by_code = {ind.code: ind for ind in indicators}
    problems += _check_formulas(indicators, by_code, {raw["code"]: i for i, raw in enumerate(doc["indicators"])})

    targets = _targets(doc["targets"], year, seen, indicators, units, dec, problems)

    rules = _rules(doc["rules"], by_code.keys(), problems)

    calendar = _calendar(doc.get("calendar", []), year, problems)
    pacing = _cap_pacing(cat.get("cap_pacing"), problems)
    if cat["baseline_year"] >= year:
        problems.append("catalog.baseline_year：基期年份应早于报告年份")
    if problems:
        raise TemplateError(source, problems)
    return CatalogSpec(
        code=cat["code"],
        name=cat["name"],
        version=cat["version"],
        year=year,
        baseline_year=cat["baseline_year"],
        demo=cat["demo"],
        issuer=cat["issuer"],
        description=cat.get("description", ""),
        units=units,
        indicators=indicators,
        targets=targets,
        rules=rules,
        intake_url=cat.get("intake_url"),
        cap_pacing=pacing,
        calendar=calendar,
    )


def _targets(
    raws: list[dict[str, Any]],
    year: int,
    seen: set[str],
    indicators: list[IndicatorSpec],
    units: list[UnitSpec],
    dec: Any,
    problems: list[str],
) -> dict[tuple[str, str, str], TargetSpec]:
    """The targets of the document, each checked, and every indicator, unit and period that needs one covered."""
    by_code = {ind.code: ind for ind in indicators}
    unit_codes = {u.code for u in units}
    targets: dict[tuple[str, str, str], TargetSpec] = {}
    given: set[tuple[str, str, str]] = set()
    for i, raw in enumerate(raws):
        if raw["indicator"] in seen and raw["indicator"] not in by_code:
            continue  # its indicator is refused above; “指标不存在” here would be wrong
        where = f"targets[{i}]（{raw['indicator']} / {raw['unit']} / {raw['period']}）"
        key = (raw["indicator"], raw["unit"], raw["period"])
        given.add(key)
        spec = _target(raw, where, year, by_code, unit_codes, dec, problems)
        if spec is None:
            continue
        if key in targets:
            problems.append(f"{where}：同一指标、单位、报告期的目标重复")
        targets[key] = spec
    # A target that is there but wrong is reported above, not once more as missing.
    problems += _check_target_coverage(indicators, units, given, targets, year)
    return targets


def _rules(raws: list[dict[str, Any]], codes: Collection[str], problems: list[str]) -> list[RuleSpec]:
    """The cross-indicator rules, each side a formula over indicators that exist."""
    rules: list[RuleSpec] = []
    rule_codes: set[str] = set()
    for i, raw in enumerate(raws):
        where = f"rules[{i}]（{raw['code']}）"
        if raw["code"] in rule_codes:
            problems.append(f"{where}：规则代码重复")
        rule_codes.add(raw["code"])
        for side in ("left", "right"):
            try:
                formula = parse(raw[side])
            except FormulaError as exc:
                problems.append(f"{where}.{side}：{exc}")
                continue
            missing = sorted((formula.refs | formula.base_refs) - set(codes))
            if missing:
                problems.append(f"{where}.{side}：引用了不存在的指标 {', '.join(missing)}")
        rules.append(RuleSpec(raw["code"], raw["left"], raw["op"], raw["right"], raw["level"], raw["message"]))
    return rules


def _calendar(raws: list[dict[str, Any]], year: int, problems: list[str]) -> dict[str, Window]:
    """The reporting windows: real dates in order, one per period of the template's year, due after it ends."""
    windows: dict[str, Window] = {}
    for i, raw in enumerate(raws):
        where = f"calendar[{i}]（{raw['period']}）"
        try:
            period = Period.parse(raw["period"])
        except PeriodError as exc:
            problems.append(f"{where}：{exc}")
            continue
        if period.year != year:
            problems.append(f"{where}：报告期不属于 {year} 年度")
            continue
        if str(period) in windows:
            problems.append(f"{where}：同一报告期的填报期重复")
            continue
        dates = {}
        for key in ("opens", "due", "closes"):
            try:
                dates[key] = dt.date.fromisoformat(raw[key])
            except ValueError:
                problems.append(f"{where}.{key}：“{raw[key]}”不是有效日期")
        if len(dates) < 3:
            continue
        try:
            window = Window(period, dates["opens"], dates["due"], dates["closes"])
        except CalendarError as exc:
            problems.append(f"{where}：{exc}")
            continue
        if window.due < period.last_day:
            problems.append(f"{where}.due：截止日期早于报告期结束（{period.last_day.isoformat()}）")
            continue
        windows[str(period)] = window
    return windows


def _cap_pacing(raw: dict[str, Any] | None, problems: list[str]) -> CapPacing | None:
    if raw is None:
        return None
    warning = Decimal(raw["warning_margin"])
    alarm = None if raw.get("alarm_margin") is None else Decimal(raw["alarm_margin"])
    if alarm is not None and alarm <= warning:
        problems.append("catalog.cap_pacing.alarm_margin：应大于 warning_margin")
    return CapPacing(warning, alarm)


def _check_units(units: list[UnitSpec]) -> list[str]:
    problems = []
    codes = [u.code for u in units]
    for code in sorted({c for c in codes if codes.count(c) > 1}):
        problems.append(f"units：单位代码 {code} 重复")
    known = set(codes)
    roots = [u for u in units if u.parent is None]
    if len(roots) != 1:
        problems.append(f"units：应恰有一个没有上级的单位（市级），现有 {len(roots)} 个")
    parents = {u.code: u.parent for u in units}
    for i, u in enumerate(units):
        if u.parent is not None and u.parent not in known:
            problems.append(f"units[{i}]（{u.code}）：上级单位 {u.parent} 不存在")
            continue
        seen = {u.code}
        p = u.parent
        while p is not None and p in parents:
            if p in seen:
                problems.append(f"units[{i}]（{u.code}）：上级关系构成循环")
                break
            seen.add(p)
            p = parents[p]
    return problems


def _indicator(raw: dict[str, Any], where: str, dec: Any, problems: list[str]) -> IndicatorSpec | None:
    kind, agg = raw["kind"], raw["aggregation"]
    start = len(problems)
    if agg == "ratio" and kind != "ratio":
        problems.append(f"{where}.aggregation：只有比率型（ratio）指标可以按 ratio 汇总")
    if agg == "formula" and kind != "derived":
        problems.append(f"{where}.aggregation：只有计算型（derived）指标可以按 formula 汇总")
    if agg == "sum" and kind == "ratio":
        problems.append(f"{where}.aggregation：比率型指标不能相加汇总，应按 ratio（分子之和 ÷ 分母之和）")
    if raw["direction"] == "lower" and raw["accumulation"] == "cumulative":
        problems.append(f"{where}.direction：累计型指标不能用 lower（年中累计值总低于全年目标），应使用 cap")
    if kind == "derived" and not raw.get("formula"):
        problems.append(f"{where}.formula：计算型指标必须给出公式")
    if kind != "derived" and "formula" in raw:
        problems.append(f"{where}.formula：只有计算型指标可以有公式")
    if kind == "ratio" and ("numerator" not in raw or "denominator" not in raw):
        problems.append(f"{where}：比率型指标必须给出 numerator 和 denominator")
    if kind != "ratio" and any(k in raw for k in ("numerator", "denominator", "scale")):
        problems.append(f"{where}：只有比率型指标可以有 numerator / denominator / scale")
    assessed = raw.get("assessed", True)
    if raw["tier"] == "basic" and assessed:
        problems.append(f"{where}.assessed：基础数据（basic）指标不参与考核，assessed 应为 false")
    formula = raw.get("formula")
    if formula is not None:
        try:
            parse(formula)
        except FormulaError as exc:
            problems.append(f"{where}.formula：{exc}")
    scale = dec(raw.get("scale"), f"{where}.scale") if kind == "ratio" else None
    if kind == "ratio" and scale is None and "scale" not in raw:
        scale = Decimal(100)
    default_max = "100" if kind == "ratio" and raw["unit"] == "%" else None
    min_value = dec(raw.get("min", "0"), f"{where}.min")
    max_value = dec(raw.get("max", default_max), f"{where}.max")
    if min_value is not None and max_value is not None and min_value > max_value:
        problems.append(f"{where}：下限 min 大于上限 max")
    threshold = dec(raw.get("change_threshold"), f"{where}.change_threshold")
    if threshold is not None and threshold <= 0:
        problems.append(f"{where}.change_threshold：提示阈值应大于 0")
    if len(problems) > start:
        return None

    def part(key: str) -> Part | None:
        p = raw.get(key)
        return None if p is None else Part(p["name"], p["unit"], p["decimals"])

    return IndicatorSpec(
        code=raw["code"],
        name=raw["name"],
        field=raw["field"],
        tier=raw["tier"],
        unit=raw["unit"],
        decimals=raw["decimals"],
        kind=kind,
        frequency=raw["frequency"],
        accumulation=raw["accumulation"],
        direction=raw["direction"],
        aggregation=agg,
        assessed=assessed,
        formula=formula,
        numerator=part("numerator"),
        denominator=part("denominator"),
        scale=scale,
        min_value=min_value,
        max_value=max_value,
        change_threshold=threshold,
        description=raw.get("description", ""),
    )


def _check_formulas(
    indicators: list[IndicatorSpec], by_code: dict[str, IndicatorSpec], positions: dict[str, int]
) -> list[str]:
    problems = []
    graph: dict[str, set[str]] = {}
    for ind in indicators:
        if ind.parsed is None:
            continue
        missing = sorted((ind.parsed.refs | ind.parsed.base_refs) - by_code.keys())
        if missing:
            where = f"indicators[{positions.get(ind.code, '?')}].formula（{ind.code}）"
            problems.append(f"{where}：公式引用了不存在的指标 {', '.join(missing)}")
        graph[ind.code] = {r for r in ind.parsed.refs if r in by_code}
    # Depth-first search for a cycle among formulas; base() reads a fixed baseline, so it cannot loop. With an
    # explicit stack: a hostile template's chain of thousands of formulas must not exhaust Python's recursion.
    state: dict[str, int] = {}
    for root in graph:
        if root in state:
            continue
        path = [root]
        state[root] = 1
        pending = [iter(sorted(graph.get(root, ())))]
        cycle: list[str] | None = None
        while pending and cycle is None:
            ref = next(pending[-1], None)
            if ref is None:
                state[path.pop()] = 2
                pending.pop()
            elif state.get(ref) == 1:
                cycle = [*path[path.index(ref) :], ref]
            elif ref not in state:
                state[ref] = 1
                path.append(ref)
                pending.append(iter(sorted(graph.get(ref, ()))))
        if cycle:
            problems.append(f"公式之间存在循环引用：{' → '.join(cycle)}")
            break
    return problems


def _target(
    raw: dict[str, Any],
    where: str,
    year: int,
    by_code: dict[str, IndicatorSpec],
    unit_codes: set[str],
    dec: Any,
    problems: list[str],
) -> TargetSpec | None:
    start = len(problems)
    ind = by_code.get(raw["indicator"])
    if ind is None:
        problems.append(f"{where}：指标 {raw['indicator']} 不存在")
    if raw["unit"] not in unit_codes:
        problems.append(f"{where}：单位 {raw['unit']} 不存在")
    try:
        period = Period.parse(raw["period"])
    except PeriodError as exc:
        problems.append(f"{where}：{exc}")
        return None
    if period.year != year:
        problems.append(f"{where}：报告期不在模板年度 {year} 内")
    if len(problems) > start or ind is None:
        return None
    target = dec(raw.get("target"), f"{where}.target")
    baseline = dec(raw.get("baseline"), f"{where}.baseline")
    if ind.assessed and "target" not in raw:
        problems.append(f"{where}：考核指标必须给出目标值 target")
    if not ind.assessed and "target" in raw:
        problems.append(f"{where}：不考核的基础数据指标不应有目标值，只给 baseline")
    if ind.is_quarterly is False and not period.is_annual:
        problems.append(f"{where}：年度指标只设全年目标（季度进度用 milestones）")
    milestones: dict[int, Decimal] = {}
    for key, text in raw.get("milestones", {}).items():
        if not period.is_annual or ind.is_quarterly:
            problems.append(f"{where}.milestones：只有年度指标的全年目标可以设季度节点")
            break
        value = dec(text, f"{where}.milestones.{key}")
        if value is not None:
            milestones[int(key[1])] = value
    for label, value in (
        ("target", target),
        ("baseline", baseline),
        *((f"milestones.Q{q}", v) for q, v in milestones.items()),
    ):
        if value is not None:
            try:
                check_places(value, ind.decimals, "")
            except NumberError as exc:
                problems.append(f"{where}.{label}：{exc}")
    if len(problems) > start:
        return None
    return TargetSpec(target, baseline, milestones)


def _check_target_coverage(
    indicators: list[IndicatorSpec],
    units: list[UnitSpec],
    given: set[tuple[str, str, str]],
    targets: dict[tuple[str, str, str], TargetSpec],
    year: int,
) -> list[str]:
    problems = []
    for ind in indicators:
        if not ind.assessed:
            continue
        periods = [f"{year}Q{q}" for q in range(1, 5)] if ind.is_quarterly else [str(year)]
        for unit in units:
            missing = [p for p in periods if (ind.code, unit.code, p) not in given]
            if missing:
                problems.append(f"指标 {ind.code} 缺少单位 {unit.code} 的目标：{', '.join(missing)}")
        if not ind.is_quarterly and not ind.is_cumulative and ind.direction != "cap":
            # A level indicator's expected progress starts from last year's value.
            for unit in units:
                annual = targets.get((ind.code, unit.code, str(year)))
                if annual is not None and annual.baseline is None and len(annual.milestones) < 3:
                    where = f"指标 {ind.code}（单位 {unit.code}）"
                    problems.append(f"{where}：水平型指标须给出 baseline（上年值）或 Q1–Q3 的 milestones")
    return problems
