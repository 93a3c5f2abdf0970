"""``keyguard install-hook``: a plain git hook (pre-commit or pre-push) that runs keyguard.

The hook is a POSIX shell script carrying a marker line; a hook without the marker belongs to
someone else and is only replaced with ``force``. Hooks go where git looks for them
(``core.hooksPath``, else the common git directory's ``hooks``). GitPython finds the repository
and reads its config files; it runs nothing the repository configures.
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

from scanner.errors import SourceError, UserError
from scanner.safeio import open_regular
from scanner.safewrite import replace_file

MARKER = "# keyguard-hook v1"

_TEMPLATE = """\
#!/bin/sh
{marker}: written by `keyguard install-hook`; delete this file to uninstall.
# {what}
if [ -x {python} ] && [ -f {package} ]; then
    exec {python} -m scanner git {args}
fi
if command -v keyguard >/dev/null 2>&1; then
    exec keyguard git {args}
fi
echo "keyguard: not found (reinstall it, or delete $0)" >&2
exit 1
"""


def hook_script(pre_push: bool, python: str = sys.executable) -> str:
    if pre_push:
        what = "Blocks a push whose new commits contain secrets."
        args = "--pre-push --quiet"
    else:
        what = "Blocks a commit whose staged changes contain secrets."
        args = "--staged"
    # the package's own file, checked before running it (a test of the file, not a Python start
    # that imports it: the hook runs on every commit)
    package = shlex.quote(str(Path(__file__).resolve().parent / "__init__.py"))
    return _TEMPLATE.format(
        marker=MARKER, what=what, python=shlex.quote(python), package=package, args=args
    )


def hook_path(repo_dir: Path, name: str) -> Path:
    """Where git looks for the hook ``name`` of the repository at or above ``repo_dir``."""
    import git  # GitPython: only this one-off command pays for its import

    try:
        repo = git.Repo(repo_dir, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise SourceError(f"{repo_dir}: not a git repository (git init first)") from None
    try:
        with repo.config_reader() as config:
            configured = str(config.get_value("core", "hooksPath", default=""))
    except Exception as exc:  # configparser errors: the user's own config is broken
        raise SourceError(f"{repo.git_dir}: cannot read the git config ({exc})") from None
    base = Path(repo.working_tree_dir or repo.git_dir)
    if configured:
        hooks = Path(os.path.expanduser(configured))
        return (hooks if hooks.is_absolute() else base / hooks) / name
    return Path(repo.common_dir) / "hooks" / name


def is_keyguard_hook(path: Path) -> bool:
    try:
        with open_regular(path, follow_symlinks=True) as fh:  # never a FIFO or a device
            head = fh.read(512).decode("utf-8", "replace")
    except OSError:
        return False
    return MARKER in head


def install_hook(repo_dir: Path, *, pre_push: bool = False, force: bool = False) -> Path:
    """Write the hook and return its path; ``UserError`` if a foreign hook is in the way."""
    name = "pre-push" if pre_push else "pre-commit"
    path = hook_path(repo_dir, name)
    if (path.exists() or path.is_symlink()) and not is_keyguard_hook(path) and not force:
        raise UserError(
            f"{path}: a {name} hook already exists and keyguard did not write it; "
            "merge keyguard into it by hand or rerun with --force to replace it"
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        replace_file(path, hook_script(pre_push), 0o755)  # as git's own sample hooks
    except OSError as exc:
        raise SourceError(f"{path}: cannot write hook ({exc.strerror})") from None
    return path
