"""The window shows its first form, and saves an edit, without loading SQLAlchemy or the libraries of signing,
sending and the file formats: those load when the clerk first uses them. Each case runs the real program in its
own process, which then reports what it had loaded."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from pathlib import Path

import pytest

from app.cli.main import main
from tests.child import run_python

HEAVY = ("sqlalchemy", "alembic", "openpyxl", "reportlab", "pyhanko", "cryptography", "httpx", "multiprocessing")

# Start the window on the database as main.py does, type one value into the first value cell of the form, close.
EDIT = """
import json, sys
from ui.application import make_application, open_or_create
from ui.form_model import Col
from ui.main_window import MainWindow
from pathlib import Path
app, settings = make_application("zh_CN")
db = open_or_create(Path(sys.argv[1]), demo_default=False)
window = MainWindow(db, settings)
window.show()
app.processEvents()
model = window.model
code = next(i.code for i in window.form.indicators if window.form.editable(i, "value"))
ok = model.setData(model.index_of(code, Col.VALUE), sys.argv[2])
app.processEvents()
window.close()
db.close()
print(json.dumps({"ok": ok, "code": code, "unit": window.form.unit.code, "period": str(window.form.period),
                  "loaded": sorted(m for m in HEAVY if m in sys.modules)}))
"""


def run_child(script: str, *args: str, tmp: Path) -> dict[str, object]:
    folders = {"XDG_DATA_HOME": "data", "XDG_CONFIG_HOME": "config", "XDG_CACHE_HOME": "cache"}
    env = {"QT_QPA_PLATFORM": "offscreen", **{name: str(tmp / sub) for name, sub in folders.items()}}
    out = run_python(f"HEAVY = {HEAVY!r}\n{script}", *args, env=env, timeout=120)
    report: dict[str, object] = json.loads(out.strip().splitlines()[-1])
    return report


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("light-start") / "demo.db"
    assert main(["--db", str(path), "demo"]) == 0
    return path


def test_the_window_starts_on_its_form_without_the_orm(demo_db: Path, tmp_path: Path) -> None:
    probe = (
        "import json, runpy, sys\n"
        "sys.argv = ['main.py', '--db', sys.argv[1], '--smoke']\n"
        "try:\n"
        "    runpy.run_path('main.py', run_name='__main__')\n"
        "except SystemExit as exc:\n"
        "    code = exc.code\n"
        "print(json.dumps({'exit': code, 'loaded': sorted(m for m in HEAVY if m in sys.modules)}))\n"
    )
    report = run_child(probe, str(demo_db), tmp=tmp_path)
    assert report == {"exit": 0, "loaded": []}


def test_an_edit_is_saved_with_its_audit_row_without_the_orm(demo_db: Path, tmp_path: Path) -> None:
    report = run_child(EDIT, str(demo_db), "4321", tmp=tmp_path)
    assert report["ok"] is True
    assert report["loaded"] == []
    # What the window saved is in the file, with the audit row of the change, as any other path writes them.
    with contextlib.closing(sqlite3.connect(demo_db)) as conn:
        value = conn.execute(
            "SELECT v.value FROM submission_values v JOIN indicators i ON i.id = v.indicator_id "
            "JOIN submissions s ON s.id = v.submission_id JOIN units u ON u.id = s.unit_id "
            "WHERE i.code = ? AND u.code = ? AND s.period = ? ORDER BY s.revision DESC LIMIT 1",
            (report["code"], report["unit"], report["period"]),
        ).fetchone()
        audit = conn.execute(
            'SELECT "user", action, field, new FROM audit_log WHERE indicator_code = ? AND unit_code = ? '
            "ORDER BY id DESC LIMIT 1",
            (report["code"], report["unit"]),
        ).fetchone()
    assert value == ("4321",)
    assert audit[1:] == ("edit", "value", "4321")
    assert audit[0]
