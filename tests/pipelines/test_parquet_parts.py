"""Shard files joined by their bytes (issue 23): each part's row groups copied as they are under
one footer give the file ParquetWriter writes from the parts' tables, byte for byte; parts that do
not share a schema are decoded and written again (Apache Parquet format, "File format": pages,
then a Thrift compact footer whose offsets say where each column chunk starts)."""

from __future__ import annotations

import io
from datetime import date

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from pipelines.night import _files
from pipelines.night._parquet_parts import Field, _Reader, _Writer, read_part


def _parts(tmp_path, frames: list[pd.DataFrame]) -> list[str]:
    uris = []
    for i, frame in enumerate(frames):
        uris.append(str(tmp_path / f"part-{i}.parquet"))
        _files.write_parquet(uris[-1], frame)
    return uris


def _written_again(uris: list[str]) -> bytes:
    """What ParquetWriter writes from the parts' tables, the way the night wrote before."""
    out, writer = io.BytesIO(), None
    for u in uris:
        table = pq.read_table(u)
        if writer is None and table.num_rows:
            writer = pq.ParquetWriter(
                out, table.schema, compression="zstd", write_statistics=True, store_schema=False
            )
        if table.num_rows:
            writer.write_table(table.cast(writer.schema))  # type: ignore[union-attr]
    writer.close()  # type: ignore[union-attr]
    return out.getvalue()


def _holdings(accounts: list[str], n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "account_id": [a for a in accounts for _ in range(n)],
            "symbol": [f"S{i:03d}" for _ in accounts for i in range(n)],
            "weight": [i / n for _ in accounts for i in range(n)],
            "until": [date(2026, 12, 1)] * (n * len(accounts)),
            "kept": [i % 2 == 0 for _ in accounts for i in range(n)],
        }
    )


def test_a_footer_reads_and_writes_back_to_its_own_bytes(tmp_path):
    (uri,) = _parts(tmp_path, [_holdings(["A1", "A2"], 50)])
    data = open(uri, "rb").read()
    part = read_part(data, len(data))
    footer = data[part.pages_end : -8]
    written = _Writer()
    written.struct(_Reader(footer).struct())
    assert bytes(written.out) == footer


def test_parts_joined_by_their_bytes_are_the_file_the_writer_writes(tmp_path):
    frames = [_holdings(["A1"], 40), _holdings(["A2", "A3"], 0), _holdings(["A4", "A5"], 300)]
    uris = _parts(tmp_path, frames)
    _files.concat_parquet(uris, str(tmp_path / "all.parquet"))
    joined = (tmp_path / "all.parquet").read_bytes()
    assert joined == _written_again(uris)
    table = pq.read_table(tmp_path / "all.parquet")
    assert pq.ParquetFile(tmp_path / "all.parquet").metadata.num_row_groups == 2
    pd.testing.assert_frame_equal(
        table.to_pandas(), pd.concat([frames[0], frames[2]], ignore_index=True), check_dtype=False
    )


def test_parts_of_different_schemas_are_written_again_in_the_first_parts_types(tmp_path):
    typed = _holdings(["A1"], 3)
    untyped = _holdings(["A2"], 2).assign(weight=[None, None])  # a column with no numbers
    uris = _parts(tmp_path, [typed, untyped])
    assert pq.read_table(uris[1]).schema.field("weight").type == pa.string()
    _files.concat_parquet(uris, str(tmp_path / "all.parquet"))
    table = pq.read_table(tmp_path / "all.parquet")
    assert table.schema.field("weight").type == pa.float64()
    assert table.column("account_id").to_pylist() == ["A1"] * 3 + ["A2"] * 2


def test_parts_without_rows_give_a_file_with_the_last_parts_columns(tmp_path):
    uris = _parts(tmp_path, [_holdings(["A1"], 0), _holdings(["A2"], 0)])
    _files.concat_parquet(uris, str(tmp_path / "all.parquet"))
    table = pq.read_table(tmp_path / "all.parquet")
    assert table.num_rows == 0 and table.column_names == list(_holdings([], 0).columns)


def test_every_thrift_compact_type_reads_back_as_written():
    """The footer codec keeps fields it does not know (Thrift compact protocol: bools in the field
    header, zigzag varints, doubles, binaries, long lists, sets, maps, far field ids)."""
    inner = [Field(1, 5, -7), Field(2, 1, True)]
    fields = [
        Field(1, 2, False),
        Field(2, 3, -3),
        Field(3, 4, 300),
        Field(4, 6, -(2**40)),
        Field(5, 7, 0.25),
        Field(6, 8, b"zstd"),
        Field(7, 9, (5, list(range(20)))),
        Field(8, 10, (1, [True, False])),
        Field(9, 11, (8, 5, [(b"k", 1), (b"l", -1)])),
        Field(10, 11, (0, 0, [])),
        Field(40, 12, inner),
    ]
    written = _Writer()
    written.struct(fields)
    assert _Reader(bytes(written.out)).struct() == fields


def test_a_file_that_is_not_parquet_is_refused():
    with pytest.raises(ValueError, match="not a Parquet file"):
        read_part(b"not parquet at all", 18)
    with pytest.raises(ValueError, match="whole footer"):
        read_part(b"\x10\x00\x00\x00PAR1", 8)


def test_duckdbs_parts_of_a_shard_join_by_their_bytes_and_read_back_in_both(tmp_path):
    """Parquet files DuckDB's COPY wrote (a partition in several files) join by their bytes like
    pyarrow's: joined, pyarrow (with a filter on the statistics) and DuckDB read every row of
    every part."""
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE t AS SELECT (i % 2) AS shard, 'A' || (i % 500) AS account_id, "
        "'L' || i AS lot_id, i * 1.5 AS quantity, DATE '2020-01-01' + (i % 300)::INT AS acquired "
        "FROM range(400000) r(i)"
    )
    con.execute(
        f"COPY t TO '{tmp_path / 'out'}' (FORMAT parquet, PARTITION_BY (shard), "
        "WRITE_PARTITION_COLUMNS false, COMPRESSION zstd, ROW_GROUP_SIZE 20000, "
        "FILE_SIZE_BYTES '200KB')"
    )
    parts = sorted((tmp_path / "out" / "shard=0").glob("*.parquet"))
    assert len(parts) > 1
    _files.concat_parquet([str(p) for p in parts], str(tmp_path / "lots.parquet"))
    every = pa.concat_tables([pq.read_table(p) for p in parts])
    joined = pq.read_table(tmp_path / "lots.parquet")
    assert joined.equals(every)
    assert pq.ParquetFile(tmp_path / "lots.parquet").metadata.created_by.startswith("DuckDB")
    some = pq.read_table(tmp_path / "lots.parquet", filters=[("account_id", "=", "A2")])
    assert some.num_rows == pc.sum(pc.equal(every["account_id"], "A2")).as_py()
    counted = duckdb.sql(f"SELECT count(*) FROM '{tmp_path / 'lots.parquet'}'").fetchall()
    assert counted == [(every.num_rows,)]
