"""Checking a tuning target up front, and matching the target of a record.

Both tuners (AutoTVM and the auto-scheduler) call :func:`check_target` before
their first measurement, so that a target they cannot tune for stops the run
with one clear error instead of a log full of failed measurements: an unknown
target kind or option, an ``-mcpu`` that LLVM does not know, or a device that
this machine does not have.

:func:`target_compatible` is the one rule deciding whether a tuning record
applies to a target (used by the dispatch contexts and record readers of both
tuners): the same target is an exact match; the same kind and the same keys
(``cpu``, ``arm_cpu``, ``gpu``...) is a compatible match, e.g. records tuned with
``-mcpu=skylake-avx512`` used on a ``znver4`` machine; anything else does not
match. This module imports neither tuner.
"""
import tvm

__all__ = ["check_target", "record_target", "target_compatible", "EXACT", "COMPATIBLE", "NO_MATCH"]

#: :func:`target_compatible`: the record's target is the target.
EXACT = "exact"
#: :func:`target_compatible`: same kind and keys, other options (``-mcpu``, ``-model``...) differ.
COMPATIBLE = "compatible"
#: :func:`target_compatible`: another kind or other keys.
NO_MATCH = "no"

# target kinds whose kernels run on the host CPU
_CPU_DEVICE_TYPE = 1


def _parse(target, what):
    if isinstance(target, tvm.target.Target):
        return target
    if not isinstance(target, (str, dict)):
        raise TypeError(f"{what} must be a str, dict or tvm.target.Target, got {type(target).__name__}")
    try:
        return tvm.target.Target(target)
    except Exception as err:  # pylint: disable=broad-except
        # the base raises ValueError or its own errors (RuntimeError subclasses)
        raise ValueError(f"{what} {target!r} cannot be parsed: {_first_line(err)}") from err


def _first_line(err):
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__


def _kind_name(target):
    if isinstance(target, str):
        return target.split()[0] if target.split() else ""
    if isinstance(target, dict):
        return str(target.get("kind", ""))
    return ""


def _check_mcpu(target, what):
    cpu = target.attrs.get("mcpu", None)
    if target.kind.name != "llvm" or not cpu:
        return
    from tvm.target import codegen  # pylint: disable=import-outside-toplevel

    triple = target.attrs.get("mtriple", None) or codegen.llvm_get_system_triple()
    if not codegen.llvm_is_valid_cpu(str(cpu), str(triple)):
        raise ValueError(
            f"{what}: -mcpu={cpu} is not a CPU that LLVM knows for -mtriple={triple}; "
            f"the CPUs of this LLVM are listed by tvm.target.codegen.llvm_get_cpu_archlist()"
        )


def _check_device(target, what):
    dev_type = int(target.get_target_device_type())
    if dev_type == _CPU_DEVICE_TYPE:
        return
    device = tvm.device(dev_type, 0)
    if not device.exist:
        raise ValueError(
            f"{what}: the target kind {target.kind.name!r} needs the device {device}, which this machine "
            f"does not have (tvm.device({target.kind.name!r}).exist is False); measure on a remote device "
            f"with an RPC runner instead"
        )


def check_target(target, local_device=True, what="target"):
    """Check that a target can be tuned for, before anything is measured or logged.

    Parameters
    ----------
    target : Union[str, dict, tvm.target.Target]
        The target (the legacy command-line form included).
    local_device : bool
        Whether candidates run on this machine (a local runner): the target's
        device must then exist here. False for RPC runners.
    what : str
        How to name the target in errors (e.g. ``"--target"``).

    Returns
    -------
    target : tvm.target.Target
        The parsed target.

    Raises
    ------
    ValueError
        Naming the bad option: an unknown target kind (with the known kinds),
        an option the kind does not have, an ``-mcpu`` unknown to LLVM, or a
        device that is not present.
    """
    if not isinstance(target, tvm.target.Target):
        kind = _kind_name(target)
        known = list(tvm.target.Target.list_kinds())
        if kind and kind not in known and not kind.startswith("{"):
            raise ValueError(
                f"{what} {target!r}: unknown target kind {kind!r} (known kinds: {', '.join(sorted(known))})"
            )
    parsed = _parse(target, what)
    _check_mcpu(parsed, what)
    if parsed.host is not None:
        _check_mcpu(parsed.host, what + " host")
    if local_device:
        _check_device(parsed, what)
    return parsed


_RECORD_TARGETS = {}


def record_target(text):
    """The target of a tuning record's target string, parsed once per string.

    Parameters
    ----------
    text : str
        The target as a record stores it.

    Returns
    -------
    target : tvm.target.Target

    Raises
    ------
    ValueError
        When the text is not a string or does not parse (the reason in one line).
    """
    if not isinstance(text, str):
        raise ValueError(f"the record target is not a string: {text!r}")
    if text not in _RECORD_TARGETS:
        if len(_RECORD_TARGETS) > 4096:
            _RECORD_TARGETS.clear()
        try:
            _RECORD_TARGETS[text] = _parse(text, "record target")
        except ValueError as err:
            _RECORD_TARGETS[text] = err
    found = _RECORD_TARGETS[text]
    if isinstance(found, ValueError):
        raise ValueError(str(found))
    return found


def _signature(target):
    return target.kind.name, tuple(str(k) for k in target.keys)


def target_compatible(record_target, target):
    """How a record's target matches a target.

    Parameters
    ----------
    record_target : Union[str, dict, tvm.target.Target]
        The target a record was tuned for.
    target : Union[str, dict, tvm.target.Target]
        The target being compiled or tuned for.

    Returns
    -------
    match : str
        :data:`EXACT` when both are the same target, :data:`COMPATIBLE` when
        they have the same kind and the same keys (the record is still used,
        e.g. another ``-mcpu``), :data:`NO_MATCH` otherwise (also when the
        record's target cannot be parsed).
    """
    try:
        record_target = _parse(record_target, "record target")
    except (ValueError, TypeError):
        return NO_MATCH
    target = _parse(target, "target")
    if str(record_target) == str(target):
        return EXACT
    if _signature(record_target) == _signature(target):
        return COMPATIBLE
    return NO_MATCH
