"""``tvm._ffi.base`` of TVM 0.8: the error base class and string helpers."""
import tvm.error

#: 0.8's base class of TVM errors (every error class of the base derives from it).
TVMError = getattr(tvm.error, "TVMError", RuntimeError)


def py_str(value):
    """``bytes`` decoded as UTF-8; ``str`` unchanged."""
    return value.decode("utf-8") if isinstance(value, bytes) else value
