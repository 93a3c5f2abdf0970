"""Tar archives read with bounded headers.

The standard ``tarfile`` reads the body of a GNU long name, long link or pax header into memory
whole, whatever size its header claims, follows a chain of such headers by recursion, keeps
every key of global pax headers and applies them to each later member, and collects sparse
maps of any length. A gzip stream of a few megabytes can claim a long name of gigabytes (4 GB
of memory before the first member is seen), a chain of a few thousand headers ends in
``RecursionError``, and a sparse map can hold millions of regions. ``BoundedTarFile.open``
(the arguments of ``tarfile.open``) reads them within ``MAX_HEADER_BYTES``, ``MAX_CHAINED``,
``MAX_GLOBAL_KEYS`` and ``MAX_SPARSE_REGIONS``; past a bound it raises ``TarBoundsError`` (a
``tarfile.TarError``), which ends the archive as any damaged archive ends.
"""

from __future__ import annotations

import tarfile

MAX_HEADER_BYTES = 1 << 20
"""Longest body of a long name, long link or pax header (real ones hold a path or a few keys)."""
MAX_CHAINED = 16
"""Most extended headers before one member (global, pax, long link, long name: four)."""
MAX_GLOBAL_KEYS = 256
"""Most keys global pax headers may set (each is applied to every later member)."""
MAX_SPARSE_REGIONS = 1 << 16
"""Most regions in the sparse map of one member."""

_EXTENDED = (
    tarfile.GNUTYPE_LONGNAME,
    tarfile.GNUTYPE_LONGLINK,
    tarfile.XHDTYPE,
    tarfile.XGLTYPE,
    tarfile.SOLARIS_XHDTYPE,
)
_SPARSE_PER_BLOCK = 21  # regions in one old-GNU sparse extension block


class TarBoundsError(tarfile.TarError):
    """A tar header beyond the bounds (a bomb or a lie); the archive ends there."""


class BoundedTarInfo(tarfile.TarInfo):
    """``TarInfo`` reading extended headers and sparse maps within the module's bounds."""

    def _proc_member(self, tf: tarfile.TarFile) -> tarfile.TarInfo:
        proc = super()._proc_member  # type: ignore[misc]
        if self.type not in _EXTENDED or not isinstance(tf, BoundedTarFile):
            return proc(tf)  # type: ignore[no-any-return]
        if self.size > MAX_HEADER_BYTES:
            raise TarBoundsError(f"extended tar header claims {self.size} bytes")
        if tf.chained >= MAX_CHAINED:
            raise TarBoundsError(f"more than {MAX_CHAINED} extended tar headers in a row")
        tf.chained += 1
        try:
            member: tarfile.TarInfo = proc(tf)
        finally:
            tf.chained -= 1
        if len(tf.pax_headers) > MAX_GLOBAL_KEYS:
            raise TarBoundsError(f"global tar headers set more than {MAX_GLOBAL_KEYS} keys")
        return member

    def _proc_sparse(self, tf: tarfile.TarFile) -> tarfile.TarInfo:
        """The old GNU sparse format: the map continues in extension blocks."""
        structs, extended, real_size = self._sparse_structs  # type: ignore[attr-defined]
        del self._sparse_structs  # type: ignore[attr-defined]
        blocks = 0
        while extended:
            blocks += 1
            if blocks * _SPARSE_PER_BLOCK > MAX_SPARSE_REGIONS:
                raise TarBoundsError(f"sparse map longer than {MAX_SPARSE_REGIONS} regions")
            block = tf.fileobj.read(tarfile.BLOCKSIZE)
            if len(block) != tarfile.BLOCKSIZE:
                raise tarfile.ReadError("truncated sparse header")
            for pos in range(0, _SPARSE_PER_BLOCK * 24, 24):
                try:
                    offset = _number(block[pos : pos + 12])
                    size = _number(block[pos + 12 : pos + 24])
                except tarfile.HeaderError:
                    break
                if offset and size:
                    structs.append((offset, size))
            extended = bool(block[504])
        self.sparse = structs
        self.offset_data = tf.fileobj.tell()
        tf.offset = self.offset_data + self._block(self.size)  # type: ignore[attr-defined]
        self.size = real_size
        return self

    def _proc_gnusparse_10(
        self, member: tarfile.TarInfo, pax_headers: dict[str, str], tf: tarfile.TarFile
    ) -> None:
        """GNU sparse format 1.0: the map is a count, then offsets and sizes, one a line."""
        data = tf.fileobj.read(tarfile.BLOCKSIZE)
        count, _, data = data.partition(b"\n")
        regions = int(count)
        if regions > MAX_SPARSE_REGIONS:
            raise TarBoundsError(f"sparse map of {regions} regions")
        numbers: list[int] = []
        while len(numbers) < regions * 2:
            if b"\n" not in data:
                more = tf.fileobj.read(tarfile.BLOCKSIZE)
                if not more:
                    raise tarfile.ReadError("truncated sparse map")
                data += more
            number, _, data = data.partition(b"\n")
            numbers.append(int(number))
        member.offset_data = tf.fileobj.tell()
        regions_read = list(zip(numbers[::2], numbers[1::2], strict=True))
        member.sparse = regions_read  # type: ignore[assignment]  # typeshed says bytes


class BoundedTarFile(tarfile.TarFile):
    """A ``TarFile`` whose headers are read by ``BoundedTarInfo``; ``chained`` counts the
    extended headers being read before the next member."""

    tarinfo = BoundedTarInfo
    chained = 0


def _number(field: bytes) -> int:
    """A numeric header field (``tarfile.nti``: octal text or base-256)."""
    nti = tarfile.nti  # type: ignore[attr-defined]
    return int(nti(field))
