"""Benchmark of the city's import of 1,000 signed submission files against PRODUCT.md §7. Prints figures; asserts
nothing.

Target: "city: verify, import and aggregate 1,000 submission files ≤ 30 s, cancellable, window stays responsive".

Generation (timed and printed, not part of the measured figure): the demo database and demo keys; its 11 districts
× 2023Q1 and 2023Q2 are 22 forms. They are signed in turn, round after round: after the first signature of a form
each round changes one explanation ("修订 n"), which opens the next revision after the locked one, then signs and
locks it. Every tenth file is the signed PDF, the others the submission workbook, so both kinds are verified.
Generating takes a minute or more, so the files (with the districts' database and keys) are kept in a cache folder
named after the number of files, the program version, the demo template and the schema (``--cache``; ``--fresh``
makes them again). Files made by a program that writes other bytes would be refused by the import: the outcomes say so.

The city (measured): a fresh city database; the demo template signed by the city and imported; then
``import_submissions`` over the folder of files, with a progress callback that stamps the time of each file (the
per-file figures are the deltas between its calls), then the city's aggregation and check (``check_unit`` of
520100, 2023Q2 and 2023Q1). The total of import and aggregation is set against the 30 s target. Cancellation is
shown in a separate short run on another fresh city database: the cancel token is set after 50 files.

Baseline in the same run: what a city analyst would otherwise write, a plain ``pandas.read_excel(path,
sheet_name="报送表")`` loop over the same workbooks (no verification, nothing stored; the PDFs are skipped), per
file. Every other workbook is read right before the import and the rest right after it, so a change in the
machine's speed during the run weighs on both sides of the ratio alike; the two halves are printed apart. pandas
is not a dependency of Tianbao: it is installed into the running environment on demand (``pip install pandas``)
when missing; if that fails, the baseline falls back to a plain openpyxl load loop and says so.

The responsiveness of the window during an import is not measured here. Peak RSS is of this whole process
(generation included); the RSS the import itself adds is printed beside it.

Run: ``python bench/bench_city_import.py`` (``--files``, default 1000; ``--cache DIR``, ``--fresh``).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

CITY = "520100"
TARGET_S = 30.0
TARGET_FAST_S, TARGET_RATIO = 5.0, 0.3  # the next targets: a fraction of a plain read of the same files
PDF_EVERY = 10  # one file in ten is a PDF
CANCEL_AFTER = 50
AGG_RUNS = 5
SHEET = "报送表"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def current_rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def stats(label: str, ms: list[float], suffix: str = "") -> None:
    ordered = sorted(ms)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    print(
        f"  {label:<40} median {statistics.median(ms):7.1f} ms   mean {statistics.fmean(ms):7.1f}   "
        f"p95 {p95:7.1f}   max {max(ms):7.1f}   (n={len(ms)}){suffix}"
    )


def generate(tmp: Path, n: int) -> tuple[Any, Path, Any]:
    """The demo districts' database and keys, and ``n`` signed submission files in ``tmp/submissions``."""
    from app import __version__
    from app.demo import DEMO_PASSPHRASE, create_demo
    from app.engine.periods import Period
    from app.storage.catalogs import load_spec
    from app.storage.store import Change, apply_changes, catalog_for_year
    from app.submissions.export_pdf import write_submission_pdf
    from app.submissions.export_xlsx import write_submission_xlsx
    from app.submissions.signing import sign_and_lock
    from app.trust.keys import KeyStore

    start = time.perf_counter()
    db = create_demo(tmp / "districts" / "demo.db")
    keys = KeyStore(tmp / "districts" / "keys")
    with db.session() as session:
        catalog = catalog_for_year(session, 2023)
        assert catalog is not None
        spec = load_spec(session, catalog)
    districts = [u.code for u in spec.units if u.parent is not None]
    forms = [(unit, Period(2023, q)) for q in (1, 2) for unit in districts]
    # The explanation changed for a new revision: the first indicator the district enters itself.
    code = {
        unit: next(ind.code for ind in spec.indicators if ind.kind != "derived" and spec.entered_at(ind, unit))
        for unit in districts
    }
    print(
        f"demo database, demo keys: {len(districts)} districts, {len(forms)} forms, "
        f"made in {(time.perf_counter() - start) * 1000:.0f} ms"
    )
    out = tmp / "submissions"
    out.mkdir()
    start = time.perf_counter()
    kinds: Counter[str] = Counter()
    for i in range(n):
        unit, period = forms[i % len(forms)]
        if i >= len(forms):  # the form's last revision is signed and locked: an edit opens the next one
            with db.transaction() as session:
                # As the demo's own figures: on the demo's day (2023-07-10) its calendar has closed 2023Q1.
                change = [Change(code[unit], explanation=f"修订 {i}")]
                apply_changes(session, spec, unit, period, change, "bench", action="demo")
        signed = sign_and_lock(db, keys, unit, period, DEMO_PASSPHRASE, "bench")
        name = out / f"{unit}-{period}-r{signed.revision:03d}"
        if i % PDF_EVERY == PDF_EVERY - 1:
            write_submission_pdf(signed.envelope, name.with_suffix(".pdf"), keys, DEMO_PASSPHRASE, __version__)
            kinds["pdf"] += 1
        else:
            write_submission_xlsx(signed.envelope, name.with_suffix(".xlsx"), __version__)
            kinds["xlsx"] += 1
    elapsed = time.perf_counter() - start
    size = sum(p.stat().st_size for p in out.iterdir()) / 1024 / 1024
    print(
        f"generated {n} signed files ({kinds['xlsx']} .xlsx, {kinds['pdf']} .pdf, {size:.1f} MB; up to "
        f"{-(-n // len(forms))} revisions per form) in {elapsed:.1f} s, {elapsed / n * 1000:.0f} ms per file "
        "(edit + sign_and_lock + export; not part of the measured figure)"
    )
    print(f"  peak RSS after generation: {peak_rss_mb():.0f} MB")
    return db, out, keys


