#!/usr/bin/env python3
"""Generate the demo catalog of 填报通 Tianbao: ``template-2023.json`` and ``values-2023.json``.

The demo is a plausible reconstruction of the Guiyang/Gui'an "3+18+18" green-economy indicator system. The
official list of 39 indicators is not published; what is fixed by the 2023 press release (see
``/work/shared/seed/seed-simplified.txt`` and PRODUCT.md §4) is the structure and the city's 2023 H1 figures.
This script splits those city figures among the eleven districts so that aggregating the districts with each
indicator's rule gives back exactly the published figures, and so that the city's mid-year evaluation reads
"11项季度指标均已完成，28项年度指标中26项按序推进、2项超额完成".

Stdlib only, no floats, deterministic: running it again rewrites both files byte for byte. It ends with a
self-check that re-reads the two documents it produced and fails loudly if any promise above is broken.

Usage: ``python3 resources/demo/generate.py``
"""

from __future__ import annotations

import json
import re
import sys
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

D = Decimal
HERE = Path(__file__).resolve().parent
YEAR = 2023
Q1, Q2 = f"{YEAR}Q1", f"{YEAR}Q2"
CITY = "520100"

UNITS = [
    ("520100", "贵阳市", None),
    ("520102", "南明区", CITY),
    ("520103", "云岩区", CITY),
    ("520111", "花溪区", CITY),
    ("520112", "乌当区", CITY),
    ("520113", "白云区", CITY),
    ("520115", "观山湖区", CITY),
    ("520181", "清镇市", CITY),
    ("520123", "修文县", CITY),
    ("520122", "息烽县", CITY),
    ("520121", "开阳县", CITY),
    ("GA0001", "贵安新区", CITY),
]
DISTRICTS = [code for code, _, parent in UNITS if parent == CITY]
NAMES = {code: name for code, name, _ in UNITS}


def _w(text: str) -> list[Decimal]:
    """A row of weights written as text, one number per district, read as exact decimals."""
    return [Decimal(x) for x in text.split()]


# How each kind of activity is spread over the districts, in DISTRICTS order:
#            南明 云岩 花溪 乌当 白云 观山湖 清镇 修文 息烽 开阳 贵安
WEIGHTS = {
    "gdp": _w("21 20 10 6 8 14 8 4 3 4 6"),
    "energy": _w("9 7 10 7 14 6 16 5 9 11 8"),
    "industry": _w("3 2 12 7 14 5 15 6 11 12 13"),
    "agri": _w("0 0 12 12 4 2 16 18 12 17 7"),
    "commerce": _w("20 20 9 4 6 16 6 4 3 4 8"),
    "hotel": _w("10 8 8 5 3 8 4 3 2 3 4"),
    "rural": _w("3 2 18 15 6 4 14 10 10 14 4"),
    "urban": _w("18 18 11 6 8 17 6 4 3 4 5"),
    "civic": _w("17 17 11 6 8 11 8 6 4 6 6"),
    "logistics": _w("8 6 10 8 12 8 10 6 5 7 20"),
    "data": _w("4 3 8 4 4 16 3 2 1 1 54"),
    "build": _w("14 12 12 7 8 16 7 5 3 4 12"),
    "projects": _w("12 10 14 8 10 14 10 6 6 8 22"),
    # Tiny totals are placed by hand where the press release or the local industry says they belong.
    "high_energy": _w("0 0 0 0 1 0 2 0 1 1 0"),  # 铝、煤化工、磷化工
    "energy_quota": _w("0 0 1 0 0 1 0 0 0 0 1"),  # 经开区绿色数据中心、中国铁建云数据中心…
    "battery": _w("0 0 1 0 2 0 2 1 2 2 4"),  # 新能源动力电池及材料
    "freight": _w("0 0 0 0 0 1 0 0 0 0 0"),
}

# ---------------------------------------------------------------------------------------------------------
# Decimal helpers
# ---------------------------------------------------------------------------------------------------------


def grid(decimals: int) -> Decimal:
    return Decimal(1).scaleb(-decimals)


def rnd(x: Decimal, decimals: int, mode: str = ROUND_HALF_UP) -> Decimal:
    return x.quantize(grid(decimals), rounding=mode)


def split(total: Decimal, weights: list[Decimal], decimals: int) -> list[Decimal]:
    """Largest-remainder split of ``total`` on the grid of ``decimals``: the parts add up exactly."""
    unit = grid(decimals)
    units = int(total / unit)
    assert units * unit == total, f"{total} is not on the grid of {decimals} decimals"
    wsum = sum(weights)
    quotas = [units * w / wsum for w in weights]
    parts = [int(q) for q in quotas]
    # Ties go to the earlier district, so the result never depends on anything but the inputs.
    order = sorted(range(len(weights)), key=lambda i: (-(quotas[i] - parts[i]), i))
    for i in order[: units - sum(parts)]:
        parts[i] += 1
    return [p * unit for p in parts]


def allocate(total: Decimal, need: list[Decimal], cap: list[Decimal], decimals: int) -> list[Decimal]:
    """Split a first-quarter total: every district first gets what it needs to be on track (at most its
    second-quarter figure, so year-to-date totals never fall), the rest goes where there is headroom."""
    base = [min(n, c) for n, c in zip(need, cap, strict=True)]
    rest = total - sum(base)
    assert rest >= 0, f"first-quarter total {total} cannot cover the districts' needs {sum(base)}"
    head = [c - b for c, b in zip(cap, base, strict=True)]
    extra = split(rest, head, decimals) if rest else [Decimal(0)] * len(base)
    return [b + e for b, e in zip(base, extra, strict=True)]


def s(x: Decimal, decimals: int) -> str:
    """A decimal as the file format wants it: a plain string with exactly ``decimals`` places."""
    q = rnd(x, decimals)
    return format(q.copy_abs() if q == 0 else q, "f")  # never "-0"


# ---------------------------------------------------------------------------------------------------------
# The catalog. Each entry: metadata (what the template says) + data (how the demo values are made).
#   q1, q2     city figures: totals to split for sum indicators, the city's own values for `none`
#   T, B, M    city annual target, baseline (level indicators) and milestones {quarter: value}
#   QT         city targets for the four quarters of a quarterly indicator
#   w          name of the weight row that spreads a sum indicator over the districts
#   mirror     how district targets of ratio/index/derived indicators follow the district's own figure
# Ratio numerators/denominators and E01/E02 are made together in build_coupled() from the tables below.
# ---------------------------------------------------------------------------------------------------------

PCT = "%"


def ind(
    code: str,
    name: str,
    field: str,
    tier: str,
    unit: str,
    decimals: int,
    kind: str,
    freq: str,
    acc: str,
    agg: str,
    desc: str,
    **data: Any,
) -> dict[str, Any]:
    return {
        "code": code,
        "name": name,
        "field": field,
        "tier": tier,
        "unit": unit,
        "decimals": decimals,
        "kind": kind,
        "frequency": freq,
        "accumulation": acc,
        "aggregation": agg,
        "desc": desc,
        **data,
    }


def money(name: str) -> dict[str, Any]:
    return {"name": name, "unit": "亿元", "decimals": 2}


