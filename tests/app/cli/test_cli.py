"""The command line: exit 0 on success, 2 with a Chinese message on stderr for bad input; JSON output shapes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from app.cli.main import main
from app.engine.progress import Status
from tests.app.sample_templates import CITY, D1, D2, document, indicator, ratio

ROOT = Path(__file__).resolve().parents[3]
STATUSES = {"exceeded", "completed", "on_track", "behind", "missing", "within_cap", "cap_warning", "over_cap"}


def template_doc() -> dict[str, Any]:
    doc = document(
        [
            indicator("A"),
            ratio("B"),
            indicator("Q", frequency="quarterly"),
            indicator("L", accumulation="level", direction="lower", aggregation="max"),
            indicator("C", direction="cap"),
            indicator("M"),
            indicator("X", tier="basic", assessed=False, aggregation="none"),
        ]
    )
    for t in doc["targets"]:
        if t["indicator"] == "L":
            t["target"] = "40"
    return doc


class Cli:
    def __init__(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.tmp_path, self.capsys = tmp_path, capsys
        self.db = tmp_path / "cli.db"

    def __call__(self, *args: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = main(["--db", str(self.db), *args])
        out, err = self.capsys.readouterr()
        return code, out, err

    def ok(self, *args: str) -> str:
        code, out, err = self(*args)
        assert (code, err) == (0, ""), err
        return out

    def usage_error(self, *args: str) -> str:
        code, out, err = self(*args)
        assert code == 2
        assert out == ""
        assert err.startswith("错误：")
        assert "Traceback" not in err
        return err

    def json(self, *args: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.ok(*args, "--json"))
        return data

    def file(self, name: str, content: str | bytes | dict[str, Any]) -> str:
        path = self.tmp_path / name
        if isinstance(content, dict):
            content = json.dumps(content, ensure_ascii=False, indent=1)
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        return str(path)

    def with_template(self) -> Cli:
        self.ok("template", "import", "--allow-unsigned", self.file("template.json", template_doc()))
        return self

    def values(self, unit: str, period: str, rows: str, encoding: str = "utf-8") -> str:
        path = self.file(f"{unit}-{period}.csv", ("指标代码,数值,分子,分母,情况说明\n" + rows).encode(encoding))
        return self.ok("values", "import", "--unit", unit, "--period", period, path)


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(tmp_path, capsys)


def test_statuses_are_the_documented_ones() -> None:
    assert {s.value for s in Status} == STATUSES


# ---------------------------------------------------------------- template


def test_template_import_then_again(cli: Cli) -> None:
    path = cli.file("template.json", template_doc())
    assert "已导入模板：测试指标体系（2023 年度，1 版，7 项指标）" in cli.ok(
        "template", "import", "--allow-unsigned", path
    )
    assert "该模板已导入过，未作更改" in cli.ok("template", "import", "--allow-unsigned", path)
    assert cli.ok("units").splitlines() == [
        f"{CITY}\t测试市\t（市级）",
        f"{D1}\t甲区\t上级 {CITY}",
        f"{D2}\t乙县\t上级 {CITY}",
    ]


def test_bad_template_exits_2_naming_the_place_and_imports_nothing(cli: Cli) -> None:
    path = cli.file("bad.json", document([indicator("A"), indicator("A")]))
    err = cli.usage_error("template", "import", "--allow-unsigned", path)
    assert "模板文件" in err and "indicators[1]（A）" in err
    assert cli.ok("units") == ""


@pytest.mark.parametrize(
    ("content", "expected"),
    [(b"{not json", "不是有效的 JSON"), (b"", "不是有效的 JSON"), (b"\x00\xff\x00", "不是 UTF-8")],
)
def test_malformed_template_exits_2(cli: Cli, content: bytes, expected: str) -> None:
    assert expected in cli.usage_error("template", "import", "--allow-unsigned", cli.file("t.json", content))


def test_missing_or_unreadable_template_exits_2(cli: Cli, tmp_path: Path) -> None:
    assert "无法读取文件" in cli.usage_error("template", "import", "--allow-unsigned", str(tmp_path / "missing.json"))
    (tmp_path / "folder.json").mkdir()
    assert "无法读取文件" in cli.usage_error("template", "import", "--allow-unsigned", str(tmp_path / "folder.json"))


def test_template_export_needs_a_template_and_a_writable_place(cli: Cli, tmp_path: Path) -> None:
    assert "没有可导出的模板" in cli.usage_error("template", "export", str(tmp_path / "out.json"))
    cli.with_template()
    assert "没有可导出的模板（2030 年度）" in cli.usage_error(
        "template", "export", "--year", "2030", str(tmp_path / "x")
    )
    (tmp_path / "taken").mkdir()
    assert "无法写入" in cli.usage_error("template", "export", str(tmp_path / "taken"))
    assert "已导出模板" in cli.ok("template", "export", "--year", "2023", str(tmp_path / "out.json"))
    exported = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert [i["code"] for i in exported["indicators"]] == ["A", "B", "Q", "L", "C", "M", "X"]


# ---------------------------------------------------------------- values import


def test_values_import_reports_encoding_rows_and_changes(cli: Cli) -> None:
    cli.with_template()
    out = cli.values(D1, "2023Q2", "A,30,,,说明\nB,,30,40,\n", encoding="gbk")
    assert "（GB18030）：2 行，4 处数值有变化" in out


def test_values_import_of_bad_rows_exits_2_listing_row_numbers(cli: Cli) -> None:
    cli.with_template()
    path = cli.file("bad.csv", "code,value\nA,1\nZZ,2\nC,abc\n")
    err = cli.usage_error("values", "import", "--unit", D1, "--period", "2023Q2", path)
    assert "任何数据都没有保存" in err
    assert "第 3 行" in err and "第 4 行" in err and "第 2 行" not in err
    assert cli.json("check", "--unit", D1, "--period", "2023Q2")["filled"] == 0


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--unit", "ZZ", "--period", "2023Q2"], "单位代码 ZZ 不存在"),
        (["--unit", D1, "--period", "2023Q5"], "报告期“2023Q5”格式不对"),
        (["--unit", D1, "--period", "2023Q0"], "报告期“2023Q0”格式不对"),
        (["--unit", D1, "--period", "23Q1"], "报告期“23Q1”格式不对"),
        (["--unit", D1, "--period", "2024Q1"], "还没有导入 2024 年度的指标模板"),
    ],
)
def test_values_import_bad_usage_exits_2(cli: Cli, args: list[str], expected: str) -> None:
    cli.with_template()
    path = cli.file("v.csv", "code,value\nA,1\n")
    assert expected in cli.usage_error("values", "import", *args, path)


def test_values_import_of_a_missing_file_exits_2(cli: Cli, tmp_path: Path) -> None:
    cli.with_template()
    err = cli.usage_error("values", "import", "--unit", D1, "--period", "2023Q2", str(tmp_path / "missing.csv"))
    assert "无法读取文件" in err


def test_values_import_without_any_template_exits_2(cli: Cli) -> None:
    path = cli.file("v.csv", "code,value\nA,1\n")
    assert "还没有导入 2023 年度" in cli.usage_error("values", "import", "--unit", D1, "--period", "2023Q2", path)


# ---------------------------------------------------------------- check


INDICATOR_KEYS = {"code", "name", "unit", "value", "target", "expected", "status", "messages"}


def test_check_json_shape_and_statuses(cli: Cli) -> None:
    cli.with_template()
    cli.values(D1, "2023Q2", "A,120,,,\nB,,45,50,\nQ,20,,,\nL,55,,,滞后原因：设备检修\nC,30,,,\nX,7,,,\n")
    data = cli.json("check", "--unit", D1, "--period", "2023Q2")

    assert {"unit", "period", "indicators", "counts", "summary"} <= data.keys()
    assert (data["unit"], data["period"]) == (D1, "2023Q2")
    assert isinstance(data["summary"], str) and data["summary"].endswith("。")
    assert set(data["counts"]) == STATUSES
    for item in data["indicators"]:
        assert item.keys() >= INDICATOR_KEYS
        assert item["status"] is None or item["status"] in STATUSES
        for message in item["messages"]:
            assert set(message) == {"level", "text"}
            assert message["level"] in {"error", "warning"} and message["text"]
    by_code = {item["code"]: item for item in data["indicators"]}
    assert {code: item["status"] for code, item in by_code.items()} == {
        "A": "exceeded",
        "B": "on_track",
        "Q": "completed",
        "L": "behind",
        "C": "within_cap",
        "M": "missing",
        "X": None,
    }
    assert sum(data["counts"].values()) == 6  # X is not assessed
    assert data["counts"]["behind"] == 1
    assert (by_code["A"]["value"], by_code["A"]["target"], by_code["A"]["unit"]) == ("120", "100", "个")
    assert (by_code["B"]["value"], by_code["B"]["numerator"], by_code["B"]["denominator"]) == ("90.00", "45", "50")
    assert by_code["M"]["value"] is None
    assert (by_code["X"]["target"], by_code["X"]["expected"]) == (None, None)
    assert any(m["level"] == "warning" for m in by_code["L"]["messages"])


def test_check_text_output(cli: Cli) -> None:
    cli.with_template()
    cli.values(D1, "2023Q2", "A,30,,,\n")
    out = cli.ok("check", "--unit", D1, "--period", "2023Q2")
    assert "甲区（D1）" in out and "2023年第二季度" in out
    assert "滞后" in out


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--unit", "ZZ", "--period", "2023Q2"], "单位 ZZ 不在 测试指标体系 中"),
        (["--unit", D1, "--period", "2023Q5"], "报告期“2023Q5”格式不对"),
        (["--unit", D1, "--period", "2022"], "还没有导入 2022 年度的指标模板"),
    ],
)
def test_check_bad_usage_exits_2(cli: Cli, args: list[str], expected: str) -> None:
    cli.with_template()
    assert expected in cli.usage_error("check", *args)


# ---------------------------------------------------------------- aggregate


def test_aggregate_json_sums_and_recomputes_ratios(cli: Cli) -> None:
    cli.with_template()
    cli.values(D1, "2023Q2", "A,30,,,\nB,,30,40,\nL,55,,,\n")
    cli.values(D2, "2023Q2", "A,25,,,\nB,,50,60,\nL,58,,,\n")
    data = cli.json("aggregate", "--period", "2023Q2")
    assert (data["unit"], data["unit_name"], data["period"], data["demo"]) == (CITY, "测试市", "2023Q2", False)
    rows = {row["code"]: row for row in data["indicators"]}
    assert (rows["A"]["value"], rows["A"]["aggregation"], rows["A"]["reported"], rows["A"]["expected_units"]) == (
        "55",
        "sum",
        2,
        2,
    )
    # ratio of the sums, 80 / 100 — never the mean of 75 % and 83.3 %
    assert (rows["B"]["value"], rows["B"]["numerator"], rows["B"]["denominator"]) == ("80.00", "80", "100")
    assert rows["L"]["value"] == "58"
    assert rows["M"]["value"] is None and rows["M"]["reported"] == 0
    assert rows["X"]["expected_units"] == 0
    for row in rows.values():
        assert row["status"] is None or row["status"] in STATUSES


def test_aggregate_text_output(cli: Cli) -> None:
    cli.with_template()
    cli.values(D1, "2023Q2", "A,30,,,\n")
    out = cli.ok("aggregate", "--period", "2023Q2", "--unit", CITY)
    assert "测试市 2023年第二季度 汇总" in out and "（1/2 个单位）" in out


def test_aggregate_bad_usage_exits_2(cli: Cli) -> None:
    assert "数据库中没有单位" in cli.usage_error("aggregate", "--period", "2023Q2")
    cli.with_template()
    assert "没有下级单位" in cli.usage_error("aggregate", "--period", "2023Q2", "--unit", D1)
    assert "单位 ZZ 不在" in cli.usage_error("aggregate", "--period", "2023Q2", "--unit", "ZZ")
    assert "格式不对" in cli.usage_error("aggregate", "--period", "2023Q9")


# ---------------------------------------------------------------- argument errors


@pytest.mark.parametrize(
    "args",
    [
        ["bogus"],
        ["values", "import", "--period", "2023Q2", "x.csv"],  # --unit missing
        ["check", "--unit", D1],  # --period missing
        ["template"],
        ["template", "import"],
    ],
)
def test_argument_errors_exit_2_with_a_chinese_message(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(args)
    assert info.value.code == 2
    assert "参数错误" in capsys.readouterr().err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert "填报通 Tianbao" in capsys.readouterr().out


# ---------------------------------------------------------------- the real program in a process


def run_program(*args: str) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if k != "TIANBAO_DB"}
    return subprocess.run(
        [sys.executable, "main.py", *args], cwd=ROOT, env=env, capture_output=True, timeout=60, check=False
    )


def test_main_py_runs_commands_headless(tmp_path: Path) -> None:
    db = str(tmp_path / "proc.db")
    template = tmp_path / "template.json"
    template.write_text(json.dumps(template_doc(), ensure_ascii=False), encoding="utf-8")
    values = tmp_path / "values.csv"
    values.write_bytes("指标代码,数值,分子,分母,情况说明\nA,60,,,按计划推进\nB,,8,10,\n".encode("gbk"))

    imported = run_program("--db", db, "template", "import", "--allow-unsigned", str(template))
    assert imported.returncode == 0, imported.stderr.decode()
    assert "已导入模板" in imported.stdout.decode("utf-8")

    entered = run_program("--db", db, "values", "import", "--unit", D1, "--period", "2023Q2", str(values))
    assert entered.returncode == 0, entered.stderr.decode()

    checked = run_program("--db", db, "check", "--unit", D1, "--period", "2023Q2", "--json")
    assert checked.returncode == 0, checked.stderr.decode()
    data = json.loads(checked.stdout.decode("utf-8"))
    by_code = {i["code"]: i for i in data["indicators"]}
    assert (by_code["A"]["value"], by_code["A"]["status"]) == ("60", "on_track")
    assert (by_code["B"]["value"], by_code["B"]["status"]) == ("80.00", "on_track")


def test_main_py_bad_input_exits_2_with_a_chinese_message(tmp_path: Path) -> None:
    result = run_program("--db", str(tmp_path / "proc.db"), "check", "--unit", D1, "--period", "2023Q5")
    assert result.returncode == 2
    err = result.stderr.decode("utf-8")
    assert "报告期“2023Q5”格式不对" in err
    assert "Traceback" not in err
    assert result.stdout == b""


def test_commands_run_without_standard_streams(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The windowed Windows program has no console: sys.stdin, stdout and stderr are None there."""
    db = str(tmp_path / "demo.db")
    monkeypatch.delenv("TIANBAO_PASSPHRASE", raising=False)
    monkeypatch.setenv("TIANBAO_KEYS", str(tmp_path / "keys"))
    for stream in ("stdin", "stdout", "stderr"):
        monkeypatch.setattr(sys, stream, None)
    assert main(["--db", db, "demo"]) == 0
    assert main(["--db", db, "check", "--unit", "520103", "--period", "2023Q2", "--json"]) == 0
    # No console to ask for the passphrase in: a usage error, not a crash.
    assert main(["--db", db, "sign", "--unit", "520103", "--period", "2023Q2"]) == 2
    with pytest.raises(SystemExit) as exited:
        main(["--db", db, "no-such-command"])
    assert exited.value.code == 2
