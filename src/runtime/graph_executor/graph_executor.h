/*!
 * \file graph_executor.h
 * \brief A graph executor for the TVM 0.8 graph JSON format, written against tvm-ffi.
 *
 * The executor runs a static data-flow graph whose operator nodes are functions of a
 * compiled runtime module (``lib[func_name](*inputs, *outputs)``). Memory follows the
 * storage plan carried by the graph: one buffer per storage id, sized for its largest
 * user, and one tensor view per data entry, so entries that share a storage id share
 * memory exactly as planned.
 *
 * Only public tvm-ffi headers are used. Device memory and copies go through the global
 * functions that the base runtime registers (``runtime.TVMTensorAllocWithScope``,
 * ``runtime.TVMTensorCopyFromTo``, ``runtime.LoadParams``), because the C++ headers of the
 * base runtime that declare them are not all shipped in the wheel.
 */
#ifndef TVMFORK_RUNTIME_GRAPH_EXECUTOR_GRAPH_EXECUTOR_H_
#define TVMFORK_RUNTIME_GRAPH_EXECUTOR_GRAPH_EXECUTOR_H_

#include <tvm/ffi/any.h>
#include <tvm/ffi/container/array.h>
#include <tvm/ffi/container/map.h>
#include <tvm/ffi/container/shape.h>
#include <tvm/ffi/container/tensor.h>
#include <tvm/ffi/extra/module.h>
#include <tvm/ffi/function.h>
#include <tvm/ffi/string.h>

#include <string>
#include <unordered_map>
#include <vector>

namespace tvmfork {
namespace runtime {

namespace ffi = ::tvm::ffi;

/*! \brief A reference to one output of a node: (node id, output index). */
struct NodeEntry {
  uint32_t node_id;
  uint32_t index;
};

/*! \brief One node of the graph as read from the JSON. */
struct GraphNode {
  std::string op;    // "null" (input/param) or "tvm_op"
  std::string name;  // node name; for inputs the name used by set_input
  std::string func_name;
  uint32_t num_inputs = 0;
  uint32_t num_outputs = 1;
  bool flatten_data = false;
  std::vector<NodeEntry> inputs;
};

/*! \brief Everything the executor needs from a graph JSON string. */
struct GraphSpec {
  std::vector<GraphNode> nodes;
  std::vector<uint32_t> input_nodes;     // arg_nodes
  std::vector<uint32_t> node_row_ptr;    // entry id of (nid, 0)
  std::vector<NodeEntry> outputs;        // heads
  std::vector<std::vector<int64_t>> shapes;  // per entry
  std::vector<DLDataType> dtypes;            // per entry
  std::vector<int64_t> storage_ids;          // per entry

  uint32_t EntryId(uint32_t nid, uint32_t index) const { return node_row_ptr[nid] + index; }
  uint32_t EntryId(const NodeEntry& e) const { return EntryId(e.node_id, e.index); }
  size_t NumEntries() const { return node_row_ptr.back(); }

  /*! \brief Parse and validate a graph JSON string; throws ValueError naming the problem. */
  static GraphSpec FromJSON(const std::string& graph_json);
};

/*! \brief Human-readable "(1, 3, 224, 224)" for error messages. */
std::string ShapeToString(const int64_t* shape, int ndim);

/*! \brief Allocate an empty tensor on a device through the base runtime. */
ffi::Tensor AllocTensor(const std::vector<int64_t>& shape, DLDataType dtype, DLDevice dev);

/*! \brief Copy between two tensors of the same size, across devices if needed. */
void CopyTensor(const ffi::Tensor& from, const ffi::Tensor& to);

/*!
 * \brief The graph executor module ("GraphExecutor").
 *
 * Functions (upstream names): set_input, get_input, get_output, get_num_outputs,
 * get_num_inputs, get_input_index, get_input_info, load_params, run, and
 * run_from_inputs (set inputs, run, return the outputs copied to the host: what
 * an end-to-end benchmark times).
 */
class GraphExecutor : public ffi::ModuleObj {
 public:
  GraphExecutor(const std::string& graph_json, ffi::Module lib, std::vector<DLDevice> devices);

  const char* kind() const final { return "GraphExecutor"; }
  int GetPropertyMask() const final { return ffi::Module::kRunnable; }
  ffi::Optional<ffi::Function> GetFunction(const ffi::String& name) final;

  /*! \brief Execute every operator once, in graph order. */
  void Run();
  /*! \brief Index of the input called \p name among the graph inputs, or -1. */
  int GetInputIndex(const std::string& name) const;
  /*! \brief Copy \p value into input \p index after checking its shape and dtype. */
  void SetInput(int index, const ffi::Tensor& value);
  ffi::Tensor GetInput(int index) const;
  ffi::Tensor GetOutput(int index) const;
  void CopyOutputTo(int index, const ffi::Tensor& out) const;
  int NumInputs() const { return static_cast<int>(spec_.input_nodes.size()); }
  int NumOutputs() const { return static_cast<int>(spec_.outputs.size()); }
  /*! \brief Set the inputs named in a parameter blob (runtime.SaveParams format). */
  void LoadParams(const ffi::Bytes& blob);
  /*! \brief Set inputs from a name -> tensor map; names that are not inputs are skipped. */
  void SetParams(const ffi::Map<ffi::String, ffi::Tensor>& params);
  /*! \brief {"shape": {name: Shape}, "dtype": {name: str}} of the graph inputs. */
  ffi::Map<ffi::String, ffi::Any> GetInputInfo() const;

 private:
  struct OpExec {
    ffi::Function func;
    std::vector<ffi::AnyView> args;  // the input tensors, then the outputs
    bool is_copy = false;
  };
  void SetupStorage();
  void SetupOps();
  int CheckInputIndex(int index, const char* caller) const;
  int CheckOutputIndex(int index, const char* caller) const;
  int InputIndexFromAny(const ffi::AnyView& key, const char* caller) const;

  GraphSpec spec_;
  ffi::Module lib_;
  std::vector<DLDevice> devices_;
  std::vector<ffi::Tensor> storage_;      // one buffer per storage id
  std::vector<ffi::Tensor> data_entry_;   // one view per entry
  std::vector<ffi::Tensor> arg_tensors_;  // every operator argument (views), kept alive
  std::vector<OpExec> ops_;
  std::unordered_map<std::string, int> input_index_;
};

/*!
 * \brief Register a global function unless one of that name exists already.
 *
 * The executor is compiled twice: into the fork's shared library and into every
 * exported artifact. Whichever copy a process loads first provides the globals;
 * the definitions are identical.
 */
void RegisterGlobalOnce(const char* name, ffi::Function func);

}  // namespace runtime
}  // namespace tvmfork

#endif  // TVMFORK_RUNTIME_GRAPH_EXECUTOR_GRAPH_EXECUTOR_H_