INDICATORS: list[dict[str, Any]] = [
    # ---- 总体指标: the two goals of the press release plus the growth of the green economy ----
    ind(
        "H01",
        "单位GDP能耗下降率",
        "总体指标",
        "headline",
        PCT,
        2,
        "derived",
        "annual",
        "level",
        "formula",
        "单位地区生产总值能耗较上年（基准年）下降的百分比，由能源消费总量和地区生产总值计算，不直接填报。",
        formula="(1 - (E01 / E02) / (base(E01) / base(E02))) * 100",
        min=None,
        T=D("3.20"),
        B=D("2.90"),
        mirror="add",
    ),
    ind(
        "H02",
        "绿色经济增加值占地区生产总值比重",
        "总体指标",
        "headline",
        PCT,
        1,
        "ratio",
        "annual",
        "level",
        "ratio",
        "绿色经济增加值（按《贵阳市绿色经济增加值核算实施方案（试行）》测算）占地区生产总值的比重。",
        numerator=money("绿色经济增加值"),
        denominator=money("地区生产总值"),
        T=D("46.0"),
        B=D("45.0"),
        mirror="scale",
    ),
    ind(
        "H03",
        "绿色经济增加值增长",
        "总体指标",
        "headline",
        PCT,
        1,
        "ratio",
        "quarterly",
        "level",
        "ratio",
        "绿色经济增加值累计较上年同期增长的百分比。",
        numerator=money("绿色经济增加值增量"),
        denominator=money("上年同期绿色经济增加值"),
        min=None,
        max=None,
        QT=[D("7.0")] * 4,
        mirror="add",
    ),
    # ---- 绿色生产 ----
    ind(
        "C01",
        "七大工业重点产业增加值增长",
        "绿色生产",
        "core",
        PCT,
        1,
        "ratio",
        "quarterly",
        "level",
        "ratio",
        "新能源汽车、磷化工、电子信息制造、先进装备制造、生态特色食品、健康医药等七大工业重点产业增加值累计同比增速。",
        numerator=money("七大工业重点产业增加值增量"),
        denominator=money("上年同期七大工业重点产业增加值"),
        min=None,
        max=None,
        QT=[D("8.5"), D("9.0"), D("9.0"), D("9.0")],
        mirror="add",
    ),
    ind(
        "C02",
        "七大工业重点产业拉动规上工业增加值增速",
        "绿色生产",
        "core",
        "个百分点",
        1,
        "ratio",
        "quarterly",
        "level",
        "ratio",
        "七大工业重点产业增加值增量占上年同期规模以上工业增加值的百分比，即对规上工业增速的拉动。",
        numerator=money("七大工业重点产业增加值增量"),
        denominator=money("上年同期规模以上工业增加值"),
        min=None,
        QT=[D("3.4"), D("3.6"), D("3.6"), D("3.6")],
        mirror="add",
    ),
    ind(
        "C03",
        "新增绿色食品、地理标志农产品、有机农产品认证",
        "绿色生产",
        "core",
        "个",
        0,
        "base",
        "quarterly",
        "cumulative",
        "sum",
        "本年累计新获得绿色食品、农产品地理标志、有机农产品认证的数量。",
        q1=D(12),
        q2=D(29),
        QT=[D(10), D(25), D(38), D(50)],
        w="agri",
    ),
    ind(
        "C04",
        "贵州绿色优势农产品销售额",
        "绿色生产",
        "core",
        "亿元",
        2,
        "base",
        "quarterly",
        "cumulative",
        "sum",
        "本年累计通过主要批发、零售渠道销售贵州绿色优势农产品的金额。",
        q1=D("30.20"),
        q2=D("65.00"),
        QT=[D(28), D(60), D(95), D(130)],
        w="commerce",
    ),
    ind(
        "C05",
        "累计落地数据中心、算力枢纽节点项目",
        "绿色生产",
        "core",
        "个",
        0,
        "base",
        "annual",
        "level",
        "sum",
        "期末累计落地（签约并开工）的数据中心、算力枢纽节点项目数量。",
        q1=D(31),
        q2=D(33),
        T=D(38),
        B=D(27),
        w="data",
    ),
    ind(
        "C06",
        "大数据与实体经济融合发展水平",
        "绿色生产",
        "core",
        "指数",
        2,
        "base",
        "annual",
        "level",
        "none",
        "大数据与实体经济深度融合评估指数（0–100）。各级按评估结果自行填报，市级数据不由区县汇总。",
        max=D(100),
        change_threshold=D(10),
        q1=D("54.70"),
        q2=D("55.16"),
        T=D("56.00"),
        B=D("54.20"),
        own_q2=[
            D(x)
            for x in ("58.32", "57.85", "54.10", "50.26", "52.47", "60.12", "51.03", "48.65", "47.20", "49.38", "62.75")
        ],
        own_drop=[
            D(x) for x in ("0.41", "0.52", "0.38", "0.47", "0.36", "0.55", "0.33", "0.44", "0.30", "0.39", "0.61")
        ],
        mirror="add",
    ),
    # ---- 绿色消费 ----
    ind(
        "C07",
        "绿色商场占比",
        "绿色消费",
        "core",
        PCT,
        1,
        "ratio",
        "annual",
        "level",
        "ratio",
        "获评绿色商场的大型商场数量占大型商场总数的比重。",
        numerator={"name": "绿色商场数", "unit": "家", "decimals": 0},
        denominator={"name": "大型商场总数", "unit": "家", "decimals": 0},
        T=D("35.0"),
        B=D("24.0"),
        mirror="scale",
    ),
    ind(
        "C08",
        "绿色餐厅",
        "绿色消费",
        "core",
        "家",
        0,
        "base",
        "annual",
        "level",
        "sum",
        "期末有效的绿色餐厅数量。",
        q1=D(58),
        q2=D(62),
        T=D(75),
        B=D(45),
        w="commerce",
    ),
    ind(
        "C09",
        "新增A级物流企业",
        "绿色消费",
        "core",
        "家",
        0,
        "base",
        "annual",
        "cumulative",
        "sum",
        "本年累计新评定的A级物流企业数量。",
        q1=D(5),
        q2=D(10),
        T=D(18),
        M={1: D(3), 2: D(9), 3: D(14)},
        w="logistics",
    ),
    # ---- 绿色生活 ----
    ind(
        "C10",
        "新建公共停车场充电设施",
        "绿色生活",
        "core",
        "个",
        0,
        "base",
        "quarterly",
        "cumulative",
        "sum",
        "本年累计启动建设的公共停车场充电设施（充电桩）数量。",
        q1=D(280),
        q2=D(661),
        QT=[D(250), D(600), D(900), D(1200)],
        w="urban",
    ),
    ind(
        "C11",
        "中心城区绿色出行比例",
        "绿色生活",
        "core",
        PCT,
        1,
        "ratio",
        "quarterly",
        "level",
        "ratio",
        "城区公共交通、步行、骑行等绿色出行量占出行总量的比重（日均，区县按本辖区城区统计）。",
        numerator={"name": "绿色出行量", "unit": "万人次/日", "decimals": 2},
        denominator={"name": "出行总量", "unit": "万人次/日", "decimals": 2},
        change_threshold=D(20),
        QT=[D("58.0"), D("59.0"), D("59.5"), D("60.0")],
        mirror="scale",
    ),
    ind(
        "C12",
        "绿色建筑占比",
        "绿色生活",
        "core",
        PCT,
        1,
        "ratio",
        "quarterly",
        "level",
        "ratio",
        "本年累计新建建筑中按绿色建筑标准建设的面积占新建建筑面积的比重。",
        numerator={"name": "绿色建筑面积", "unit": "万平方米", "decimals": 2},
        denominator={"name": "新建建筑面积", "unit": "万平方米", "decimals": 2},
        QT=[D("80.0"), D("82.0"), D("83.0"), D("85.0")],
        mirror="scale",
    ),
    ind(
        "C13",
        "装配式建筑占新建建筑面积比例",
        "绿色生活",
        "core",
        PCT,
        2,
        "ratio",
        "quarterly",
        "level",
        "ratio",
        "本年累计新建建筑中装配式建筑面积占新建建筑面积的比例。",
        numerator={"name": "装配式建筑面积", "unit": "万平方米", "decimals": 2},
        denominator={"name": "新建建筑面积", "unit": "万平方米", "decimals": 2},
        QT=[D("20.00"), D("21.00"), D("22.00"), D("23.00")],
        mirror="scale",
    ),
    # ---- 绿色文明 ----
    ind(
        "C14",
        "绿色家庭创建",
        "绿色文明",
        "core",
        "户",
        0,
        "base",
        "annual",
        "cumulative",
        "sum",
        "本年累计命名的绿色家庭数量。",
        q1=D(800),
        q2=D(1650),
        T=D(3000),
        w="civic",
    ),
    ind(
        "C15",
        "绿色社区创建",
        "绿色文明",
        "core",
        "个",
        0,
        "base",
        "annual",
        "cumulative",
        "sum",
        "本年累计达到绿色社区创建标准的城乡社区数量。",
        q1=D(19),
        q2=D(34),
        T=D(60),
        w="civic",
    ),
    # ---- 能耗双控 / 项目支撑 ----
    ind(
        "C16",
        "高能耗项目论证评审",
        "能耗双控",
        "core",
        "个",
        0,
        "base",
        "annual",
        "cumulative",
        "sum",
        "本年累计完成节能论证评审的年综合能耗5万吨标准煤以上新建项目数量。",
        q1=D(2),
        q2=D(5),
        T=D(8),
        M={1: D(1), 2: D(4), 3: D(6)},
        w="high_energy",
    ),
    ind(
        "C17",
        "重点支撑项目库",
        "项目支撑",
        "core",
        "个",
        0,
        "base",
        "annual",
        "level",
        "sum",
        "期末绿色经济重点支撑项目库在库项目数量（滚动更新）。",
        change_threshold=D(50),
        q1=D(196),
        q2=D(200),
        T=D(210),
        B=D(180),
        w="projects",
    ),
    ind(
        "C18",
        "2023年重点实施项目",
        "项目支撑",
        "core",
        "个",
        0,
        "base",
        "quarterly",
        "level",
        "sum",
        "期末列入本年度重点实施计划并处于实施状态的项目数量。",
        q1=D(160),
        q2=D(168),
        QT=[D(155), D(165), D(168), D(170)],
        w="projects",
    ),
    # ---- supporting: 绿色生产 ----
    ind(
        "S01",
        "标准化设施蔬菜（食用菌）基地建设项目",
        "绿色生产",
        "supporting",
        "个",
        0,
        "base",
        "annual",
        "cumulative",
        "sum",
        "本年累计开工建设的标准化设施蔬菜（食用菌）基地项目数量。",
        q1=D(20),
        q2=D(47),
        T=D(80),
        M={1: D(15), 2: D(40), 3: D(65)},
        w="agri",
    ),
    ind(
        "S02",
        "规模化、生态化蔬菜基地",
        "绿色生产",
        "supporting",
        "万亩",
        2,
        "base",
        "annual",
        "level",
        "sum",
        "期末建成的100亩以上相对集中连片规模化、生态化蔬菜基地面积。",
        q1=D("14.30"),
        q2=D("15.00"),
        T=D("16.40"),
        B=D("13.50"),
        w="agri",
    ),
    ind(
        "S03",
        "贵州绿色优势农产品销售量",
        "绿色生产",
        "supporting",
        "万吨",
        1,
        "base",
        "quarterly",
        "cumulative",
        "sum",
        "本年累计通过主要批发、零售渠道销售贵州绿色优势农产品的数量。",
        q1=D("24.6"),
        q2=D("52.9"),
        QT=[D(23), D(50), D(78), D(105)],
        w="commerce",
    ),
    # ---- supporting: 绿色消费 ----
    ind(
        "S04",
        "绿色旅游酒店",
        "绿色消费",
        "supporting",
        "家",
        0,
        "base",
        "annual",
        "level",
        "sum",
        "期末有效的绿色旅游饭店（酒店）数量。",
        q1=D(16),
        q2=D(16),
        T=D(19),
        B=D(12),
        w="hotel",
    ),
    ind(
        "S05",
        "森林康养基地",
        "绿色消费",
        "supporting",
        "个",
        0,
        "base",
        "annual",
        "cumulative",
        "sum",
        "本年累计新打造的森林康养基地数量。",
        q1=D(1),
        q2=D(2),
        T=D(3),
        M={1: D(0), 2: D(1), 3: D(2)},
        w="rural",
    ),
    ind(
        "S06",
        "森林康养人家",
        "绿色消费",
        "supporting",
        "户",
        0,
        "base",
        "annual",
        "cumulative",
        "sum",
        "本年累计新打造的森林康养人家数量。",
        q1=D(17),
        q2=D(30),
        T=D(50),
        w="rural",
    ),
    ind(
        "S07",
        "新增网络货运企业",
        "绿色消费",
        "supporting",
        "家",
        0,
        "base",
        "annual",
        "cumulative",
        "sum",
        "本年累计新增取得经营许可的网络货运企业数量。",
        q1=D(1),
        q2=D(1),
        T=D(2),
        w="freight",
    ),
    ind(
        "S08",
        "绿色避暑度假精品酒店",
        "绿色消费",
        "supporting",
        "家",
        0,
        "base",
        "annual",
        "cumulative",
        "sum",
        "本年累计培育的绿色避暑度假精品酒店数量。",
        q1=D(7),
        q2=D(11),
        T=D(20),
        w="rural",
    ),
    ind(
        "S09",
        "绿色精品民宿",
        "绿色消费",
        "supporting",
        "家",
        0,
        "base",
        "annual",
        "cumulative",
        "sum",
        "本年累计培育的绿色精品民宿数量。",
        q1=D(2),
        q2=D(5),
        T=D(8),
        M={1: D(1), 2: D(4), 3: D(6)},
        w="rural",
    ),
    ind(
        "S10",
        "绿色农贸市场试点",
        "绿色消费",
        "supporting",
        "个",
        0,
        "base",
        "annual",
        "cumulative",
        "sum",
        "本年累计建成的绿色农贸市场试点数量（“15分钟生活圈”）。",
        q1=D(3),
        q2=D(7),
        T=D(12),
        M={1: D(2), 2: D(6), 3: D(9)},
        w="civic",
    ),
    # ---- supporting: 绿色生活 ----
    ind(
        "S11",
        "优化调整常规公交线路",
        "绿色生活",
        "supporting",
        "条",
        0,
        "base",
        "annual",
        "cumulative",
        "sum",
        "本年累计优化调整的常规公交线路数量。",
        q1=D(19),
        q2=D(33),
        T=D(60),
        w="urban",
    ),
    ind(
        "S12",
        "开辟定制公交线路",
        "绿色生活",
        "supporting",
        "条",
        0,
        "base",
        "annual",
        "cumulative",
        "sum",
        "本年累计开辟的定制公交线路数量。",
        q1=D(48),
        q2=D(95),
        T=D(180),
        w="urban",
    ),
    ind(
        "S13",
        "落实非机动车道设置的道路",
        "绿色生活",
        "supporting",
        "条",
        0,
        "base",
        "annual",
        "cumulative",
        "sum",
        "本年累计落实非机动车道设置的道路数量。",
        q1=D(8),
        q2=D(16),
        T=D(30),
        M={1: D(6), 2: D(15), 3: D(22)},
        w="urban",
    ),
    # ---- supporting: 绿色文明 ----
    ind(
        "S14",
        "绿色学校创建",
        "绿色文明",
        "supporting",
        "所",
        0,
        "base",
        "annual",
        "cumulative",
        "sum",
        "本年累计命名的绿色学校数量。",
        q1=D(18),
        q2=D(46),
        T=D(40),
        w="civic",
    ),
    ind(
        "S15",
        "绿色机关创建",
        "绿色文明",
        "supporting",
        "家",
        0,
        "base",
        "annual",
        "cumulative",
        "sum",
        "本年累计达到节约型机关（绿色机关）创建标准的党政机关数量。",
        q1=D(25),
        q2=D(72),
        T=D(60),
        w="civic",
    ),
    ind(
        "S16",
        "生态文明主题宣传活动",
        "绿色文明",
        "supporting",
        "场",
        0,
        "base",
        "annual",
        "cumulative",
        "sum",
        "本年累计在世界环境日、全国生态日、贵州生态日、节能宣传周等节点开展的生态文明主题宣传活动场次。",
        q1=D(25),
        q2=D(68),
        T=D(120),
        M={1: D(20), 2: D(65), 3: D(95)},
        w="civic",
    ),
    # ---- supporting: 能耗双控 ----
    ind(
        "S17",
        "争取纳入国家重大项目能耗单列",
        "能耗双控",
        "supporting",
        "个",
        0,
        "base",
        "annual",
        "cumulative",
        "sum",
        "本年累计向省发展改革委申报、争取纳入国家重大项目能耗单列的项目数量。",
        q1=D(2),
        q2=D(3),
        T=D(5),
        M={1: D(1), 2: D(2), 3: D(4)},
        w="energy_quota",
    ),
    ind(
        "S18",
        "正在实施的新能源动力电池项目",
        "能耗双控",
        "supporting",
        "个",
        0,
        "base",
        "annual",
        "level",
        "sum",
        "期末正在实施的新能源动力电池及材料项目数量（争取省级能耗预留指标）。",
        q1=D(14),
        q2=D(14),
        T=D(18),
        B=D(9),
        w="battery",
    ),
    # ---- 基础数据: inputs of H01, not assessed ----
    ind(
        "E01",
        "能源消费总量",
        "基础数据",
        "basic",
        "万吨标准煤",
        2,
        "base",
        "annual",
        "cumulative",
        "sum",
        "本年累计能源消费总量（等价值）。基础数据，用于计算单位GDP能耗下降率，不考核。",
        direction="cap",
    ),
    ind(
        "E02",
        "地区生产总值",
        "基础数据",
        "basic",
        "亿元",
        2,
        "base",
        "annual",
        "cumulative",
        "sum",
        "本年累计地区生产总值（现价）。基础数据，用于计算单位GDP能耗下降率，不考核。",
    ),
]
BY_CODE = {i["code"]: i for i in INDICATORS}

