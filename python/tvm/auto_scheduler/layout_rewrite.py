"""TEMPORARY re-export while callers move to tvm.topi.generic.input_transform."""
from tvm.topi.generic.input_transform import (  # noqa: F401
    LayoutTransform,
    extract_layout_transforms,
    take_out_layout_rewrites,
)
