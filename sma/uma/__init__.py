"""The model-delivered UMA (issue 19): outside managers' models, the sleeves that follow them,
what changed in a model since the last night, and the account target the sleeves blend to."""

from sma.uma._attribution import (
    ATTRIBUTION_COLUMNS,
    Attributed,
    after_transfers,
    attribute_lots,
    sleeve_targets,
)
from sma.uma._band import BAND_COLUMNS, keep_in_band
from sma.uma._blend import BlendedTarget, blended_target
from sma.uma._fit import LEGACY_CONCENTRATION, structure_fit, structure_fits
from sma.uma._models import ModelChange, model_changes, models_in_force
from sma.uma._overlay import (
    SLEEVE_TRADE_COLUMNS,
    TRANSFER_COLUMNS,
    SleeveBooking,
    TransferKind,
    book_to_sleeves,
)
from sma.uma._roll import roll_models_forward
from sma.uma._savings import OVERLAY_SAVINGS_COLUMNS, overlay_savings
from sma.uma._sleeve_records import SLEEVE_RECORD_COLUMNS, sleeve_records
from sma.uma._targets import UMA_BENCHMARK_PREFIX, UmaTargets, is_uma, uma_benchmark_id, uma_targets

__all__ = [
    "BAND_COLUMNS",
    "keep_in_band",
    "after_transfers",
    "LEGACY_CONCENTRATION",
    "structure_fit",
    "structure_fits",
    "OVERLAY_SAVINGS_COLUMNS",
    "overlay_savings",
    "SLEEVE_RECORD_COLUMNS",
    "SLEEVE_TRADE_COLUMNS",
    "TRANSFER_COLUMNS",
    "SleeveBooking",
    "TransferKind",
    "book_to_sleeves",
    "sleeve_records",
    "ATTRIBUTION_COLUMNS",
    "Attributed",
    "attribute_lots",
    "sleeve_targets",
    "UMA_BENCHMARK_PREFIX",
    "BlendedTarget",
    "ModelChange",
    "UmaTargets",
    "blended_target",
    "is_uma",
    "model_changes",
    "models_in_force",
    "roll_models_forward",
    "uma_benchmark_id",
    "uma_targets",
]
