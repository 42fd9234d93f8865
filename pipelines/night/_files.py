"""Files a night writes: atomically, under a temporary name then renamed into place.

No partial file ever stands under a final name, so a night killed at any point leaves either the
whole file or none. Shard exchange goes through fsspec so the same code writes a local folder or
an object store (``s3://``, ``gs://``); the run folder for people (blotter, review page) is local.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import fsspec
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipelines._atomic import replacing_uri
from pipelines._faults import crash_point
from pipelines.night._parquet_parts import (
    MAGIC,
    Part,
    footer_size,
    joined_footer,
    read_part,
    same_layout,
)


def _fs(uri: str) -> tuple[fsspec.AbstractFileSystem, str]:
    fs, path = fsspec.core.url_to_fs(uri)
    return fs, path


def join(uri: str, *parts: str) -> str:
    return "/".join([uri.rstrip("/"), *parts])


def write_bytes(uri: str, data: bytes, point: str | None = None) -> None:
    """Write ``data`` to ``uri`` atomically; ``point`` names a crash point inside the write."""
    with replacing_uri(uri) as (fs, tmp), fs.open(tmp, "wb") as out:
        half = len(data) // 2
        out.write(data[:half])
        if point:
            out.flush()
            crash_point(f"{point}:mid-write")
        out.write(data[half:])


def put_file(local: Path, uri: str) -> None:
    """Copy the local file ``local`` to ``uri`` atomically (temporary name, then renamed)."""
    with replacing_uri(uri) as (fs, tmp):
        fs.put_file(str(local), tmp)


def read_bytes(uri: str) -> bytes:
    fs, path = _fs(uri)
    with fs.open(path, "rb") as f:
        return f.read()


def exists(uri: str) -> bool:
    fs, path = _fs(uri)
    return fs.exists(path)


def _table(frame: pd.DataFrame) -> pa.Table:
    return _tidy(pa.Table.from_pandas(frame, preserve_index=False))


def _tidy(table: pa.Table) -> pa.Table:
    # A text column with no rows has no type of its own: store it as text, so readers can filter it.
    table = table.cast(
        pa.schema(
            [pa.field(f.name, pa.string()) if pa.types.is_null(f.type) else f for f in table.schema]
        )
    )
    return table.replace_schema_metadata(None)


def write_parquet(uri: str, frame: pd.DataFrame, point: str | None = None) -> None:
    """Parquet with deterministic bytes: no pandas index, no creation time, fixed compression."""
    write_bytes(uri, _parquet_bytes(_table(frame)), point)


def _parquet_bytes(table: pa.Table) -> bytes:
    """``table`` as a Parquet file's bytes, with the settings every file here is written with."""
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="zstd", write_statistics=True, store_schema=False)
    return buf.getvalue()


def concat_parquet(
    uris: list[str],
    uri: str,
    point: str | None = None,
    transform: Callable[[pa.Table], pa.Table] | None = None,
    empty: pd.DataFrame | None = None,
    unchanged: Callable[[pa.Table], bool] | None = None,
    seen: Callable[[pa.Table], Any] | None = None,
) -> list:
    """Write the rows of the Parquet files ``uris``, in order, as one file at ``uri``, one file at a
    time.

    Without ``transform``, parts of one schema are joined by their bytes (:func:`_join_pages`):
    nothing decoded or compressed again. Otherwise each file is read as an Arrow table and written
    as it is read (no pandas in between), with the same types and settings.
    ``transform`` (optional) turns each file's table into what is written (filters, sorts, added
    columns in Arrow); ``empty`` is written when there are no files at all. Memory holds one input
    file, never all of them. Column types follow the first part with rows (a frame with no rows
    has no types of its own). Atomic like every write here.

    ``unchanged`` (optional, with ``transform``) tells from a part's table that ``transform`` would
    give it back as it is. The parts are then joined by their bytes too: those unchanged as they
    are on disk, the others transformed and encoded on their own, with the settings the writer
    uses (the same bytes either way), so a night that holds a few accounts out decodes, sorts and
    compresses only their shards' parts again. ``seen`` (optional) is called with each part's
    table as written, in order, whichever way the file is written (a part without rows may or may
    not be seen); its answers are returned, in the parts' order.
    """
    if transform is None and seen is None and _join_pages(uris, uri, point):
        return []
    if transform is not None and unchanged is not None:
        answers = _join_unchanged(uris, uri, point, transform, unchanged, seen)
        if answers is not None:
            return answers
    answers = []
    with replacing_uri(uri) as (fs, tmp), fs.open(tmp, "wb") as out:
        writer = None
        for i, u in enumerate(uris):
            table = read_table(u)
            table = _tidy(transform(table) if transform else table)
            if seen is not None:
                answers.append(seen(table))
            if writer is None and (table.num_rows or i == len(uris) - 1):
                writer = pq.ParquetWriter(
                    out, table.schema, compression="zstd", write_statistics=True, store_schema=False
                )
            if writer is not None and table.num_rows:
                writer.write_table(table.cast(writer.schema))
            if point and i == 0:
                out.flush()
                crash_point(f"{point}:mid-write")
        if writer is None:  # no parts at all
            table = _table(empty if empty is not None else pd.DataFrame())
            writer = pq.ParquetWriter(out, table.schema, compression="zstd", store_schema=False)
            writer.write_table(table)
        writer.close()
    return answers


