"""Relay passes. Each pass is a :class:`Pass` honouring the base ``PassContext``."""
from .pass_infra import (
    FunctionPass,
    ModulePass,
    Pass,
    PassInfo,
    Sequential,
    function_pass,
    module_pass,
    pass_enabled,
    register_relay_pass,
)
from .simplify_inference import SimplifyInference
from .gradient import gradient
from .fold_constant import FoldConstant, FoldConstantExpr, fold_constant
from .fold_scale_axis import BackwardFoldScaleAxis, FoldScaleAxis, ForwardFoldScaleAxis
from .eliminate_common_subexpr import EliminateCommonSubexpr
from .dead_code import DeadCodeElimination
from .fuse_ops import FuseOps
from .type_infer import InferType, InferTypeLocal, infer_type
from .simplify_expr import SimplifyExpr
from .sink_reshape import SinkReshape
from .to_graph_normal_form import ToGraphNormalForm
from .annotate_spans import AnnotateSpans
from .convert_layout import ConvertLayout, LayoutConfig
from .choose_layout import ChooseLayout
from .simplify_fc_transpose import SimplifyFCTranspose
from .dynamic_to_static import DynamicToStatic
from .to_a_normal_form import ToANormalForm
from .merge_composite import MergeComposite

register_relay_pass("InferType", InferType)
from .combine_parallel import (
    BatchingOps,
    CombineParallelBatchMatmul,
    CombineParallelConv2D,
    CombineParallelDense,
    CombineParallelOpBatch,
)
from .fast_math import FastMath
from .fold_explicit_padding import FoldExplicitPadding
from .canonicalize_ops import CanonicalizeOps
from .legalize import Legalize
from . import mixed_precision
from .mixed_precision import ToMixedPrecision
from .alter_op_layout import AlterOpLayout
from .remove_unused_functions import RemoveUnusedFunctions
from .inline import Inline
from .to_basic_block_normal_form import ToBasicBlockNormalForm
from .lambda_lift import LambdaLift
from .eta_expand import EtaExpand
from .defuse_ops import DefuseOps
from .canonicalize_cast import CanonicalizeCast
from .split_args import SplitArgs
from .fake_quantization_to_integer import FakeQuantizationToInteger
from .plan_devices import PlanDevices
from .partial_eval import PartialEvaluate
from .to_cps import ToCPS, to_cps, un_cps
from .defunctionalization import Defunctionalization
from .lazy_gradient_init import LazyGradientInit
from .annotate_target import AnnotateTarget
from .merge_compiler_regions import MergeCompilerRegions
from .partition_graph import PartitionGraph
from .change_batch import ChangeBatch
from .recast import recast
