"""Guidance: denoiser transforms (any solver) and posterior samplers (own loops), behind ``posterior_sample``."""

from sciddiff.guidance.base import DenoiserTransform, Method, PosteriorSampler, Requirements
from sciddiff.guidance.conditioning import ClassifierFreeGuidance, ClassifierGuidance
from sciddiff.guidance.ddnm import DDNM
from sciddiff.guidance.ddrm import DDRM
from sciddiff.guidance.diffpir import DiffPIR
from sciddiff.guidance.discrete_cfg import DiscreteCFG
from sciddiff.guidance.discrete_replacement import Replacement
from sciddiff.guidance.dps import DPS
from sciddiff.guidance.enkg import EnKG
from sciddiff.guidance.mmps import MMPS
from sciddiff.guidance.pigdm import PiGDM
from sciddiff.guidance.posterior import METHODS, PosteriorInfo, get_method, posterior_sample
from sciddiff.guidance.reddiff import REDDiff
from sciddiff.guidance.repaint import RePaint
from sciddiff.guidance.smc import SMC

__all__ = [
    "DDNM",
    "DDRM",
    "DPS",
    "METHODS",
    "MMPS",
    "SMC",
    "ClassifierFreeGuidance",
    "ClassifierGuidance",
    "DenoiserTransform",
    "DiffPIR",
    "DiscreteCFG",
    "EnKG",
    "Method",
    "PiGDM",
    "PosteriorInfo",
    "PosteriorSampler",
    "REDDiff",
    "RePaint",
    "Replacement",
    "Requirements",
    "get_method",
    "posterior_sample",
]
