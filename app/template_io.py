"""Template files (JSON): read and check them, store them, load them back, write them out.

See ``docs/template-format.md``. A file is checked completely — JSON Schema first, then the rules the schema
cannot express (references, formulas, cycles, targets) — before anything is written, and it is stored in one
transaction, so a refused file leaves the database as it was.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.catalog import CatalogSpec, IndicatorSpec, Part, RuleSpec, TargetSpec, UnitSpec
from app.formula import FormulaError, parse
from app.models import Catalog, CatalogUnit, Indicator, Target, Unit, ValidationRule
from app.numbers import NumberError, check_places, parse_decimal, to_text
from app.periods import Period, PeriodError

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "resources" / "schemas" / "template-v1.schema.json"
MAX_FILE_BYTES = 20 * 1024 * 1024
FORMAT = "tianbao-template"
# NaN and Infinity are not JSON, though Python's reader takes them; strings are matched to skip what they hold.
_CONSTANT = re.compile(r'"(?:[^"\\]|\\.)*"|(-?Infinity|NaN)', re.DOTALL)


class TemplateError(ValueError):
    """A template that cannot be accepted; ``problems`` lists every place that is wrong."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        shown = "\n".join(f"  - {p}" for p in problems[:30])
        more = f"\n  …另有 {len(problems) - 30} 处问题" if len(problems) > 30 else ""
        super().__init__(f"模板文件 {source} 不能导入：\n{shown}{more}")


@cache
def schema() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return data


def read_document(path: Path) -> dict[str, Any]:
    """Read a template file as JSON, refusing what is not UTF-8 JSON of a sane size."""
    source = str(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise TemplateError(source, [f"无法读取文件：{exc.strerror or exc}"]) from exc
    if size > MAX_FILE_BYTES:
        raise TemplateError(source, [f"文件过大（{size} 字节），模板文件不应超过 {MAX_FILE_BYTES // 1048576} MB"])
    try:
        raw = path.read_bytes()
    except OSError as exc:  # a folder, or a file another program holds locked
        raise TemplateError(source, [f"无法读取文件：{exc.strerror or exc}"]) from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TemplateError(source, [f"文件不是 UTF-8 编码（第 {exc.start} 字节处）"]) from exc
    return parse_document(text, source)


def parse_document(text: str, source: str = "<模板>") -> dict[str, Any]:
    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        data = dict(pairs)
        if len(data) == len(pairs):
            return data
        dupes = sorted(k for k, n in Counter(k for k, _ in pairs).items() if n > 1)
        if dupes:
            raise TemplateError(source, [f"JSON 对象中键重复：{', '.join(dupes)}"])
        return dict(pairs)

    def no_float(text_value: str) -> Any:
        # Kept exact (never a binary float); the schema then refuses it, as data must be decimal strings.
        return Decimal(text_value)

    def small_int(digits: str) -> int:
        # Python refuses to read integers of thousands of digits (a ValueError); no field needs more than 30.
        if len(digits.lstrip("-")) > 30:
            raise TemplateError(source, [f"不是有效的 JSON：整数 {digits[:20]}… 位数过多"])
        return int(digits)

    def no_constant(name: str) -> Any:
        place = _constant_place(text)
        raise TemplateError(source, [f"不是有效的 JSON：{place}不允许 {name}，数值须写成文本形式的小数"])

    try:
        data = json.loads(
            text,
            object_pairs_hook=no_duplicates,
            parse_float=no_float,
            parse_int=small_int,
            parse_constant=no_constant,
        )
    except json.JSONDecodeError as exc:
        raise TemplateError(source, [f"不是有效的 JSON：第 {exc.lineno} 行第 {exc.colno} 列，{exc.msg}"]) from exc
    except RecursionError as exc:
        raise TemplateError(source, ["JSON 嵌套过深"]) from exc
    if not isinstance(data, dict):
        raise TemplateError(source, ["文件顶层应为 JSON 对象"])
    return data


def _constant_place(text: str) -> str:
    """Where the first NaN / Infinity outside a string is (“第 x 行第 y 列，”), for the message."""
    for match in _CONSTANT.finditer(text):
        if match.group(1):
            start = match.start()
            return f"第 {text.count(chr(10), 0, start) + 1} 行第 {start - text.rfind(chr(10), 0, start)} 列，"
    return ""


def _where(path: Iterator[Any] | Any) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "（顶层）"


def check_schema(doc: dict[str, Any], source: str) -> None:
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(schema())
    problems = []
    for err in sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path))):
        problems.append(f"{_where(err.absolute_path)}：{_schema_message(err)}")
    if problems:
        raise TemplateError(source, problems)


