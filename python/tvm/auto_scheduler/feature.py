"""Per-store features of states (TVM 0.8's ``auto_scheduler.feature`` API).

0.8 lowered a state and computed, for every buffer store, 164 numbers: the
arithmetic it performs, its vectorised/unrolled/parallel loops, the accesses
of up to five buffers (bytes, lines, reuse, stride), an arithmetic-intensity
curve, its allocation and its outer loops. MetaSchedule's ``PerStoreFeature``
of the base computes the same groups in the same order on a TensorIR
schedule, so the fork reads the features from it and names them as 0.8 did
(:func:`get_per_store_feature_names`). As in 0.8, counts are ``log2(x + 1)``.
"""
import numpy as np

DEFAULT_MAX_N_BUFS = 5

_POS_TYPES = ("kPosNone", "kPosInnerSpatial", "kPosMiddleSpatial", "kPosOuterSpatial",
              "kPosInnerReduce", "kPosMiddleReduce", "kPosOuterReduce", "kPosMixed")
_BUFFER_FIELDS = (
    "acc_type.kRead", "acc_type.kWrite", "acc_type.kReadWrite", "bytes", "unique_bytes", "lines",
    "unique_lines", "reuse_type.kLoopMultipleRead", "reuse_type.kSerialMultipleReadWrite",
    "reuse_type.kNoReuse", "reuse_dis_iter", "reuse_dis_bytes", "reuse_ct", "bytes_d_reuse_ct",
    "unique_bytes_d_reuse_ct", "lines_d_reuse_ct", "unique_lines_d_reuse_ct", "stride",
)
_ARITH_INTENSITY_SAMPLES = 10


def get_per_store_feature_names(max_n_bufs=None):
    """The names of the features, in order (0.8's names).

    Parameters
    ----------
    max_n_bufs : Optional[int]
        Buffers described per store (default 5).

    Returns
    -------
    names : List[str]
    """
    n_bufs = max_n_bufs or DEFAULT_MAX_N_BUFS
    names = []
    for kind in ("float", "int"):
        names += ["%s_%s" % (kind, op) for op in ("mad", "addsub", "mul", "divmod", "cmp", "mathfunc", "otherfunc")]
    names += ["bool_op", "select_op"]
    for ann in ("vec", "unroll", "parallel"):
        names += ["%s_num" % ann, "%s_prod" % ann, "%s_len" % ann]
        names += ["%s_type.%s" % (ann, pos) for pos in _POS_TYPES]
    names += ["is_gpu"]
    names += ["%s_%s_len" % (axis, dim) for axis in ("blockIdx", "threadIdx") for dim in "xyz"]
    # 0.8 lists blockIdx x, y, z then threadIdx x, y, z, then vthread
    names += ["vthread_len"]
    for i in range(n_bufs):
        names += ["B%d.%s" % (i, field) for field in _BUFFER_FIELDS]
    names += ["arith_intensity_curve_%d" % i for i in range(_ARITH_INTENSITY_SAMPLES)]
    names += ["alloc_size", "alloc_prod", "alloc_outer_prod", "alloc_inner_prod"]
    names += ["outer_prod", "num_loops", "auto_unroll_max_step"]
    return names


def _extractor(max_n_bufs):
    from tvm.s_tir.meta_schedule.feature_extractor import PerStoreFeature  # pylint: disable=C0415

    return PerStoreFeature(buffers_per_store=max_n_bufs or DEFAULT_MAX_N_BUFS,
                           arith_intensity_curve_num_samples=_ARITH_INTENSITY_SAMPLES)


