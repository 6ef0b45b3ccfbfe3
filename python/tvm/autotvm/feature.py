"""TVM 0.8's ``tvm.autotvm.feature``: features of a TE schedule.

Its functions (``get_itervar_feature(sch, args)``, ``..._flatten``,
``get_buffer_curve_sample_flatten``) lowered a TE schedule; the base has no TE
schedules, so they raise an error that says so. The fork's cost models compute
features of the TensorIR a template produces:
:func:`tvm.autotvm.tuner.feature.get_itervar_feature` (``task, config``) and
:func:`tvm.autotvm.tuner.feature.itervar_feature_of_func` (a ``PrimFunc``).
"""
from .tuner.feature import get_knob_feature, itervar_feature_of_func  # noqa: F401


def _no_te_schedules(name):
    def unavailable(*args, **kwargs):
        del args, kwargs
        raise NotImplementedError(
            f"autotvm.feature.{name} works on TE schedules, which this base (apache-tvm 0.27) "
            "no longer has; use tvm.autotvm.tuner.feature.get_itervar_feature(task, config) or "
            "itervar_feature_of_func(prim_func) on the TensorIR of a template"
        )

    unavailable.__name__ = name
    unavailable.__doc__ = f"0.8's ``{name}`` (TE schedules): not available on this base."
    return unavailable


ana_lower = _no_te_schedules("ana_lower")
get_itervar_feature = _no_te_schedules("get_itervar_feature")
get_itervar_feature_flatten = _no_te_schedules("get_itervar_feature_flatten")
get_buffer_curve_sample_flatten = _no_te_schedules("get_buffer_curve_sample_flatten")
flatten_itervar_feature = _no_te_schedules("flatten_itervar_feature")
get_flatten_name = _no_te_schedules("get_flatten_name")
