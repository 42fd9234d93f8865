"""A vendor's risk model, handed over as three long frames (exposures, factor covariance, specific
risk)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sma.risk._model import RiskModel, RiskModelError


def risk_model_from_frames(
    exposures: pd.DataFrame,
    factor_cov: pd.DataFrame,
    specific_risk: pd.DataFrame,
    symbols: np.ndarray,
) -> RiskModel:
    """Build a model from a vendor's files, aligned to our universe.

    Parameters
    ----------
    exposures : frame with symbol, factor, exposure
    factor_cov : frame with factor_1, factor_2, covariance (annual; one triangle is enough)
    specific_risk : frame with symbol, specific_risk (annual volatility, fraction)
    symbols : ndarray of shape (n,), str
        Our universe; every symbol must have a specific risk (exposures may be missing = 0).

    Raises
    ------
    RiskModelError
        Naming the symbols without specific risk, or factors in the covariance but never exposed.
    """
    factors = np.unique(
        np.concatenate([factor_cov["factor_1"].astype(str), factor_cov["factor_2"].astype(str)])
    )
    fpos = {f: i for i, f in enumerate(factors)}
    spos = {s: i for i, s in enumerate(symbols)}
    unknown = sorted(set(exposures["factor"].astype(str)) - set(factors))
    if unknown:
        raise RiskModelError(
            f"exposures name factors missing from the factor covariance: {unknown[:5]}"
        )
    x = np.zeros((symbols.size, factors.size))
    rows = exposures["symbol"].map(spos)
    keep = rows.notna().to_numpy()
    x[rows[keep].astype(int).to_numpy(), exposures["factor"][keep].map(fpos).to_numpy()] = (
        exposures["exposure"][keep]
    )
    cov = np.zeros((factors.size, factors.size))
    i = factor_cov["factor_1"].map(fpos).to_numpy()
    j = factor_cov["factor_2"].map(fpos).to_numpy()
    cov[i, j] = factor_cov["covariance"].to_numpy()
    cov[j, i] = factor_cov["covariance"].to_numpy()
    spec = pd.Series(
        specific_risk["specific_risk"].to_numpy(float), index=specific_risk["symbol"].astype(str)
    )
    spec = spec[~spec.index.duplicated()].reindex(symbols)
    missing = list(spec.index[spec.isna()][:5])
    if missing:
        raise RiskModelError(f"vendor model has no specific risk for {missing}")
    return RiskModel(np.asarray(symbols), factors, x, cov, spec.to_numpy() ** 2)
