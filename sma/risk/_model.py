"""The factor risk model and the tracking error it implies.

Covariance of annual returns is ``Sigma = X F X' + diag(D)`` with exposures ``X`` (n, k),
factor covariance ``F`` (k, k) and specific variance ``D`` (n,). Everything downstream uses the
model only through its factor form, so an n x n matrix is never built.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sma.errors import SmaError


class RiskModelError(SmaError, ValueError):
    """A risk model whose arrays do not fit together (shapes, non-finite values, not PSD)."""


@dataclass(frozen=True)
class RiskModel:
    """A factor model of annualised return covariance.

    Parameters
    ----------
    symbols : ndarray of shape (n,), str
        The universe, in the order of every other array.
    factors : ndarray of shape (k,), str
        Factor names (``MARKET``, ``SECTOR:Energy``, ``STYLE:momentum``, ``STAT:1``, ...).
    exposures : ndarray of shape (n, k)
        Exposure of each security to each factor.
    factor_cov : ndarray of shape (k, k)
        Covariance of annual factor returns, symmetric positive semi-definite.
    specific_var : ndarray of shape (n,)
        Variance of annual specific (idiosyncratic) returns, > 0.
    """

    symbols: np.ndarray
    factors: np.ndarray
    exposures: np.ndarray
    factor_cov: np.ndarray
    specific_var: np.ndarray
    loadings: np.ndarray = field(init=False, repr=False)
    # L with L L' = F, from the eigendecomposition of F (``loadings`` = X L).
    factor_root: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        n, k = self.exposures.shape
        if self.symbols.shape != (n,) or self.specific_var.shape != (n,):
            raise RiskModelError(
                f"exposures are {n} x {k} but symbols/specific_var do not have {n} rows"
            )
        if self.factor_cov.shape != (k, k) or self.factors.shape != (k,):
            raise RiskModelError(f"factor_cov must be {k} x {k} with {k} factor names")
        for name in ("exposures", "factor_cov", "specific_var"):
            if not np.all(np.isfinite(getattr(self, name))):
                raise RiskModelError(f"{name} has non-finite values")
        if np.any(self.specific_var <= 0):
            bad = self.symbols[self.specific_var <= 0][:5]
            raise RiskModelError(f"specific variance must be > 0; not for {list(bad)}")
        cov = 0.5 * (self.factor_cov + self.factor_cov.T)
        vals, vecs = np.linalg.eigh(cov)
        if vals.min() < -1e-10 * max(1.0, vals.max()):
            raise RiskModelError(
                f"factor covariance is not positive semi-definite (eigenvalue {vals.min():.3g})"
            )
        # B = X L with L L' = F, so Sigma = B B' + diag(D): the form every solver uses.
        root = vecs * np.sqrt(np.clip(vals, 0.0, None))
        object.__setattr__(self, "factor_root", root)
        object.__setattr__(self, "loadings", np.ascontiguousarray(self.exposures @ root))

    @property
    def n(self) -> int:
        return self.symbols.shape[0]

    def covariance_times(self, x: np.ndarray) -> np.ndarray:
        """``Sigma @ x`` for x of shape (n,) or (n, m), without building Sigma."""
        d = self.specific_var if x.ndim == 1 else self.specific_var[:, None]
        return d * x + self.loadings @ (self.loadings.T @ x)

    def subset(self, index: np.ndarray) -> RiskModel:
        """The model restricted to the securities at ``index`` (positions in ``symbols``).

        Not checked again: its arrays are rows of this model's (finite, specific variance > 0)
        and the same factor covariance. Its factor root is this model's, not a second
        eigendecomposition of the same matrix, so its loadings are the rows ``X[index] L`` a new
        model would compute, to the bit. The engine takes a subset per account: the checks and
        the eigendecomposition were ~0.1-0.4 ms of each."""
        sub = object.__new__(RiskModel)
        exposures = self.exposures[index]
        fields = {
            "symbols": self.symbols[index],
            "factors": self.factors,
            "exposures": exposures,
            "factor_cov": self.factor_cov,
            "specific_var": self.specific_var[index],
            "factor_root": self.factor_root,
            "loadings": np.ascontiguousarray(exposures @ self.factor_root),
        }
        for name, value in fields.items():
            object.__setattr__(sub, name, value)
        return sub


def tracking_error(model: RiskModel, active_weights: np.ndarray) -> np.ndarray:
    """Ex-ante annualised tracking error of active weights, for many accounts at once.

    Parameters
    ----------
    model : RiskModel
    active_weights : ndarray of shape (n,) or (m, n)
        Portfolio weight minus target weight per security (fractions of account value).

    Returns
    -------
    ndarray of shape () or (m,)
        ``sqrt(a' Sigma a)``, annualised fraction.
    """
    a = np.atleast_2d(active_weights)
    factor_part = a @ model.loadings
    var = (a * a) @ model.specific_var + np.einsum("ij,ij->i", factor_part, factor_part)
    te = np.sqrt(np.clip(var, 0.0, None))
    return te[0] if active_weights.ndim == 1 else te
