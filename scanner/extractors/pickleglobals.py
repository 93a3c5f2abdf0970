"""Which callables a pickle may name without being reported as unsafe: the classes and
functions that ML checkpoints legitimately reference (tensors, arrays, ordered dicts, dtypes).
Anything else (``os.system``, ``builtins.eval``, ``subprocess.*``) is reported by the walker.
Nothing is ever imported or called: this is a list of names."""

from __future__ import annotations

import re
from collections.abc import Iterable

SAFE_GLOBALS = frozenset(
    {
        f"{mod}.{name}"
        for mod in ("builtins", "__builtin__")
        for name in (
            "set",
            "frozenset",
            "slice",
            "complex",
            "bytearray",
            "range",
            "list",
            "dict",
            "tuple",
            "int",
            "float",
            "str",
            "bytes",
            "bool",
            "object",
            "unicode",
            "long",
            "xrange",
        )
    }
    | {
        "collections.OrderedDict",
        "collections.defaultdict",
        "collections.Counter",
        "collections.deque",
        "copyreg._reconstructor",
        "copy_reg._reconstructor",
        "copyreg.__newobj__",
        "_codecs.encode",
        "torch.Size",
        "torch.device",
        "torch.storage.UntypedStorage",
        "torch.storage.TypedStorage",
        "torch._tensor._rebuild_from_type_v2",
        "torch.nn.parameter.Parameter",
        "torch.serialization._get_layout",
        "numpy.ndarray",
        "numpy.dtype",
        "numpy.core.multiarray._reconstruct",
        "numpy._core.multiarray._reconstruct",
        "numpy.core.multiarray.scalar",
        "numpy._core.multiarray.scalar",
        "numpy.core.numeric._frombuffer",
        "numpy._core.numeric._frombuffer",
        "numpy.ma.core._mareconstruct",
        "numpy.core.records.recarray",
        "numpy.core.records.record",
        "numpy._core.records.recarray",
        "numpy._core.records.record",
        "numpy.core._internal._reconstruct",
        "numpy.matrixlib.defmatrix.matrix",
        "numpy.random._pickle.__bit_generator_ctor",
        "numpy.random._pickle.__generator_ctor",
        "numpy.random._pickle.__randomstate_ctor",
        "joblib.numpy_pickle.NumpyArrayWrapper",
        "joblib.numpy_pickle.NDArrayWrapper",
        "joblib.numpy_pickle_compat.NDArrayWrapper",
        "datetime.datetime",
        "datetime.date",
        "datetime.time",
        "datetime.timedelta",
        "datetime.timezone",
        "decimal.Decimal",
        "uuid.UUID",
        "fractions.Fraction",
    }
)
_SAFE_PATTERNS = (
    re.compile(r"torch\._utils\._rebuild_[a-z0-9_]+"),
    re.compile(
        r"torch\.(?:[A-Za-z0-9]*Storage|u?int\d*|float\w*|bfloat16|half|double|bool|complex\w*"
        r"|cfloat|cdouble|long|short|q?u?int\d+|quint\w+|strided|sparse_\w+|channels_last\w*"
        r"|contiguous_format|preserve_format)"
    ),
    re.compile(r"numpy\.dtypes\.\w+DType"),
    # TorchScript classes (constants.pkl, data.pkl of a scripted module): resolved by the
    # TorchScript compilation unit, there is no Python module ``__torch__`` to import
    re.compile(r"__torch__(?:\.\w+)+"),
)

# Known code-running callables: reported even past the cap on unsafe names (picklemachine).
_DANGEROUS = re.compile(
    r"(?:os|posix|nt|subprocess|_posixsubprocess|pty|runpy|importlib|imp|socket|shutil|sys"
    r"|webbrowser|ctypes|marshal|code|codeop|commands|pickle|_pickle|cPickle|dill|pdb|bdb"
    r"|timeit|asyncio|multiprocessing|requests|urllib|urllib2|httplib|http|smtplib|ftplib"
    r"|telnetlib|tempfile|platform|signal)(?:\.\w+)+"
    r"|(?:builtins|__builtin__)\.(?:eval|exec|execfile|compile|__import__|getattr|setattr"
    r"|delattr|open|file|input|breakpoint|globals|locals|vars|apply|reload)"
    r"|types\.(?:FunctionType|CodeType|LambdaType|MethodType)|functools\.partial"
    r"|operator\.(?:attrgetter|methodcaller|itemgetter)|torch\.(?:load|hub\.\w+|jit\.load)"
    r"|numpy\.(?:load|loads|fromfile)|numpy\.testing\._private\.utils\.runstring|dynamic-import"
)

# Sphinx build artifacts (``.doctrees/*.doctree``, ``environment.pickle``) pickle docutils
# node trees. A pickle that names one of these roots is such an artifact, and its docutils
# and Sphinx node and settings classes are not reported; anything else in it still is.
_DOC_TREE_ROOTS = frozenset(
    {
        "docutils.nodes.document",
        "sphinx.addnodes.document",
        "sphinx.environment.BuildEnvironment",
    }
)
_DOC_TREE_GLOBAL = re.compile(
    r"docutils\.nodes\.[A-Za-z]\w*|sphinx\.addnodes\.[a-z]\w*"
    r"|(?:docutils|sphinx)(?:\.\w+)*\._?[A-Z]\w*"
)


def is_safe_global(name: str) -> bool:
    return name in SAFE_GLOBALS or any(p.fullmatch(name) for p in _SAFE_PATTERNS)


def is_dangerous_global(name: str) -> bool:
    """A callable that runs commands, code or imports when a pickle calls it."""
    return _DANGEROUS.fullmatch(name) is not None


def reported_globals(names: list[str], paths: Iterable[str] = ()) -> list[str]:
    """The unsafe globals to report, in order. Not reported: the docutils and Sphinx classes of
    a Sphinx doctree or environment pickle, and the classes of a package that the pickle lives
    in (``babel/locale-data/en.dat`` naming ``babel.dates.DateTimePattern``,
    ``networkx/.../tests/g.gpickle`` naming ``networkx.classes.digraph.DiGraph``: a library's
    own data and fixtures, whose loading runs only that library). A known code-running
    callable is always reported. ``paths``: the file's path and the archive members it is in."""
    doc_tree = not _DOC_TREE_ROOTS.isdisjoint(names)
    dirs = {part for path in paths for part in re.split(r"[/\\]", path)[:-1]}
    kept = []
    for name in names:
        if not is_dangerous_global(name):
            if doc_tree and _DOC_TREE_GLOBAL.fullmatch(name) and name != "sphinx.addnodes.setup":
                continue
            if name.split(".", 1)[0] in dirs:
                continue
        kept.append(name)
    return kept
