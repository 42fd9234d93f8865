"""Parquet files joined by their bytes: each part's row groups copied as they are, one footer.

A Parquet file is ``PAR1``, the row groups' pages, then a footer (Thrift compact protocol) that
says where each column chunk starts. Files written with the same schema and settings join by
copying each part's pages whole and writing one footer listing every part's row groups, their
offsets moved by where the part's pages now start -- what parquet-mr's ``ParquetFileWriter
.appendFile`` does. No page is decoded, decompressed or compressed again.

Only the footer is read and written here, by a small Thrift compact codec that keeps every field
it does not know as it was (``Struct`` is the list of a struct's fields, in order).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

MAGIC = b"PAR1"

# Thrift compact protocol types (thrift/doc/specs/thrift-compact-protocol.md).
_STOP, _TRUE, _FALSE, _I8, _I16, _I32, _I64, _DOUBLE, _BINARY, _LIST, _SET, _MAP, _STRUCT = range(
    13
)

# Parquet's footer (parquet-format, src/main/thrift/parquet.thrift): the field ids that hold a
# position in the file.
_FILE_NUM_ROWS, _FILE_SCHEMA, _FILE_ROW_GROUPS = 3, 2, 4
_GROUP_COLUMNS, _GROUP_FILE_OFFSET, _GROUP_ORDINAL = 1, 5, 7
_CHUNK_FILE_OFFSET, _CHUNK_META = 2, 3
_CHUNK_OFFSETS = (4, 6)  # offset_index_offset, column_index_offset
_META_OFFSETS = (9, 10, 11, 14)  # data page, index page, dictionary page, bloom filter


@dataclass
class Field:
    id: int
    type: int
    value: Any


Struct = list[Field]


class _Reader:
    def __init__(self, data: bytes):
        self.data, self.at = data, 0

    def byte(self) -> int:
        self.at += 1
        return self.data[self.at - 1]

    def varint(self) -> int:
        shift = result = 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                return result
            shift += 7

    def zigzag(self) -> int:
        n = self.varint()
        return (n >> 1) ^ -(n & 1)

    def value(self, t: int) -> Any:
        if t in (_TRUE, _FALSE):  # a bool inside a list or map: one byte
            return self.byte() == _TRUE
        if t == _I8:
            return struct.unpack("b", bytes([self.byte()]))[0]
        if t in (_I16, _I32, _I64):
            return self.zigzag()
        if t == _DOUBLE:
            self.at += 8
            return struct.unpack("<d", self.data[self.at - 8 : self.at])[0]
        if t == _BINARY:
            n = self.varint()
            self.at += n
            return self.data[self.at - n : self.at]
        if t in (_LIST, _SET):
            head = self.byte()
            size = head >> 4 if head >> 4 != 15 else self.varint()
            return (head & 0x0F, [self.value(head & 0x0F) for _ in range(size)])
        if t == _MAP:
            size = self.varint()
            if not size:
                return (0, 0, [])
            kinds = self.byte()
            k, v = kinds >> 4, kinds & 0x0F
            return (k, v, [(self.value(k), self.value(v)) for _ in range(size)])
        if t == _STRUCT:
            return self.struct()
        raise ValueError(f"unknown Thrift compact type {t}")

    def struct(self) -> Struct:
        fields: Struct = []
        last = 0
        while True:
            head = self.byte()
            if head == _STOP:
                return fields
            t, delta = head & 0x0F, head >> 4
            fid = last + delta if delta else self.zigzag()
            value = t == _TRUE if t in (_TRUE, _FALSE) else self.value(t)
            fields.append(Field(fid, t, value))
            last = fid


class _Writer:
    def __init__(self):
        self.out = bytearray()

    def varint(self, n: int) -> None:
        while n > 0x7F:
            self.out.append((n & 0x7F) | 0x80)
            n >>= 7
        self.out.append(n)

    def zigzag(self, n: int) -> None:
        self.varint((n << 1) ^ (n >> 63))

    def value(self, t: int, v: Any) -> None:
        if t in (_TRUE, _FALSE):
            self.out.append(_TRUE if v else _FALSE)
        elif t == _I8:
            self.out += struct.pack("b", v)
        elif t in (_I16, _I32, _I64):
            self.zigzag(v)
        elif t == _DOUBLE:
            self.out += struct.pack("<d", v)
        elif t == _BINARY:
            self.varint(len(v))
            self.out += v
        elif t in (_LIST, _SET):
            kind, items = v
            if len(items) < 15:
                self.out.append(len(items) << 4 | kind)
            else:
                self.out.append(0xF0 | kind)
                self.varint(len(items))
            for item in items:
                self.value(kind, item)
        elif t == _MAP:
            k, kind, items = v
            self.varint(len(items))
            if items:
                self.out.append(k << 4 | kind)
                for key, item in items:
                    self.value(k, key)
                    self.value(kind, item)
        elif t == _STRUCT:
            self.struct(v)
        else:
            raise ValueError(f"unknown Thrift compact type {t}")

    def struct(self, fields: Struct) -> None:
        last = 0
        for f in fields:
            t = (_TRUE if f.value else _FALSE) if f.type in (_TRUE, _FALSE) else f.type
            if 0 < f.id - last <= 15:
                self.out.append((f.id - last) << 4 | t)
            else:
                self.out.append(t)
                self.zigzag(f.id)
            if f.type not in (_TRUE, _FALSE):
                self.value(f.type, f.value)
            last = f.id
        self.out.append(_STOP)


def _field(fields: Struct, fid: int) -> Field | None:
    return next((f for f in fields if f.id == fid), None)


@dataclass(frozen=True)
class Part:
    """One Parquet file's footer and where its pages end (the footer's first byte)."""

    footer: Struct
    pages_end: int

    @property
    def num_rows(self) -> int:
        found = _field(self.footer, _FILE_NUM_ROWS)
        return int(found.value) if found else 0

    @property
    def schema(self) -> Any:
        found = _field(self.footer, _FILE_SCHEMA)
        return found.value if found else None


def same_layout(a: Part, b: Part) -> bool:
    """The two files' footers agree in everything but their rows: schema, writer, metadata."""
    rest = lambda part: [f for f in part.footer if f.id not in (_FILE_NUM_ROWS, _FILE_ROW_GROUPS)]  # noqa: E731
    return rest(a) == rest(b)


