"""0.8's ``relay.analysis._ffi_api`` entry points that tests call.

0.8 reached its C++ analyses through this FFI module; the fork's analyses are
Python, so only the test entry point of the type solver lives here.
"""


def _test_type_solver():
    """A fresh ``relay.transform.type_infer.TypeSolver`` (0.8's test entry point)."""
    from ..transform.type_infer import TypeSolver  # pylint: disable=import-outside-toplevel

    return TypeSolver()
