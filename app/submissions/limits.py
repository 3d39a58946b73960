"""How much a submission file may make the verifier do: every limit in one place (``docs/submission-format.md``,
"Limits").

Each read of an archive or a PDF is measured against these as it goes, whatever the file says about itself (the
sizes in a zip index, the lengths of PDF streams), so no file up to the size limit takes more than about two
seconds or a few hundred megabytes to verify or refuse. A genuine submission of the largest payload the schema
allows stays far inside every limit.
"""

from __future__ import annotations

import time

from app.submissions.signing import VerificationError

MiB = 1024 * 1024

# Any submission file.
MAX_FILE_BYTES = 50 * MiB
MAX_SECONDS = 2.0  # wall-clock time for reading and comparing one file (signature checks come on top)
# The canonical envelope: 39 indicators with the longest explanations are about 250 KB.
MAX_ENVELOPE_BYTES = 4 * MiB

# The Excel file (a zip archive of XML parts).
MAX_PARTS = 200
MAX_UNCOMPRESSED = 48 * MiB  # all parts together, counted as they are inflated
MAX_RATIO = 200  # a part over RATIO_FLOOR compressed more than this is a bomb, refused before inflating
RATIO_FLOOR = 64 * 1024
MAX_CELLS = 300_000  # cells read from all sheets of a workbook
MAX_CHUNKS = 4000  # chunks of the envelope in the hidden sheet

# The PDF file.
MAX_PDF_OBJECTS = 20_000  # indirect objects and cross-reference entries
MAX_PDF_REVISIONS = 2  # the drawn pages and the one update that attaches the envelope and signs


class Budget:
    """Bytes read and time spent on one file; exceeding either refuses the file as ``unreadable``."""

    def __init__(self, max_bytes: int = MAX_UNCOMPRESSED, seconds: float = MAX_SECONDS) -> None:
        self.left = max_bytes
        self.deadline = time.monotonic() + seconds

    def spend(self, n: int) -> None:
        self.left -= n
        if self.left < 0:
            raise VerificationError("unreadable", "文件解压后过大（可能是“压缩炸弹”），已拒绝")
        self.check_time()

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise VerificationError("unreadable", "文件过于复杂，核验超时，已拒绝")
