"""The wheel ships what synsp needs at run time: every weight file and embedded data file is matched by
the package-data patterns of pyproject.toml (checked without building: `python -m build --wheel` takes
seconds but needs the network for its isolated build environment)."""

from fnmatch import fnmatch
from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "synsp"


def _config() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _shipped(pattern_list: list[str], relative: str) -> bool:
    # setuptools package-data globs are relative to the package and '*' does not cross a folder
    return any(fnmatch(relative, p) and relative.count("/") == p.count("/") for p in pattern_list)


@pytest.mark.parametrize("folder", ["weights", "data/embedded"])
def test_every_shipped_file_is_in_the_package_data(folder):
    patterns = _config()["tool"]["setuptools"]["package-data"]["synsp"]
    files = [p for p in (PACKAGE / folder).rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    assert files, folder
    missing = [str(p.relative_to(PACKAGE)) for p in files
               if not _shipped(patterns, p.relative_to(PACKAGE).as_posix())]
    assert not missing, f"not matched by [tool.setuptools.package-data] synsp = {patterns}: {missing}"


def test_metadata_is_publishable():
    """What `twine check` and PyPI look at: a readme with its type, an SPDX license with its file, the
    version from the package, a console script; no build requirement a current setuptools does not need."""
    config = _config()
    project = config["project"]
    assert project["readme"] == "README.md" and (ROOT / "README.md").is_file()
    assert project["license"] == "MIT" and all((ROOT / f).is_file() for f in project["license-files"])
    assert "version" in project["dynamic"] and project["scripts"]["synsp"] == "synsp.cli:main"
    assert config["build-system"]["requires"] == ["setuptools>=77"]
