"""The quantization configuration (0.8's ``QConfig``, ``qconfig``, ``current_qconfig``).

Upstream keeps the configuration in a C++ node and a thread-local scope stack;
here it is a plain Python object and a Python stack. The fields, their defaults
and the ``with qconfig(...):`` scoping are 0.8's. Values are checked when the
configuration is made, so a typo in a mode name fails at the ``qconfig`` call
with the list of accepted values instead of deep inside a pass.
"""
import warnings


class QAnnotateKind:
    """Which quantized field a value is converted to (0.8's enum values)."""

    IDENTITY = 0
    INPUT = 1
    WEIGHT = 2
    ACTIVATION = 3


def kind2str(kind):
    """``"input"``, ``"weight"``, ``"activation"`` or ``"identity"`` for a kind."""
    names = {
        QAnnotateKind.INPUT: "input",
        QAnnotateKind.WEIGHT: "weight",
        QAnnotateKind.ACTIVATION: "activation",
        QAnnotateKind.IDENTITY: "identity",
    }
    if int(kind) not in names:
        raise ValueError(f"unknown QAnnotateKind {kind!r}")
    return names[int(kind)]


_DEFAULTS = {
    "nbit_input": 8,
    "nbit_weight": 8,
    "nbit_activation": 32,
    "dtype_input": "int8",
    "dtype_weight": "int8",
    "dtype_activation": "int32",
    "calibrate_mode": "global_scale",
    "global_scale": 8.0,
    "weight_scale": "power2",
    "skip_dense_layer": True,
    "skip_conv_layers": [0],
    "do_simulation": False,
    "round_for_shift": True,
    "debug_enabled_ops": None,
    "rounding": "UPWARD",
    "calibrate_chunk_by": -1,
    "partition_conversions": "disabled",
}

_CHOICES = {
    "calibrate_mode": ("global_scale", "kl_divergence", "percentile"),
    "weight_scale": ("power2", "max"),
    "rounding": ("UPWARD", "TONEAREST"),
    "partition_conversions": ("disabled", "enabled", "fully_integral"),
}

_INT_DTYPES = ("int8", "int16", "int32", "uint8")


def _check(fields):
    for key, allowed in _CHOICES.items():
        if fields[key] not in allowed:
            raise ValueError(
                f"qconfig: {key}={fields[key]!r} is not supported; expected one of {list(allowed)}"
            )
    for kind in ("input", "weight", "activation"):
        nbit = fields["nbit_" + kind]
        if not isinstance(nbit, int) or isinstance(nbit, bool) or not 2 <= nbit <= 32:
            raise ValueError(f"qconfig: nbit_{kind}={nbit!r} must be an int in [2, 32]")
        dtype = str(fields["dtype_" + kind])
        if dtype not in _INT_DTYPES:
            raise ValueError(
                f"qconfig: dtype_{kind}={dtype!r} is not supported; expected one of {list(_INT_DTYPES)}"
            )
        bits = int("".join(ch for ch in dtype if ch.isdigit()))
        if nbit > bits:
            raise ValueError(f"qconfig: nbit_{kind}={nbit} does not fit dtype_{kind}={dtype}")
    scale = fields["global_scale"]
    if not isinstance(scale, (int, float)) or isinstance(scale, bool) or not scale > 0:
        raise ValueError(f"qconfig: global_scale={scale!r} must be a positive number")
    skip = fields["skip_conv_layers"]
    if skip is not None:
        if isinstance(skip, int) or not all(isinstance(i, int) and i >= 0 for i in skip):
            raise ValueError(
                f"qconfig: skip_conv_layers={skip!r} must be None or a list of conv2d indices (ints >= 0)"
            )
    chunk = fields["calibrate_chunk_by"]
    if not isinstance(chunk, int) or (chunk != -1 and chunk < 1):
        raise ValueError(f"qconfig: calibrate_chunk_by={chunk!r} must be -1 or a positive int")