# The figures of the press release (PRODUCT.md §4) that the city must show at 2023Q2 after aggregation.
SEED_Q2 = {
    "C01": "9.4",
    "C02": "3.8",
    "S01": "47",
    "S02": "15",
    "C03": "29",
    "S03": "52.9",
    "C04": "65",
    "C05": "33",
    "C06": "55.16",
    "C07": "30",
    "C08": "62",
    "S04": "16",
    "S05": "2",
    "S06": "30",
    "C09": "10",
    "S07": "1",
    "S08": "11",
    "S09": "5",
    "S11": "33",
    "S12": "95",
    "C10": "661",
    "S13": "16",
    "C11": "60",
    "C12": "84",
    "C13": "21.59",
    "C17": "200",
    "C18": "168",
    "C16": "5",
    "S17": "3",
    "S18": "14",
}
EXCEEDED_AT_CITY = {"S14", "S15"}  # 绿色学校、绿色机关：创建评审集中在上半年，年中已超额

# City totals of the coupled inputs that are not in the press release (demo assumptions, 亿元 / 万吨标准煤).
GDP = {"base": D("4921.17"), Q1: D("1160.00"), Q2: D("2450.00")}
GREEN_VA = {Q1: D("525.48"), Q2: D("1117.20")}  # 45.3 % / 45.6 % of GDP
GREEN_VA_LAST_YEAR = {Q1: D("490.00"), Q2: D("1040.00")}
ENERGY_BASE = D("1980.00")
INDUSTRY = {  # 七大产业增加值增量, 上年同期七大产业增加值, 上年同期规上工业增加值
    Q1: (D("20.40"), D("232.00"), D("570.00")),
    Q2: (D("44.65"), D("475.00"), D("1175.00")),  # 44.65/475 = 9.4 %, 44.65/1175 = 3.8 %, both exact
}
BUILDING = {Q1: (D("210.00"), D("174.30"), D("44.10")), Q2: (D("500.00"), D("420.00"), D("107.95"))}
TRAVEL = {Q1: (D("840.00"), D("490.00")), Q2: (D("860.00"), D("516.00"))}
MALLS = (D(120), D(36))  # large malls, green ones at 2023Q2 (30 %); two were certified in Q2 (28.3 % at Q1)
MALLS_CERTIFIED_IN_Q2 = ("520102", "520115")

