"""The Darcy coefficient error rate: the fraction of pixels whose two-valued coefficient is recovered wrongly.

Both fields are binarised at the midpoint of the two values (12 and 3 by default), as in Huang et al.,
"DiffusionPDE: Generative PDE-Solving Under Partial Observation" (2024), arXiv:2406.17763.
"""

from __future__ import annotations

import torch
from torch import Tensor


def binarize_coefficient(a: Tensor, low: float = 3.0, high: float = 12.0) -> Tensor:
    """True where a is nearer ``high`` than ``low`` (a >= (low + high) / 2)."""
    if not high > low:
        raise ValueError(f"need high > low, got low={low}, high={high}")
    return torch.as_tensor(a) >= (low + high) / 2


def coefficient_error_rate(a_pred: Tensor, a_true: Tensor, low: float = 3.0, high: float = 12.0) -> Tensor:
    """Per sample, the fraction of pixels where binarised prediction and truth differ; (B, ...) -> (B,)."""
    a_pred, a_true = torch.as_tensor(a_pred), torch.as_tensor(a_true)
    if a_pred.shape != a_true.shape or a_pred.dim() < 2:
        raise ValueError(
            f"need two batches of the same shape (B, ...), got {tuple(a_pred.shape)}, {tuple(a_true.shape)}"
        )
    if not bool(torch.isfinite(a_pred).all()):
        raise ValueError("the predicted coefficient has non-finite values")
    wrong = binarize_coefficient(a_pred, low, high) != binarize_coefficient(a_true, low, high)
    return wrong.reshape(wrong.shape[0], -1).to(torch.float64).mean(1)