def _features_of_mods(mods, target, max_n_bufs):
    """One (n_stores, n_features) float32 array per scheduled module."""
    from tvm.s_tir import Schedule  # pylint: disable=import-outside-toplevel
    from tvm.s_tir.meta_schedule import _ffi_api  # pylint: disable=import-outside-toplevel
    from tvm.s_tir.meta_schedule.arg_info import ArgInfo  # pylint: disable=import-outside-toplevel
    from tvm.s_tir.meta_schedule.search_strategy import MeasureCandidate  # pylint: disable=C0415
    from tvm.s_tir.meta_schedule.tune_context import TuneContext  # pylint: disable=C0415

    if not mods:
        return []
    # TuneContext.__init__ imports the tensor intrinsics (~40 s here); the
    # feature extractor needs only the module and the target
    context = TuneContext.__new__(TuneContext)
    context.__init_handle_by_constructor__(
        _ffi_api.TuneContext, mods[0], target, None, None, "main", 1, -1, None)  # pylint: disable=no-member
    cands = [MeasureCandidate(Schedule(mod), ArgInfo.from_prim_func(mod["main"])) for mod in mods]
    return [f.numpy().astype("float32") for f in _extractor(max_n_bufs).extract_from(context, cands)]


def _object_array(items):
    out = np.empty(len(items), dtype=object)
    for i, item in enumerate(items):
        out[i] = item
    return out


def get_per_store_features_from_states(states, task, max_n_bufs=None):
    """Features of states of one task.

    Parameters
    ----------
    states : List[Union[State, tvm.s_tir.Trace, str]]
    task : SearchTask
    max_n_bufs : Optional[int]

    Returns
    -------
    features : numpy.ndarray
        An object array: for each state a float32 array (one row per store
        of the lowered program, :func:`get_per_store_feature_names` columns).
    """
    from .utils import as_target  # pylint: disable=import-outside-toplevel

    mods = [task.compute_dag.apply_steps_from_state(state)[0].mod for state in states]
    return _object_array(_features_of_mods(mods, as_target(task.target), max_n_bufs))


def get_per_store_features_from_measure_pairs(inputs, results, skip_first_n_feature_extraction=0,
                                              max_n_bufs=None):
    """Features and normalised throughputs of measured pairs (0.8's API).

    Returns
    -------
    features : numpy.ndarray
        Object array of per-store feature arrays (empty arrays for the first
        ``skip_first_n_feature_extraction`` pairs and for failed measurements).
    normalized_throughputs : numpy.ndarray
        For each pair, the best mean cost of its task divided by its own mean
        cost (0 for a failed measurement).
    task_ids : numpy.ndarray
        Index of each pair's task (tasks numbered in order of appearance).
    """
    from .utils import as_target  # pylint: disable=import-outside-toplevel

    n_feat = len(get_per_store_feature_names(max_n_bufs))
    task_index, task_ids, costs = {}, [], []
    for inp, res in zip(inputs, results):
        task_ids.append(task_index.setdefault(inp.task.workload_key, len(task_index)))
        ok = res.error_no == 0
        costs.append(float(np.mean([float(getattr(c, "value", c)) for c in res.costs])) if ok else None)
    best = {}
    for tid, cost in zip(task_ids, costs):
        if cost is not None and cost > 0:
            best[tid] = min(best.get(tid, cost), cost)
    throughputs = [best[tid] / cost if cost is not None and cost > 0 else 0.0
                   for tid, cost in zip(task_ids, costs)]
    features = []
    for i, (inp, cost) in enumerate(zip(inputs, costs)):
        if i < skip_first_n_feature_extraction or cost is None:
            features.append(np.zeros((0, n_feat), dtype="float32"))
            continue
        mod = inp.task.compute_dag.apply_steps_from_state(inp.state)[0].mod
        features.append(_features_of_mods([mod], as_target(inp.task.target), max_n_bufs)[0])
    return _object_array(features), np.array(throughputs), np.array(task_ids)


def get_per_store_features_from_file(filename, max_lines, max_n_bufs=None):
    """Features of the first ``max_lines`` records of a log file (see
    :func:`get_per_store_features_from_measure_pairs`)."""
    from .measure_record import RecordReader  # pylint: disable=import-outside-toplevel

    inputs, results = RecordReader(filename).read_lines(max_lines)
    return get_per_store_features_from_measure_pairs(inputs, results, 0, max_n_bufs)


def feature_count(max_n_bufs=None):
    """Number of features per store."""
    return len(get_per_store_feature_names(max_n_bufs))

