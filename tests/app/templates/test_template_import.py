"""Template import: a bad file is refused as a whole with a message naming the place; a good one round-trips."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from app import __version__
from app.cli.main import main
from app.storage.catalogs import load_spec
from app.storage.db import Database
from app.storage.models import Catalog, Indicator, Target, Unit, ValidationRule
from app.templates.document import MAX_FILE_BYTES, TemplateError, content_hash, read_document
from app.templates.export import document_from_spec
from app.templates.spec import spec_from_document
from app.templates.store import import_template
from tests.app.sample_templates import CITY, D1, D2, document, indicator, ratio

Doc = dict[str, Any]


def row_counts(db: Database) -> dict[str, int]:
    with db.session() as session:
        return {
            model.__tablename__: int(session.scalar(select(func.count()).select_from(model)) or 0)
            for model in (Unit, Catalog, Indicator, Target, ValidationRule)
        }


EMPTY = {"units": 0, "catalogs": 0, "indicators": 0, "targets": 0, "validation_rules": 0}


def write(tmp_path: Path, content: Doc | str | bytes, name: str = "template.json") -> Path:
    path = tmp_path / name
    if isinstance(content, dict):
        content = json.dumps(content, ensure_ascii=False, indent=1)
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def import_file(db: Database, path: Path) -> tuple[int, bool]:
    with db.transaction() as session:
        catalog, new = import_template(session, path)
        return catalog.id, new


def refused(db: Database, path: Path) -> TemplateError:
    before = row_counts(db)
    with pytest.raises(TemplateError) as info:
        import_file(db, path)
    assert row_counts(db) == before, "a refused template must not leave rows behind"
    assert str(path) in str(info.value)
    return info.value


def text_of(doc: Doc) -> str:
    return json.dumps(doc, ensure_ascii=False, indent=1)


# ---------------------------------------------------------------- malformed files


def _replace_once(old: str, new: str) -> Callable[[], bytes]:
    def make() -> bytes:
        text = text_of(document())
        assert text.count(old) >= 1
        return text.replace(old, new, 1).encode("utf-8")

    return make


MALFORMED: list[tuple[str, Callable[[], bytes], list[str]]] = [
    ("not json", lambda: b"this is not a template\n", ["不是有效的 JSON", "第 1 行第 1 列"]),
    ("empty", lambda: b"", ["不是有效的 JSON"]),
    ("not utf-8", lambda: text_of(document()).encode("gbk"), ["不是 UTF-8"]),
    ("utf-16", lambda: text_of(document()).encode("utf-16"), ["不是 UTF-8"]),
    ("truncated", lambda: text_of(document()).encode("utf-8")[:700], ["不是有效的 JSON", "行"]),
    ("json number target", _replace_once('"target": "100"', '"target": 100'), ["targets[0].target", "string"]),
    ("json float target", _replace_once('"target": "100"', '"target": 99.5'), ["targets[0].target"]),
    ("json number min", lambda: text_of(document([indicator("A", min=0)])).encode(), ["indicators[0].min"]),
    ("decimals as string", _replace_once('"decimals": 0', '"decimals": "0"'), ["indicators[0].decimals"]),
    ("year as float", _replace_once('"year": 2023', '"year": 2023.0'), ["catalog.year"]),
    ("NaN target", _replace_once('"target": "100"', '"target": NaN'), ["NaN", "第 "]),
    ("NaN in a text field", _replace_once('"name": "指标A"', '"name": NaN'), ["NaN"]),
    ("Infinity", _replace_once('"target": "100"', '"target": Infinity'), ["Infinity"]),
    ("-Infinity", _replace_once('"target": "100"', '"target": -Infinity'), ["-Infinity"]),
    ("duplicate key", _replace_once('"code": "A",', '"code": "A", "code": "B",'), ["键重复", "code"]),
    ("top-level array", lambda: b"[" + text_of(document()).encode() + b"]", ["顶层应为 JSON 对象"]),
    ("top-level string", lambda: b'"tianbao-template"', ["顶层应为 JSON 对象"]),
    ("deep nesting", lambda: b"[" * 200_000 + b"]" * 200_000, ["嵌套过深"]),
    ("wrong format", _replace_once('"format": "tianbao-template"', '"format": "excel"'), ["format"]),
    ("future format version", _replace_once('"format_version": 1', '"format_version": 2'), ["format_version"]),
    ("missing key", lambda: text_of({k: v for k, v in document().items() if k != "rules"}).encode(), ["rules"]),
]


@pytest.mark.parametrize(("make", "expected"), [(m, e) for _, m, e in MALFORMED], ids=[c[0] for c in MALFORMED])
def test_malformed_file_is_refused_with_a_located_message(
    db: Database, tmp_path: Path, make: Callable[[], bytes], expected: list[str]
) -> None:
    error = refused(db, write(tmp_path, make()))
    message = str(error)
    for fragment in expected:
        assert fragment in message
    assert row_counts(db) == EMPTY


def test_nan_message_gives_line_and_column(db: Database, tmp_path: Path) -> None:
    text = text_of(document())
    line_no = next(i for i, line in enumerate(text.splitlines(), start=1) if '"target": "100"' in line)
    column = text.splitlines()[line_no - 1].index('"100"') + 1
    error = refused(db, write(tmp_path, text.replace('"target": "100"', '"target": NaN', 1)))
    assert f"第 {line_no} 行第 {column} 列" in str(error)


def test_the_word_nan_inside_a_string_is_just_text(db: Database, tmp_path: Path) -> None:
    doc = document()
    doc["catalog"]["description"] = "NaN, Infinity and -Infinity are words here"
    import_file(db, write(tmp_path, doc))
    assert row_counts(db)["catalogs"] == 1


def test_json_float_inside_the_signature_is_refused_not_a_crash(db: Database, tmp_path: Path) -> None:
    doc = document()
    doc["signature"] = {"algorithm": "ecdsa", "version": 1.5}
    error = refused(db, write(tmp_path, doc))
    assert "signature" in str(error)
    assert row_counts(db) == EMPTY


def test_huge_file_is_refused_before_it_is_read(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "huge.json"
    with path.open("wb") as handle:  # sparse: the size is what counts, nothing is written
        handle.truncate(MAX_FILE_BYTES + 1)
    error = refused(db, path)
    assert "文件过大" in str(error)


def test_missing_file_is_refused(db: Database, tmp_path: Path) -> None:
    error = refused(db, tmp_path / "no-such.json")
    assert "无法读取文件" in str(error)


def test_utf8_with_bom_is_accepted(db: Database, tmp_path: Path) -> None:
    import_file(db, write(tmp_path, b"\xef\xbb\xbf" + text_of(document()).encode("utf-8")))
    assert row_counts(db)["catalogs"] == 1


# ---------------------------------------------------------------- unknown fields


def _with(change: Callable[[Doc], None], doc: Doc | None = None) -> Doc:
    doc = copy.deepcopy(doc if doc is not None else document([indicator("A"), indicator("B")]))
    change(doc)
    return doc


RULE = {"code": "R1", "left": "A", "op": "<=", "right": "B", "level": "error", "message": "A 不能超过 B"}
UNKNOWN_FIELDS: list[tuple[str, Callable[[Doc], None], str]] = [
    ("top level", lambda d: d.update(comment="x"), "（顶层）：不认识的字段 comment"),
    ("catalog", lambda d: d["catalog"].update(colour="绿"), "catalog：不认识的字段 colour"),
    ("unit", lambda d: d["units"][2].update(level=3), "units[2]：不认识的字段 level"),
    ("indicator", lambda d: d["indicators"][1].update(weight="2"), "indicators[1]：不认识的字段 weight"),
    ("target", lambda d: d["targets"][4].update(note="备注"), "targets[4]：不认识的字段 note"),
    ("milestone Q4", lambda d: d["targets"][0].update(milestones={"Q4": "1"}), "targets[0].milestones"),
    ("rule", lambda d: d["rules"].append({**RULE, "hint": "x"}), "rules[0]：不认识的字段 hint"),
]


@pytest.mark.parametrize(
    ("change", "expected"), [(c, e) for _, c, e in UNKNOWN_FIELDS], ids=[u[0] for u in UNKNOWN_FIELDS]
)
def test_unknown_field_is_refused_at_every_level(
    db: Database, tmp_path: Path, change: Callable[[Doc], None], expected: str
) -> None:
    error = refused(db, write(tmp_path, _with(change)))
    assert expected in str(error)
    assert row_counts(db) == EMPTY


def test_unknown_field_in_a_ratio_part_is_refused(db: Database, tmp_path: Path) -> None:
    doc = document([indicator("A"), ratio("B")])
    doc["indicators"][1]["numerator"]["scale"] = "100"
    error = refused(db, write(tmp_path, doc))
    assert "indicators[1].numerator" in str(error)


# ---------------------------------------------------------------- rules the schema cannot express


def _derived(code: str, formula: str, **over: Any) -> dict[str, Any]:
    return indicator(code, kind="derived", aggregation="formula", accumulation="level", formula=formula, **over)


def _ratio_with(**over: Any) -> dict[str, Any]:
    r = ratio("R")
    r.update(over)
    return r


def _add_target(**target: Any) -> Callable[[Doc], None]:
    return lambda d: d["targets"].append({"indicator": "A", "unit": D1, "period": "2023", "target": "1", **target})


def _set_target(i: int, **target: Any) -> Callable[[Doc], None]:
    return lambda d: d["targets"][i].update(target)


def _swap_parents(doc: Doc) -> None:
    doc["units"][1]["parent"], doc["units"][2]["parent"] = D2, D1


def _one() -> Doc:
    return document([indicator("A")])


INVALID: list[tuple[str, Callable[[], Doc], list[str]]] = [
    ("duplicate indicator code", lambda: document([indicator("A"), indicator("A")]), ["indicators[1]", "A", "重复"]),
    (
        "duplicate unit code",
        lambda: _with(lambda d: d["units"].append({"code": D1, "name": "重复区", "parent": CITY}), _one()),
        ["units", "D1", "重复"],
    ),
    (
        "formula references a missing indicator",
        lambda: document([indicator("A"), _derived("F", "A + ZZ9")]),
        ["F", "ZZ9", "不存在"],
    ),
    (
        "base() of a missing indicator",
        lambda: document([indicator("A"), _derived("F", "A / base(QQ)")]),
        ["F", "QQ"],
    ),
    (
        "cycle between formulas",
        lambda: document([_derived("A", "B + 1"), _derived("B", "A * 2")]),
        ["循环", "A → B → A"],
    ),
    ("formula references itself", lambda: document([_derived("A", "A + 1")]), ["循环", "A → A"]),
    (
        "longer cycle",
        lambda: document([indicator("X"), _derived("A", "B + X"), _derived("B", "C"), _derived("C", "A")]),
        ["循环", "A → B → C → A"],
    ),
    (
        "formula syntax error",
        lambda: document([indicator("A"), _derived("F", "A +* 2")]),
        ["indicators[1]（F）.formula"],
    ),
    (
        "formula calls an unknown function",
        lambda: document([indicator("A"), _derived("F", "__import__('os').system('x')")]),
        ["indicators[1]（F）.formula"],
    ),
    (
        "formula on a base indicator",
        lambda: document([indicator("A"), indicator("B", formula="A * 2")]),
        ["indicators[1]（B）.formula"],
    ),
    (
        "derived without formula",
        lambda: document([indicator("F", kind="derived", aggregation="formula")]),
        ["indicators[0]（F）.formula"],
    ),
    (
        "aggregation ratio on a base indicator",
        lambda: document([indicator("A", aggregation="ratio")]),
        ["indicators[0]（A）.aggregation"],
    ),
    (
        "aggregation formula on a base indicator",
        lambda: document([indicator("A", aggregation="formula")]),
        ["indicators[0]（A）.aggregation"],
    ),
    (
        "sum on a ratio indicator",
        lambda: document([_ratio_with(aggregation="sum")]),
        ["indicators[0]（R）.aggregation"],
    ),
    (
        "lower on a cumulative indicator",
        lambda: document([indicator("A", direction="lower")]),
        ["indicators[0]（A）.direction", "cap"],
    ),
    ("ratio without denominator", lambda: document([_ratio_with(denominator=None)]), ["indicators[0]"]),
    (
        "numerator on a base indicator",
        lambda: document([indicator("A", numerator={"name": "x", "unit": "个", "decimals": 0})]),
        ["indicators[0]（A）"],
    ),
    ("min above max", lambda: document([indicator("A", min="10", max="5")]), ["indicators[0]（A）", "min"]),
    ("basic tier assessed", lambda: document([indicator("A", tier="basic")]), ["indicators[0]（A）.assessed"]),
    (
        "target for a unit that does not exist",
        lambda: _with(_add_target(unit="ZZ"), _one()),
        ["targets[3]（A / ZZ / 2023）", "单位 ZZ 不存在"],
    ),
    (
        "target for an indicator that does not exist",
        lambda: _with(_add_target(indicator="NOPE"), _one()),
        ["targets[3]（NOPE / D1 / 2023）", "NOPE"],
    ),
    (
        "duplicate target",
        lambda: _with(_add_target(), _one()),
        ["targets[3]（A / D1 / 2023）", "重复"],
    ),
    (
        "missing target of an assessed indicator",
        lambda: _with(lambda d: d["targets"].pop(1), _one()),
        ["指标 A", "D1", "2023"],
    ),
    (
        "missing quarter of a quarterly indicator",
        lambda: _with(
            lambda d: d["targets"].remove({"indicator": "Q", "unit": D2, "period": "2023Q3", "target": "30"}),
            document([indicator("Q", frequency="quarterly")]),
        ),
        ["指标 Q", "D2", "2023Q3"],
    ),
    (
        "target without a value for an assessed indicator",
        lambda: _with(lambda d: d["targets"][0].pop("target"), _one()),
        ["targets[0]（A / C0 / 2023）", "target"],
    ),
    (
        "target for an indicator that is not assessed",
        lambda: document(
            [indicator("X", tier="basic", assessed=False)],
            targets=[{"indicator": "X", "unit": D1, "period": "2023", "target": "5"}],
        ),
        ["targets[0]（X / D1 / 2023）"],
    ),
    ("period in another year", lambda: _with(_set_target(0, period="2024"), _one()), ["targets[0]", "2024", "2023"]),
    ("period Q5", lambda: _with(_set_target(0, period="2023Q5"), _one()), ["targets[0].period", "2023Q5"]),
    (
        "quarter target for an annual indicator",
        lambda: _with(_add_target(period="2023Q2"), _one()),
        ["targets[3]（A / D1 / 2023Q2）"],
    ),
    (
        "too many decimals in a target",
        lambda: _with(_set_target(0, target="100.5"), _one()),
        ["targets[0]（A / C0 / 2023）.target", "100.5"],
    ),
    (
        "too many decimals in a target of a 2-decimal indicator",
        lambda: _with(_set_target(2, target="84.125"), document([indicator("A", decimals=2)])),
        ["targets[2]（A / D2 / 2023）.target", "84.125"],
    ),
    (
        "too many decimals in a milestone",
        lambda: _with(_set_target(1, milestones={"Q2": "50.5"}), _one()),
        ["targets[1]（A / D1 / 2023）.milestones.Q2"],
    ),
    (
        "too many decimals in a baseline",
        lambda: _with(_set_target(1, baseline="1.5"), _one()),
        ["targets[1]（A / D1 / 2023）.baseline"],
    ),
    ("exponent in a target", lambda: _with(_set_target(0, target="1e5"), _one()), ["targets[0].target", "1e5"]),
    ("thousands separator", lambda: _with(_set_target(0, target="1,000"), _one()), ["targets[0].target"]),
    ("leading plus", lambda: _with(_set_target(0, target="+5"), _one()), ["targets[0].target"]),
    ("two root units", lambda: _with(lambda d: d["units"][1].update(parent=None), _one()), ["units", "现有 2 个"]),
    (
        "parent that does not exist",
        lambda: _with(lambda d: d["units"][2].update(parent="NOWHERE"), _one()),
        ["units[2]（D2）", "NOWHERE"],
    ),
    (
        "cycle between units",
        lambda: _with(_swap_parents, _one()),
        ["units[1]（D1）", "循环"],
    ),
    (
        "baseline year not before the year",
        lambda: _with(lambda d: d["catalog"].update(baseline_year=2023), _one()),
        ["catalog.baseline_year"],
    ),
    (
        "rule reading a missing indicator",
        lambda: document([indicator("A")], rules=[{**RULE, "right": "B"}]),
        ["rules[0]（R1）.right", "B"],
    ),
    (
        "duplicate rule code",
        lambda: document([indicator("A"), indicator("B")], rules=[RULE, RULE]),
        ["rules[1]（R1）", "重复"],
    ),
]


@pytest.mark.parametrize(("make", "expected"), [(m, e) for _, m, e in INVALID], ids=[c[0] for c in INVALID])
def test_invalid_template_is_refused_naming_the_place_and_nothing_is_written(
    db: Database, tmp_path: Path, make: Callable[[], Doc], expected: list[str]
) -> None:
    error = refused(db, write(tmp_path, make()))
    message = str(error)
    for fragment in expected:
        assert fragment in message, message
    assert row_counts(db) == EMPTY


def test_every_problem_of_a_file_is_listed(db: Database, tmp_path: Path) -> None:
    doc = document([indicator("A"), indicator("A"), _derived("F", "F + 1"), indicator("L", direction="lower")])
    doc["units"].append({"code": D1, "name": "重复区", "parent": CITY})
    doc["targets"][0]["period"] = "2031"
    error = refused(db, write(tmp_path, doc))
    joined = "\n".join(error.problems)
    for fragment in ("indicators[1]（A）", "F → F", "indicators[3]（L）.direction", "单位代码 D1 重复", "2031"):
        assert fragment in joined
    assert len(error.problems) >= 5


def test_a_refused_indicator_or_target_is_not_reported_again_as_missing(db: Database, tmp_path: Path) -> None:
    doc = document([indicator("A", aggregation="ratio"), indicator("B", decimals=1)])
    doc["targets"][4]["target"] = "100.25"  # B / D1
    error = refused(db, write(tmp_path, doc))
    assert error.problems == [
        "indicators[0]（A）.aggregation：只有比率型（ratio）指标可以按 ratio 汇总",
        "targets[4]（B / D1 / 2023）.target：“100.25”最多保留 1 位小数",
    ]


def test_refused_template_leaves_the_earlier_one_untouched(db: Database, tmp_path: Path) -> None:
    import_file(db, write(tmp_path, document([indicator("A"), ratio("B")]), "good.json"))
    before = row_counts(db)
    bad = document([indicator("A"), ratio("B"), _derived("F", "G"), _derived("G", "F")])
    bad["catalog"]["version"] = "2"
    bad["units"].append({"code": "D3", "name": "丙县", "parent": CITY})
    refused(db, write(tmp_path, bad, "bad.json"))
    assert row_counts(db) == before
    with db.session() as session:
        assert session.scalar(select(Unit).where(Unit.code == "D3")) is None


# ---------------------------------------------------------------- same file again, changed content, new version


def test_importing_the_same_file_twice_is_a_no_op(db: Database, tmp_path: Path) -> None:
    path = write(tmp_path, document([indicator("A"), ratio("B")]))
    first_id, first_new = import_file(db, path)
    counts = row_counts(db)
    second_id, second_new = import_file(db, path)
    assert (first_new, second_new) == (True, False)
    assert second_id == first_id
    assert row_counts(db) == counts


def test_same_content_reformatted_is_still_the_same_template(db: Database, tmp_path: Path) -> None:
    doc = document([indicator("A")])
    import_file(db, write(tmp_path, doc, "a.json"))
    compact = json.dumps(dict(reversed(list(doc.items()))), ensure_ascii=True, separators=(",", ":"))
    _, new = import_file(db, write(tmp_path, compact, "b.json"))
    assert new is False


def test_same_code_and_version_with_other_content_is_refused(db: Database, tmp_path: Path) -> None:
    doc = document([indicator("A")])
    import_file(db, write(tmp_path, doc, "a.json"))
    counts = row_counts(db)
    changed = copy.deepcopy(doc)
    changed["targets"][1]["target"] = "120"
    error = refused(db, write(tmp_path, changed, "b.json"))
    assert "TEST" in str(error) and "版本号" in str(error)
    assert row_counts(db) == counts
    with db.session() as session:
        targets = session.scalars(select(Target.target)).all()
    assert sorted(map(str, targets)) == ["100", "100", "100"]


def test_a_new_version_is_a_new_catalog(db: Database, tmp_path: Path) -> None:
    doc = document([indicator("A")])
    import_file(db, write(tmp_path, doc, "a.json"))
    doc["catalog"]["version"] = "2"
    doc["targets"][1]["target"] = "120"
    _, new = import_file(db, write(tmp_path, doc, "b.json"))
    assert new is True
    counts = row_counts(db)
    assert (counts["catalogs"], counts["indicators"], counts["units"]) == (2, 2, 3)


# ---------------------------------------------------------------- export → import round trip


def rich_document() -> Doc:
    inds = [
        indicator("A", decimals=2, change_threshold="30.5", description="累计值，单位个"),
        ratio("B", scale="1000", max=None),
        indicator(
            "L", accumulation="level", direction="lower", aggregation="max", unit="指数", decimals=3, min="-5.25"
        ),
        indicator("Q", frequency="quarterly", direction="cap", aggregation="sum"),
        _derived("F", "(1 - (A / L) / (base(A) / base(L))) * 100", decimals=4, min=None, max="100"),
        indicator("M", decimals=6, aggregation="min", accumulation="level", unit="亿元"),
        indicator("X", tier="basic", assessed=False, aggregation="none", field="基础数据"),
    ]
    targets: list[Doc] = []
    for u in (CITY, D1, D2):
        targets += [
            {
                "indicator": "A",
                "unit": u,
                "period": "2023",
                "target": "123456789.12",
                "baseline": "0.10",
                "milestones": {"Q1": "10", "Q2": "20.5", "Q3": "99.99"},
            },
            {"indicator": "B", "unit": u, "period": "2023", "target": "84", "baseline": "60"},
            {"indicator": "L", "unit": u, "period": "2023", "target": "0.123", "baseline": "-1.5"},
            *({"indicator": "Q", "unit": u, "period": f"2023Q{q}", "target": str(q * 10)} for q in range(1, 5)),
            {"indicator": "Q", "unit": u, "period": "2023", "target": "45"},
            {"indicator": "F", "unit": u, "period": "2023", "target": "3.5000", "baseline": "3.0000"},
            {"indicator": "M", "unit": u, "period": "2023", "target": "12345678901234567890.123456", "baseline": "0"},
            {"indicator": "X", "unit": u, "period": "2023", "baseline": "7"},
        ]
    doc = document(
        inds,
        targets,
        rules=[
            {"code": "R1", "left": "A", "op": "<=", "right": "Q * 2 + base(A)", "level": "warning", "message": "规则"}
        ],
    )
    doc["catalog"]["description"] = "往返测试"
    doc["units"].append({"code": "GA0001", "name": "贵安新区", "parent": CITY})
    doc["units"].append({"code": "GA0002", "name": "某街道", "parent": "GA0001"})
    for t in [t for t in targets if t["unit"] == D2]:
        doc["targets"].append({**copy.deepcopy(t), "unit": "GA0001"})
        doc["targets"].append({**copy.deepcopy(t), "unit": "GA0002"})
    return doc


def _strict_json(path: Path) -> Doc:
    def no_float(text: str) -> Any:
        raise AssertionError(f"exported a JSON number {text}")

    data: Doc = json.loads(path.read_text(encoding="utf-8"), parse_float=no_float)
    return data


def _key(t: Doc) -> tuple[str, str, str]:
    return (t["indicator"], t["unit"], t["period"])


def test_export_imports_into_a_fresh_database_and_exports_identically(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    original = rich_document()
    source = write(tmp_path, original)
    first_db, second_db = tmp_path / "first.db", tmp_path / "second.db"
    exported, again = tmp_path / "exported.json", tmp_path / "again.json"

    assert main(["--db", str(first_db), "template", "import", "--allow-unsigned", str(source)]) == 0
    assert main(["--db", str(first_db), "template", "export", str(exported)]) == 0
    assert main(["--db", str(second_db), "template", "import", "--allow-unsigned", str(exported)]) == 0
    assert main(["--db", str(second_db), "template", "export", str(again)]) == 0
    capsys.readouterr()

    first, second = _strict_json(exported), _strict_json(again)
    assert first == second
    # the export is the same template: every given field comes back as it was written
    assert first["catalog"] == original["catalog"]
    assert first["units"] == original["units"]
    assert first["rules"] == original["rules"]
    exported_inds = {ind["code"]: ind for ind in first["indicators"]}
    assert list(exported_inds) == [ind["code"] for ind in original["indicators"]]
    for ind in original["indicators"]:
        assert {k: exported_inds[ind["code"]][k] for k in ind} == ind
    assert sorted(first["targets"], key=_key) == sorted(original["targets"], key=_key)


def test_the_exported_file_names_the_program_version_outside_its_content(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write(tmp_path, rich_document())
    db_path, exported = tmp_path / "t.db", tmp_path / "exported.json"
    assert main(["--db", str(db_path), "template", "import", "--allow-unsigned", str(source)]) == 0
    assert main(["--db", str(db_path), "template", "export", str(exported)]) == 0
    doc = _strict_json(exported)
    assert doc["generator"] == f"填报通 Tianbao {__version__}"
    # A file written by another program version is the same template: importing it again is no change, not a
    # "content differs" refusal.
    doc["generator"] = "填报通 Tianbao 9.9.9"
    older = tmp_path / "older.json"
    older.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    capsys.readouterr()
    assert main(["--db", str(db_path), "template", "import", "--allow-unsigned", str(older)]) == 0
    assert "内容不同" not in capsys.readouterr().err

    # A district that gets the exported file stores the same content hash as the city that exported it, so its
    # signed submissions name the city's template.
    def stored_hash(path: Path) -> str:
        return content_hash(document_from_spec(spec_from_document(read_document(path))))

    assert stored_hash(older) == stored_hash(exported) == stored_hash(source)


def test_exported_numbers_are_the_exact_decimal_strings(db: Database, tmp_path: Path) -> None:
    import_file(db, write(tmp_path, rich_document()))
    with db.session() as session:
        catalog = session.scalars(select(Catalog)).one()
        doc = document_from_spec(load_spec(session, catalog))
    targets = {_key(t): t for t in doc["targets"]}
    assert targets[("A", D1, "2023")]["target"] == "123456789.12"
    assert targets[("A", D1, "2023")]["baseline"] == "0.10"  # the trailing zero is kept
    assert targets[("A", D1, "2023")]["milestones"] == {"Q1": "10", "Q2": "20.5", "Q3": "99.99"}
    assert targets[("L", "GA0002", "2023")]["baseline"] == "-1.5"
    assert targets[("F", CITY, "2023")]["target"] == "3.5000"
    assert targets[("M", D2, "2023")]["target"] == "12345678901234567890.123456"
    assert "target" not in targets[("X", D1, "2023")]
    inds = {i["code"]: i for i in doc["indicators"]}
    assert (inds["B"]["scale"], inds["B"]["max"], inds["L"]["min"]) == ("1000", None, "-5.25")
    assert inds["A"]["change_threshold"] == "30.5"
    # the exported document passes the importer's own checks
    spec_from_document(doc)


def test_stored_decimals_are_text_in_the_database(db: Database, tmp_path: Path) -> None:
    import_file(db, write(tmp_path, rich_document()))
    with db.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT t.target, typeof(t.target) FROM targets t JOIN indicators i ON i.id = t.indicator_id "
            "WHERE i.code = 'M'"
        ).all()
    assert rows and all(r == ("12345678901234567890.123456", "text") for r in rows)


def test_a_later_template_with_another_hierarchy_leaves_the_earlier_year_alone(db: Database, tmp_path: Path) -> None:
    """2024: 乙县 becomes 乙区 and moves under a new 新区 (a district that sends its own figures). 2023 keeps its
    own names and parents, so its city total is still 甲区 + 乙县."""
    from app.engine.periods import Period
    from app.storage.checks import check_unit
    from tests.app.helpers import enter, store_template
    from tests.app.sample_templates import CITY, D1, D2, document, indicator

    spec_2023 = store_template(db, document([indicator("A")]), tmp_path, "2023.json")
    enter(db, spec_2023, D1, "2023", A="30")
    enter(db, spec_2023, D2, "2023", A="40")
    later = document([indicator("A")], year=2024)
    later["units"] = [
        {"code": CITY, "name": "测试市", "parent": None},
        {"code": "NEW", "name": "新区", "parent": CITY},
        {"code": D1, "name": "甲区", "parent": CITY},
        {"code": D2, "name": "乙区", "parent": "NEW"},
    ]
    later["targets"] += [{"indicator": "A", "unit": "NEW", "period": "2024", "target": "100"}]
    spec_2024 = store_template(db, later, tmp_path, "2024.json")
    assert spec_2024.unit(D2) is not None and spec_2024.unit(D2).parent == "NEW"  # type: ignore[union-attr]

    with db.session() as session:
        catalog_2023 = session.scalars(select(Catalog).where(Catalog.year == 2023)).one()
        again = load_spec(session, catalog_2023)
        city_2023 = check_unit(session, CITY, Period.parse("2023"))
    assert [(u.code, u.name, u.parent) for u in again.units] == [
        (CITY, "测试市", None),
        (D1, "甲区", CITY),
        (D2, "乙县", CITY),
    ]
    assert city_2023.by_code["A"].value == Decimal(70)
