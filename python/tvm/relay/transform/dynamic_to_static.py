"""DynamicToStatic: 0.8's pass turning ``dyn.*`` operators with constant shape
arguments into their static forms.

The fork's Relay has no ``dyn.*`` operators: its frontends and operators build
static shapes when the shapes are known at conversion time (and refuse values
computed at run time, naming them). So every module is already in the form this
pass produces; it type-infers the module, as 0.8's pass did on its result, and
changes nothing else.
"""
from .pass_infra import ModulePass, PassInfo
from .type_infer import InferType


def DynamicToStatic():  # pylint: disable=invalid-name
    """0.8's ``relay.transform.DynamicToStatic`` (opt_level 3); see the module docstring.

    Returns
    -------
    Pass
    """

    def transform(mod, ctx):
        del ctx
        return InferType()(mod)

    return ModulePass(PassInfo(3, "DynamicToStatic", []), transform)


__all__ = ["DynamicToStatic"]
