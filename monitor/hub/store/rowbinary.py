"""ClickHouse's RowBinary input format, built a column at a time with numpy.

A RowBinary block is the rows one after another, each row its values in column order:
fixed-width numbers little-endian, strings and arrays as a LEB128 length and then the
bytes or elements, a ``Map`` as an array of key/value pairs. Per-token columns come as
numpy arrays, so each column is turned into its bytes for all rows at once (a ``Piece``)
and ``rows`` interleaves the pieces into rows; only the column layout is Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

U8 = npt.NDArray[np.uint8]
MAX_VARINT_BYTES = 10  # a LEB128 uint64


@dataclass(frozen=True)
class Piece:
    """One column's bytes for ``n`` rows: ``block`` ``[n, width]`` (every row the same
    length; may be a broadcast view) when ``lengths`` is None, else ``block`` is the rows'
    bytes back to back, ``lengths[i]`` of them for row ``i``."""

    block: U8
    lengths: npt.NDArray[np.int64] | None = None

    def row_lengths(self, n: int) -> npt.NDArray[np.int64]:
        if self.lengths is not None:
            return self.lengths
        return np.full(n, self.block.shape[1], dtype=np.int64)


def varint(value: int) -> bytes:
    """``value`` (>= 0) as LEB128."""
    if value < 0:
        raise ValueError(f"a length cannot be negative: {value}")
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def string_bytes(value: str) -> bytes:
    """A ``String`` value: its UTF-8 length and bytes."""
    raw = value.encode("utf-8")
    return varint(len(raw)) + raw


def const(raw: bytes, n: int) -> Piece:
    """The same bytes in every row (a broadcast view: nothing is copied)."""
    row = np.frombuffer(raw, dtype=np.uint8)
    return Piece(np.broadcast_to(row, (n, row.shape[0])))


def fixed(values: npt.ArrayLike, dtype: str) -> Piece:
    """One number per row as ``dtype`` (a little-endian numpy type such as ``'<u4'``)."""
    array = np.ascontiguousarray(np.asarray(values).astype(dtype, copy=False))
    return Piece(array.view(np.uint8).reshape(array.shape[0], array.dtype.itemsize))


def varints(values: npt.ArrayLike) -> Piece:
    """One LEB128 number per row (non-negative)."""
    v = np.asarray(values, dtype=np.uint64)
    n = v.shape[0]
    out = np.zeros((n, MAX_VARINT_BYTES), dtype=np.uint8)
    lengths = np.ones(n, dtype=np.int64)
    rest = v.copy()
    for i in range(MAX_VARINT_BYTES):
        low = (rest & np.uint64(0x7F)).astype(np.uint8)
        rest >>= np.uint64(7)
        more = rest > 0
        out[:, i] = low | (more.astype(np.uint8) << 7)
        lengths += more
        if not more.any():
            break
    return _prefix(out, lengths)


def strings(values: Sequence[str]) -> Piece:
    """One ``String`` per row."""
    raw = [value.encode("utf-8") for value in values]
    sizes = np.fromiter((len(r) for r in raw), dtype=np.int64, count=len(raw))
    body = Piece(np.frombuffer(b"".join(raw), dtype=np.uint8), sizes)
    return join(len(raw), [varints(sizes), body])


def arrays(values: npt.NDArray[np.generic], counts: npt.NDArray[np.int64], dtype: str) -> Piece:
    """One ``Array`` per row: the first ``counts[i]`` elements of row ``i`` of the
    ``[n, k]`` ``values``, as ``dtype``."""
    n, k = values.shape
    data = np.ascontiguousarray(values.astype(dtype, copy=False))
    width = data.dtype.itemsize
    body = data.view(np.uint8).reshape(n, k * width)
    sizes = np.asarray(counts, dtype=np.int64)
    if n and bool((sizes == k).all()):
        return join(n, [const(varint(k), n), Piece(body)])
    return join(n, [varints(sizes), _prefix(body, sizes * width)])


def bfloat16(values: npt.NDArray[np.float32]) -> npt.NDArray[np.uint16]:
    """The ``BFloat16`` bits of float32 values (rounded to nearest, ties to even)."""
    bits = np.ascontiguousarray(values, dtype=np.float32).view(np.uint32)
    rounding = np.uint32(0x7FFF) + ((bits >> np.uint32(16)) & np.uint32(1))
    return ((bits + rounding) >> np.uint32(16)).astype(np.uint16)


def join(n: int, pieces: Sequence[Piece]) -> Piece:
    """The pieces side by side as one piece (a row's columns in order)."""
    if all(p.lengths is None for p in pieces):
        if not pieces:
            return Piece(np.zeros((n, 0), dtype=np.uint8))
        return Piece(np.hstack([p.block for p in pieces]) if len(pieces) > 1 else pieces[0].block)
    widths = np.stack([p.row_lengths(n) for p in pieces])
    row_lengths = widths.sum(axis=0)
    out = np.empty(int(row_lengths.sum()), dtype=np.uint8)
    offset = np.cumsum(row_lengths) - row_lengths  # where each row starts in ``out``
    for piece, width in zip(pieces, widths, strict=True):
        _scatter(out, offset, piece)
        offset = offset + width
    return Piece(out, row_lengths)


def rows(n: int, pieces: Sequence[Piece]) -> bytes:
    """The RowBinary bytes of ``n`` rows whose columns are ``pieces``."""
    joined = join(n, pieces)
    return np.ascontiguousarray(joined.block).tobytes()


def _prefix(block: U8, lengths: npt.NDArray[np.int64]) -> Piece:
    """The first ``lengths[i]`` bytes of each row of ``block`` ``[n, width]``."""
    mask = np.arange(block.shape[1]) < lengths[:, None]
    return Piece(block[mask], lengths.astype(np.int64))


def _scatter(out: U8, offset: npt.NDArray[np.int64], piece: Piece) -> None:
    if piece.lengths is None:
        width = piece.block.shape[1]
        if width:
            out[offset[:, None] + np.arange(width)] = piece.block
        return
    sizes = piece.lengths
    total = int(sizes.sum())
    if not total:
        return
    starts = np.cumsum(sizes) - sizes
    within = np.arange(total) - np.repeat(starts, sizes)
    out[np.repeat(offset, sizes) + within] = piece.block
