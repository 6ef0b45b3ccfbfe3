"""0.8's ``relay.backend.utils``: the module-name prefix of generated function names."""

__all__ = ["mangle_module_name"]


def mangle_module_name(mod_name):
    """``tvmgen_<mod_name>`` (``tvmgen`` for an empty or None name), the prefix of the
    names generated for module ``mod_name`` (e.g. by ``PartitionGraph``).

    Raises
    ------
    ValueError
        ``mod_name`` has a non-ASCII character (it goes into C symbol names).
    """
    if not mod_name:
        return "tvmgen"
    if not mod_name.isascii():
        raise ValueError(f"module name {mod_name!r} contains invalid (non-ASCII) characters")
    return "tvmgen_" + mod_name
