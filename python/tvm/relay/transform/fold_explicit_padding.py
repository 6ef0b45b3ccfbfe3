"""FoldExplicitPadding: fold an explicit ``nn.pad`` into the convolution it
feeds (0.8's ``relay.transform.FoldExplicitPadding``, ``opt_level`` 0).

``conv(nn.pad(x, pad_width, 0, "constant"), w)`` becomes ``conv(x, w)`` with
the pad widths of the spatial axes (``D``, ``H``, ``W`` of the convolution's
``data_layout``) added to its ``padding``, for ``nn.conv1d``, ``nn.conv2d`` and
``nn.conv3d``. Left alone: another pad value or mode (a convolution pads with
zeros only) and any padding of a non-spatial axis (batch, channels). The pad
stays in the graph when it has other users.
"""
import numpy as np

from ..expr import Call, Constant
from ._utils import TypedFunctionPass, TypeKeepingMutator, op_name

_CONVS = ("nn.conv1d", "nn.conv2d", "nn.conv3d")
_SPATIAL = "DHW"


def _zero_constant(expr):
    if not isinstance(expr, Constant):
        return False
    value = expr.numpy()
    return value.size == 1 and float(value.reshape(())) == 0.0


def folded_padding(pad, conv):
    """The convolution padding that absorbs ``pad``, or ``None`` if it cannot."""
    pad_width = pad.attrs.pad_width
    if pad.attrs.get("pad_mode", "constant") != "constant" or not _zero_constant(pad.args[1]):
        return None
    layout = conv.attrs.data_layout
    if len(layout) != len(pad_width):
        return None
    if any(c not in _SPATIAL and any(int(w) != 0 for w in pad_width[i])
           for i, c in enumerate(layout)):
        return None
    extra = [int(pad_width[i][side]) for side in (0, 1)
             for i, c in enumerate(layout) if c in _SPATIAL]
    old = [int(p) for p in conv.attrs.padding]
    if len(old) != len(extra):
        return None
    return tuple(int(a) for a in np.add(old, extra))


class _PadFolder(TypeKeepingMutator):
    def visit_call(self, call):
        new = super().visit_call(call)
        if op_name(new) not in _CONVS or op_name(new.args[0]) != "nn.pad":
            return new
        pad = new.args[0]
        padding = folded_padding(pad, new)
        if padding is None:
            return new
        return Call(new.op, [pad.args[0], new.args[1]], new.attrs.with_fields(padding=padding),
                    new.type_args, new.span)


def fold_explicit_padding(expr):
    """``expr`` with zero ``nn.pad`` calls folded into the convolutions they feed."""
    return _PadFolder().visit(expr)


def FoldExplicitPadding():  # pylint: disable=invalid-name
    """Fold explicit zero padding into the padding of the following convolution.

    Returns
    -------
    Pass
    """
    return TypedFunctionPass(0, "FoldExplicitPadding",
                             lambda func, _mod, _ctx: fold_explicit_padding(func))


__all__ = ["FoldExplicitPadding", "fold_explicit_padding"]