# Per-district relative performance, used to make district ratios differ while the city totals stay exact.
F = {
    "green": _w("1.05 1.00 1.02 1.10 0.90 1.08 0.85 1.05 0.80 0.88 1.15"),
    "green_growth": _w("0.070 0.068 0.080 0.075 0.072 0.078 0.065 0.085 0.060 0.070 0.095"),
    "industry_growth": _w("0.9 0.8 1.1 1.0 0.95 1.2 0.85 1.05 0.7 0.9 1.4"),
    "energy_fall": _w("3.3 3.4 3.2 3.3 3.0 3.5 2.7 3.3 3.0 3.1 3.2"),  # % fall of intensity, H1
    "malls": _w("1.3 1.2 1.0 0.9 0.9 1.4 0.8 0.8 0.7 0.7 1.3"),
    "travel": _w("1.08 1.10 0.98 0.92 0.95 1.04 0.90 0.88 0.85 0.86 0.96"),
    "green_building": _w("1.04 0.99 1.02 0.97 0.98 1.06 0.95 0.96 0.93 0.94 1.08"),
    "prefab": _w("1.10 0.95 1.00 0.90 0.92 1.15 0.85 0.80 0.75 0.78 1.30"),
}

# District targets a district will miss at mid-year. Realistic demo content: a district may have a few items
# behind, and each carries the written explanation (情况说明) it needs before it can sign. The self-check
# fails if any item is behind (or changes beyond its threshold) without one, or if one is written needlessly.
# No computed (derived) indicator may be behind at a district: it has no row in the values file to explain on.
FREIGHT_NOTE = "辖区1家网络货运平台企业正在办理道路运输经营许可，预计四季度取得许可并上线运营。"
EXPLANATIONS = {
    ("520113", Q2, "C13"): (
        "辖区上半年新建项目多为前期按现浇工艺设计的项目，装配式构件产能尚在爬坡，三季度新开工项目将提高装配率。"
    ),
    ("520103", Q2, "C12"): (
        "辖区上半年新建项目以城市更新改造为主，部分项目未按绿色建筑标准设计，"
        "已督促三季度新开工项目全面执行绿色建筑标准。"
    ),
    ("520121", Q2, "C09"): "2家物流企业A级评估材料已报送，受评审批次安排影响尚未公布结果，预计三季度完成评定。",
    ("520122", Q1, "S07"): FREIGHT_NOTE,
    ("520122", Q2, "S07"): FREIGHT_NOTE,
    ("520123", Q2, "S13"): "受道路改造项目审批进度影响，3条道路非机动车道施工计划于三季度集中实施。",
    ("520112", Q2, "C15"): "部分社区创建材料需补充完善，已组织专班逐一指导，预计三季度集中申报验收。",
}
DESIGNED_BEHIND = [(unit, code) for unit, period, code in EXPLANATIONS if period == Q2]
# ---------------------------------------------------------------------------------------------------------
# Building the district figures
# ---------------------------------------------------------------------------------------------------------

# VAL[code][unit][period] = Decimal (base) or (numerator, denominator) (ratio); TGT[code][unit] = dict
VAL: dict[str, dict[str, dict[str, Any]]] = {i["code"]: {u: {} for u, _, _ in UNITS} for i in INDICATORS}
TGT: dict[str, dict[str, dict[str, Any]]] = {i["code"]: {} for i in INDICATORS}
NPARTS = len(DISTRICTS)


def put(code: str, period: str, parts: list[Any]) -> None:
    for unit, part in zip(DISTRICTS, parts, strict=True):
        VAL[code][unit][period] = part


def mul(a: list[Decimal], b: list[Decimal]) -> list[Decimal]:
    return [x * y for x, y in zip(a, b, strict=True)]


