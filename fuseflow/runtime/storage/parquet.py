"""pandas DataFrames as Parquet payloads (pyarrow), for the ``parquet`` serializer.

Imported only when a value is a DataFrame or a record says ``parquet``. The
table is written once into an Arrow buffer that is handed to the store as is,
and read back from a zero-copy view of the record.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from .format import Buffer


def dump(frame: Any) -> list[Buffer]:
    table = pa.Table.from_pandas(frame, preserve_index=None)
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    return [memoryview(sink.getvalue())]


def load(payload: memoryview) -> Any:
    return pq.read_table(pa.BufferReader(pa.py_buffer(payload))).to_pandas()
