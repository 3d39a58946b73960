# Two entry points for a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test windows-check bench bundle bundle-smoke translations clean-venv

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.dev-installed: $(VENV)/.installed pyproject.toml
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

run: $(VENV)/.installed
	$(PY) main.py

test: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	$(PY) -m pytest

# tests/app and the command line under Windows Python in Wine, Chinese and English code pages (build/README.md).
windows-check: $(VENV)/.dev-installed
	$(PY) build/wine/windows_check.py

bench: $(VENV)/.installed
	$(PY) bench/bench_check.py
	$(PY) bench/bench_cli.py
	$(PY) bench/bench_ui.py
	$(PY) bench/bench_submission.py
	$(PY) bench/bench_city_import.py
	$(PY) bench/bench_bundle.py
	$(PY) bench/bench_intake.py
	$(PY) bench/bench_hostile.py
	$(PY) bench/bench_outbox_idle.py

# The one-folder desktop bundle in pyi-dist/Tianbao/ (PyInstaller's work folder: pyi-work/; both git-ignored).
bundle: $(VENV)/.dev-installed
	$(VENV)/bin/pyinstaller build/tianbao.spec --noconfirm --workpath pyi-work --distpath pyi-dist

# Build the bundle and run it offscreen: start the window, demo database, check, sign and export a PDF.
bundle-smoke:
	bash build/smoke.sh

# Refresh the English translation source from the code (keeps existing translations), then compile it.
translations: $(VENV)/.installed
	$(VENV)/bin/pyside6-lupdate ui/*.py -ts resources/translations/tianbao_en.ts -no-obsolete -target-language en
	$(VENV)/bin/pyside6-lrelease resources/translations/tianbao_en.ts -qm resources/translations/tianbao_en.qm

clean-venv:
	rm -rf $(VENV)
