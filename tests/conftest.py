import os

# xlwings' Book(json=...) engine needs a licence key; the noncommercial one is for tests only.
# Set before any test module imports xlwings, whatever order the files are collected in.
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")

import pytest  # noqa: E402

from reference import three_feature_csv

from libreoffice import LibreOffice, LibreOfficeUnavailable


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in the default language (Korean), as every command does: a workbook
    read in one test (which sets its language in use) must not speak for the next."""
    from gradsheet.core.messages import DEFAULT_LANG, use
    use(DEFAULT_LANG)


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


@pytest.fixture(scope="session")
def gnumeric():
    """Gnumeric's ssconvert, the second engine. Missing skips locally, but fails when CI=true
    (CI installs it: a skipped proof there would hide a missing engine)."""
    import shutil
    exe = shutil.which("ssconvert")
    if exe is None:
        if os.environ.get("CI", "").strip().lower() in ("true", "1", "yes"):
            pytest.fail("Gnumeric's ssconvert is required when CI=true", pytrace=False)
        pytest.skip("Gnumeric's ssconvert is not installed (apt-get install gnumeric)")
    return exe


@pytest.fixture(params=["lemonade", "three"])
def built(request, tmp_path):
    """The course workbook, and one of a 3-feature table (gradsheet.build.Built): a private copy,
    built once a session."""
    from gradsheet.build import make
    from shared_builds import built_copy
    if request.param == "lemonade":
        return built_copy("lemonade", tmp_path, lambda d: make(None, d / "lemonade.xlsx"))
    return built_copy("three", tmp_path, lambda d: make(three_feature_csv(d / "three.csv"), d / "three.xlsx",
                                                         lr=0.0005))


def pytest_configure(config):
    config.addinivalue_line("markers", "libreoffice: needs a real LibreOffice (slow); "
                                       "`pytest -m 'not libreoffice'` is the fast loop")
    config.addinivalue_line("markers", "gnumeric: needs Gnumeric's ssconvert (a second spreadsheet "
                                       "engine); skipped where it is not installed")
    config.addinivalue_line("markers", "install: makes a virtual environment and pip-installs the checkout "
                                       "from the package index (minutes; runs in CI or with "
                                       "GRADSHEET_TEST_INSTALL=1)")


def pytest_collection_modifyitems(items):
    """Every test that asks for the LibreOffice (Gnumeric) fixture carries its marker, so the
    fast loop cannot forget one."""
    for item in items:
        for engine in ("libreoffice", "gnumeric"):
            if engine in getattr(item, "fixturenames", ()):
                item.add_marker(getattr(pytest.mark, engine))


@pytest.fixture(autouse=True)
def default_language():
    """Every test starts in the default language (Korean) and leaves it so: a command run in
    the test process (`gradsheet addin --lang en`, `build --lang en`) sets the language in use
    with core.messages.use, which would otherwise carry over to the tests after it."""
    from gradsheet.core import messages
    messages.use(messages.DEFAULT_LANG)
    yield
    messages.use(messages.DEFAULT_LANG)
