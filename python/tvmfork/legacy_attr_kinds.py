"""Field kinds of TVM 0.6-0.8's Relay attribute classes, for reading their JSON.

TVM 0.8's ``tvm.ir.save_json`` writes every field of an attrs node as a
string: a number for ``int``/``bool``/``double`` fields, the text itself for
``std::string`` and ``DataType`` fields, and the index of another node for
object fields (``Array``, ``IndexExpr``, ``Integer``, ``tvm::String``,
``Optional``...). ``"2"`` can thus be the integer 2 or node 2; only the
field's declared type tells which. This table gives, for every attrs class
of TVM 0.8's Relay (and its qnn, vision, image, memory and VM dialects),
the kind of each field: ``ref`` (a node index), ``int``, ``bool``, ``float``
or ``str``. It was derived from the field declarations of TVM 0.8's attrs
headers; :mod:`tvmfork.relay_json_legacy` reads it.
"""

__all__ = ["ATTR_FIELD_KINDS"]


def _kinds(**groups):
    return {name: kind for kind, names in groups.items() for name in names.split()}


#: ``relay.attrs.<name>`` -> {field: kind}
ATTR_FIELD_KINDS = {
    "AdaptivePool1DAttrs": _kinds(ref="out_layout output_size", str="layout"),
    "AdaptivePool2DAttrs": _kinds(ref="out_layout output_size", str="layout"),
    "AdaptivePool3DAttrs": _kinds(ref="out_layout output_size", str="layout"),
    "AffineGridAttrs": _kinds(ref="target_shape"),
    "AllClassNonMaximumSuppressionAttrs": _kinds(str="output_format"),
    "AllocStorageAttrs": _kinds(int="device_id device_type", str="dtype"),
    "AllocTensorAttrs": _kinds(ref="assert_shape const_shape", str="dtype"),
    "ArangeAttrs": _kinds(ref="start step stop", str="dtype"),
    "ArgReduceAttrs": _kinds(bool="exclude keepdims select_last_index", ref="axis"),
    "ArgsortAttrs": _kinds(bool="is_ascend", int="axis", str="dtype"),
    "AutoSchedulerLayoutTransformAttrs": _kinds(str="dst_layout src_layout"),
    "AvgPool1DAttrs": _kinds(
        bool="ceil_mode count_include_pad",
        ref="dilation out_layout padding pool_size strides",
        str="layout",
    ),
    "AvgPool2DAttrs": _kinds(
        bool="ceil_mode count_include_pad",
        ref="dilation layout out_layout padding pool_size strides",
    ),
    "AvgPool3DAttrs": _kinds(
        bool="ceil_mode count_include_pad",
        ref="dilation out_layout padding pool_size strides",
        str="layout",
    ),
    "BatchMatmulAttrs": _kinds(
        bool="transpose_a transpose_b",
        ref="auto_scheduler_rewritten_layout",
        str="out_dtype",
    ),
    "BatchNormAttrs": _kinds(bool="center scale", float="epsilon", int="axis"),
    "BatchToSpaceNDAttrs": _kinds(ref="block_shape crops"),
    "BiasAddAttrs": _kinds(int="axis"),
    "BinaryConv2DAttrs": _kinds(
        bool="unipolar",
        int="activation_bits weight_bits",
        ref="channels kernel_size padding strides",
        str="data_layout kernel_layout out_dtype pack_dtype",
    ),
    "BinaryDenseAttrs": _kinds(
        bool="unipolar",
        int="data_bits weight_bits",
        ref="units",
        str="out_dtype pack_dtype",
    ),
    "BitPackAttrs": _kinds(int="bit_axis bits pack_axis", str="name pack_type"),
    "CallLoweredAttrs": _kinds(ref="metadata"),
    "CastAttrs": _kinds(str="dtype"),
    "CastHintAttrs": _kinds(str="dtype"),
    "ClipAttrs": _kinds(float="a_max a_min"),
    "CompilerAttrs": _kinds(str="compiler"),
    "ConcatenateAttrs": _kinds(int="axis"),
    "Conv1DAttrs": _kinds(
        int="groups",
        ref="channels dilation kernel_size padding strides",
        str="data_layout kernel_layout out_dtype out_layout",
    ),
    "Conv1DTransposeAttrs": _kinds(
        int="groups",
        ref="channels dilation kernel_size output_padding padding strides",
        str="data_layout kernel_layout out_dtype out_layout",
    ),
    "Conv2DAttrs": _kinds(
        int="groups",
        ref="auto_scheduler_rewritten_layout channels data_layout dilation kernel_layout "
            "kernel_size out_layout padding strides",
        str="out_dtype",
    ),
    "Conv2DTransposeAttrs": _kinds(
        int="groups",
        ref="channels dilation kernel_size output_padding padding strides",
        str="data_layout kernel_layout out_dtype out_layout",
    ),
    "Conv2DWinogradAttrs": _kinds(
        int="groups tile_size",
        ref="auto_scheduler_rewritten_layout channels data_layout dilation kernel_layout "
            "kernel_size out_layout padding strides",
        str="out_dtype",
    ),
    "Conv2DWinogradNNPACKWeightTransformAttrs": _kinds(
        int="convolution_algorithm",
        str="out_dtype",
    ),
    "Conv3DAttrs": _kinds(
        int="groups",
        ref="auto_scheduler_rewritten_layout channels data_layout dilation kernel_layout "
            "kernel_size out_layout padding strides",
        str="out_dtype",
    ),
    "Conv3DTransposeAttrs": _kinds(
        int="groups",
        ref="channels dilation kernel_size output_padding padding strides",
        str="data_layout kernel_layout out_dtype out_layout",
    ),
    "Conv3DWinogradAttrs": _kinds(
        int="groups tile_size",
        ref="channels dilation kernel_size padding strides",
        str="data_layout kernel_layout out_dtype out_layout",
    ),
    "ConvGemmWeightTransformAttrs": _kinds(int="tile_cols tile_rows"),
    "ConvWinogradWeightTransformAttrs": _kinds(int="tile_size"),
    "CorrelationAttrs": _kinds(
        bool="is_multiply",
        int="kernel_size max_displacement stride1 stride2",
        ref="layout padding",
    ),
    "CropAndResizeAttrs": _kinds(
        float="extrapolation_value",
        ref="crop_size",
        str="layout method out_dtype",
    ),
    "DebugAttrs": _kinds(ref="debug_func"),
    "DeformableConv2DAttrs": _kinds(
        int="deformable_groups groups",
        ref="channels dilation kernel_size padding strides",
        str="data_layout kernel_layout out_dtype out_layout",
    ),
    "DenseAttrs": _kinds(ref="auto_scheduler_rewritten_layout units", str="out_dtype"),
    "DensePackAttrs": _kinds(ref="units weight_layout", str="out_dtype"),
    "DequantizeAttrs": _kinds(int="axis"),
    "DeviceCopyAttrs": _kinds(int="dst_dev_type src_dev_type"),
    "DilateAttrs": _kinds(float="dilation_value", ref="strides"),
    "Dilation2DAttrs": _kinds(
        ref="dilations padding strides",
        str="data_layout kernel_layout out_dtype",
    ),
    "DropoutAttrs": _kinds(float="rate"),
    "DynExpandDimsAttrs": _kinds(int="num_newaxis"),
    "EinsumAttrs": _kinds(ref="equation"),
    "EthosuBinaryElementwiseAttrs": _kinds(
        bool="reversed_operands",
        float="ifm2_scale ifm_scale ofm_scale",
        int="clip_max clip_min ifm2_zero_point ifm_zero_point ofm_zero_point",
        ref="activation ifm2_channels ifm2_layout ifm_channels ifm_layout ofm_dtype ofm_layout "
            "operator_type",
    ),
    "EthosuConv2DAttrs": _kinds(
        float="ifm_scale ofm_scale",
        int="clip_max clip_min ifm_zero_point ofm_zero_point weight_zero_point",
        ref="activation dilation ifm_layout kernel_shape ofm_channels ofm_layout padding strides "
            "upscale",
    ),
    "EthosuDepthwiseConv2DAttrs": _kinds(
        float="ifm_scale ofm_scale",
        int="clip_max clip_min ifm_zero_point ofm_zero_point weight_zero_point",
        ref="activation dilation ifm_layout kernel_shape ofm_channels ofm_layout padding strides "
            "upscale",
    ),
    "EthosuPoolingAttrs": _kinds(
        float="ifm_scale ofm_scale",
        int="clip_max clip_min ifm_zero_point ofm_zero_point",
        ref="activation ifm_layout ofm_channels ofm_layout padding pool_shape pooling_type "
            "strides upscale",
    ),
    "ExpandDimsAttrs": _kinds(int="axis num_newaxis"),
    "FIFOBufferAttrs": _kinds(int="axis"),
    "FixedPointMultiplyAttrs": _kinds(int="multiplier shift"),
    "GatherAttrs": _kinds(ref="axis"),
    "GatherNDAttrs": _kinds(ref="batch_dims index_rank"),
    "GetValidCountsAttrs": _kinds(int="id_index score_index", ref="score_threshold"),
    "GlobalPool2DAttrs": _kinds(ref="layout out_layout"),
    "GridSampleAttrs": _kinds(ref="layout method"),
    "GroupNormAttrs": _kinds(bool="center scale", float="epsilon", int="axis num_groups"),
    "InitOpAttrs": _kinds(ref="shape", str="dtype"),
    "InstanceNormAttrs": _kinds(bool="center scale", float="epsilon", int="axis"),
    "L2NormalizeAttrs": _kinds(float="eps", ref="axis"),
    "LRNAttrs": _kinds(float="alpha beta bias", int="axis size"),
    "LayerNormAttrs": _kinds(bool="center scale", float="epsilon", int="axis"),
    "LayoutTransformAttrs": _kinds(str="dst_layout src_layout"),
    "LeakyReluAttrs": _kinds(float="alpha"),
    "MatmulAttrs": _kinds(
        bool="transpose_a transpose_b",
        ref="auto_scheduler_rewritten_layout units",
        str="out_dtype",
    ),
    "MatrixSetDiagAttrs": _kinds(bool="sub_diag_right_align super_diag_right_align", int="k1 k2"),
    "MaxPool1DAttrs": _kinds(
        bool="ceil_mode",
        ref="dilation out_layout padding pool_size strides",
        str="layout",
    ),
    "MaxPool2DAttrs": _kinds(
        bool="ceil_mode",
        ref="dilation layout out_layout padding pool_size strides",
    ),
    "MaxPool3DAttrs": _kinds(
        bool="ceil_mode",
        ref="dilation out_layout padding pool_size strides",
        str="layout",
    ),
    "MeshgridAttrs": _kinds(str="indexing"),
    "MirrorPadAttrs": _kinds(ref="pad_width", str="mode"),
    "MultiBoxPriorAttrs": _kinds(bool="clip", ref="offsets ratios sizes steps"),
    "MultiBoxTransformLocAttrs": _kinds(bool="clip", float="threshold", ref="variances"),
    "NLLLossAttrs": _kinds(int="ignore_index", str="reduction"),
    "NdarraySizeAttrs": _kinds(str="dtype"),
    "NonMaximumSuppressionAttrs": _kinds(
        bool="force_suppress invalid_to_bottom return_indices",
        int="coord_start id_index score_index top_k",
    ),
    "OnDeviceAttrs": _kinds(bool="is_fixed", int="device_type"),
    "OneHotAttrs": _kinds(int="axis depth", str="dtype"),
    "PReluAttrs": _kinds(int="axis"),
    "PadAttrs": _kinds(ref="pad_width", str="pad_mode"),
    "ProposalAttrs": _kinds(
        bool="iou_loss",
        float="threshold",
        int="feature_stride rpn_min_size rpn_post_nms_top_n rpn_pre_nms_top_n",
        ref="ratios scales",
    ),
    "QuantizeAttrs": _kinds(int="axis", str="out_dtype"),
    "ROIAlignAttrs": _kinds(
        float="spatial_scale",
        int="sample_ratio",
        ref="pooled_size",
        str="layout mode",
    ),
    "ROIPoolAttrs": _kinds(float="spatial_scale", ref="pooled_size", str="layout"),
    "ReduceAttrs": _kinds(bool="exclude keepdims", ref="axis"),
    "RepeatAttrs": _kinds(ref="axis repeats"),
    "RequantizeAttrs": _kinds(int="axis", str="out_dtype rounding"),
    "ReshapeAttrs": _kinds(ref="newshape"),
    "ReshapeLikeAttrs": _kinds(int="lhs_begin rhs_begin", ref="lhs_end rhs_end"),
    "ReshapeTensorAttrs": _kinds(ref="newshape"),
    "Resize1DAttrs": _kinds(
        float="cubic_alpha",
        int="cubic_exclude",
        ref="size",
        str="coordinate_transformation_mode layout method out_dtype rounding_method",
    ),
    "Resize2DAttrs": _kinds(
        float="cubic_alpha",
        int="cubic_exclude",
        ref="size",
        str="coordinate_transformation_mode layout method out_dtype rounding_method",
    ),
    "Resize3DAttrs": _kinds(
        float="cubic_alpha",
        int="cubic_exclude",
        ref="size",
        str="coordinate_transformation_mode layout method out_dtype rounding_method",
    ),
    "ReverseAttrs": _kinds(ref="axis"),
    "ReverseSequenceAttrs": _kinds(ref="batch_axis seq_axis"),
    "ScanopAttrs": _kinds(ref="axis exclusive", str="dtype"),
    "ScatterAddAttrs": _kinds(ref="axis"),
    "ScatterAttrs": _kinds(ref="axis"),
    "ScatterNDAttrs": _kinds(ref="mode"),
    "SearchSortedAttrs": _kinds(bool="right", str="dtype"),
    "SequenceMaskAttrs": _kinds(float="mask_value", int="axis"),
    "ShapeFuncAttrs": _kinds(ref="is_input"),
    "ShapeOfAttrs": _kinds(str="dtype"),
    "SimulatedQuantizeAttrs": _kinds(bool="sign", int="axis kind", str="rounding"),
    "SliceLikeAttrs": _kinds(ref="axes"),
    "SoftmaxAttrs": _kinds(int="axis"),
    "SpaceToBatchNDAttrs": _kinds(float="pad_value", ref="block_shape paddings"),
    "SparseConv2DAttrs": _kinds(ref="kernel_size", str="layout"),
    "SparseDenseAttrs": _kinds(bool="sparse_lhs"),
    "SparseToDenseAttrs": _kinds(ref="output_shape"),
    "SparseTransposeAttrs": _kinds(),
    "SplitAttrs": _kinds(int="axis", ref="indices_or_sections"),
    "SqueezeAttrs": _kinds(ref="axis"),
    "StackAttrs": _kinds(ref="axis"),
    "StridedSliceAttrs": _kinds(ref="axes begin end strides", str="slice_mode"),
    "SubPixelAttrs": _kinds(int="block_size", str="layout mode"),
    "TakeAttrs": _kinds(ref="axis batch_dims", str="mode"),
    "ThreefryGenerateAttrs": _kinds(ref="out_shape"),
    "TileAttrs": _kinds(ref="reps"),
    "TopkAttrs": _kinds(bool="is_ascend", int="axis", ref="k", str="dtype ret_type"),
    "TransposeAttrs": _kinds(ref="axes"),
    "TupleGetItemAttrs": _kinds(int="index"),
    "UniformAttrs": _kinds(ref="out_shape", str="out_dtype"),
    "UniqueAttrs": _kinds(bool="return_counts sorted"),
    "UpSampling3DAttrs": _kinds(
        float="scale_d scale_h scale_w",
        str="coordinate_transformation_mode layout method",
    ),
    "UpSamplingAttrs": _kinds(bool="align_corners", float="scale_h scale_w", ref="layout method"),
    "VarianceAttrs": _kinds(bool="exclude keepdims unbiased", ref="axis"),
    "WithFuncIdAttrs": _kinds(int="fid"),
    "YoloReorgAttrs": _kinds(ref="stride"),
}
