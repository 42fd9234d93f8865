"""Run a suite of ``data_contracts/suites`` through Great Expectations itself.

The night evaluates the suites vectorised (:mod:`._suites`); this module is GX's own reading of
the same JSON, used to show the two agree (tests) and to measure the difference (benchmarks).
GX is imported here, lazily: ``import great_expectations`` takes seconds.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import pandas as pd

from pipelines.validate._suites import DATE_RANGE, Suite


def run_suite_with_gx(
    suite: Suite, frame: pd.DataFrame, parameters: Mapping[str, object]
) -> pd.DataFrame:
    """Validate ``frame`` (typed, ``RangeIndex``) with GX; one row per failing cell.

    Returns
    -------
    DataFrame with columns ``rule``, ``column`` and ``row`` (1-based: ``frame``'s position + 1);
    expectations over a whole table (a column that does not exist) report ``row`` as null.
    """
    # No usage analytics: GX would otherwise try the network when a context starts.
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx
    from great_expectations.core import ExpectationSuite

    context = gx.get_context(mode="ephemeral")
    context.enable_analytics(False)
    context.variables.progress_bars = {"globally": False}
    gx_suite = context.suites.add(ExpectationSuite(**suite.raw))
    batch = (
        context.data_sources.add_pandas("inbox")
        .add_dataframe_asset(suite.name)
        .add_batch_definition_whole_dataframe("night")
        .get_batch(batch_parameters={"dataframe": frame.reset_index(drop=True)})
    )
    parameters = {**DATE_RANGE, **parameters}
    gx_parameters = {
        k: (pd.Timestamp(v) if hasattr(v, "isoformat") else v) for k, v in parameters.items()
    }
    result = batch.validate(
        gx_suite, expectation_parameters=gx_parameters, result_format={"result_format": "COMPLETE"}
    )
    found = []
    for r in result.results:
        if r.success:
            continue
        config = r.expectation_config
        kwargs = config.kwargs
        column = (
            kwargs.get("column")
            or kwargs.get("column_B")
            or ",".join(kwargs.get("column_list", ()))
        )
        rows = r.result.get("unexpected_index_list")
        if not rows:
            found.append((config.meta["rule"], column, None))
            continue
        for index in rows:
            position = index if isinstance(index, int) else next(iter(index.values()))
            found.append((config.meta["rule"], column, int(position) + 1))
    return pd.DataFrame(found, columns=["rule", "column", "row"]).astype({"row": "Int64"})