def build_coupled() -> None:
    """Ratios and bases that share inputs are built together so that every district is self-consistent:
    H02's denominator is E02, H03's numerator is H02's numerator minus last year's, C01 and C02 share the
    increment, C12 and C13 share the new floor area, and E01 follows from each district's fall in intensity."""
    gdp_base = split(GDP["base"], WEIGHTS["gdp"], 2)
    energy_base = split(ENERGY_BASE, WEIGHTS["energy"], 2)
    for unit, g0, e0 in zip(DISTRICTS, gdp_base, energy_base, strict=True):
        TGT["E02"][unit] = {"B": g0}
        TGT["E01"][unit] = {"B": e0}
    TGT["E02"][CITY] = {"B": GDP["base"]}
    TGT["E01"][CITY] = {"B": ENERGY_BASE}
    for period, slower in ((Q1, D("0.05")), (Q2, D(0))):
        gdp = split(GDP[period], WEIGHTS["gdp"], 2)
        put("E02", period, gdp)
        # Energy use follows from each district's intended fall in energy intensity (slower in Q1).
        energy = [
            rnd(g * e0 / g0 * (1 - (f - slower) / 100), 2)
            for g, e0, g0, f in zip(gdp, energy_base, gdp_base, F["energy_fall"], strict=True)
        ]
        put("E01", period, energy)
        green = split(GREEN_VA[period], mul(gdp, F["green"]), 2)
        last = split(
            GREEN_VA_LAST_YEAR[period], [g / (1 + r) for g, r in zip(green, F["green_growth"], strict=True)], 2
        )
        put("H02", period, list(zip(green, gdp, strict=True)))
        put("H03", period, [(g - p, p) for g, p in zip(green, last, strict=True)])
        inc, seven, total = INDUSTRY[period]
        seven_parts = split(seven, WEIGHTS["industry"], 2)
        total_parts = split(total, WEIGHTS["industry"], 2)
        inc_parts = split(inc, mul(seven_parts, F["industry_growth"]), 2)
        put("C01", period, list(zip(inc_parts, seven_parts, strict=True)))
        put("C02", period, list(zip(inc_parts, total_parts, strict=True)))
        area, green_area, prefab = BUILDING[period]
        area_parts = split(area, WEIGHTS["build"], 2)
        put(
            "C12",
            period,
            list(zip(split(green_area, mul(area_parts, F["green_building"]), 2), area_parts, strict=True)),
        )
        put("C13", period, list(zip(split(prefab, mul(area_parts, F["prefab"]), 2), area_parts, strict=True)))
        trips, green_trips = TRAVEL[period]
        trip_parts = split(trips, WEIGHTS["urban"], 2)
        put("C11", period, list(zip(split(green_trips, mul(trip_parts, F["travel"]), 2), trip_parts, strict=True)))
    # Malls are a stock: Q1 is Q2 less the malls certified during Q2. Every district has at least one green
    # mall, since a 0 % share would make its proportional targets meaningless.
    mall_parts = split(MALLS[0], WEIGHTS["commerce"], 0)
    green = [1 + x for x in split(MALLS[1] - NPARTS, mul(mall_parts, F["malls"]), 0)]
    put("C07", Q2, list(zip(green, mall_parts, strict=True)))
    put(
        "C07", Q1, [(g - (u in MALLS_CERTIFIED_IN_Q2), m) for u, g, m in zip(DISTRICTS, green, mall_parts, strict=True)]
    )


def value(code: str, unit: str, period: str) -> Decimal:
    """The figure a district shows for an indicator (rounded to the indicator's decimals)."""
    spec = BY_CODE[code]
    if spec["kind"] == "derived":  # only H01
        e, g = VAL["E01"][unit][period], VAL["E02"][unit][period]
        e0, g0 = TGT["E01"][unit]["B"], TGT["E02"][unit]["B"]
        return rnd((1 - (e / g) / (e0 / g0)) * 100, spec["decimals"])
    v = VAL[code][unit][period]
    if spec["kind"] == "ratio":
        return rnd(v[0] / v[1] * 100, spec["decimals"])
    return Decimal(v)


def city_value(code: str, period: str) -> Decimal:
    spec = BY_CODE[code]
    if spec["aggregation"] == "none":
        return Decimal(spec[{Q1: "q1", Q2: "q2"}[period]])
    if spec["kind"] == "ratio":
        num = sum(VAL[code][u][period][0] for u in DISTRICTS)
        den = sum(VAL[code][u][period][1] for u in DISTRICTS)
        return rnd(num / den * 100, spec["decimals"])
    if spec["kind"] == "derived":
        e = sum(VAL["E01"][u][period] for u in DISTRICTS)
        g = sum(VAL["E02"][u][period] for u in DISTRICTS)
        return rnd((1 - (e / g) / (ENERGY_BASE / GDP["base"])) * 100, spec["decimals"])
    return sum((VAL[code][u][period] for u in DISTRICTS), Decimal(0))


def city_targets(spec: dict[str, Any]) -> dict[str, Any]:
    if "QT" in spec:
        return {"QT": list(spec["QT"])}
    t: dict[str, Any] = {"T": spec["T"]}
    if "B" in spec:
        t["B"] = spec["B"]
    if "M" in spec:
        t["M"] = dict(spec["M"])
    return t


def build_sum(spec: dict[str, Any]) -> None:
    """Base indicators aggregated by sum: split the city's Q2 figure by weights, derive district targets
    from the same shares (so they add up to the city's), then fill Q1 so each district is on track."""
    code, dec = spec["code"], spec["decimals"]
    v2 = split(spec["q2"], WEIGHTS[spec["w"]], dec)
    put(code, Q2, v2)
    city = city_targets(spec)
    TGT[code][CITY] = city
    per: list[dict[str, Any]] = [{} for _ in DISTRICTS]
    if "QT" in city:
        qt = [split(t, v2, dec) for t in city["QT"]]
        for i, p in enumerate(per):
            p["QT"] = [qt[k][i] for k in range(4)]
    elif spec["accumulation"] == "cumulative":
        for p, t in zip(per, split(city["T"], v2, dec), strict=True):
            p["T"] = t
        if "M" in city:
            ms = {q: split(m, v2, dec) for q, m in city["M"].items()}
            for i, p in enumerate(per):
                p["M"] = {q: ms[q][i] for q in ms}
    else:
        # Level: keep each district's distance below the target and above the baseline in the city's
        # proportion, so that the mid-year expectation (B+T)/2 stays at or below the district's figure.
        down = split(spec["q2"] - city["B"], v2, dec)
        up = split(city["T"] - spec["q2"], v2, dec)
        for p, v, d_, u_ in zip(per, v2, down, up, strict=True):
            p["B"], p["T"] = v - d_, v + u_
    for unit, p in zip(DISTRICTS, per, strict=True):
        TGT[code][unit] = p


def build_level(spec: dict[str, Any]) -> None:
    """Targets of ratio / index / derived indicators follow each district's own figure: either shifted by the
    district's distance from the city (growth rates, indexes) or scaled by its ratio to the city (shares).
    The worse of Q1 and Q2 is used so that both quarters are on track before the designed exceptions."""
    code, dec = spec["code"], spec["decimals"]
    if spec["aggregation"] == "none":
        own2 = spec["own_q2"]
        put(code, Q2, own2)
        put(code, Q1, [a - b for a, b in zip(own2, spec["own_drop"], strict=True)])
        VAL[code][CITY][Q1], VAL[code][CITY][Q2] = spec["q1"], spec["q2"]
    city = city_targets(spec)
    TGT[code][CITY] = city
    cv = {p: city_value(code, p) for p in (Q1, Q2)}
    for unit in DISTRICTS:
        dv = {p: value(code, unit, p) for p in (Q1, Q2)}
        if spec["mirror"] == "add":
            off = min(dv[p] - cv[p] for p in (Q1, Q2))
            moved = {k: [x + off for x in v] if k == "QT" else v + off for k, v in city.items()}
        else:  # rounding the scaled targets down keeps the district on track
            f = min(dv[p] / cv[p] for p in (Q1, Q2))
            moved = {
                k: [rnd(x * f, dec, ROUND_FLOOR) for x in v] if k == "QT" else rnd(v * f, dec, ROUND_FLOOR)
                for k, v in city.items()
            }
        TGT[code][unit] = moved


