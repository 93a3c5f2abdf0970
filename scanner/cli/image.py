"""``keyguard image``: click wiring only."""

from __future__ import annotations

import sys
from typing import Any

import click

from scanner.cli.options import scanning_from, scanning_options


@click.command("image")
@click.argument("paths", nargs=-1, required=True)
@scanning_options
def image_cmd(paths: tuple[str, ...], quiet: bool, **kwargs: Any) -> None:
    """Scan container images: `docker save` tarballs (gzip too), OCI layouts and OCI tars.

    Reads the config (Env, Cmd, Entrypoint, Labels, ...), the build history and every file of
    every layer, including files that a later layer deleted. No container engine is needed.
    """
    from scanner.commands.image import image as run_image

    out, settings = scanning_from(quiet, kwargs)
    code = run_image(paths, settings, out)
    sys.exit(code)
