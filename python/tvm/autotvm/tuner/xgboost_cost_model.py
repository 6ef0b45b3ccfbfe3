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
    upper_model : XGBoostCostModel, optional
        The model this one is the base model of (it shares its feature cache).

    Notes
    -----
    Transfer learning as 0.8: :meth:`fit_log` trains a model on earlier
    records of the task; :meth:`load_basemodel` makes it ``base_model`` of
    this one, whose :meth:`fit` then learns the residual of the base model's
    margin (scaled by ``2 ** (-n / 64)`` for ``n`` training samples, and
    dropped when that falls below 0.05) and whose :meth:`predict` adds it back.
    """

    def __init__(self, task, feature_type, loss_type, num_threads=None, log_interval=25,
                 upper_model=None):
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
        self.upper_model = upper_model
        self.feature_cache = upper_model.feature_cache if upper_model is not None else {}
        self._dim = upper_model._dim if upper_model is not None else None
        self.base_model = None
        self._sample_size = 0
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

    def _base_model_discount(self):
        return 1.0 / (2 ** (self._sample_size / 64.0))

    def _base_margin(self, xs):
        """The base model's scaled margins for ``xs`` (None without a base model)."""
        if self.base_model is None:
            return None
        return self._base_model_discount() * np.asarray(
            self.base_model.predict(xs, output_margin=True), dtype=np.float64)

    def fit(self, xs, ys, plan_size):
        import xgboost as xgb  # pylint: disable=import-outside-toplevel

        x_train, valid = self._features(xs)
        y_train = np.asarray(ys, dtype=np.float64)
        y_max = np.max(y_train) if len(y_train) else 0
        y_train = y_train / max(y_max, 1e-8)
        self._sample_size = len(y_train)
        if self.base_model is not None and self._base_model_discount() < 0.05:
            self.base_model.upper_model = None  # enough own samples: drop the base model
            self.base_model = None
        margin = self._base_margin(xs)
        x_train, y_train = x_train[valid], y_train[valid]
        dtrain = xgb.DMatrix(x_train, y_train)
        if margin is not None:
            dtrain.set_base_margin(margin[valid])
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
        dtest = xgb.DMatrix(feas)
        margin = self._base_margin(xs)
        if margin is not None:
            dtest.set_base_margin(margin)
        preds = self.bst.predict(dtest, output_margin=output_margin)
        preds = np.asarray(preds, dtype=np.float64)
        preds[~valid] = -1e9  # configs that fail to instantiate
        return preds

    def fit_log(self, records, plan_size, min_seed_records=500):
        """Train on earlier ``(MeasureInput, MeasureResult)`` records.

        Only records of a task of the same name and with a config of this
        task's space are used (the features are those of this task's space).
        Returns False, leaving the model untrained, when fewer than
        ``min_seed_records`` remain; True after training.
        """
        import xgboost as xgb  # pylint: disable=import-outside-toplevel

        xs, ys = [], []
        for inp, res in records:
            if inp.task.name != self.task.name:
                continue
            index = inp.config.index
            if index is None or not 0 <= index < len(self.space):
                continue
            if res.error_no == 0:
                flop = inp.task.flop or self.task.flop or 1.0
                ys.append(flop / np.mean([float(c) for c in res.costs]))
            else:
                ys.append(0.0)
            xs.append(index)
        logger.debug("XGB load %d entries from history", len(xs))
        if len(xs) < min_seed_records or not xs:
            return False
        x_train, valid = self._features(xs)
        y_train = np.asarray(ys, dtype=np.float64)
        y_train = y_train / max(np.max(y_train), 1e-8)
        x_train, y_train = x_train[valid], y_train[valid]
        if len(y_train) == 0:
            return False
        dtrain = xgb.DMatrix(x_train, y_train)
        if self.loss_type == "rank":
            dtrain.set_group([len(y_train)])
        self.bst = xgb.train(self.params, dtrain, num_boost_round=400)
        return True

    def load_basemodel(self, base_model):
        """Use ``base_model`` (trained by :meth:`fit_log`) as the prior of this model."""
        self.base_model = base_model
        base_model.upper_model = self

    def spawn_base_model(self):
        return XGBoostCostModel(self.task, self.feature_type, self.loss_type, self.num_threads,
                                self.log_interval, self)