def apply_designed_behind() -> None:
    """Raise a few district targets so that those districts are behind at 2023Q2. For sum indicators the
    extra target is taken from the district with the most room above its figure, so district targets still
    add up to the city's."""
    for unit, code in DESIGNED_BEHIND:
        spec, t = BY_CODE[code], TGT[code][unit]
        step = grid(spec["decimals"])
        v = value(code, unit, Q2)
        if "QT" in t:
            shift = v - t["QT"][1] + 15 * step  # the quarter target is 1.5 points above the district's figure
            t["QT"] = t["QT"][:1] + [min(x + shift, D(100)) for x in t["QT"][1:]]
            continue
        if "M" in t:  # the mid-year milestone is what the district is judged against
            t["M"][2] = max(t["M"][2], v + step)
            t["M"][3] = max(t["M"][3], t["M"][2])
            new_t = max(t["T"], t["M"][3] + step)
        else:
            b = t.get("B", D(0))
            new_t = 2 * v - b + step  # (B + T) / 2 > v: behind at mid-year
        if spec["aggregation"] == "sum":
            # One step at a time from whichever district has the most room above its figure and milestones.
            def room(u: str, code: str = code) -> Decimal:
                d = TGT[code][u]
                return Decimal(d["T"] - max([VAL[code][u][Q2], *d.get("M", {}).values()]))

            for _ in range(int((new_t - t["T"]) / step)):
                donor = max((u for u in DISTRICTS if u != unit), key=lambda u: (room(u), u))
                assert room(donor) >= step, f"no district can give up target of {code}"
                TGT[code][donor]["T"] -= step
        t["T"] = new_t


def fill_first_quarter(spec: dict[str, Any]) -> None:
    code, dec = spec["code"], spec["decimals"]
    need = []
    for unit in DISTRICTS:
        t = TGT[code][unit]
        if "QT" in t:
            e = t["QT"][0]
        elif "M" in t:
            e = t["M"][1]
        else:
            b = t.get("B", D(0))
            e = b + (t["T"] - b) / 4
        need.append(max(rnd(e, dec, ROUND_CEILING), D(0)))
    cap = [VAL[code][u][Q2] for u in DISTRICTS]
    put(code, Q1, allocate(spec["q1"], need, cap, dec))


def build() -> None:
    build_coupled()
    for spec in INDICATORS:
        if spec["kind"] == "base" and spec["aggregation"] == "sum" and spec["tier"] != "basic":
            build_sum(spec)
        elif spec["tier"] != "basic":
            build_level(spec)
    apply_designed_behind()
    for spec in INDICATORS:
        if spec["kind"] == "base" and spec["aggregation"] == "sum" and spec["tier"] != "basic":
            fill_first_quarter(spec)


# ---------------------------------------------------------------------------------------------------------
# Writing the two documents
# ---------------------------------------------------------------------------------------------------------

RULES = [
    {
        "code": "R01",
        "left": "C18",
        "op": "<=",
        "right": "C17",
        "level": "error",
        "message": "2023年重点实施项目数不能超过重点支撑项目库在库项目数",
    },
    {
        "code": "R02",
        "left": "abs(C02)",
        "op": "<=",
        "right": "abs(C01)",
        "level": "error",
        "message": "七大工业重点产业对规上工业增速的拉动（个百分点）不能超过其自身增速",
    },
    {
        "code": "R03",
        "left": "C04",
        "op": "<=",
        "right": "S03 * 3",
        "level": "warning",
        "message": "贵州绿色优势农产品平均售价超过每公斤30元，请核实销售额与销售量的统计口径",
    },
]


def indicator_entry(spec: dict[str, Any]) -> dict[str, Any]:
    e: dict[str, Any] = {
        k: spec[k] for k in ("code", "name", "field", "tier", "unit", "decimals", "kind", "frequency", "accumulation")
    }
    e["direction"] = spec.get("direction", "higher")
    e["aggregation"] = spec["aggregation"]
    e["assessed"] = spec["tier"] != "basic"
    if spec["kind"] == "derived":
        e["formula"] = spec["formula"]
    if spec["kind"] == "ratio":
        e["numerator"], e["denominator"], e["scale"] = spec["numerator"], spec["denominator"], "100"
    for key in ("min", "max", "change_threshold"):
        if key in spec:
            e[key] = None if spec[key] is None else format(spec[key], "f")
    e["description"] = spec["desc"]
    return e


def target_entries(spec: dict[str, Any], unit: str) -> list[dict[str, Any]]:
    code, dec, t = spec["code"], spec["decimals"], TGT[spec["code"]][unit]
    head = {"indicator": code, "unit": unit}
    if spec["tier"] == "basic":
        return [{**head, "period": str(YEAR), "baseline": s(t["B"], dec)}]
    if "QT" in t:
        return [{**head, "period": f"{YEAR}Q{k}", "target": s(x, dec)} for k, x in enumerate(t["QT"], 1)]
    e = {**head, "period": str(YEAR), "target": s(t["T"], dec)}
    if spec["accumulation"] == "level":
        e["baseline"] = s(t["B"], dec)
    if "M" in t:
        e["milestones"] = {f"Q{q}": s(m, dec) for q, m in sorted(t["M"].items())}
    return [e]


def template_doc() -> dict[str, Any]:
    return {
        "format": "tianbao-template",
        "format_version": 1,
        "catalog": {
            "code": "GY-GREEN",
            "name": "贵阳贵安绿色经济指标体系（演示）",
            "version": "2023.1",
            "year": YEAR,
            "baseline_year": YEAR - 1,
            "demo": True,
            "issuer": "贵阳市生态环境局",
            "description": (
                "演示数据：依据2023年贵阳贵安强生态新闻发布会公开的“3+18+18”指标体系结构和上半年数据"
                "合理重构，指标清单、目标值和区县数据均为推演，仅供演示，并非官方指标清单。"
            ),
        },
        "units": [{"code": c, "name": n, "parent": p} for c, n, p in UNITS],
        "indicators": [indicator_entry(spec) for spec in INDICATORS],
        "targets": [e for spec in INDICATORS for unit, _, _ in UNITS for e in target_entries(spec, unit)],
        "rules": RULES,
        "calendar": CALENDAR,
        "signature": None,
    }


# The city's reporting calendar: each quarter's figures due on the 15th of the following month, entry closed at its
# end; the year's report due at the end of January.
CALENDAR = [
    {"period": f"{YEAR}Q1", "opens": f"{YEAR}-04-01", "due": f"{YEAR}-04-15", "closes": f"{YEAR}-04-30"},
    {"period": f"{YEAR}Q2", "opens": f"{YEAR}-07-01", "due": f"{YEAR}-07-15", "closes": f"{YEAR}-07-31"},
    {"period": f"{YEAR}Q3", "opens": f"{YEAR}-10-01", "due": f"{YEAR}-10-15", "closes": f"{YEAR}-10-31"},
    {"period": f"{YEAR}Q4", "opens": f"{YEAR + 1}-01-01", "due": f"{YEAR + 1}-01-15", "closes": f"{YEAR + 1}-01-31"},
    {"period": f"{YEAR}", "opens": f"{YEAR + 1}-01-01", "due": f"{YEAR + 1}-01-31", "closes": f"{YEAR + 1}-02-29"},
]


def values_doc(explanations: dict[tuple[str, str, str], str]) -> dict[str, Any]:
    rows = []
    for period in (Q1, Q2):
        for unit, _, _ in UNITS:
            for spec in INDICATORS:
                code, dec = spec["code"], spec["decimals"]
                if spec["kind"] == "derived" or (unit == CITY and spec["aggregation"] != "none"):
                    continue
                row: dict[str, Any] = {"unit": unit, "period": period, "indicator": code}
                v = VAL[code][unit][period]
                if spec["kind"] == "ratio":
                    row["numerator"] = s(v[0], spec["numerator"]["decimals"])
                    row["denominator"] = s(v[1], spec["denominator"]["decimals"])
                else:
                    row["value"] = s(v, dec)
                if (unit, period, code) in explanations:
                    row["explanation"] = explanations[(unit, period, code)]
                rows.append(row)
    return {"format": "tianbao-demo-values", "catalog": "GY-GREEN", "year": YEAR, "values": rows}


