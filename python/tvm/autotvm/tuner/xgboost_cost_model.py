"""XGBoost cost model over config features."""
import logging

import numpy as np

from .feature import get_itervar_feature, get_knob_feature
from .model_based_tuner import CostModel

logger = logging.getLogger("autotvm")


class XGBoostCostModel(CostModel):
    """Gradient-boosted trees predicting the relative speed of configs.

    Parameters
    ----------
    task : autotvm.task.Task
    feature_type : str
        ``"itervar"`` (features of the scheduled TensorIR, see
        :mod:`.feature`) or ``"knob"`` (the knob values). Upstream's
        ``"curve"`` is not offered.
    loss_type : str
        ``"rank"`` (pairwise ranking) or ``"reg"`` (squared error).
    num_threads : int, optional
    log_interval : int
    """

    def __init__(self, task, feature_type, loss_type, num_threads=None, log_interval=25):
        import xgboost  # pylint: disable=import-outside-toplevel,unused-import

        if feature_type not in ("itervar", "knob"):
            raise ValueError(f"unknown feature_type {feature_type!r} (itervar, knob)")
        if loss_type not in ("rank", "reg"):
            raise ValueError(f"unknown loss_type {loss_type!r} (rank, reg)")
        self.task = task
        self.space = task.config_space
        self.feature_type = feature_type
        self.loss_type = loss_type
        self.num_threads = num_threads
        self.log_interval = log_interval
        self.bst = None
        self.feature_cache = {}
        self._dim = None
        self.params = {
            "max_depth": 3,
            "gamma": 0.0001,
            "min_child_weight": 1,
            "subsample": 1.0,
            "eta": 0.3,
            "lambda": 1.0,
            "alpha": 0,
            "objective": "rank:pairwise" if loss_type == "rank" else "reg:squarederror",
            "verbosity": 0,
        }
        if num_threads:
            self.params["nthread"] = num_threads

    def _feature(self, index):
        if index not in self.feature_cache:
            config = self.space.get(index)
            if self.feature_type == "knob":
                fea = get_knob_feature(config)
            else:
                fea = get_itervar_feature(self.task, config)
            self.feature_cache[index] = fea
        return self.feature_cache[index]

    def _features(self, xs):
        feas = [self._feature(int(x)) for x in xs]
        dim = self._dim or max((len(f) for f in feas if f is not None), default=1)
        self._dim = dim
        out = np.zeros((len(xs), dim), dtype=np.float32)
        valid = np.ones(len(xs), dtype=bool)
        for i, fea in enumerate(feas):
            if fea is None:
                valid[i] = False
            else:
                out[i, : len(fea)] = fea[:dim]
        return out, valid

    def fit(self, xs, ys, plan_size):
        import xgboost as xgb  # pylint: disable=import-outside-toplevel

        x_train, valid = self._features(xs)
        y_train = np.asarray(ys, dtype=np.float64)
        y_max = np.max(y_train) if len(y_train) else 0
        y_train = y_train / max(y_max, 1e-8)
        x_train, y_train = x_train[valid], y_train[valid]
        dtrain = xgb.DMatrix(x_train, y_train)
        if self.loss_type == "rank":
            dtrain.set_group([len(y_train)])
        self.bst = xgb.train(self.params, dtrain, num_boost_round=200)
        preds = self.bst.predict(dtrain)
        top = min(len(y_train), max(1, plan_size // 8))
        hit = len(set(np.argsort(-preds)[:top]) & set(np.argsort(-y_train)[:top]))
        logger.debug("XGB fit: %d samples, train recall@%d %.2f", len(y_train), top, hit / top)

    def predict(self, xs, output_margin=False):
        import xgboost as xgb  # pylint: disable=import-outside-toplevel

        feas, valid = self._features(xs)
        if self.bst is None:
            return np.zeros(len(xs))
        preds = self.bst.predict(xgb.DMatrix(feas), output_margin=output_margin)
        preds = np.asarray(preds, dtype=np.float64)
        preds[~valid] = -1e9  # configs that fail to instantiate
        return preds

    def load_basemodel(self, base_model):
        self.bst = base_model.bst

    def spawn_base_model(self):
        return XGBoostCostModel(self.task, self.feature_type, self.loss_type, self.num_threads)
