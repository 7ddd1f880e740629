import os

import pytest

from libreoffice import LibreOffice, LibreOfficeUnavailable


@pytest.fixture(scope="session")
def libreoffice():
    """One headless soffice for the whole session (start-up costs ~1-2 s).

    Missing soffice/uno skips locally, but fails when CI=true: in CI the
    LibreOffice proofs are the point and must never be skipped silently.
    """
    lo = LibreOffice()
    try:
        lo.start()
    except LibreOfficeUnavailable as exc:
        if os.environ.get("CI", "").strip().lower() in ("true", "1", "yes"):
            pytest.fail(f"LibreOffice is required when CI=true: {exc}", pytrace=False)
        pytest.skip(f"LibreOffice not available: {exc}")
    try:
        yield lo
    finally:
        lo.stop()