def _schema_message(err: Any) -> str:
    validator = err.validator
    if validator == "additionalProperties":
        extra = sorted(set(err.instance) - set(err.schema.get("properties", {})))
        return f"不认识的字段 {', '.join(extra)}"
    if validator == "required":
        return f"缺少必填字段（{err.message.split(' ')[0]}）"
    if validator == "pattern":
        return f"“{err.instance}”格式不对"
    if validator == "enum":
        return f"“{err.instance}”不是允许的取值（{', '.join(map(str, err.validator_value))}）"
    if validator == "type":
        return f"类型不对，应为 {err.validator_value}"
    if validator == "const":
        return f"应为 {err.validator_value!r}"
    return str(err.message)


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

    unit_codes = {u.code for u in units}
    targets: dict[tuple[str, str, str], TargetSpec] = {}
    given: set[tuple[str, str, str]] = set()
    for i, raw in enumerate(doc["targets"]):
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

    rules: list[RuleSpec] = []
    rule_codes: set[str] = set()
    for i, raw in enumerate(doc["rules"]):
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
            missing = sorted((formula.refs | formula.base_refs) - by_code.keys())
            if missing:
                problems.append(f"{where}.{side}：引用了不存在的指标 {', '.join(missing)}")
        rules.append(RuleSpec(raw["code"], raw["left"], raw["op"], raw["right"], raw["level"], raw["message"]))

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
    )


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


# ---------------------------------------------------------------- documents ↔ specs ↔ database


def content_hash(doc: dict[str, Any]) -> str:
    """SHA-256 of the document without its signature and generator, in canonical JSON (sorted keys, UTF-8)."""
    body = {k: v for k, v in doc.items() if k not in ("signature", "generator")}
    canonical = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def import_template(session: Session, path: Path) -> tuple[Catalog, bool]:
    """Check and store a template file. Returns the catalog row and whether it was new.

    The caller's transaction makes it all-or-nothing.
    """
    doc = read_document(path)
    spec = spec_from_document(doc, str(path))
    # The identity of a template is its content as this program understands it (defaults filled in), so a
    # template exported from the database imports back into it as the same one.
    return store_spec(session, spec, content_hash(document_from_spec(spec)), doc.get("signature"), str(path))


def store_spec(
    session: Session, spec: CatalogSpec, digest: str, signature: Any = None, source: str = "<模板>"
) -> tuple[Catalog, bool]:
    existing = session.scalar(
        select(Catalog).where(Catalog.code == spec.code, Catalog.version == spec.version, Catalog.year == spec.year)
    )
    if existing is not None:
        if existing.content_hash == digest:
            return existing, False
        raise TemplateError(
            source, [f"已导入过 {spec.code} {spec.year} 年 {spec.version} 版，但内容不同；修改后的模板须使用新的版本号"]
        )
    try:
        signature_text = None if signature is None else json.dumps(signature, ensure_ascii=False, sort_keys=True)
    except TypeError as exc:  # a JSON number read as Decimal: data in the file are decimal strings
        raise TemplateError(source, ["signature：签名中的数值须写成文本"]) from exc
    units = _store_units(session, spec.units)
    catalog = Catalog(
        code=spec.code,
        name=spec.name,
        version=spec.version,
        year=spec.year,
        baseline_year=spec.baseline_year,
        demo=spec.demo,
        issuer=spec.issuer,
        description=spec.description,
        content_hash=digest,
        signature=signature_text,
    )
    session.add(catalog)
    rows: dict[str, Indicator] = {}
    for order, ind in enumerate(spec.indicators):
        row = Indicator(
            code=ind.code,
            name=ind.name,
            field=ind.field,
            tier=ind.tier,
            unit_label=ind.unit,
            decimals=ind.decimals,
            kind=ind.kind,
            frequency=ind.frequency,
            accumulation=ind.accumulation,
            direction=ind.direction,
            aggregation=ind.aggregation,
            assessed=ind.assessed,
            formula=ind.formula,
            numerator_name=ind.numerator.name if ind.numerator else None,
            numerator_unit=ind.numerator.unit if ind.numerator else None,
            numerator_decimals=ind.numerator.decimals if ind.numerator else None,
            denominator_name=ind.denominator.name if ind.denominator else None,
            denominator_unit=ind.denominator.unit if ind.denominator else None,
            denominator_decimals=ind.denominator.decimals if ind.denominator else None,
            scale=ind.scale,
            min_value=ind.min_value,
            max_value=ind.max_value,
            change_threshold=ind.change_threshold,
            description=ind.description,
            sort_order=order,
        )
        catalog.indicators.append(row)
        rows[ind.code] = row
    session.flush()
    for order, listed in enumerate(spec.units):
        session.add(
            CatalogUnit(
                catalog_id=catalog.id,
                unit_id=units[listed.code].id,
                name=listed.name,
                parent_unit_id=units[listed.parent].id if listed.parent else None,
                sort_order=order,
            )
        )
    for (code, unit, period), t in spec.targets.items():
        session.add(
            Target(
                indicator_id=rows[code].id,
                unit_id=units[unit].id,
                period=period,
                target=t.target,
                baseline=t.baseline,
                milestone_q1=t.milestones.get(1),
                milestone_q2=t.milestones.get(2),
                milestone_q3=t.milestones.get(3),
            )
        )
    for order, rule in enumerate(spec.rules):
        session.add(
            ValidationRule(
                catalog_id=catalog.id,
                code=rule.code,
                left=rule.left,
                op=rule.op,
                right=rule.right,
                level=rule.level,
                message=rule.message,
                sort_order=order,
            )
        )
    session.flush()
    return catalog, True


