"""The ``synsp`` command: a thin layer over the Python API."""

from __future__ import annotations

import sys
import warnings

import click

from . import __version__
from .validation import SynspInputError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="synsp")
def cli() -> None:
    """Refine jittery pose sequences (2D keypoints, 3D joints, body-model rotations)."""


@cli.command()
@click.option("-o", "--out", "out_dir", type=click.Path(file_okay=False), default="synsp-demo",
              show_default=True, help="folder for the pictures")
@click.option("--preset", default="3dpw-spin-like", show_default=True,
              help="simulated estimator (see synsp.noise.PRESETS)")
@click.option("--seed", default=0, show_default=True, help="noise seed")
def demo(out_dir: str, preset: str, seed: int) -> None:
    """Refine a real mocap clip with simulated estimator errors; print before/after metrics."""
    from .demo import run_demo

    result = run_demo(out_dir, preset=preset, seed=seed)
    click.echo(f"clip {result.clip_id}: {result.frames} frames at {result.fps:g} fps, real CMU mocap "
               f"(corpus test split) + simulated '{result.preset}' estimator errors (seed {seed})")
    click.echo("root-relative Human3.6M-17 joints, mm; Accel in mm/frame^2; 'hardest' = worst 1 % input frames")
    click.echo("")
    click.echo("| method | MPJPE | PA-MPJPE | Accel | MPJPE hardest | MPJPE fast-motion | bone std |")
    click.echo("|---|---|---|---|---|---|---|")
    for name, m in result.rows.items():
        click.echo(f"| {name} | {m['mpjpe']:.1f} | {m['pa_mpjpe']:.1f} | {m['accel']:.2f} | "
                   f"{m['mpjpe_hardest']:.1f} | {m['mpjpe_fast']:.1f} | {m['bone_std']:.1f} |")
    if result.picture:
        click.echo(f"\npicture: {result.picture}")


@cli.group()
def data() -> None:
    """Build and inspect the real-motion corpus."""


@data.command("build")
@click.option("-o", "--out", type=click.Path(dir_okay=False), default=None,
              help="corpus file (default: ~/.cache/synsp/corpus-v1.npz, or $SYNSP_CACHE)")
@click.option("--cmu", "cmu_root", type=click.Path(file_okay=False), default=None,
              help="the cmu_mocap folder (default: ../shared/data/cmu_mocap or $SYNSP_CMU_MOCAP)")
@click.option("--no-download", is_flag=True, help="skip the Debian/PyPI sources")
def data_build(out: str | None, cmu_root: str | None, no_download: bool) -> None:
    """Build the full corpus from every reachable source (cached)."""
    from .data.corpus import build_corpus, corpus_table, load_corpus

    path = build_corpus(out, cmu_root=cmu_root, external=not no_download)
    click.echo(f"corpus: {path}")
    _print_table(corpus_table(load_corpus(path)))


@data.command("info")
@click.argument("corpus", type=click.Path(dir_okay=False), required=False)
def data_info(corpus: str | None) -> None:
    """Takes, frames, hours and motion kinds per source and split (default: the embedded corpus)."""
    from .data.corpus import corpus_table, load_corpus

    _print_table(corpus_table(load_corpus(corpus)))


def _print_table(rows: list[dict]) -> None:
    click.echo("| source | split | takes | frames (30 fps) | hours | motion kinds |")
    click.echo("|---|---|---|---|---|---|")
    for r in rows:
        click.echo(f"| {r['source']} | {r['split']} | {r['takes']} | {r['frames']} | "
                   f"{r['hours']:.3f} | {', '.join(r['kinds'])} |")


def _one_line_warning(message, category, filename, lineno, file=None, line=None) -> None:
    click.echo(f"synsp: warning: {message}", err=True)


def main(argv: list[str] | None = None) -> int:
    """Entry point: user mistakes print one clear line and exit 2, never a traceback."""
    warnings.showwarning = _one_line_warning
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
