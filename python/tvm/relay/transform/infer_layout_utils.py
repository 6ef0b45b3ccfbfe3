"""Layout rules registered by users for ``ConvertLayout`` (0.8's ``FInferCorrectLayout``).

``ConvertLayout`` carries its own rules for the ops it knows (:mod:`.layout_rules`).
A script can give an op a rule of its own, as in 0.8::

    @relay.op.op.register_infer_correct_layout("nn.relu", level=11)
    def relu_layout(attrs, new_in_layouts, old_in_layouts, old_in_types):
        ...
        return InferCorrectLayoutOutput(input_layouts, output_layouts, attrs)

The rule receives, for each input, the layout it has in the rewritten graph
(``new_in_layouts``; ``None`` on the first call) and in the original graph
(``old_in_layouts``); a layout is a ``tvm.s_tir`` layout object (``.name``), or
``None`` where the pass knows none. It answers with the layouts it wants for its
inputs and the layouts of its outputs. As in 0.8 the pass calls the rule twice:
once with the original layouts only (which gives the op's original output
layout), then with the new ones; the inputs are converted to the layouts asked
for and the output carries the new layout.
"""
import tvm.s_tir

__all__ = ["InferCorrectLayoutOutput", "as_layout", "layout_name"]


class InferCorrectLayoutOutput:
    """What a layout rule answers (0.8's ``InferCorrectLayoutOutput``).

    Parameters
    ----------
    input_layouts : list of layout or str
        The layout each input should have (an empty or undefined layout: any).
    output_layouts : list of layout or str
        The layout of each output.
    new_attrs : Attrs
        The attributes of the rewritten call (e.g. with a new ``axis``).
    """

    def __init__(self, input_layouts, output_layouts, new_attrs):
        self.input_layouts = list(input_layouts)
        self.output_layouts = list(output_layouts)
        self.new_attrs = new_attrs

    def __repr__(self):
        ins = [layout_name(x) for x in self.input_layouts]
        outs = [layout_name(x) for x in self.output_layouts]
        return f"InferCorrectLayoutOutput(inputs={ins}, outputs={outs})"


def as_layout(name):
    """The layout object for ``name`` (``None`` for an unknown layout)."""
    return tvm.s_tir.slayout(name) if name else None


def layout_name(layout):
    """The name of a layout given as an object, a string or ``None`` ("" if undefined)."""
    if layout is None:
        return ""
    if isinstance(layout, str):
        return layout
    return str(layout.name)