def _store_units(session: Session, units: list[UnitSpec]) -> dict[str, Unit]:
    """Create or update the template's units (a unit keeps its row, and so its submissions, across years)."""
    rows = {u.code: u for u in session.scalars(select(Unit).where(Unit.code.in_([u.code for u in units])))}
    for order, spec in enumerate(units):
        row = rows.get(spec.code)
        if row is None:
            row = Unit(code=spec.code, name=spec.name, sort_order=order)
            session.add(row)
            rows[spec.code] = row
        else:
            row.name, row.sort_order = spec.name, order
    session.flush()
    for spec in units:
        rows[spec.code].parent_id = rows[spec.parent].id if spec.parent else None
    session.flush()
    return rows


def load_spec(session: Session, catalog: Catalog) -> CatalogSpec:
    """Build the :class:`CatalogSpec` of a stored catalog."""
    ind_rows = list(
        session.scalars(select(Indicator).where(Indicator.catalog_id == catalog.id).order_by(Indicator.sort_order))
    )
    by_id = {r.id: r for r in ind_rows}
    code_of: dict[int, str] = {unit_id: code for unit_id, code in session.execute(select(Unit.id, Unit.code))}
    # Plain rows, not ORM objects: a 500-indicator template has tens of thousands of targets.
    target_rows = session.execute(
        select(
            Target.indicator_id,
            Target.unit_id,
            Target.period,
            Target.target,
            Target.baseline,
            Target.milestone_q1,
            Target.milestone_q2,
            Target.milestone_q3,
        )
        .join(Indicator, Indicator.id == Target.indicator_id)
        .where(Indicator.catalog_id == catalog.id)
        # The file's order: the content hash covers it, so an exported template must hash like the imported one.
        .order_by(Target.id)
    ).all()
    # The hierarchy as this catalog's template gave it, not as a later template may have changed it.
    listed = session.scalars(
        select(CatalogUnit).where(CatalogUnit.catalog_id == catalog.id).order_by(CatalogUnit.sort_order, CatalogUnit.id)
    )
    units = [UnitSpec(code_of[u.unit_id], u.name, code_of.get(u.parent_unit_id or 0)) for u in listed]
    indicators = [
        IndicatorSpec(
            code=r.code,
            name=r.name,
            field=r.field,
            tier=r.tier,
            unit=r.unit_label,
            decimals=r.decimals,
            kind=r.kind,
            frequency=r.frequency,
            accumulation=r.accumulation,
            direction=r.direction,
            aggregation=r.aggregation,
            assessed=r.assessed,
            formula=r.formula,
            numerator=Part(r.numerator_name, r.numerator_unit or "", r.numerator_decimals or 0)
            if r.numerator_name is not None
            else None,
            denominator=Part(r.denominator_name, r.denominator_unit or "", r.denominator_decimals or 0)
            if r.denominator_name is not None
            else None,
            scale=r.scale,
            min_value=r.min_value,
            max_value=r.max_value,
            change_threshold=r.change_threshold,
            description=r.description,
        )
        for r in ind_rows
    ]
    targets = {
        (by_id[t.indicator_id].code, code_of[t.unit_id], t.period): TargetSpec(
            t.target,
            t.baseline,
            {q: v for q, v in ((1, t.milestone_q1), (2, t.milestone_q2), (3, t.milestone_q3)) if v is not None},
        )
        for t in target_rows
    }
    rules = [
        RuleSpec(r.code, r.left, r.op, r.right, r.level, r.message)
        for r in session.scalars(
            select(ValidationRule).where(ValidationRule.catalog_id == catalog.id).order_by(ValidationRule.sort_order)
        )
    ]
    return CatalogSpec(
        code=catalog.code,
        name=catalog.name,
        version=catalog.version,
        year=catalog.year,
        baseline_year=catalog.baseline_year,
        demo=catalog.demo,
        issuer=catalog.issuer,
        description=catalog.description,
        units=units,
        indicators=indicators,
        targets=targets,
        rules=rules,
    )


