"""Model loading: from a file to a Relay module and its parameters.

Only ONNX is available in this fork (``relay.frontend.from_onnx``). PyTorch,
TensorFlow, TFLite and Keras models, which upstream tvmc loaded through their
Relay frontends, are refused with a message saying so.
"""
import os

from . import TVMCImportError

# extension -> format name, for the formats upstream tvmc knew
_EXTENSIONS = {
    ".onnx": "onnx",
    ".pt": "pytorch", ".pth": "pytorch", ".torchscript": "pytorch",
    ".pb": "pb", ".tflite": "tflite", ".h5": "keras", ".keras": "keras",
}
SUPPORTED_FORMATS = ("onnx",)
KNOWN_FORMATS = ("onnx", "pytorch", "pb", "tflite", "keras")


class TVMCModel:
    """A loaded model: ``mod`` (Relay IRModule), ``params`` and the input shapes used."""

    def __init__(self, mod, params, input_shapes=None, name="model", path=None):
        self.path = path
        self.mod = mod
        self.params = params or {}
        self.input_shapes = dict(input_shapes or {})
        self.name = name

    def summary(self):
        """The Relay text of the model."""
        return str(self.mod)


def guess_format(path):
    ext = os.path.splitext(path)[1].lower()
    return _EXTENSIONS.get(ext)


def _onnx_input_shapes(model, shape_dict):
    """The shapes of the graph's inputs (not its initializers); ``shape_dict`` wins.

    A symbolic or unknown dimension becomes 1 unless ``shape_dict`` sets it.
    """
    initializers = {init.name for init in model.graph.initializer}
    shapes = {}
    for inp in model.graph.input:
        if inp.name in initializers:
            continue
        dims = [d.dim_value if d.dim_value > 0 else 1 for d in inp.type.tensor_type.shape.dim]
        shapes[inp.name] = dims
    for name, dims in (shape_dict or {}).items():
        if name not in shapes:
            raise TVMCImportError(f"--input-shapes names {name!r}, but the model's inputs are "
                                  f"{', '.join(shapes) or '(none)'}")
        if len(dims) != len(shapes[name]):
            raise TVMCImportError(f"--input-shapes: {name} has {len(shapes[name])} dimensions in the "
                                  f"model, {len(dims)} given")
        shapes[name] = [s if d == -1 else d for d, s in zip(dims, shapes[name])]
    return {name: tuple(dims) for name, dims in shapes.items()}


def load_onnx(path, shape_dict=None):
    try:
        import onnx  # pylint: disable=import-outside-toplevel
    except ImportError as err:
        raise TVMCImportError("loading an ONNX model needs the onnx package: pip install onnx") from err
    from tvm import relay  # pylint: disable=import-outside-toplevel

    try:
        model = onnx.load(path)
    except Exception as err:  # pylint: disable=broad-except
        raise TVMCImportError(f"{path} is not a readable ONNX model: {err}") from err
    shapes = _onnx_input_shapes(model, shape_dict)
    mod, params = relay.frontend.from_onnx(model, shape=shapes)
    return mod, params, shapes


def load_model(path, model_format=None, shape_dict=None):
    """Load a model file into a :class:`TVMCModel` (upstream's ``tvmc.load``).

    Parameters
    ----------
    path : str
    model_format : str, optional
        "onnx"; guessed from the extension when omitted.
    shape_dict : dict of str to list of int, optional
        Input shapes overriding the model's (``--input-shapes``).
    """
    if not os.path.isfile(path):
        raise TVMCImportError(f"no model file {path}")
    fmt = model_format or guess_format(path)
    if fmt is None:
        raise TVMCImportError(f"cannot tell the format of {path} from its extension; "
                              f"pass --model-format ({', '.join(SUPPORTED_FORMATS)})")
    if fmt == "pytorch":
        raise TVMCImportError(
            f"{path}: PyTorch models are not supported: this fork has no PyTorch frontend "
            "(relay.frontend.from_pytorch) and PyTorch is not installed. Export the model to "
            "ONNX (torch.onnx.export) and pass the .onnx file.")
    if fmt != "onnx":
        raise TVMCImportError(f"{path}: the {fmt} format is not supported by this fork; "
                              "only ONNX models can be loaded (convert the model to ONNX)")
    mod, params, shapes = load_onnx(path, shape_dict)
    name = os.path.splitext(os.path.basename(path))[0]
    return TVMCModel(mod, params, shapes, name, path)
