"""The ``synsp`` command: a thin layer over the Python API."""

from __future__ import annotations

import sys

import click

from . import __version__
from .validation import SynspInputError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="synsp")
def cli() -> None:
    """Refine jittery pose sequences (2D keypoints, 3D joints, body-model rotations)."""


def main(argv: list[str] | None = None) -> int:
    """Entry point: user mistakes print one clear line and exit 2, never a traceback."""
    try:
        cli.main(args=argv, prog_name="synsp", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 130
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except (SynspInputError, FileNotFoundError) as exc:
        click.echo(f"synsp: error: {exc}", err=True)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