def document_from_spec(spec: CatalogSpec, signature: Any = None) -> dict[str, Any]:
    """The template document of ``spec`` (what ``template export`` writes)."""

    def indicator(ind: IndicatorSpec) -> dict[str, Any]:
        out: dict[str, Any] = {
            "code": ind.code,
            "name": ind.name,
            "field": ind.field,
            "tier": ind.tier,
            "unit": ind.unit,
            "decimals": ind.decimals,
            "kind": ind.kind,
            "frequency": ind.frequency,
            "accumulation": ind.accumulation,
            "direction": ind.direction,
            "aggregation": ind.aggregation,
            "assessed": ind.assessed,
        }
        if ind.formula is not None:
            out["formula"] = ind.formula
        for key, part in (("numerator", ind.numerator), ("denominator", ind.denominator)):
            if part is not None:
                out[key] = {"name": part.name, "unit": part.unit, "decimals": part.decimals}
        if ind.kind == "ratio":
            out["scale"] = to_text(ind.scale)
        out["min"] = to_text(ind.min_value)
        out["max"] = to_text(ind.max_value)
        out["change_threshold"] = to_text(ind.change_threshold)
        if ind.description:
            out["description"] = ind.description
        return out

    def target(key: tuple[str, str, str], t: TargetSpec) -> dict[str, Any]:
        out: dict[str, Any] = {"indicator": key[0], "unit": key[1], "period": key[2]}
        if t.target is not None:
            out["target"] = to_text(t.target)
        if t.baseline is not None:
            out["baseline"] = to_text(t.baseline)
        if t.milestones:
            out["milestones"] = {f"Q{q}": to_text(v) for q, v in sorted(t.milestones.items())}
        return out

    catalog: dict[str, Any] = {
        "code": spec.code,
        "name": spec.name,
        "version": spec.version,
        "year": spec.year,
        "baseline_year": spec.baseline_year,
        "demo": spec.demo,
        "issuer": spec.issuer,
    }
    if spec.description:
        catalog["description"] = spec.description
    return {
        "format": FORMAT,
        "format_version": 1,
        "catalog": catalog,
        "units": [{"code": u.code, "name": u.name, "parent": u.parent} for u in spec.units],
        "indicators": [indicator(i) for i in spec.indicators],
        "targets": [target(k, t) for k, t in spec.targets.items()],
        "rules": [
            {"code": r.code, "left": r.left, "op": r.op, "right": r.right, "level": r.level, "message": r.message}
            for r in spec.rules
        ],
        "signature": signature,
    }


def write_document(doc: dict[str, Any], path: Path) -> None:
    """Write a template file atomically (temp name, then rename)."""
    from app import __version__
    from app.files import write_atomic

    # Which program wrote the file, for support; outside the content hash and the signature, like the version
    # line on an exported Excel sheet.
    doc = {"format": doc.get("format"), "format_version": doc.get("format_version"), **doc}
    doc["generator"] = f"填报通 Tianbao {__version__}"
    text = json.dumps(doc, ensure_ascii=False, indent=1) + "\n"
    write_atomic(path, text.encode("utf-8"))
