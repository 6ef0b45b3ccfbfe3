"""Write the tables of supported operators of the frontends into docs/frontends.md.

ONNX: generated from the converter registry of the ONNX frontend
(``tvm.relay.frontend._onnx_common.CONVERTERS``): one row per operator type of
the default domain, with the opsets in which it is converted. That range is the
opsets in which ONNX defines the operator (from ``onnx.defs``: from its first
version up to the version that deprecated it, if any), cut to the frontend's
``SUPPORTED_OPSETS`` and to any narrower range the converter declares
(``register(..., opsets=...)``).

PyTorch: the ATen operators of the PyTorch frontend's converter table
(``tvm.relay.frontend.pytorch.supported_ops()``), grouped by converter module.
Without torch installed that block is left as it is.

Usage::

    python scripts/gen_op_table.py          # rewrite the table in docs/frontends.md
    python scripts/gen_op_table.py --check  # exit 1 if the committed table is stale

tests/python/frontend/onnx/test_onnx_op_table.py runs the check.
"""
import argparse
import collections
import os
import sys

BEGIN = "<!-- BEGIN GENERATED ONNX OPERATOR TABLE (scripts/gen_op_table.py) -->"
END = "<!-- END GENERATED ONNX OPERATOR TABLE -->"
TORCH_BEGIN = "<!-- BEGIN GENERATED PYTORCH OPERATOR TABLE (scripts/gen_op_table.py) -->"
TORCH_END = "<!-- END GENERATED PYTORCH OPERATOR TABLE -->"
_TORCH_HEADING = "### Supported PyTorch operators"
DOC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "docs",
                   "frontends.md")

# converter module -> the family shown in the table
_FAMILIES = {
    "_onnx_math": "math", "_onnx_nn": "nn", "_onnx_shape": "shape / indexing",
    "_onnx_recurrent": "recurrent", "_onnx_control": "control flow", "_onnx_vision": "vision",
    "_onnx_quantized": "quantized",
}


def _onnx_versions():
    """op type -> (first opset, last opset or None) of the default domain."""
    import onnx.defs  # pylint: disable=import-outside-toplevel

    versions = collections.defaultdict(list)
    for schema in onnx.defs.get_all_schemas_with_history():
        if schema.domain in ("", "ai.onnx"):
            versions[schema.name].append((schema.since_version, schema.deprecated))
    spans = {}
    for name, entries in versions.items():
        entries.sort()
        first = entries[0][0]
        deprecated = [v for v, dep in entries if dep]
        spans[name] = (first, deprecated[0] - 1 if deprecated else None)
    return spans


def rows():
    """``[(op type, lowest opset, highest opset, family)]`` sorted by op type."""
    from tvm.relay.frontend import onnx as onnx_frontend  # pylint: disable=import-outside-toplevel
    from tvm.relay.frontend._onnx_common import (  # pylint: disable=import-outside-toplevel
        CONVERTER_OPSETS, CONVERTERS)

    low, high = onnx_frontend.SUPPORTED_OPSETS
    spans = _onnx_versions()
    table = []
    for op_type in sorted(CONVERTERS):
        first, last = spans.get(op_type, (low, None))
        own_low, own_high = CONVERTER_OPSETS.get(op_type, (None, None))
        lo = max(low, first, own_low or low)
        hi = min(high, last or high, own_high or high)
        module = CONVERTERS[op_type].__module__.rsplit(".", 1)[-1]
        table.append((op_type, lo, hi, _FAMILIES.get(module, module)))
    return table


def render():
    """The generated block (markers included)."""
    from tvm.relay.frontend.onnx import SUPPORTED_OPSETS  # pylint: disable=import-outside-toplevel

    lines = [BEGIN, "",
             f"{len(rows())} operators of the default ONNX domain; models of opsets "
             f"{SUPPORTED_OPSETS[0]} to {SUPPORTED_OPSETS[1]} are accepted.", "",
             "| Operator | Opsets | Family |", "| --- | --- | --- |"]
    for op_type, lo, hi, family in rows():
        span = f"{lo}" if lo == hi else f"{lo}–{hi}"
        lines.append(f"| {op_type} | {span} | {family} |")
    lines += ["", END]
    return "\n".join(lines)


def torch_rows():
    """``[(family, [ATen names])]`` of the PyTorch frontend, or None without torch."""
    try:
        from tvm.relay.frontend.pytorch import _registry  # pylint: disable=import-outside-toplevel
        from tvm.relay.frontend.pytorch import supported_ops  # pylint: disable=import-outside-toplevel
    except ImportError:
        return None
    families = collections.defaultdict(list)
    for name in supported_ops():
        module = _registry.CONVERTERS[name].__module__.rsplit(".", 1)[-1]
        families[module.replace("_ops_", "")].append(name)
    return sorted(families.items())


def render_torch():
    """The generated PyTorch block (markers included), or None without torch."""
    table = torch_rows()
    if table is None:
        return None
    count = sum(len(names) for _, names in table)
    lines = [TORCH_BEGIN, "",
             f"{count} ATen operators (schema names, all overloads), shared by `from_pytorch` and "
             "`from_exported_program`.", "",
             "| Family | Operators |", "| --- | --- |"]
    for family, names in table:
        lines.append(f"| {family} | {', '.join(f'`{n}`' for n in names)} |")
    lines += ["", TORCH_END]
    return "\n".join(lines)


def _replace(text, begin, end, block, heading):
    if begin in text and end in text:
        return text[:text.index(begin)] + block + text[text.index(end) + len(end):]
    prefix = f"{heading}\n\n" if heading else ""
    return text.rstrip("\n") + "\n\n" + prefix + block + "\n"


def updated(text):
    """``text`` (the document) with its generated blocks replaced (appended if absent)."""
    text = _replace(text, BEGIN, END, render(), None)
    torch_block = render_torch()
    if torch_block is not None:
        text = _replace(text, TORCH_BEGIN, TORCH_END, torch_block, _TORCH_HEADING)
    return text


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="exit 1 when docs/frontends.md does not hold the current table")
    args = parser.parse_args(argv)
    with open(DOC, encoding="utf-8") as fin:
        text = fin.read()
    new = updated(text)
    if args.check:
        if new != text:
            print(f"{DOC}: an operator table is stale; run python scripts/gen_op_table.py")
            return 1
        return 0
    if new != text:
        with open(DOC, "w", encoding="utf-8") as fout:
            fout.write(new)
        print(f"{DOC}: tables written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
