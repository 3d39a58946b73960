from pathlib import Path

from app.engine.progress import Status
from app.storage.db import Database
from tests.app.helpers import check, enter, store_template
from tests.app.sample_templates import CITY, D1, D2, document, indicator, ratio


def test_city_figures_aggregate_children_and_classify(db: Database, tmp_path: Path) -> None:
    spec = store_template(db, document([indicator("A"), ratio("B")]), tmp_path)
    enter(db, spec, D1, "2023Q2", A="30", B=("30", "40"))
    enter(db, spec, D2, "2023Q2", A="25", B=("50", "60"))
    result = check(db, CITY, "2023Q2")
    a, b = result.by_code["A"], result.by_code["B"]
    assert str(a.value) == "55"
    assert a.status is Status.ON_TRACK  # expected 100 × 2/4 = 50
    # ratio of sums: 80 / 100, not the mean of 75 % and 83.3 %
    assert b.value == 80
    assert b.status is Status.ON_TRACK  # baseline 60 → expected 80
