"""Networks of the fields domain."""

from sciddiff.domains.fields.nets.patch_unet import PatchUNet

__all__ = ["PatchUNet"]
