"""Argument parsing helpers shared by the tvmc subcommands."""
import re

from . import TVMCException


def parse_shape_string(text):
    """``"data:[1,3,224,224] mask:[1,10]"`` -> ``{"data": [1, 3, 224, 224], "mask": [1, 10]}``.

    Names may contain ``:`` (the last ``:`` before ``[`` separates them); ``-1``
    or ``?`` marks a dimension to leave to the model. Inputs are separated by
    spaces (or commas between closing and opening brackets).
    """
    if text is None:
        return None
    shapes = {}
    pattern = re.compile(r"\s*([^\[\]\s,][^\[\]]*?):\s*\[([^\]]*)\]\s*,?")
    pos = 0
    text = text.strip()
    while pos < len(text):
        match = pattern.match(text, pos)
        if not match:
            raise TVMCException(
                f"--input-shapes: cannot parse {text[pos:]!r}; expected name:[d0,d1,...] "
                "(e.g. \"data:[1,3,224,224]\"), several separated by spaces")
        name, dims = match.group(1).strip(), match.group(2)
        try:
            shapes[name] = [(-1 if d.strip() == "?" else int(d)) for d in dims.split(",") if d.strip()]
        except ValueError as err:
            raise TVMCException(f"--input-shapes: bad dimension in {match.group(0).strip()!r}") from err
        pos = match.end()
    if not shapes:
        raise TVMCException("--input-shapes: no shape given")
    return shapes


def parse_target(text):
    """A ``tvm.target.Target`` from ``--target`` (default host LLVM); clear error on failure."""
    import tvm  # pylint: disable=import-outside-toplevel

    try:
        return tvm.target.Target(text or "llvm")
    except Exception as err:  # pylint: disable=broad-except
        raise TVMCException(f"--target: cannot parse {text!r}: {err}") from err


def convert_graph_layout(mod, desired_layout):
    """``mod`` with its convolutions in ``desired_layout`` (upstream tvmc's helper).

    As upstream tvmc, the layout-sensitive ops named are the 2-d convolutions
    (with their default kernel layouts); pools, element-wise ops and the other
    ops that can follow are carried along by ``relay.transform.ConvertLayout``.
    ``None`` or ``""`` leaves the module as it is.
    """
    if not desired_layout:
        return mod
    import tvm  # pylint: disable=import-outside-toplevel
    from tvm import relay  # pylint: disable=import-outside-toplevel

    desired_layouts = {
        "nn.conv2d": [desired_layout, "default"],
        "nn.conv2d_transpose": [desired_layout, "default"],
        "qnn.conv2d": [desired_layout, "default"],  # ignored while Relay has no qnn.conv2d
    }
    try:
        with tvm.transform.PassContext(opt_level=3):
            return relay.transform.ConvertLayout(desired_layouts)(mod)
    except Exception as err:  # pylint: disable=broad-except
        raise TVMCException(f"error converting the layout to {desired_layout}: {err}") from err


def tracker_host_port(text):
    """``"host:port"`` (port 9190 by default) -> ``(host, port)``."""
    if not text:
        return None, None
    host, _, port = text.rpartition(":") if ":" in text else (text, "", "9190")
    try:
        return host, int(port)
    except ValueError as err:
        raise TVMCException(f"--rpc-tracker: expected HOST:PORT, got {text!r}") from err


def records_kind(path):
    """``"auto_scheduler"`` or ``"autotvm"``: the kind of a tuning log, by its first record."""
    import json  # pylint: disable=import-outside-toplevel

    try:
        with open(path, encoding="utf-8") as fin:
            for line in fin:
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                row = json.loads(line)
                if isinstance(row, dict) and "i" in row and "r" in row:
                    return "auto_scheduler"
                if isinstance(row, dict) and "input" in row and "config" in row:
                    return "autotvm"
                break
    except OSError as err:
        raise TVMCException(f"--tuning-records: cannot read {path}: {err}") from err
    except ValueError as err:
        raise TVMCException(f"--tuning-records: {path} is not a JSON-lines tuning log: {err}") from err
    raise TVMCException(f"--tuning-records: {path} holds no auto-scheduler or AutoTVM record")
