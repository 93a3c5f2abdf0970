"""Which callables a pickle may name without being reported as unsafe: the classes and
functions that ML checkpoints legitimately reference (tensors, arrays, ordered dicts, dtypes).
Anything else (``os.system``, ``builtins.eval``, ``subprocess.*``) is reported by the walker.
Nothing is ever imported or called: this is a list of names."""

from __future__ import annotations

import re

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
        "joblib.numpy_pickle.NumpyArrayWrapper",
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
)


def is_safe_global(name: str) -> bool:
    return name in SAFE_GLOBALS or any(p.fullmatch(name) for p in _SAFE_PATTERNS)
