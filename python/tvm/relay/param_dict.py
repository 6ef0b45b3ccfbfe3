"""0.8's ``relay.save_param_dict`` / ``relay.load_param_dict``: the runtime's
parameter serialisation (``tvm.runtime.save_param_dict`` / ``load_param_dict``),
under the names 0.8 scripts import from Relay."""
import tvm.runtime

__all__ = ["save_param_dict", "load_param_dict"]


def save_param_dict(params):
    """Serialise ``{name: array}`` to the bytes ``GraphModule.load_params`` reads.

    Parameters
    ----------
    params : dict of str to numpy.ndarray or tvm.runtime.Tensor

    Returns
    -------
    param_bytes : bytearray
    """
    return tvm.runtime.save_param_dict(params)


def load_param_dict(param_bytes):
    """The ``{name: tvm.runtime.Tensor}`` serialised by :func:`save_param_dict`.

    Parameters
    ----------
    param_bytes : bytes or bytearray

    Returns
    -------
    params : dict of str to tvm.runtime.Tensor
    """
    return tvm.runtime.load_param_dict(param_bytes)