def read_part(tail: bytes, size: int) -> Part:
    """The footer of a Parquet file of ``size`` bytes whose last bytes are ``tail`` (at least the
    footer and its 8-byte trailer)."""
    if tail[-4:] != MAGIC:
        raise ValueError("not a Parquet file")
    length = struct.unpack("<i", tail[-8:-4])[0]
    if length + 8 > len(tail):
        raise ValueError("the tail does not hold the whole footer")
    footer = _Reader(tail[-8 - length : -8]).struct()
    return Part(footer, size - 8 - length)


def footer_size(tail: bytes) -> int:
    """Bytes of footer and trailer at the end of a Parquet file (from its last 8 bytes)."""
    return struct.unpack("<i", tail[-8:-4])[0] + 8


def _shifted(fields: Struct, by: int, ids: tuple[int, ...]) -> None:
    # An offset 0 is no offset (no page starts before the magic): parquet-cpp writes the
    # deprecated ColumnChunk.file_offset as 0.
    for f in fields:
        if f.id in ids and f.value:
            f.value += by


def joined_footer(parts: list[Part], starts: list[int]) -> bytes:
    """The footer (with its trailer) of the file holding ``parts``' pages, part ``i``'s pages
    (from its byte 4) copied to byte ``starts[i]`` of the new file."""
    groups = []
    for part, start in zip(parts, starts, strict=True):
        by = start - 4
        row_groups = _field(part.footer, _FILE_ROW_GROUPS)
        for group in row_groups.value[1] if row_groups else []:
            _shifted(group, by, (_GROUP_FILE_OFFSET,))
            for chunk in _field(group, _GROUP_COLUMNS).value[1]:  # type: ignore[union-attr]
                _shifted(chunk, by, (_CHUNK_FILE_OFFSET, *_CHUNK_OFFSETS))
                meta = _field(chunk, _CHUNK_META)
                if meta is not None:
                    _shifted(meta.value, by, _META_OFFSETS)
            ordinal = _field(group, _GROUP_ORDINAL)
            if ordinal is not None:
                ordinal.value = len(groups)
            groups.append(group)
    footer = [Field(f.id, f.type, f.value) for f in parts[0].footer]
    for f in footer:
        if f.id == _FILE_NUM_ROWS:
            f.value = sum(p.num_rows for p in parts)
        elif f.id == _FILE_ROW_GROUPS:
            f.value = (_STRUCT, groups)
    w = _Writer()
    w.struct(footer)
    return bytes(w.out) + struct.pack("<i", len(w.out)) + MAGIC
