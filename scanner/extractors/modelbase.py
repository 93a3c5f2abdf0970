"""Model files, read header-first: safetensors, GGUF, ONNX, HDF5, and zip-based checkpoints.

Nothing here imports an ML library, and weights are never read: safetensors costs its JSON
header, GGUF its metadata section, ONNX the protobuf fields that hold text (tensor payloads are
seeked past), HDF5 a bounded printable-strings pass over the head and tail of the file.
Zip-based checkpoints (PyTorch ``archive/data.pkl``, Keras ``.keras``, NumPy ``.npz``) open
their pickles, JSON and small members while tensor storages are skipped without being read.

Each text field becomes one chunk (see :mod:`scanner.extractors.fields`): the origin detail
``key`` names the field (``__metadata__.api_key``, ``tokenizer.chat_template``,
``graph.node[2].attribute[0].s``) and the line is the field's ordinal.
"""

from __future__ import annotations

from scanner.blob import Blob
from scanner.models import SourceProblem

MAX_HEADER = 100 * 1024 * 1024
MAX_STRING = 16 * 1024 * 1024
MAX_FIELDS = 500_000


def problem(blob: Blob, message: str) -> SourceProblem:
    return SourceProblem(blob.origin.display, message)
