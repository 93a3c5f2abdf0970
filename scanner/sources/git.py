"""Git as a source: hardened git processes and the records the git modules share.

Everything goes through the ``git`` binary (plumbing commands only, with stable output), run
here (``run_git``, ``git_output``) with every repository-controlled program off:

- ``gitopen.open_repo`` finds the repository holding a path (repository discovery).
- ``gitlog.iter_introductions`` runs one ``git log --raw -z`` over the asked revisions, oldest
  first, and yields each (blob, path) pair once, with the commit that first introduced it.
- ``gitcat.CatFile`` reads many blobs through one persistent ``git cat-file --batch`` process
  (requests written by a feeder thread while responses are read), sizes through
  ``--batch-check``.
- ``gitindex.staged_changes`` and ``staged_added_lines`` describe the index against ``HEAD``
  (or against the empty tree before the first commit); ``staged_diff`` answers both from one
  ``git diff-index`` run.

No printing here; problems come back as ``SourceProblem`` values and fatal conditions as
``SourceError``. Paths are bytes inside git; they are decoded for display only
(``backslashreplace``, so a non-UTF-8 path stays readable and never crashes a reporter).
"""

from __future__ import annotations

import os
import re
import subprocess
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from scanner.errors import SourceError
from scanner.sources.gitwatch import (
    IDLE_SECONDS,
    NEW_GROUP,
    Watchdog,
    WatchedStream,
    communicate,
    kill_group,
)

ZERO_SHA = "0" * 40
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
SUBMODULE_MODE = "160000"
SYMLINK_MODE = "120000"


# The scanned repository is data: its configuration must not make git run anything. Each
# setting that names a program (or lets git reach a program) is overridden on the command line,
# which wins over every config file, including the repository's own ``.git/config``.
SAFE_CONFIG: tuple[tuple[str, str], ...] = (
    ("core.fsmonitor", "false"),
    ("core.hooksPath", os.devnull),
    ("core.pager", "cat"),
    ("core.sshCommand", "false"),
    ("core.askPass", ""),
    ("core.editor", "false"),
    ("core.alternateRefsCommand", ""),
    ("credential.helper", ""),
    ("diff.external", ""),
    ("diff.submodule", "short"),
    ("gpg.program", "false"),
    ("gpg.openpgp.program", "false"),
    ("gpg.x509.program", "false"),
    ("gpg.ssh.program", "false"),
    ("log.showSignature", "false"),
    ("protocol.allow", "never"),
    *(
        (f"protocol.{name}.allow", "never")
        for name in ("ext", "file", "git", "ssh", "http", "https")
    ),
    ("fetch.recurseSubmodules", "false"),
    ("submodule.recurse", "false"),
    ("uploadpack.packObjectsHook", ""),
    # files git would read that the repository names: /dev/zero or a FIFO stalls git
    ("diff.orderFile", os.devnull),
    ("core.attributesFile", os.devnull),
)
# Output every parser here expects: paths as they are, not C-quoted when not ASCII (``-z``
# output is never quoted; a patch's header still quotes special characters: ``unquote_path``);
# the log in UTF-8 (re-encoded to UTF-16, its separators are not the bytes the parser splits on)
OUTPUT_CONFIG: tuple[tuple[str, str], ...] = (
    ("core.quotePath", "false"),
    ("i18n.logOutputEncoding", "UTF-8"),
)
# ``git --no-pager --no-replace-objects --no-optional-locks -c key=value ... <command>``
GIT_PREFIX: tuple[str, ...] = (
    "--no-pager",
    "--no-replace-objects",
    "--no-optional-locks",
    *(arg for key, value in SAFE_CONFIG + OUTPUT_CONFIG for arg in ("-c", f"{key}={value}")),
)
# environment variables that name programs git would run; the caller's values are dropped too
_UNSAFE_ENV = (
    "GIT_EXTERNAL_DIFF",
    "GIT_SSH",
    "GIT_SSH_COMMAND",
    "GIT_ASKPASS",
    "SSH_ASKPASS",
    "GIT_PAGER",
    "GIT_EDITOR",
    "GIT_SEQUENCE_EDITOR",
    "GIT_PROXY_COMMAND",
)