class QConfig:
    """A quantization configuration; make it with :func:`qconfig`.

    Fields are read-only attributes (0.8's node fields are immutable too).
    Used as a context manager it becomes :func:`current_qconfig`.
    """

    _node_defaults = dict(_DEFAULTS)

    def __init__(self, **fields):
        values = dict(_DEFAULTS)
        values.update(fields)
        _check(values)
        if values["skip_conv_layers"] is not None:
            values["skip_conv_layers"] = list(values["skip_conv_layers"])
        if values["debug_enabled_ops"] is not None:
            values["debug_enabled_ops"] = [str(x) for x in values["debug_enabled_ops"]]
        object.__setattr__(self, "_fields", values)

    def __getattr__(self, name):
        fields = object.__getattribute__(self, "_fields")
        if name in fields:
            return fields[name]
        raise AttributeError(f"QConfig has no field {name!r}")

    def __setattr__(self, name, value):
        raise AttributeError(f"QConfig fields are read-only (cannot set {name!r}); use qconfig(...)")

    def guard(self, ref_call):
        """False when ``debug_enabled_ops`` is set and does not name the call's op."""
        if self.debug_enabled_ops is None:
            return True
        return ref_call.op.name in self.debug_enabled_ops

    def get_nbit_by_kind(self, kind):
        return self._fields["nbit_" + kind2str(kind)]

    def get_dtype_by_kind(self, kind):
        return self._fields["dtype_" + kind2str(kind)]

    def __enter__(self):
        _SCOPE.append(self)
        return self

    def __exit__(self, ptype, value, trace):
        _SCOPE.pop()

    def __repr__(self):
        body = ", ".join(f"{k}={v!r}" for k, v in self._fields.items())
        return f"qconfig({body})"


_SCOPE = []
_DEFAULT_CONFIG = None


def current_qconfig():
    """The configuration of the innermost ``with qconfig(...)`` (the defaults outside)."""
    global _DEFAULT_CONFIG  # pylint: disable=global-statement
    if _SCOPE:
        return _SCOPE[-1]
    if _DEFAULT_CONFIG is None:
        _DEFAULT_CONFIG = QConfig()
    return _DEFAULT_CONFIG


def qconfig(**kwargs):
    """Make a quantization configuration (use it as ``with qconfig(...):``).

    The keyword arguments are 0.8's fields (see ``QConfig._node_defaults``);
    unset ones keep their defaults. Bad values raise ``ValueError`` here.
    0.8 silently ignored unknown names; they are ignored here too (a script
    written for 0.8 must keep working) but a ``UserWarning`` names them.
    """
    unknown = sorted(k for k in kwargs if k not in _DEFAULTS)
    if unknown:
        warnings.warn(f"qconfig: ignoring unknown field(s) {unknown}; known fields: {sorted(_DEFAULTS)}")
    return QConfig(**{k: v for k, v in kwargs.items() if k in _DEFAULTS})


class QuantizeContext:
    """Per-run annotation state (0.8's): the conv2d counter for
    ``skip_conv_layers`` and the stop flag set after ``global_avg_pool2d``."""

    Current = None

    def __init__(self):
        self.qnode_map = {}
        self._conv2d_counter = 0
        self._stop_quantize = False

    def check_to_skip(self, ref_call):
        """True when ``ref_call`` must stay in float (skipped conv2d or after a stop)."""
        if self._stop_quantize:
            return True
        if ref_call.op.name == "nn.conv2d":
            index = self._conv2d_counter
            self._conv2d_counter += 1
            skipped = current_qconfig().skip_conv_layers
            if skipped is not None and index in skipped:
                return True
        return False

    def stop_quantize(self):
        self._stop_quantize = True

    def reset(self):
        self.qnode_map = {}
        self._conv2d_counter = 0
        self._stop_quantize = False

    def __enter__(self):
        self.reset()
        return self

    def __exit__(self, ptype, value, traceback):
        pass


def quantize_context():
    """The singleton :class:`QuantizeContext`."""
    if QuantizeContext.Current is None:
        QuantizeContext.Current = QuantizeContext()
    return QuantizeContext.Current
