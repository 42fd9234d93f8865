"""A vendor's risk model in the inbox is used for the night; one that does not fit the universe is
refused with the reason and the night estimates its own (issue 4: "or load a vendor model from
files")."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.night._prepare import vendor_risk_model
from sma.risk import RiskModel

SYMBOLS = np.array(["AAA", "BBB", "CCC"])


def write_vendor_files(folder, specific=("AAA", "BBB", "CCC")) -> None:
    folder.mkdir(parents=True)
    pd.DataFrame(
        {
            "symbol": ["AAA", "BBB", "CCC", "AAA"],
            "factor": ["MKT", "MKT", "MKT", "VAL"],
            "exposure": [1.1, 0.9, 1.0, 0.5],
        }
    ).to_csv(folder / "exposures.csv", index=False)
    pd.DataFrame(
        {
            "factor_1": ["MKT", "MKT", "VAL"],
            "factor_2": ["MKT", "VAL", "VAL"],
            "covariance": [0.03, 0.001, 0.01],
        }
    ).to_csv(folder / "factor_covariance.csv", index=False)
    pd.DataFrame({"symbol": list(specific), "specific_risk": [0.25] * len(specific)}).to_csv(
        folder / "specific_risk.csv", index=False
    )


def test_no_vendor_folder_means_the_night_estimates_its_model(tmp_path):
    model, source = vendor_risk_model(tmp_path / "risk_model", SYMBOLS)
    assert model is None and source.startswith("estimated")


def test_a_vendor_model_is_loaded_in_the_universe_order(tmp_path):
    write_vendor_files(tmp_path / "risk_model")
    model, source = vendor_risk_model(tmp_path / "risk_model", SYMBOLS)
    assert isinstance(model, RiskModel) and source.startswith("vendor model")
    assert list(model.factors) == ["MKT", "VAL"]
    assert model.exposures[0].tolist() == [1.1, 0.5]
    assert np.allclose(model.specific_var, 0.25**2)


def test_a_vendor_model_missing_a_security_is_refused_with_the_reason(tmp_path):
    write_vendor_files(tmp_path / "risk_model", specific=("AAA", "BBB"))
    model, source = vendor_risk_model(tmp_path / "risk_model", SYMBOLS)
    assert model is None
    assert "refused" in source and "CCC" in source
