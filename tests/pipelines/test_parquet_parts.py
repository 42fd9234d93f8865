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
from hypothesis import given
from hypothesis import strategies as st

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


# -- parts a transform would leave as they are --------------------------------------------------


def _held_out_and_sorted(held: set[str]):
    """A check's transform (held accounts' rows dropped, the rest sorted) and its test that a part
    comes through it unchanged."""

    def transform(table: pa.Table) -> pa.Table:
        if not table.num_rows:  # an empty part's ids have no text type to match
            return table
        out = pc.is_in(table["account_id"], value_set=pa.array(sorted(held), pa.string()))
        table = table.filter(pc.invert(out))
        return _files.sorted_table(table, ["account_id", "symbol"])

    def unchanged(table: pa.Table) -> bool:
        held_here = set(table["account_id"].to_pylist()) & held
        return not held_here and _files.sorted_table(table, ["account_id", "symbol"]).equals(table)

    return transform, unchanged


@pytest.mark.parametrize(
    "held",
    [set(), {"A2"}, {"A4"}, {"A2", "A4", "A5"}, {"A1", "A2", "A3", "A4", "A5", "A6"}],
    ids=["none held", "one part changed", "a part emptied", "most changed", "all held"],
)
def test_parts_a_transform_leaves_alone_are_joined_by_their_bytes_the_rest_written_again(
    tmp_path, held
):
    """The file is what the transform path writes, byte for byte, whichever parts the transform
    changes; ``seen`` gets each part as written, in order."""
    frames = [
        _holdings(["A1"], 30),
        _holdings(["A2", "A3"], 0),
        _holdings(["A2", "A3"], 20),
        _holdings(["A4"], 5),
        _holdings(["A6", "A5"], 7),  # out of order: always transformed
    ]
    uris = _parts(tmp_path, frames)
    transform, unchanged = _held_out_and_sorted(held)
    seen_rows = lambda t: t["account_id"].to_pylist()  # noqa: E731
    before = _files.concat_parquet(
        uris, str(tmp_path / "before.parquet"), transform=transform, seen=seen_rows
    )
    after = _files.concat_parquet(
        uris,
        str(tmp_path / "after.parquet"),
        transform=transform,
        unchanged=unchanged,
        seen=seen_rows,
    )
    assert (tmp_path / "after.parquet").read_bytes() == (tmp_path / "before.parquet").read_bytes()
    assert [rows for rows in after if rows] == [rows for rows in before if rows]
    kept = pq.read_table(tmp_path / "after.parquet")["account_id"].to_pylist()
    assert not set(kept) & held


@given(
    st.lists(
        st.tuples(st.sampled_from(["a", "b", "B", "ab", ""]), st.integers(0, 3), st.booleans()),
        max_size=12,
    )
)
def test_in_order_is_whether_the_stable_sort_gives_the_table_back(rows):
    """``_in_order`` (the check's test that a shard's lot sells need no sort) agrees with sorting:
    the stable sort by the keys returns the table as it is exactly when it says so."""
    from pipelines.night._check import _in_order

    table = pa.table(
        {
            "k1": pa.array([r[0] for r in rows], pa.string()),
            "k2": pa.array([r[1] for r in rows], pa.int64()),
            "payload": pa.array([r[2] for r in rows], pa.bool_()),
        }
    )
    assert _in_order(table, ["k1", "k2"]) == _files.sorted_table(table, ["k1", "k2"]).equals(table)
