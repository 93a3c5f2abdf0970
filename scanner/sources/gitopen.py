"""Repository discovery: the repository holding a path, refused when its git directory holds
what git must not read (FIFOs, devices, config includes of them).

Inside a work tree one ``git rev-parse`` answers everything (``_open_work_tree``); anything else
(bare, inside ``.git``, not a repository) is asked step by step (``_find_repo``). Fatal
conditions come back as ``SourceError``.
"""

from __future__ import annotations

from pathlib import Path

from scanner.errors import SourceError
from scanner.sources.git import Repo, git_text, run_git
from scanner.sources.gitwatch import IDLE_SECONDS

_REPO_QUESTIONS = (
    "rev-parse",
    "--absolute-git-dir",
    "--is-bare-repository",
    "--is-shallow-repository",
)


def open_repo(path: str, idle: float = IDLE_SECONDS) -> Repo:
    """Find the repository holding ``path``; ``SourceError`` when there is none, or when its
    git directory holds what git must not read (``check_git_dir``). Its git processes are
    stopped when they make no progress for ``idle`` seconds (``gitwatch``)."""
    target = Path(path)
    if not target.exists():
        raise SourceError(f"{path}: no such file or directory")
    if not target.is_dir():
        target = target.parent
    local = target / ".git"
    checked = None
    if local.is_dir() and not local.is_symlink():  # before git reads it (a FIFO stalls git)
        check_git_dir(local, path)
        checked = local.resolve()
    repo = _find_repo(path, target, idle)
    if repo.git_dir.resolve() != checked:
        check_git_dir(repo.git_dir, path)
    return repo


def check_git_dir(git_dir: Path, where: str) -> None:
    """``SourceError`` when the git directory (or a linked worktree's common directory) holds
    a FIFO or device (``gitspecial``) or its config includes one (``gitincludes``)."""
    from scanner.sources.gitincludes import check_includes, common_dir
    from scanner.sources.gitspecial import check_special_files

    check_special_files(git_dir, where)
    common = common_dir(git_dir, where)
    if common is not None:
        check_special_files(common, where)
    check_includes(git_dir, where)


def _find_repo(path: str, target: Path, idle: float) -> Repo:
    fast = _open_work_tree(path, target, idle)
    if fast is not None:
        return fast
    proc = run_git(target, _REPO_QUESTIONS, check=False, idle=idle)
    if proc.returncode != 0:
        raise SourceError(
            f"{path}: not a git repository (run inside a repository or pass its path; "
            "use `keyguard scan` for plain directories)"
        )
    git_dir, bare, shallow = git_text(proc.stdout).splitlines()[:3]
    is_bare = bare.strip() == "true"
    root = Path(git_dir)
    if not is_bare:
        top = run_git(target, ["rev-parse", "--show-toplevel"], check=False, idle=idle)
        if top.returncode == 0 and top.stdout.strip():
            root = Path(git_text(top.stdout).strip())
    head = run_git(root, ["rev-parse", "--verify", "-q", "HEAD^{commit}"], check=False, idle=idle)
    head_sha = git_text(head.stdout).strip() if head.returncode == 0 else None
    return Repo(
        given=path,
        root=root,
        git_dir=Path(git_dir),
        bare=is_bare,
        shallow=shallow.strip() == "true",
        head=head_sha or None,
        idle=idle,
    )


def _open_work_tree(path: str, target: Path, idle: float) -> Repo | None:
    """Inside a work tree (the common case): one ``git rev-parse`` instead of three. None for
    anything else (bare, inside ``.git``, not a repository): ``open_repo`` asks step by step."""
    args = [*_REPO_QUESTIONS, "--show-toplevel", "--verify", "-q", "HEAD^{commit}"]
    proc = run_git(target, args, check=False, idle=idle)
    lines = git_text(proc.stdout).splitlines()
    # exit 0: five answers; exit 1: HEAD is not a commit yet (unborn), the first four
    ok = (proc.returncode, len(lines)) in ((0, 5), (1, 4))
    if not ok or lines[1].strip() != "false" or not lines[3].strip():
        return None
    head = lines[4].strip() if len(lines) == 5 else ""
    git_dir, shallow, top = lines[0], lines[2].strip(), lines[3].strip()
    return Repo(path, Path(top), Path(git_dir), False, shallow == "true", head or None, idle)