# ---------------------------------------------------------------------------------------------------------
# Self-check. It reads only the two documents (not the structures above), with its own small evaluator and
# its own status rules, so a slip in the building code cannot hide itself.
# ---------------------------------------------------------------------------------------------------------


class Formula:
    """A tiny recursive-descent evaluator for the template's formula grammar (+ - * /, parentheses,
    decimals, indicator codes, base(), abs(), min(), max())."""

    def __init__(self, text: str) -> None:
        self.tokens: list[str] = []
        i = 0
        while i < len(text):
            c = text[i]
            if c.isspace():
                i += 1
            elif c.isalnum() or c in "._":
                j = i
                while j < len(text) and (text[j].isalnum() or text[j] in "._"):
                    j += 1
                self.tokens.append(text[i:j])
                i = j
            else:
                assert c in "+-*/(),", f"unexpected {c!r} in {text!r}"
                self.tokens.append(c)
                i += 1

    def eval(self, env: dict[str, Decimal], base: dict[str, Decimal]) -> Decimal:
        self.pos, self.env, self.base = 0, env, base
        result = self._sum()
        assert self.pos == len(self.tokens)
        return result

    def _peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _take(self) -> str:
        self.pos += 1
        return self.tokens[self.pos - 1]

    def _sum(self) -> Decimal:
        x = self._product()
        while self._peek() in ("+", "-"):
            x = x + self._product() if self._take() == "+" else x - self._product()
        return x

    def _product(self) -> Decimal:
        x = self._atom()
        while self._peek() in ("*", "/"):
            x = x * self._atom() if self._take() == "*" else x / self._atom()
        return x

    def _atom(self) -> Decimal:
        tok = self._take()
        if tok == "-":
            return -self._atom()
        if tok == "(":
            x = self._sum()
            assert self._take() == ")"
            return x
        if tok[0].isdigit():
            return Decimal(tok)
        if self._peek() == "(":
            self._take()
            if tok == "base":
                arg = self._take()
                assert self._take() == ")"
                return self.base[arg]
            args = [self._sum()]
            while self._peek() == ",":
                self._take()
                args.append(self._sum())
            assert self._take() == ")"
            if tok == "abs":
                return abs(args[0])
            return min(args) if tok == "min" else max(args)
        return self.env[tok]


OPS = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    "=": lambda a, b: a == b,
    ">=": lambda a, b: a >= b,
    ">": lambda a, b: a > b,
}
ALLOWED_KEYS = {
    "top": {"format", "format_version", "catalog", "units", "indicators", "targets", "rules", "calendar", "signature"},
    "catalog": {"code", "name", "version", "year", "baseline_year", "demo", "issuer", "description"},
    "unit": {"code", "name", "parent"},
    "indicator": {
        "code",
        "name",
        "field",
        "tier",
        "unit",
        "decimals",
        "kind",
        "frequency",
        "accumulation",
        "direction",
        "aggregation",
        "assessed",
        "formula",
        "numerator",
        "denominator",
        "scale",
        "min",
        "max",
        "change_threshold",
        "description",
    },
    "part": {"name", "unit", "decimals"},
    "target": {"indicator", "unit", "period", "target", "baseline", "milestones"},
    "rule": {"code", "left", "op", "right", "level", "message"},
    "value": {"unit", "period", "indicator", "value", "numerator", "denominator", "explanation"},
}


def places(text: str) -> int:
    return len(text.split(".")[1]) if "." in text else 0


def is_decimal_text(text: Any) -> bool:
    """A plain decimal as the format wants it: no exponent, no '+', no separators, no NaN."""
    return isinstance(text, str) and re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", text) is not None


def status(ind: dict[str, Any], t: dict[str, dict[str, Any]], period: str, v: Decimal) -> tuple[str, bool]:
    """(status, must_explain) of a 'higher' indicator. The expected value is compared unrounded: a figure on
    the indicator's grid that reaches it also reaches it rounded half-up, so "on track" holds under either
    reading of the rules, and anything below it is treated as behind (and must be explained)."""
    dec, q = ind["decimals"], int(period[-1])
    v = rnd(v, dec)
    if ind["frequency"] == "quarterly":
        ok = v >= rnd(Decimal(t[period]["target"]), dec)
        return ("completed", False) if ok else ("behind", True)
    entry = t[str(YEAR)]
    target = rnd(Decimal(entry["target"]), dec)
    if v > target:
        return "exceeded", False
    if v == target:
        return "completed", False
    if f"Q{q}" in entry.get("milestones", {}):
        expected = Decimal(entry["milestones"][f"Q{q}"])
    else:
        b = Decimal(entry.get("baseline", "0")) if ind["accumulation"] == "level" else Decimal(0)
        expected = b + (target - b) * q / 4
    if v >= expected:
        return "on track", False
    return "behind", True


