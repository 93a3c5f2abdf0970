"""``keyguard image``: click wiring only."""

from __future__ import annotations

import sys
from typing import Any

import click

from scanner.cli.options import scan_options, settings_from
from scanner.cli.rotation import command_output, rotation_options
from scanner.cli.verifyopts import verify_options, with_verify


@click.command("image")
@click.argument("paths", nargs=-1, required=True)
@scan_options
@rotation_options
@verify_options
def image_cmd(paths: tuple[str, ...], quiet: bool, **kwargs: Any) -> None:
    """Scan container images: `docker save` tarballs (gzip too), OCI layouts and OCI tars.

    Reads the config (Env, Cmd, Entrypoint, Labels, ...), the build history and every file of
    every layer, including files that a later layer deleted. No container engine is needed.
    """
    from scanner.commands.image import image as run_image

    out = with_verify(command_output(quiet, kwargs), kwargs)
    code = run_image(paths, settings_from(kwargs), out)
    sys.exit(code)
