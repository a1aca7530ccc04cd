"""The README leads: short, in order, with a table of contents, and every example real.

Every `synsp ...` line of the README's and docs/results.md's shell blocks names an existing command
and existing options; the README's `synsp refine` examples and its Python blocks run on files made
from the embedded data."""

import re
import runpy
import shlex
import shutil
from pathlib import Path

import click
import numpy as np
import pytest

from synsp.cli import cli, main
from synsp.io import read_trc

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
RESULTS = (ROOT / "docs" / "results.md").read_text()
ORDER = ["Two commands", "Refine your files", "Python API and streaming", "Choosing a method",
         "Train on your own clips", "Module map", "Results", "Limitations"]


def blocks(text: str, lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", text, flags=re.S)


def shell_lines(text: str) -> list[str]:
    """The command lines of the ``bash`` blocks (continuations joined, comments cut)."""
    out = []
    for block in blocks(text, "bash"):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                out.append(line)
    return out


def synsp_commands(text: str) -> list[list[str]]:
    """Each ``synsp ...`` / ``python -m synsp ...`` invocation (also after ``&&``), as arguments."""
    found = []
    for line in shell_lines(text):
        for part in line.split("&&"):
            words = shlex.split(part, comments=True)
            for k, w in enumerate(words):
                if w.endswith("synsp") and (k == 0 or words[k - 1] == "-m" or "/" in w):
                    found.append(words[k + 1:])
                    break
    return found


def resolve(args: list[str]) -> tuple[click.Command, list[str]]:
    command, rest = cli, list(args)
    while isinstance(command, click.Group) and rest and not rest[0].startswith("-"):
        assert rest[0] in command.commands, f"no command {rest[0]!r} in `synsp {' '.join(args)}`"
        command, rest = command.commands[rest[0]], rest[1:]
    return command, rest


def test_readme_is_short_ordered_and_has_a_table_of_contents():
    assert len(README.splitlines()) < 400
    heads = [h for h in re.findall(r"^## (.+)$", README, flags=re.M) if h not in ("Contents", "Licence")]
    assert heads == ORDER
    assert README.index("## Contents") < README.index("## Two commands")
    anchors = {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-") for h in re.findall(r"^#+ (.+)$", README, re.M)}
    for link in re.findall(r"\]\(#([^)]+)\)", README):
        assert link in anchors, link
    for link in re.findall(r"\]\(docs/results\.md#([^)]+)\)", README):
        doc_anchors = {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-")
                       for h in re.findall(r"^#+ (.+)$", RESULTS, re.M)}
        assert link in doc_anchors, link


def test_the_two_commands_are_kept():
    two = README[README.index("## Two commands"):README.index("## Refine your files")]
    assert ('python3 -m venv .venv && .venv/bin/pip install torch==2.13.0 && .venv/bin/pip install -e ".[plot]" '
            '&& .venv/bin/synsp demo') in two
    assert ('python3 -m venv .venv && .venv/bin/pip install torch==2.13.0 && .venv/bin/pip install -e ".[test]" '
            '&& .venv/bin/python -m pytest -q') in two


def test_results_document_has_the_robustness_placeholder_first_and_the_tables():
    heads = re.findall(r"^## (.+)$", RESULTS, flags=re.M)
    assert heads[:3] == ["Contents", "Robustness", "Results"]
    assert RESULTS.count("\n|---") >= 25  # the tables moved from the README


@pytest.mark.parametrize("where", ["README.md", "docs/results.md"])
def test_every_synsp_command_and_option_in_the_docs_exists(where):
    text = README if where == "README.md" else RESULTS
    commands = synsp_commands(text)
    assert commands
    for args in commands:
        command, rest = resolve(args)
        names = {o for p in command.params for o in getattr(p, "opts", []) + getattr(p, "secondary_opts", [])}
        for word in rest:
            if word.startswith("-") and not re.fullmatch(r"-?\d[\d.e-]*", word):
                assert word.split("=")[0] in names, f"`synsp {' '.join(args)}`: no option {word}"
    for line in shell_lines(text):  # benchmark scripts named in the docs exist
        for script in re.findall(r"(benchmarks/[\w./-]+\.(?:py|sh))", line):
            assert (ROOT / script).is_file(), script


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    """The README's example files, made from the embedded data (benchmarks/many_files.py)."""
    made = runpy.run_path(str(ROOT / "benchmarks" / "many_files.py"))["make_folder"](tmp_path / "videos", 11)
    by_kind = dict(zip(runpy.run_path(str(ROOT / "benchmarks" / "many_files.py"))["KINDS"], made))
    shutil.copy(by_kind["mmpose"], tmp_path / "predictions.json")
    shutil.copytree(by_kind["openpose"], tmp_path / "openpose_json")
    shutil.copy(by_kind["mediapipe-csv"], tmp_path / "landmarks.csv")
    shutil.copy(by_kind["trc"], tmp_path / "markers.trc")
    markers = read_trc(tmp_path / "markers.trc")  # the same markers as a C3D file
    runpy.run_path(str(ROOT / "benchmarks" / "long_input.py"))["write_c3d_file"](
        tmp_path / "trial.c3d", markers.marker_names, len(markers.positions), markers.fps, lambda f: markers.positions[f])
    shutil.copy(by_kind["npy"], tmp_path / "track.npy")
    shutil.copy(by_kind["npy"], tmp_path / "my_track.npy")
    shutil.copy(by_kind["coco"], tmp_path / "more.json")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_refine_examples_run_on_the_embedded_data(sandbox, capsys):
    section = README[README.index("## Refine your files"):README.index("## Python API")]
    commands = [a for a in synsp_commands(section) if a[0] == "refine"]
    assert len(commands) == 8
    for args in commands:
        code = main(args)
        out, err = capsys.readouterr()
        assert code == 0, f"synsp {' '.join(args)}: {err}"
    assert (sandbox / "refined" / "videos" / "video_00" / "joints3d.npy").is_file()
    assert (sandbox / "refined" / "more.json").is_file()


def test_the_python_examples_run(sandbox, capsys):
    python = blocks(README, "python")
    assert len(python) == 2
    rng = np.random.default_rng(0)
    smpl = {"poses": rng.normal(scale=0.2, size=(40, 72)), "trans": rng.normal(size=(40, 3))}
    for code in python:
        exec(compile(code, "README.md", "exec"), {"scores": rng.uniform(0.2, 1.0, size=(847, 17)), "smpl": smpl})
    assert "| file |" in capsys.readouterr().out  # the batch example's summary table
    assert (sandbox / "refined" / "video_00" / "joints3d.npy").is_file()
