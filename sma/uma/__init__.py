"""The model-delivered UMA (issue 19): outside managers' models, the sleeves that follow them,
what changed in a model since the last night, and the account target the sleeves blend to."""

from sma.uma._blend import BlendedTarget, blended_target
from sma.uma._models import ModelChange, model_changes, models_in_force
from sma.uma._roll import roll_models_forward

__all__ = [
    "BlendedTarget",
    "ModelChange",
    "blended_target",
    "model_changes",
    "models_in_force",
    "roll_models_forward",
]
