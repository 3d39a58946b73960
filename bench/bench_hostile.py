"""Verifying the hostile corpus: the slowest file of each class and the peak memory, against the limits of
app/submissions/limits.py (about 2 s and 300 MB per file). Run from the repository: python bench/bench_hostile.py"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    from app.demo import create_demo
    from app.storage.catalogs import load_spec
    from app.storage.store import catalog_for_year
    from app.submissions.export_pdf import sign_pdf
    from app.submissions.signing import canonical, sign_payload
    from app.submissions.verify import verify_submission
    from tests.app.signing_helpers import PASSPHRASE, keystore_with_units, signed_envelope
    from tests.app.submissions.hostile_corpus import Material, corpus

    with tempfile.TemporaryDirectory() as folder:
        db = create_demo(Path(folder) / "demo.db")
        with db.session() as session:
            catalog = catalog_for_year(session, 2023)
            assert catalog is not None
            spec = load_spec(session, catalog)
        keys = keystore_with_units(Path(folder) / "test-keys", spec, ["520103"])
        envelope = signed_envelope(db, keys, "520103", "2023Q2")
        db.close()
        key, cert, ca = keys.unit_key("520103", PASSPHRASE), keys.unit_certificate("520103"), keys.city_certificate()
        material = Material(
            envelope,
            lambda p: sign_payload(p, key, cert),
            lambda pages, env: sign_pdf(pages, canonical(env), key, cert, [ca], env.get("payload") or {}),
        )
        cases = corpus(material)
        slowest: dict[str, tuple[float, str]] = {}
        for case in cases:
            t0 = time.perf_counter()
            verdict = verify_submission(case.data, ca, name=f"x{case.suffix}")
            took = time.perf_counter() - t0
            assert not verdict.valid, case.name
            if took > slowest.get(case.cls, (0.0, ""))[0]:
                slowest[case.cls] = (took, case.name)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{len(cases)} hostile files, all refused")
        for cls, (took, name) in sorted(slowest.items()):
            print(f"  {cls:<10} slowest {took * 1000:7.0f} ms  ({name})")
        print(f"  peak RSS of the whole run (corpus in memory included): {peak:.0f} MB")


if __name__ == "__main__":
    main()
