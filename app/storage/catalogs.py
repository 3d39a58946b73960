"""A stored catalog read back as the engine's :class:`CatalogSpec`, as its template gave it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.engine.catalog import CatalogSpec
from app.storage.reads import spec_of

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from app.storage.models import Catalog


def load_spec(session: Session, catalog: Catalog) -> CatalogSpec:
    """Build the :class:`CatalogSpec` of a stored catalog."""
    spec = spec_of(session, catalog.id)
    assert spec is not None, "a catalog the session holds is in the database"
    return spec
