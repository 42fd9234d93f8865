"""The toy risk model as a fixture; the shards and the universe are in ``toy_shards``."""

import pytest

from sma.risk import RiskModel
from tests.rebalance.toy_shards import toy_model


@pytest.fixture
def model() -> RiskModel:
    return toy_model()