def cache_folder(n: int) -> Path:
    """The default cache of generated files: one per number of files, program version, demo template and database
    schema (the districts' database is kept with the files)."""
    from app import __version__
    from app.demo import TEMPLATE
    from app.storage.db import MIGRATIONS_DIR

    schema = sorted(p.name for p in (MIGRATIONS_DIR / "versions").glob("*.py"))
    digest = hashlib.sha256(TEMPLATE.read_bytes() + repr(schema).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"tianbao-bench-city-import-{n}-{__version__}-{digest}"


def cached_or_generated(cache: Path, n: int, fresh: bool) -> tuple[Any, Path, Any]:
    """The districts' database, the folder of ``n`` signed files and the keys: from ``cache`` when it holds a
    complete set, else generated into it."""
    from app.storage.db import Database
    from app.trust.keys import KeyStore

    done = cache / "COMPLETE"
    if done.exists() and not fresh:
        folder = cache / "submissions"
        print(f"{n} signed files from the cache {cache} (made {done.read_text().strip()}; --fresh makes them again)")
        return Database(cache / "districts" / "demo.db"), folder, KeyStore(cache / "districts" / "keys")
    shutil.rmtree(cache, ignore_errors=True)
    cache.mkdir(parents=True)
    db, folder, keys = generate(cache, n)
    done.write_text(time.strftime("%Y-%m-%d %H:%M:%S"))
    return db, folder, keys


def city_database(folder: Path, keys: Any) -> Any:
    """A fresh city database with the demo template, signed by the city and imported."""
    from app.demo import DEMO_PASSPHRASE, TEMPLATE
    from app.storage.db import Database
    from app.templates.signing import import_signed_template_file, sign_template

    folder.mkdir(parents=True)
    db = Database(folder / "city.db")
    template = folder / TEMPLATE.name
    shutil.copyfile(TEMPLATE, template)
    sign_template(template, keys, DEMO_PASSPHRASE)
    import_signed_template_file(db, keys, template)
    return db


def bench_import(tmp: Path, folder: Path, keys: Any, districts_db: Any) -> tuple[list[Path], list[float], float]:
    """The measured run; returns the files in import order, each one's milliseconds, and the total seconds."""
    from app.city.importer import collect_files, import_submissions
    from app.engine.periods import Period
    from app.storage.checks import check_unit

    start = time.perf_counter()
    db = city_database(tmp / "city", keys)
    print(f"city database, demo template signed and imported in {(time.perf_counter() - start) * 1000:.0f} ms")
    files = collect_files([folder])
    stamps: list[float] = []

    def progress(done: int, total: int) -> None:
        stamps.append(time.perf_counter())

    rss_before = current_rss_mb()
    start = time.perf_counter()
    results = import_submissions(db, keys, [folder], progress=progress)
    import_s = time.perf_counter() - start
    rss_after = current_rss_mb()
    deltas = [(b - a) * 1000 for a, b in zip([start, *stamps[:-1]], stamps, strict=True)]
    n = len(results)
    statuses = Counter(r.status for r in results)
    print(f"(a) import_submissions over {n} files (verify each, store its revision)")
    print(
        f"  total {import_s:.2f} s, {import_s / n * 1000:.1f} ms per file overall; "
        f"{len(stamps)} progress calls; outcomes: {dict(statuses)}"
    )
    stats("per file (progress-callback deltas)", deltas)
    for suffix in (".xlsx", ".pdf"):
        part = [d for d, f in zip(deltas, files, strict=True) if f.suffix == suffix]
        if part:
            stats(f"per {suffix} file", part)
    print(f"  RSS {rss_before:.0f} MB before the import, {rss_after:.0f} MB after")

    print(f"(b) city aggregation and check, check_unit({CITY!r}, period), first call and median of {AGG_RUNS}")
    agg_first_ms = 0.0
    with db.session() as session:
        for period in (Period(2023, 2), Period(2023, 1)):
            t0 = time.perf_counter()
            result = check_unit(session, CITY, period)
            first = (time.perf_counter() - t0) * 1000
            agg_first_ms += first
            runs = []
            for _ in range(AGG_RUNS):
                t0 = time.perf_counter()
                check_unit(session, CITY, period)
                runs.append((time.perf_counter() - t0) * 1000)
            with districts_db.session() as other:
                own = check_unit(other, CITY, period)
            differ = [ic.spec for ic in result.indicators if ic.value != own.by_code[ic.spec.code].value]
            # An indicator the city enters itself (aggregation "none") is in no district file.
            note = ", ".join(f"{s.code} (aggregation {s.aggregation!r})" for s in differ) or "none"
            print(
                f"  {period}: first {first:6.1f} ms, median {statistics.median(runs):6.1f} ms; "
                f"{len(result.indicators) - len(differ)} of {len(result.indicators)} city values equal the "
                f"districts' database's (differ: {note})"
            )
    db.close()

    total_s = import_s + agg_first_ms / 1000
    verdict = "met" if total_s <= TARGET_S else "MISSED"
    fast = "met" if total_s <= TARGET_FAST_S else "MISSED"
    print(
        f"(a)+(b) verify + import + aggregate {n} files: {total_s:.2f} s, {total_s / n * 1000:.1f} ms per file  "
        f"[target ≤ {TARGET_S:.0f} s: {verdict}; ≤ {TARGET_FAST_S:.0f} s: {fast}]"
    )
    return files, deltas, total_s


def bench_cancel(tmp: Path, folder: Path, keys: Any) -> None:
    from app.city.importer import CancelToken, import_submissions

    db = city_database(tmp / "city-cancel", keys)
    token = CancelToken()
    marks: dict[str, float] = {}
    calls = 0

    def progress(done: int, total: int) -> None:
        nonlocal calls
        calls += 1
        if done == CANCEL_AFTER:
            token.cancel()
            marks["cancel"] = time.perf_counter()

    start = time.perf_counter()
    results = import_submissions(db, keys, [folder], progress=progress, cancel=token)
    end = time.perf_counter()
    db.close()
    done = sum(r.status != "cancelled" for r in results)
    print(f"(c) cancellation: a fresh city database, the cancel token set after {CANCEL_AFTER} files")
    if "cancel" not in marks:
        print(f"  fewer than {CANCEL_AFTER} files: nothing to cancel ({done} processed)")
        return
    print(
        f"  {done} files processed, {len(results) - done} reported cancelled, {calls} progress calls; "
        f"returned {(end - marks['cancel']) * 1000:.2f} ms after cancel() (run {end - start:.2f} s in all)"
    )


def baseline_reader() -> tuple[str, Callable[[Path], Any]]:
    """pandas.read_excel of the printed sheet, pandas installed on demand; else a plain openpyxl load."""
    try:
        start = time.perf_counter()
        pandas = importlib.import_module("pandas")
        how = "already installed"
    except ImportError:
        print("  pandas is missing: pip install pandas …")
        proc = subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "pandas"], capture_output=True, text=True, check=False
        )
        importlib.invalidate_caches()
        try:
            start = time.perf_counter()
            pandas = importlib.import_module("pandas")
            how = "installed now"
        except ImportError:
            why = proc.stderr.strip()[-200:] or f"pip exit status {proc.returncode}"
            print(f"  pandas could not be installed ({why}); falling back to openpyxl")
            pandas = None
    if pandas is not None:
        print(
            f"  pandas {pandas.__version__} ({how}), import {(time.perf_counter() - start) * 1000:.0f} ms (not counted)"
        )
        return "pandas.read_excel(path, sheet_name='报送表')", lambda p: pandas.read_excel(p, sheet_name=SHEET)

    import openpyxl

    def load(path: Path) -> Any:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            return list(wb[SHEET].iter_rows(values_only=True))
        finally:
            wb.close()

    return "openpyxl.load_workbook + rows of '报送表' (FALLBACK: pandas unavailable)", load


