"""Configuration spaces of AutoTVM templates.

A template declares its tunable choices ("knobs") on a :class:`ConfigSpace`
(``cfg.define_split``, ``define_reorder``, ``define_annotate``,
``define_knob``). A point of the space is a :class:`ConfigEntity`: one entity
per knob, addressed by a single integer index (mixed radix over the knobs in
definition order). Untuned workloads get a :class:`FallbackConfigEntity`.

Schedules here are ``tvm.s_tir.Schedule`` programs, so the entities apply to
TensorIR loops: ``cfg["tile_x"].apply(sch, loop)`` returns the loops of the
split, ``cfg["ann"].apply(sch, loops)`` unrolls/vectorises/parallelises.
"""
import math
import zlib
from collections import OrderedDict

import numpy as np

from .knobs import (  # noqa: F401  (re-exported: upstream's names live in space)
    AnnotateEntity,
    AnnotateSpace,
    InstantiationError,
    OtherOptionEntity,
    OtherOptionSpace,
    ReorderEntity,
    ReorderSpace,
    SplitEntity,
    SplitSpace,
    TransformSpace,
    VirtualAxis,
)

class ConfigSpace:
    """The space of a template's knobs, collected while the template runs.

    While collecting, ``cfg[name]`` is the first entity of each knob, so the
    template can be run end to end once to discover its space.
    """

    def __init__(self):
        self.space_map = OrderedDict()
        self._entity_map = OrderedDict()
        self._collect = True
        self._length = None
        self.flop = 0
        self.cost = None
        self.errors = []
        self.code_hash = None
        self.is_fallback = False

    @staticmethod
    def axis(var):
        """A :class:`VirtualAxis` of ``var`` (int, te IterVar or loop)."""
        return VirtualAxis(var)

    reduce_axis = axis

    def define_split(self, name, axis, policy="factors", **kwargs):
        """Define a knob splitting ``axis`` into ``num_outputs`` loops.

        Parameters
        ----------
        name : str
        axis : int, te IterVar, tirx.For or VirtualAxis
        policy : str
            ``"factors"`` (default), ``"power2"`` or ``"verbose"``.
        num_outputs : int
            Number of loops after the split (default 2).
        max_factor, filter
            See :class:`SplitSpace`.
        """
        kwargs.setdefault("num_outputs", 2)
        axes = [axis if isinstance(axis, VirtualAxis) else VirtualAxis(axis)]
        return self._add_new_transform(SplitSpace, name, axes, policy, **kwargs)

    def define_reorder(self, name, axes, policy, **kwargs):
        """Define a knob reordering ``axes`` (``"identity"``, ``"all"``, ``"candidate"``)."""
        axes = [a if isinstance(a, VirtualAxis) else VirtualAxis(a) for a in axes]
        return self._add_new_transform(ReorderSpace, name, axes, policy, **kwargs)

    def define_annotate(self, name, axes, policy, **kwargs):
        """Define a knob annotating ``axes`` (``"try_unroll"``, ``"try_vec"``, ...)."""
        axes = [a if isinstance(a, VirtualAxis) else VirtualAxis(a) for a in axes]
        return self._add_new_transform(AnnotateSpace, name, axes, policy, **kwargs)

    def define_knob(self, name, candidate):
        """Define a knob taking one of the values in ``candidate``."""
        return self._add_new_transform(OtherOptionSpace, name, [], "", candidate=list(candidate))

    def add_flop(self, flop):
        """Add ``flop`` floating point operations to the template's count."""
        self.flop += float(flop)

    def raise_error(self, msg):
        """Reject this config (the measurement records an instantiation error)."""
        self.errors.append(msg)
        raise InstantiationError(msg)

    def valid(self):
        """Whether no error was raised for this config."""
        return not self.errors

    def _add_new_transform(self, space_class, name, axes, policy, **kwargs):
        if self._collect and name in self.space_map:
            # a knob defined by both the compute and the schedule of a TOPI
            # template: the first definition stands
            return [VirtualAxis(1, f"{name}.{i}") for i in range(self.space_map[name].num_output)]
        if self._collect:
            space = space_class(axes, policy, **kwargs)
            self.space_map[name] = space
            self._entity_map[name] = space[0]
            self._length = None
            return [VirtualAxis(1, f"{name}.{i}") for i in range(space.num_output)]
        return [VirtualAxis(1, f"{name}.{i}") for i in range(space_class.get_num_output(axes, policy, **kwargs))]

    def __len__(self):
        if self._length is None:
            self._length = int(np.prod([len(s) for s in self.space_map.values()], dtype=object)) if self.space_map else 1
        return self._length

    def get(self, index):
        """The :class:`ConfigEntity` at ``index`` (0 <= index < len(self))."""
        if not 0 <= index < len(self):
            raise IndexError(f"config index {index} out of range [0, {len(self)})")
        entities = OrderedDict()
        rest = index
        for name, space in self.space_map.items():
            entities[name] = space[rest % len(space)]
            rest //= len(space)
        return ConfigEntity(index, self.code_hash, entities, [])

    def knob2point(self, knob):
        """Index of the point whose per-knob entity indices are ``knob``."""
        point, base = 0, 1
        for value, space in zip(knob, self.space_map.values()):
            point += value * base
            base *= len(space)
        return point

    def point2knob(self, point):
        """Per-knob entity indices of ``point``."""
        knob = []
        for space in self.space_map.values():
            knob.append(point % len(space))
            point //= len(space)
        return knob

    def __getitem__(self, name):
        return self._entity_map[name]

    def __contains__(self, name):
        return name in self._entity_map

    def __repr__(self):
        lines = [f"ConfigSpace (len={len(self)}, space_map="]
        for i, (name, space) in enumerate(self.space_map.items()):
            lines.append(f"  {i:2d} {name}: {space}")
        return "\n".join(lines) + ")"


