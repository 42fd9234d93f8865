"""Factor risk models: estimate one from prices, or load a vendor's; tracking error from either."""

from sma.risk._estimate import (
    TRADING_DAYS,
    RiskModelParams,
    estimate_risk_model,
    returns_from_prices,
)
from sma.risk._model import RiskModel, RiskModelError, tracking_error
from sma.risk._vendor import risk_model_from_frames

__all__ = [
    "TRADING_DAYS",
    "RiskModel",
    "RiskModelError",
    "RiskModelParams",
    "estimate_risk_model",
    "returns_from_prices",
    "risk_model_from_frames",
    "tracking_error",
]