# what git runs with instead (see ``git_env``)
_SAFE_ENV: tuple[tuple[str, str], ...] = (
    ("GIT_TERMINAL_PROMPT", "0"),
    ("GIT_PAGER", "cat"),
    ("PAGER", "cat"),
    ("GIT_ASKPASS", "false"),
    ("SSH_ASKPASS", "false"),
    ("GIT_CONFIG_NOSYSTEM", "1"),
    ("GIT_NO_REPLACE_OBJECTS", "1"),
    ("GIT_OPTIONAL_LOCKS", "0"),
    ("GIT_NO_LAZY_FETCH", "1"),
    ("GIT_PROTOCOL_FROM_USER", "0"),
    ("GIT_ALLOW_PROTOCOL", ""),
    ("LC_ALL", "C"),
    ("LANGUAGE", "C"),
)


def git_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment git runs in: no prompts, no pager, no lazy fetches, no replace refs,
    no optional locks, no system config, messages in English."""
    env = dict(os.environ if base is None else base)
    for name in _UNSAFE_ENV:
        env.pop(name, None)
    env.update(_SAFE_ENV)
    return env


def git_argv(args: Sequence[str], *, keep_hooks_path: bool = False) -> list[str]:
    """The full command line for ``git args``, with every repository-controlled program off.

    ``keep_hooks_path`` leaves ``core.hooksPath`` alone (``install-hook`` asks git where hooks
    go; nothing is run)."""
    prefix = list(GIT_PREFIX)
    if keep_hooks_path:
        i = prefix.index(f"core.hooksPath={os.devnull}")
        del prefix[i - 1 : i + 1]
    return ["git", *prefix, *args]


def display_path(raw: bytes) -> str:
    return raw.decode("utf-8", "backslashreplace")


class GitPath:
    """A record naming a path inside git, where paths are bytes (``raw_path``); ``path`` is
    the text to show (``display_path``)."""

    __slots__ = ()
    raw_path: bytes

    @property
    def path(self) -> str:
        return display_path(self.raw_path)


def git_text(raw: bytes) -> str:
    """Text git wrote (UTF-8, undecodable bytes replaced)."""
    return raw.decode("utf-8", "replace")


def error_line(stderr: bytes) -> str:
    """The first line git wrote to stderr, without its ``fatal:``/``error:`` prefix."""
    for line in git_text(stderr).splitlines():
        line = line.strip()
        if line:
            return line.removeprefix("fatal: ").removeprefix("error: ")
    return "git failed"


@dataclass(frozen=True, slots=True)
class Repo:
    """A repository as git sees it: work-tree root (or git dir when bare), HEAD, shallowness."""

    given: str
    root: Path
    git_dir: Path
    bare: bool
    shallow: bool
    head: str | None
    idle: float = IDLE_SECONDS
    """How long a git process may make no progress before it is stopped (``gitwatch``)."""

    def run(
        self, args: Sequence[str], *, input: bytes | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[bytes]:
        return run_git(self.root, args, input=input, check=check, idle=self.idle)


def run_git(
    cwd: Path,
    args: Sequence[str],
    *,
    input: bytes | None = None,
    check: bool = True,
    keep_hooks_path: bool = False,
    idle: float = IDLE_SECONDS,
    env: Mapping[str, str] | None = None,
    where: Path | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """``git args`` run to its end in ``cwd``, output captured. ``SourceError`` naming
    ``where`` (default ``cwd``) when it fails (with ``check``) or makes no progress for
    ``idle`` seconds (always: its output would be a part); ``env`` is added to
    ``git_env()``."""
    argv = git_argv(args, keep_hooks_path=keep_hooks_path)
    try:
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**git_env(), **(env or {})},
            process_group=NEW_GROUP,
        )
    except FileNotFoundError:
        raise SourceError("git is not installed (or not on PATH)") from None
    streams = communicate(proc, input, idle)
    if streams is None:
        raise SourceError(stall_message(where or cwd, args[0], idle))
    done = subprocess.CompletedProcess(argv, proc.returncode, *streams)
    if check and done.returncode != 0:
        raise SourceError(f"{where or cwd}: git {args[0]}: {error_line(done.stderr)}")
    return done


def stall_message(where: object, command: str, idle: float) -> str:
    return (
        f"{where}: git {command} made no progress for {idle:g}s and was stopped (does the "
        "repository make git read a FIFO or device?)"
    )


def repository_uri(repo: Repo) -> str:
    """The ``origin`` remote's URL (credentials stripped), else the repository's file URI."""
    proc = repo.run(["remote", "get-url", "origin"], check=False)
    url = git_text(proc.stdout).strip()
    if proc.returncode == 0 and url:
        return re.sub(r"^([a-z][a-z0-9+.-]*://)[^/@]*@", r"\1", url)
    return repo.root.resolve().as_uri()


def branch(repo: Repo) -> str | None:
    proc = repo.run(["symbolic-ref", "--short", "-q", "HEAD"], check=False)
    name = git_text(proc.stdout).strip()
    return name or None


def has_any_ref(repo: Repo) -> bool:
    proc = repo.run(["for-each-ref", "--count=1", "--format=%(objectname)"], check=False)
    return bool(proc.stdout.strip()) or repo.head is not None


def resolve_commit(repo: Repo, rev: str) -> str | None:
    """The id of the commit ``rev`` names (a branch, tag, commit or revision expression), or
    None when it names no commit. ``rev`` is never read as an option (``--end-of-options``)."""
    proc = repo.run(
        ["rev-parse", "--verify", "-q", "--end-of-options", f"{rev}^{{commit}}"], check=False
    )
    return git_text(proc.stdout).strip() if proc.returncode == 0 else None


# --- records and streams -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Commit:
    sha: str
    author: str
    email: str
    date: str
    summary: str


NO_COMMIT = Commit("", "", "", "", "")
"""The commit of a blob not read from history (the index, HEAD's tree, a listing)."""


@dataclass(frozen=True, slots=True)
class Introduction(GitPath):
    """A blob at a path, and the first commit (oldest first) that put it there."""

    blob: str
    raw_path: bytes
    mode: str
    commit: Commit

    @classmethod
    def uncommitted(cls, blob: str, raw_path: bytes, mode: str = "100644") -> Introduction:
        """A blob at a path with no commit (``NO_COMMIT``)."""
        return cls(blob, raw_path, mode, NO_COMMIT)


def popen_git(cwd: Path, args: Sequence[str]) -> subprocess.Popen[bytes]:
    """A hardened ``git`` process streaming its stdout and stderr (no stdin), leading its own
    process group (``gitwatch.kill_group``)."""
    try:
        return subprocess.Popen(
            git_argv(args),
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            env=git_env(),
            process_group=NEW_GROUP,
        )
    except FileNotFoundError:
        raise SourceError("git is not installed (or not on PATH)") from None


@contextmanager
def git_output(
    cwd: Path, args: Sequence[str], on_error: Callable[[str], None], idle: float = IDLE_SECONDS
) -> Iterator[WatchedStream]:
    """The stdout of a streaming ``git args`` process, its stderr drained alongside (so git
    never blocks on a full pipe). A read that waits ``idle`` seconds for nothing stops git
    (``gitwatch``). On leaving, the process is reaped (stopped when it does not end within
    ``idle`` seconds); when it failed, stalled or was stopped early, ``on_error`` gets the
    first line of what it wrote to stderr, or what stopped it."""
    proc = popen_git(cwd, args)
    assert proc.stdout is not None and proc.stderr is not None
    stdout, stderr = proc.stdout, proc.stderr
    errors: list[bytes] = []
    drain = threading.Thread(target=lambda: errors.append(stderr.read()), daemon=True)
    drain.start()
    watchdog = Watchdog(proc, idle)
    stream = WatchedStream(stdout, watchdog)
    try:
        yield stream
    finally:
        stdout.close()
        try:
            proc.wait(timeout=idle)
        except subprocess.TimeoutExpired:
            watchdog.stalled = True
        watchdog.stop()
        kill_group(proc)  # a stalled one, and whatever it started
        drain.join()
        stderr.close()
        if watchdog.stalled:
            on_error(f"no progress for {idle:g}s, stopped (a FIFO or device in the repository?)")
        elif proc.returncode != 0:
            on_error(error_line(b"".join(errors)))