def _entity_to_json(entity):
    if isinstance(entity, SplitEntity):
        return ["sp", entity.size]
    if isinstance(entity, ReorderEntity):
        return ["re", entity.perm]
    if isinstance(entity, AnnotateEntity):
        return ["an", entity.anns]
    if isinstance(entity, OtherOptionEntity):
        return ["ot", entity.val]
    raise TypeError(f"cannot serialise knob entity {entity!r}")


def _entity_from_json(item):
    kind, value = item
    if kind == "sp":
        return SplitEntity(value)
    if kind == "re":
        return ReorderEntity(value)
    if kind == "an":
        return AnnotateEntity(value)
    if kind == "ot":
        return OtherOptionEntity(value)
    raise ValueError(f"unknown knob entity kind {kind!r}")


class ConfigEntity(ConfigSpace):
    """One point of a :class:`ConfigSpace`.

    Running a template with a ConfigEntity as ``cfg`` makes ``define_*`` no-ops
    and ``cfg[name]`` the chosen entity.
    """

    def __init__(self, index, code_hash, entity_map, constraints):
        super().__init__()
        self.index = index
        self._collect = False
        self._entity_map = entity_map
        self._space_map = None
        self._constraints = constraints
        self.code_hash = code_hash

    def get_flatten_feature(self):
        """The knob values as a flat float vector (log2 of split sizes)."""
        fea = []
        for entity in self._entity_map.values():
            if isinstance(entity, SplitEntity):
                fea.extend(math.log2(s) if s > 0 else 0.0 for s in entity.size)
            elif isinstance(entity, ReorderEntity):
                fea.extend(entity.perm)
            elif isinstance(entity, AnnotateEntity):
                fea.extend(["none", "unroll", "vec", "parallel"].index(a) for a in entity.anns)
            elif isinstance(entity, OtherOptionEntity):
                val = entity.val
                fea.append(float(val) if isinstance(val, (int, float, bool, np.number)) else float(zlib.crc32(str(val).encode()) % 97))
        return np.array(fea, dtype=np.float32)

    def get_other_option(self):
        """``{name: value}`` of the ``define_knob`` knobs."""
        return {k: v.val for k, v in self._entity_map.items() if isinstance(v, OtherOptionEntity)}

    def to_json_dict(self):
        """The config as a JSON-serialisable dict (the ``"config"`` of a record)."""
        return {
            "index": self.index,
            "code_hash": self.code_hash,
            "entity": [[name, *_entity_to_json(e)] for name, e in self._entity_map.items()],
        }

    @staticmethod
    def from_json_dict(json_dict):
        """Rebuild a ConfigEntity from :meth:`to_json_dict` output."""
        entities = OrderedDict()
        for item in json_dict["entity"]:
            name, kind, value = item
            entities[name] = _entity_from_json((kind, value))
        return ConfigEntity(int(json_dict["index"]), json_dict.get("code_hash"), entities, [])

    def __eq__(self, other):
        return (
            isinstance(other, ConfigEntity)
            and self.index == other.index
            and list(self._entity_map.items()) == list(other._entity_map.items())
        )

    def __hash__(self):
        return hash((self.index, tuple(self._entity_map.items())))

    def __repr__(self):
        return f"{list(self._entity_map.items())},{self.code_hash},{self.index}"

    __str__ = __repr__


