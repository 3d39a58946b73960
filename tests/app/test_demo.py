"""The demo database reproduces the seed's 2023 mid-year city figures and evaluation sentence."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from app.cli.main import main
from app.demo import DEMO_DIR, create_demo
from app.engine.periods import Period
from app.storage.checks import check_unit

ROOT = Path(__file__).resolve().parents[2]
CITY = "520100"
SEED_SENTENCE = "39项指标任务总体按计划推进，其中，11项季度指标均已完成，28项年度指标中26项按序推进、2项超额完成。"

# Seed wording (a distinctive part of the indicator name) → 2023 H1 city figure, PRODUCT.md §4.
SEED_FIGURES = {
    "七大工业重点产业增加值": "9.4",
    "拉动规上工业增加值": "3.8",
    "标准化设施蔬菜": "47",
    "规模化、生态化蔬菜基地": "15",
    "绿色食品、地理标志农产品、有机农产品认证": "29",
    "绿色优势农产品销售量": "52.9",
    "绿色优势农产品销售额": "65",
    "数据中心、算力枢纽节点项目": "33",
    "大数据与实体经济融合发展水平": "55.16",
    "绿色商场占比": "30",
    "绿色餐厅": "62",
    "绿色旅游酒店": "16",
    "森林康养基地": "2",
    "森林康养人家": "30",
    "A级物流企业": "10",
    "网络货运企业": "1",
    "绿色避暑度假精品酒店": "11",
    "绿色精品民宿": "5",
    "优化调整常规公交线路": "33",
    "定制公交线路": "95",
    "公共停车场充电设施": "661",
    "非机动车道": "16",
    "中心城区绿色出行比例": "60",
    "绿色建筑占比": "84",
    "装配式建筑占新建建筑面积比例": "21.59",
    "重点支撑项目库": "200",
    "重点实施项目": "168",
    "高能耗项目论证评审": "5",
    "能耗单列": "3",
    "新能源动力电池项目": "14",
}


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    assert main(["--db", str(path), "demo"]) == 0
    return path


def test_generator_reproduces_the_committed_files(tmp_path: Path) -> None:
    committed = {p.name: p.read_bytes() for p in DEMO_DIR.glob("*.json")}
    subprocess.run([sys.executable, str(DEMO_DIR / "generate.py"), str(tmp_path)], check=True, capture_output=True)
    assert {p.name: p.read_bytes() for p in tmp_path.glob("*.json")} == committed


def test_city_check_gives_the_seed_sentence_and_counts(demo_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--db", str(demo_db), "check", "--unit", CITY, "--period", "2023Q2", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["summary"] == SEED_SENTENCE
    assert data["counts"] == {
        "exceeded": 2,
        "completed": 11,
        "on_track": 26,
        "behind": 0,
        "missing": 0,
        "within_cap": 0,
        "cap_warning": 0,
        "over_cap": 0,
    }
    assert data["catalog"]["demo"] is True
    assessed = [i for i in data["indicators"] if i["status"] is not None]
    assert len(assessed) == 39
    quarterly = [i for i in assessed if i["frequency"] == "quarterly"]
    assert len(quarterly) == 11 and all(i["status"] == "completed" for i in quarterly)


def test_city_aggregate_reproduces_every_seed_figure(demo_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--db", str(demo_db), "aggregate", "--period", "2023Q2", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["indicators"]
    for wording, figure in SEED_FIGURES.items():
        matches = [r for r in rows if wording in r["name"]]
        assert len(matches) == 1, f"{wording}: {[r['name'] for r in matches]}"
        assert Decimal(matches[0]["value"]) == Decimal(figure), f"{wording}: {matches[0]['value']} ≠ {figure}"


def test_every_demo_district_can_sign_its_quarters(demo_db: Path) -> None:
    from app.storage.db import Database

    db = Database(demo_db)
    try:
        with db.session() as session:
            for unit in (
                "520102",
                "520103",
                "520111",
                "520112",
                "520113",
                "520115",
                "520181",
                "520123",
                "520122",
                "520121",
                "GA0001",
            ):
                for period in ("2023Q1", "2023Q2"):
                    result = check_unit(session, unit, Period.parse(period))
                    assert result.can_sign, (unit, period, result.blocking_reasons())
                    filled, due = result.filled
                    assert filled == due
    finally:
        db.close()


def test_demo_is_labelled_in_the_text_output(demo_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--db", str(demo_db), "check", "--unit", "520102", "--period", "2023Q2"]) == 0
    assert "【演示数据】" in capsys.readouterr().out


def test_demo_resets_an_existing_database(tmp_path: Path) -> None:
    path = tmp_path / "d.db"
    create_demo(path).close()
    db = create_demo(path)  # a second run starts again from the demo files instead of failing
    try:
        assert db.integrity_check() == "ok"
    finally:
        db.close()