def self_check(template: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """Assert every promise of the demo; return a summary for the report."""

    # --- shape: only documented keys, numbers as decimal strings, never JSON floats ---
    def walk(x: Any) -> None:
        assert not isinstance(x, float), f"float in output: {x}"
        if isinstance(x, dict):
            for y in x.values():
                walk(y)
        elif isinstance(x, list):
            for y in x:
                walk(y)

    walk(template)
    walk(values)
    assert set(template) == ALLOWED_KEYS["top"] and set(template["catalog"]) <= ALLOWED_KEYS["catalog"]
    assert all(set(u) == ALLOWED_KEYS["unit"] for u in template["units"])
    assert all(set(r) == ALLOWED_KEYS["rule"] for r in template["rules"])
    inds = {i["code"]: i for i in template["indicators"]}
    for i in template["indicators"]:
        assert set(i) <= ALLOWED_KEYS["indicator"], i["code"]
        for part in ("numerator", "denominator"):
            assert part not in i or set(i[part]) == ALLOWED_KEYS["part"]
        for key in ("scale", "min", "max", "change_threshold"):
            assert i.get(key) is None or is_decimal_text(i[key]), (i["code"], key)
        assert i["direction"] != "cap" or not i["assessed"], "no assessed indicator may be a cap"
        assert not (i["direction"] == "lower" and i["accumulation"] == "cumulative")
    for t in template["targets"]:
        assert set(t) <= ALLOWED_KEYS["target"]
        dec = inds[t["indicator"]]["decimals"]
        for text in [t.get("target"), t.get("baseline"), *t.get("milestones", {}).values()]:
            assert text is None or (is_decimal_text(text) and places(text) <= dec), t
    tg: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
    for t in template["targets"]:
        tg.setdefault((t["indicator"], t["unit"]), {})[t["period"]] = t

    # --- the structure the press release fixes: 39 = 3 + 18 + 18, 11 quarterly + 28 annual ---
    assessed = [i for i in inds.values() if i["assessed"]]
    tiers = [i["tier"] for i in assessed]
    assert len(assessed) == 39, len(assessed)
    assert (tiers.count("headline"), tiers.count("core"), tiers.count("supporting")) == (3, 18, 18)
    quarterly = [i["code"] for i in assessed if i["frequency"] == "quarterly"]
    annual = [i["code"] for i in assessed if i["frequency"] == "annual"]
    assert (len(quarterly), len(annual)) == (11, 28)
    units = [u["code"] for u in template["units"]]
    city = next(u["code"] for u in template["units"] if u["parent"] is None)
    districts = [u for u in units if u != city]
    for i in inds.values():
        for u in units:
            t = tg[(i["code"], u)]
            if not i["assessed"]:
                assert set(t) == {str(YEAR)} and "target" not in t[str(YEAR)] and "baseline" in t[str(YEAR)]
            elif i["frequency"] == "quarterly":
                assert set(t) == {f"{YEAR}Q{k}" for k in range(1, 5)}
                qt = [Decimal(t[f"{YEAR}Q{k}"]["target"]) for k in range(1, 5)]
                assert i["accumulation"] != "cumulative" or qt == sorted(qt), (i["code"], u, qt)
            else:
                entry = t[str(YEAR)]
                ms = [Decimal(m) for _, m in sorted(entry.get("milestones", {}).items())]
                assert ms == sorted(ms) and all(m <= Decimal(entry["target"]) for m in ms), (i["code"], u)
                assert i["accumulation"] == "cumulative" or "baseline" in entry, (i["code"], u)

    # --- values: decimal strings within the declared places; one row per entered indicator ---
    rows = {}
    for r in values["values"]:
        assert set(r) <= ALLOWED_KEYS["value"], r
        i = inds[r["indicator"]]
        for key, dec in (
            ("value", i["decimals"]),
            ("numerator", i.get("numerator", {}).get("decimals")),
            ("denominator", i.get("denominator", {}).get("decimals")),
        ):
            if key in r:
                assert is_decimal_text(r[key]) and places(r[key]) <= dec, r
        rows[(r["unit"], r["period"], r["indicator"])] = r
    for u in units:
        for p in (Q1, Q2):
            for i in inds.values():
                entered = i["kind"] != "derived" and (u != city or i["aggregation"] == "none")
                assert ((u, p, i["code"]) in rows) == entered, (u, p, i["code"])

    def raw(u: str, p: str, code: str) -> Any:
        r = rows[(u, p, code)]
        return (Decimal(r["numerator"]), Decimal(r["denominator"])) if "numerator" in r else Decimal(r["value"])

    def unit_value(u: str, p: str, code: str) -> Decimal:
        i = inds[code]
        if i["kind"] == "derived":  # at the city: over the city's aggregated inputs and its own baselines
            env = {c: unit_value(u, p, c) for c in inds if c in i["formula"] and inds[c]["kind"] != "derived"}
            base = {c: Decimal(tg[(c, u)][str(YEAR)]["baseline"]) for c in env}
            return rnd(Formula(i["formula"]).eval(env, base), i["decimals"])
        if u == city and i["aggregation"] != "none":
            return city_figure(p, code)
        x = raw(u, p, code)
        return rnd(x[0] / x[1] * Decimal(i["scale"]), i["decimals"]) if i["kind"] == "ratio" else x

    def city_figure(p: str, code: str) -> Decimal:
        i, agg = inds[code], inds[code]["aggregation"]
        if agg == "ratio":
            num = sum(raw(u, p, code)[0] for u in districts)
            den = sum(raw(u, p, code)[1] for u in districts)
            return rnd(num / den * Decimal(i["scale"]), i["decimals"])
        if agg == "formula":
            return unit_value(city, p, code)  # inputs are the city's sums, baselines the city's own
        if agg == "none":
            return Decimal(raw(city, p, code))
        parts = [unit_value(u, p, code) for u in districts]
        if agg in ("max", "min"):
            return max(parts) if agg == "max" else min(parts)
        return sum(parts, Decimal(0))

    # --- the press release, reproduced at city level ---
    for code, figure in SEED_Q2.items():
        got = city_figure(Q2, code)
        assert got == Decimal(figure), f"city {code} {inds[code]['name']}: {got} != {figure}"
    for code in ("E01", "E02"):
        assert sum(Decimal(tg[(code, u)][str(YEAR)]["baseline"]) for u in districts) == Decimal(
            tg[(code, city)][str(YEAR)]["baseline"]
        ), f"city baseline of {code} is not the districts' sum"

    # --- the mid-year evaluation: 11 completed, 26 on track, 2 exceeded ---
    report = {}
    for code in quarterly + annual:
        v = city_figure(Q2, code)
        st, _ = status(inds[code], tg[(code, city)], Q2, v)
        report[code] = (v, st)
    assert all(report[c][1] == "completed" for c in quarterly), {c: report[c] for c in quarterly}
    annual_st = [report[c][1] for c in annual]
    assert (annual_st.count("on track"), annual_st.count("exceeded")) == (26, 2), annual_st
    assert {c for c in annual if report[c][1] == "exceeded"} == EXCEEDED_AT_CITY

    # --- every unit, both quarters: ranges, rules, year-to-date totals, explanations ---
    behind: dict[tuple[str, str], list[str]] = {}
    q1_city = {}
    for u in units:
        for p in (Q1, Q2):
            figures = {c: unit_value(u, p, c) for c in inds}
            for c, i in inds.items():
                v = figures[c]
                lo = Decimal(0) if "min" not in i else (None if i["min"] is None else Decimal(i["min"]))
                pct_ratio = i["kind"] == "ratio" and i["unit"] == "%"
                hi = (
                    Decimal(100)
                    if pct_ratio and "max" not in i
                    else (None if i.get("max") is None else Decimal(i["max"]))
                )
                assert (lo is None or v >= lo) and (hi is None or v <= hi), (u, p, c, v)
                if (u, p, c) in rows and i["kind"] == "ratio":
                    num, den = raw(u, p, c)
                    assert den > 0 and abs(num) <= den, (u, p, c)
                if i["accumulation"] == "cumulative" and p == Q2:
                    assert unit_value(u, Q1, c) <= v, f"year-to-date total falls: {u} {c}"
                needs = []
                if i["assessed"] and u != city:
                    st, must = status(i, tg[(c, u)], p, v)
                    if must:
                        needs.append(f"behind ({st})")
                        behind.setdefault((u, p), []).append(c)
                    assert not (must and i["kind"] == "derived"), f"{u} {p} {c}: nowhere to put the explanation"
                if i.get("change_threshold") and i["accumulation"] == "level" and p == Q2:
                    prev = unit_value(u, Q1, c)
                    change = abs(v - prev) / abs(prev) * 100 if prev else Decimal(0 if v == prev else 999)
                    if change > Decimal(i["change_threshold"]):
                        needs.append(f"change {change:.1f}%")
                if needs and (u, p, c) in rows:
                    assert rows[(u, p, c)].get("explanation"), f"{NAMES[u]} {p} {c} {needs} lacks an explanation"
                elif needs:
                    raise AssertionError(f"{u} {p} {c} {needs} and no row to explain it")
            for rule in template["rules"]:
                left = Formula(rule["left"]).eval(figures, {})
                right = Formula(rule["right"]).eval(figures, {})
                assert OPS[rule["op"]](left, right), f"rule {rule['code']} fails at {u} {p}: {left} vs {right}"
            if u == city and p == Q1:
                q1_city = {
                    c: (figures[c], status(inds[c], tg[(c, city)], Q1, figures[c])[0]) for c in quarterly + annual
                }
    for (u, p), codes in behind.items():
        assert len(codes) <= 3, f"{NAMES[u]} {p}: too many items behind: {codes}"
    for r in values["values"]:  # an explanation only where one is needed keeps the demo honest
        if "explanation" in r:
            assert r["indicator"] in behind.get((r["unit"], r["period"]), []) or inds[r["indicator"]].get(
                "change_threshold"
            ), f"needless explanation: {r}"
    return {"q2": report, "q1": q1_city, "behind": behind}


# ---------------------------------------------------------------------------------------------------------


def dump(doc: dict[str, Any], folder: Path, name: str) -> None:
    with open(folder / name, "w", encoding="utf-8", newline="\n") as f:
        json.dump(doc, f, ensure_ascii=False, indent=1)
        f.write("\n")


def main() -> None:
    # An output folder other than this one lets a test regenerate and compare without touching the originals.
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE
    build()
    template = template_doc()
    values = values_doc(EXPLANATIONS)
    summary = self_check(template, values)
    dump(template, folder, "template-2023.json")
    dump(values, folder, "values-2023.json")
    names = {i["code"]: i["name"] for i in template["indicators"]}
    # The report names indicators in Chinese; a Windows code page such as cp1252 cannot hold them.
    if not sys.stdout.isatty() and hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(encoding="utf-8")
    for code, (v, st) in summary["q2"].items():
        print(f"{code} {names[code]}: 2023Q2 {v} {st}; 2023Q1 {summary['q1'][code][0]} {summary['q1'][code][1]}")
    for (u, p), codes in sorted(summary["behind"].items()):
        print(f"behind at {NAMES[u]} {p}: {', '.join(codes)}")


if __name__ == "__main__":
    main()