class FallbackConfigEntity(ConfigSpace):
    """The config of a workload without tuning records.

    Knobs defined by the template take their first entity unless the template
    (or a schedule's default-config code) sets them with ``cfg[name] = entity``
    or :meth:`fallback_split`.
    """

    def __init__(self):
        super().__init__()
        self.is_fallback = True
        self.index = -1

    def _add_new_transform(self, space_class, name, axes, policy, **kwargs):
        if name in self.space_map:  # a template run again on the same fallback
            return [VirtualAxis(1, f"{name}.{i}") for i in range(self.space_map[name].num_output)]
        space = space_class(axes, policy, **kwargs)
        self.space_map[name] = space
        self._entity_map.setdefault(name, space[0])
        return [VirtualAxis(1, f"{name}.{i}") for i in range(space.num_output)]

    def fallback_split(self, name, constraints):
        """Pick the split of knob ``name`` with the largest factors within ``constraints``.

        ``constraints[i]`` bounds the i-th factor (outer first); the outer one
        is usually -1 (free).
        """
        space = self.space_map[name]
        best = None
        for entity in space.entities:
            if all(c == -1 or s <= c for s, c in zip(entity.size[1:], constraints[1:])):
                key = tuple(reversed(entity.size[1:]))
                if best is None or key > best[0]:
                    best = (key, entity)
        if best is None:
            raise ValueError(f"no split of {name!r} satisfies {constraints}")
        self._entity_map[name] = best[1]

    def fallback_with_reference_log(self, ref_log):
        """Copy the knobs of the best config of a similar workload.

        ``ref_log`` is a list of ``(MeasureInput, MeasureResult)``; the knobs
        that exist in this space and whose values are valid here are copied.
        """
        best = None
        for inp, res in ref_log:
            if res.error_no == 0 and (best is None or np.mean(res.costs) < np.mean(best[1].costs)):
                best = (inp, res)
        if best is None:
            return
        for name, entity in best[0].config._entity_map.items():
            if name in self.space_map and entity in self.space_map[name].entities:
                self._entity_map[name] = entity

    def __setitem__(self, name, entity):
        self._entity_map[name] = entity

    def __repr__(self):
        return f"{list(self._entity_map.items())},{self.code_hash}"


__all__ = [
    "ConfigSpace", "ConfigEntity", "FallbackConfigEntity", "SplitSpace", "SplitEntity",
    "ReorderSpace", "ReorderEntity", "AnnotateSpace", "AnnotateEntity", "OtherOptionSpace",
    "OtherOptionEntity", "VirtualAxis", "InstantiationError",
]
