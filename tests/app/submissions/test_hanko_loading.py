"""pyHanko's package ``pyhanko.sign`` with its ``__init__`` deferred (app/submissions/hanko_loading.py) imports as
pyHanko's own modules and ours expect, in every way they import it. Each case runs in a fresh interpreter: this
one has loaded pyHanko long since. (Verifying a PDF and then signing one in the same process: test_export_pdf.)"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


def fresh(body: str) -> dict[str, object]:
    """What ``body`` (run after defer_signers, in a new interpreter) prints as JSON on its last line."""
    script = "import json, sys\nfrom app.submissions.hanko_loading import defer_signers\ndefer_signers()\n"
    done = subprocess.run(
        [sys.executable, "-c", script + textwrap.dedent(body)], capture_output=True, text=True, cwd=REPO, timeout=300
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_validation_loads_without_the_signers_or_aiohttp() -> None:
    seen = fresh(
        """
        from pyhanko.sign.validation import validate_pdf_signature
        from pyhanko.sign import fields  # a module of the package, asked for as its attribute
        names = ("aiohttp", "pyhanko.sign.signers", "pyhanko.sign.timestamps")
        print(json.dumps({name: name in sys.modules for name in names}))
        """
    )
    assert seen == {"aiohttp": False, "pyhanko.sign.signers": False, "pyhanko.sign.timestamps": False}


@pytest.mark.parametrize(
    "imports",
    [
        "import pyhanko.sign.signers",  # whose modules import `from pyhanko.sign import attributes`
        "from pyhanko.sign.signers.pdf_signer import PdfSigner",
        "from pyhanko.pdf_utils.crypt import pdfmac",  # what reading an encrypted PDF imports
        "from pyhanko.sign import signers",
        "from pyhanko.sign import PdfSigner",
        "import pyhanko.sign; pyhanko.sign.sign_pdf",
    ],
)
def test_every_way_of_importing_the_signers_works_and_the_package_is_whole_after(imports: str) -> None:
    seen = fresh(
        f"""
        {imports}
        import pyhanko.sign, pyhanko.sign.signers
        from pyhanko.sign import PdfSigner, sign_pdf, DEFAULT_MD
        print(json.dumps({{"same": PdfSigner is pyhanko.sign.signers.PdfSigner and sign_pdf is pyhanko.sign.sign_pdf,
                          "md": DEFAULT_MD, "all": sorted(pyhanko.sign.__all__) == sorted(set(pyhanko.sign.__all__))}}))
        """
    )
    assert seen == {"same": True, "md": "sha256", "all": True}


def test_threads_asking_for_the_package_s_names_at_once_all_get_them() -> None:
    seen = fresh(
        """
        import threading
        got, errors = [], []
        start = threading.Barrier(8)
        def ask():
            start.wait()
            try:
                from pyhanko.sign import PdfSigner, PdfSignatureMetadata
                got.append((PdfSigner, PdfSignatureMetadata))
            except BaseException as exc:
                errors.append(repr(exc))
        threads = [threading.Thread(target=ask) for _ in range(8)]
        for thread in threads: thread.start()
        for thread in threads: thread.join()
        print(json.dumps({"got": len(got), "alike": len(set(got)), "errors": errors}))
        """
    )
    assert seen == {"got": 8, "alike": 1, "errors": []}


def test_a_package_imported_already_is_left_as_it_is() -> None:
    seen = fresh(
        """
        import importlib
        before = sys.modules["pyhanko.sign"]
        defer_signers()  # a second call changes nothing
        import pyhanko.sign.validation
        from pyhanko.sign import PdfSigner
        print(json.dumps({"same": sys.modules["pyhanko.sign"] is before}))
        """
    )
    assert seen == {"same": True}
