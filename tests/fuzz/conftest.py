import pytest
from fuzz_counts import report


@pytest.fixture(scope="session", autouse=True)
def _fuzz_report():
    yield
    report()
