"""External code generators' operator support (0.8's ``relay.op.contrib``).

Each module registers, for its code generator ``<name>``, the op attribute
``"target.<name>"`` (a predicate ``f(call) -> bool`` read by
``relay.transform.AnnotateTarget``) and a pattern table of composite operators
(read by ``relay.transform.MergeComposite`` through :func:`get_pattern_table`).

The fork ships the annotation rules of ``dnnl`` (so graphs can be annotated and
partitioned for it) and of the C source code generator ``ccompiler`` that it
can also compile and run (:mod:`tvm.relay.backend.contrib_codegen`). Compiling
a partitioned function for a code generator the fork does not have (DNNL,
TensorRT, ACL, ...) is refused with an error naming it.
"""
from .register import get_pattern_table, register_pattern_table
from . import ccompiler, dnnl
