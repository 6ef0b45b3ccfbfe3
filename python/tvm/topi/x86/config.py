"""Knob configurations of the x86 schedules.

Each schedule reads its tile sizes, unroll and vectorise choices from a small
plain config object. ``fallback_*`` functions derive a good one from the
shape and the target (upstream's "fallback configs"); the AutoTVM templates
can pass tuned values instead, either as plain ints or as AutoTVM entities
(anything with ``.size`` like a ``SplitEntity``, or ``.val`` like an
``OtherOptionEntity``).
"""

__all__ = ["ScheduleConfig", "knob"]


def knob(value):
    """Plain value of a knob: an int/bool, or an AutoTVM entity's value."""
    if hasattr(value, "size"):  # SplitEntity: the innermost factor is the tile
        return int(value.size[-1])
    if hasattr(value, "val"):  # OtherOptionEntity
        return value.val
    return value


class ScheduleConfig:
    """Named knob values of one schedule.

    Parameters
    ----------
    name : str
        Which schedule the knobs belong to (e.g. ``"conv2d_nchw"``).
    is_fallback : bool
        True when the values come from a fallback function, not from tuning.
    **knobs
        Knob values.

    Examples
    --------
    >>> cfg = ScheduleConfig("dense", tile_y=8, tile_x=16)
    >>> cfg["tile_x"]
    16
    """

    def __init__(self, name, is_fallback=True, **knobs):
        self.name = name
        self.is_fallback = is_fallback
        self._knobs = dict(knobs)

    def __getitem__(self, key):
        if key not in self._knobs:
            raise KeyError(f"schedule config '{self.name}' has no knob '{key}' "
                           f"(knobs: {sorted(self._knobs)})")
        return knob(self._knobs[key])

    def __setitem__(self, key, value):
        self._knobs[key] = value

    def __contains__(self, key):
        return key in self._knobs

    def get(self, key, default=None):
        """Knob value or ``default``."""
        return knob(self._knobs[key]) if key in self._knobs else default

    def items(self):
        """(name, plain value) pairs."""
        return [(k, knob(v)) for k, v in self._knobs.items()]

    def update(self, other):
        """Override knobs from a mapping or another config (tuned values win)."""
        pairs = other.items() if hasattr(other, "items") else other
        for key, value in pairs:
            self._knobs[key] = value
        return self

    def __repr__(self):
        body = ", ".join(f"{k}={v!r}" for k, v in self.items())
        return f"ScheduleConfig({self.name!r}, {body})"


def merge_config(fallback, cfg):
    """Return the fallback config overridden by ``cfg`` (a mapping, config or None)."""
    if cfg is None:
        return fallback
    if isinstance(cfg, ScheduleConfig):
        fallback.update(cfg)
    elif hasattr(cfg, "items"):
        fallback.update(cfg)
    else:
        raise TypeError(f"schedule config must be a ScheduleConfig or a dict, got {type(cfg).__name__}")
    fallback.is_fallback = False
    return fallback