def _join_unchanged(uris, uri, point, transform, unchanged, seen) -> list | None:
    """:func:`concat_parquet` by the parts' bytes where ``unchanged``; None (nothing written) when
    the parts' layouts differ after all."""
    sources, answers = [], []
    for u in uris:
        footer = _footer(u)
        if not footer.num_rows:
            continue
        table = read_table(u)
        if unchanged(table):
            sources.append((u, footer))
        else:
            table = _tidy(transform(table))
            if not table.num_rows:
                continue
            data = _parquet_bytes(table)
            sources.append((data, read_part(data, len(data))))
        if seen is not None:
            answers.append(seen(table))
    return answers if _join_sources(sources, uri, point) else None


def _join_pages(uris: list[str], uri: str, point: str | None) -> bool:
    """Write the parts' row groups as they are, one after the other, under one footer
    (:mod:`pipelines.night._parquet_parts`); the same bytes :class:`pq.ParquetWriter` writes from
    their tables. False (nothing written) when no part has rows or their schemas or settings
    differ: then the parts are decoded, cast to one schema and written again."""
    return _join_sources([(u, _footer(u)) for u in uris], uri, point)


def _join_sources(sources: list[tuple[str | bytes, Part]], uri: str, point: str | None) -> bool:
    """:func:`_join_pages` of parts each a file (its URI) or the bytes of one, with its footer."""
    kept = [(source, part) for source, part in sources if part.num_rows]
    if not kept or any(not same_layout(kept[0][1], part) for _, part in kept):
        return False
    with replacing_uri(uri) as (fs, tmp), fs.open(tmp, "wb") as out:
        out.write(MAGIC)
        starts, at = [], len(MAGIC)
        for i, (source, part) in enumerate(kept):
            data = read_bytes(source) if isinstance(source, str) else source
            pages = data[len(MAGIC) : part.pages_end]
            out.write(pages)
            starts.append(at)
            at += len(pages)
            if point and i == 0:
                out.flush()
                crash_point(f"{point}:mid-write")
        out.write(joined_footer([part for _, part in kept], starts))
    return True


def _footer(uri: str) -> Part:
    fs, path = _fs(uri)
    size = fs.size(path)
    with fs.open(path, "rb") as f:
        f.seek(size - 8)
        f.seek(size - footer_size(f.read(8)))
        return read_part(f.read(), size)


def read_table(uri: str) -> pa.Table:
    """A Parquet file as an Arrow table, as :func:`write_parquet` wrote it (no pandas)."""
    return pq.read_table(io.BytesIO(read_bytes(uri)))


def sorted_table(table: pa.Table, keys: list[str]) -> pa.Table:
    """``table`` sorted by ``keys``, a stable sort (rows with equal keys keep their order)."""
    return table.take(pc.sort_indices(table, sort_keys=[(k, "ascending") for k in keys]))


def read_parquet(uri: str) -> pd.DataFrame:
    return read_table(uri).to_pandas()


def write_json(uri: str, obj: Any, point: str | None = None) -> None:
    write_bytes(
        uri, (json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n").encode(), point
    )


def read_json(uri: str) -> Any:
    return json.loads(read_bytes(uri))


def write_text(path: Path, text: str, point: str | None = None) -> None:
    write_bytes(str(path), text.encode(), point)