def read_loop(read: Callable[[Path], Any], paths: list[Path]) -> list[float]:
    """Milliseconds of ``read`` for each of ``paths``, one after another."""
    ms = []
    for path in paths:
        t0 = time.perf_counter()
        read(path)
        ms.append((time.perf_counter() - t0) * 1000)
    return ms


def bench_baseline(
    label: str, files: list[Path], deltas: list[float], total_s: float, before: list[float], after: list[float]
) -> None:
    print("(d) baseline: the analyst's plain loop over the same workbooks (no verification, nothing stored)")
    ms = before + after
    n_xlsx = len(ms)
    per_file = sum(ms) / 1000 / n_xlsx
    print(
        f"  {label}: {n_xlsx} .xlsx files (PDFs skipped) in {sum(ms) / 1000:.2f} s, {per_file * 1000:.1f} ms per "
        f"file; scaled to {len(files)} files: {per_file * len(files):.1f} s"
    )
    print(
        f"  read right before the import {statistics.fmean(before):.1f} ms per file (n={len(before)}), right after "
        f"it {statistics.fmean(after):.1f} ms (n={len(after)})"
    )
    stats("baseline per .xlsx file", ms)
    ours = [d for d, f in zip(deltas, files, strict=True) if f.suffix == ".xlsx"]
    print(
        f"  ours / baseline per .xlsx file: {statistics.median(ours) / statistics.median(ms):.2f}× (medians), "
        f"{statistics.fmean(ours) / statistics.fmean(ms):.2f}× (means); "
        f"ours {statistics.median(ours):.1f} ms vs {statistics.median(ms):.1f} ms"
    )
    print(
        f"  ours in all / baseline in all: verify + import + aggregate {len(files)} files {total_s:.2f} s vs the loop "
        f"scaled to {len(files)} files {per_file * len(files):.2f} s = {total_s / (per_file * len(files)):.2f}×  "
        f"[target ≤ {TARGET_RATIO}×: {'met' if total_s / (per_file * len(files)) <= TARGET_RATIO else 'MISSED'}]"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=1000, help="signed submission files to generate and import")
    parser.add_argument("--cache", type=Path, help="folder of the generated files (default: in the temp folder)")
    parser.add_argument("--fresh", action="store_true", help="generate the files again even when cached")
    args = parser.parse_args()
    os.environ.pop("TIANBAO_KEYS", None)  # keys beside each benchmark database
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        districts_db, folder, keys = cached_or_generated(args.cache or cache_folder(args.files), args.files, args.fresh)
        from app.city.importer import collect_files

        workbooks = [f for f in collect_files([folder]) if f.suffix == ".xlsx"]
        print("baseline reader for (d), half of its files read now and half after the import:")
        label, read = baseline_reader()
        read(workbooks[0])  # warm-up
        before = read_loop(read, workbooks[0::2])
        try:
            files, deltas, total_s = bench_import(tmp, folder, keys, districts_db)
        finally:
            districts_db.close()
        bench_cancel(tmp, folder, keys)
        after = read_loop(read, workbooks[1::2])
        bench_baseline(label, files, deltas, total_s, before, after)
    print(f"peak RSS of the process (generation, import and baseline): {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
