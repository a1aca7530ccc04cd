"""Experiment reports: Markdown tables, the same rows as CSV, and PNG figures.

A :class:`Report` collects tables (lists of row dicts) and matplotlib figures;
:meth:`Report.markdown` renders it (the command that reproduces it above every
table) and :meth:`Report.save` writes ``<name>.md``, ``<name>.csv`` (all tables,
a ``table`` column saying which) and one PNG per figure into a folder,
each atomically.
"""

from __future__ import annotations

import csv
import io
import platform
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .io._common import atomic_write

__all__ = ["Report", "machine"]


def machine() -> str:
    """One line naming this machine (CPU, cores, Python, torch)."""
    import os

    import torch

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{cpu}, {cores} cores, Python {platform.python_version()}, torch {torch.__version__} (CPU threads {torch.get_num_threads()})"


def _cell(v: Any, digits: int) -> str:
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


@dataclass
class _Table:
    caption: str
    rows: list[dict[str, Any]]
    digits: int = 2


@dataclass
class Report:
    """One experiment's results; ``command`` reproduces them."""

    name: str
    title: str
    command: str
    notes: list[str] = field(default_factory=list)
    tables: list[_Table] = field(default_factory=list)
    figures: list[tuple[str, Any, str]] = field(default_factory=list)  # (stem, Figure, caption)

    def table(self, caption: str, rows: list[dict[str, Any]], digits: int = 2) -> None:
        self.tables.append(_Table(caption, rows, digits))

    def figure(self, stem: str, fig: Any, caption: str) -> None:
        self.figures.append((stem, fig, caption))

    def markdown(self, figures: bool = True) -> str:
        """The report in Markdown; ``figures=False`` (the figures are not saved beside it): each figure's caption
        without a link to a PNG that does not exist."""
        out = [f"## {self.title}", "", f"```\n{self.command}\n```", ""]
        out += [f"{n}" for n in self.notes] + ([""] if self.notes else [])
        for t in self.tables:
            if not t.rows:
                continue
            cols = list(t.rows[0])
            out += [f"**{t.caption}**", "", "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
            out += ["| " + " | ".join(_cell(r.get(c, ""), t.digits) for c in cols) + " |" for r in t.rows]
            out.append("")
        for stem, _, caption in self.figures:
            out += [f"![{caption}]({stem}.png)" if figures else f"figure {stem}.png (not written; -o FOLDER saves "
                    f"it): {caption}", ""]
        return "\n".join(out)

    def csv(self) -> str:
        cols: list[str] = ["table"]
        for t in self.tables:
            for r in t.rows:
                cols += [c for c in r if c not in cols]
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
        writer.writeheader()
        for t in self.tables:
            for r in t.rows:
                writer.writerow({"table": t.caption, **r})
        return buf.getvalue()

    def save(self, folder: str | Path) -> list[Path]:
        """Write ``<name>.md``, ``<name>.csv`` and the figures' PNGs into ``folder`` (created)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        written = [atomic_write(folder / f"{self.name}.md", lambda fh: fh.write(self.markdown() + "\n")),
                   atomic_write(folder / f"{self.name}.csv", lambda fh: fh.write(self.csv()))]
        for stem, fig, _ in self.figures:
            written.append(atomic_write(folder / f"{stem}.png", lambda fh, f=fig: f.savefig(fh, format="png", dpi=110),
                                        binary=True))
        return written
