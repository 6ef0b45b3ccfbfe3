"""XGBoost-guided tuner."""
from .model_based_tuner import ModelBasedTuner, SimulatedAnnealingOptimizer
from .xgboost_cost_model import XGBoostCostModel


class XGBTuner(ModelBasedTuner):
    """Tune with an XGBoost cost model and simulated annealing.

    Parameters
    ----------
    task : autotvm.task.Task
    plan_size : int
        Configs measured between model fits; the first ``plan_size`` are random.
    feature_type : str
        ``"itervar"`` (TensorIR loop-nest features; costs one template
        instantiation per config scored) or ``"knob"`` (knob values).
    loss_type : str
        ``"rank"`` or ``"reg"``.
    num_threads : int, optional
    optimizer : str or ModelOptimizer
        ``"sa"`` (simulated annealing) or an optimiser instance.
    diversity_filter_ratio : float, optional
    log_interval : int

    Notes
    -----
    With ``feature_type="itervar"`` the annealer scores configs through the
    template, so it runs fewer chains and steps (32 x 100) than with knob
    features (128 x 500) to keep a model round within seconds.
    """

    def __init__(self, task, plan_size=64, feature_type="itervar", loss_type="rank",
                 num_threads=None, optimizer="sa", diversity_filter_ratio=None, log_interval=50):
        cost_model = XGBoostCostModel(task, feature_type, loss_type, num_threads, log_interval // 2)
        if optimizer == "sa":
            if feature_type == "itervar":
                optimizer = SimulatedAnnealingOptimizer(task, n_iter=100, parallel_size=32,
                                                        log_interval=log_interval)
            else:
                optimizer = SimulatedAnnealingOptimizer(task, log_interval=log_interval)
        elif isinstance(optimizer, str):
            raise ValueError(f"unknown optimizer {optimizer!r} (only 'sa')")
        super().__init__(task, cost_model, optimizer, plan_size, diversity_filter_ratio)
