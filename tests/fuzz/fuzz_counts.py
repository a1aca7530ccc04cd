"""Outcome counts of the fuzz suites: cases tried, clear errors and correct outputs per category
(printed at the end of the session with ``pytest -s tests/fuzz``)."""

from collections import Counter

CATEGORY_COUNTS: dict[str, Counter] = {}


def count(category: str, outcome: str) -> None:
    c = CATEGORY_COUNTS.setdefault(category, Counter())
    c["tried"] += 1
    c[outcome] += 1


def report() -> None:
    for cat, c in sorted(CATEGORY_COUNTS.items()):
        print(f"\n{cat}: {c['tried']} tried, {c['clear error']} clear error, {c['correct output']} correct output")
