"""A unit's signed submission: the canonical payload and its signature, the Excel and PDF files that carry it, and
their verifiers."""
