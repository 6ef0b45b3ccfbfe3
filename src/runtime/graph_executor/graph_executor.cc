/*!
 * \file graph_executor.cc
 * \brief Storage set-up, operator binding and execution of the graph executor.
 */
#include "graph_executor.h"

#include <tvm/ffi/cast.h>
#include <tvm/ffi/dtype.h>
#include <tvm/ffi/error.h>

#include <dlfcn.h>

#include <algorithm>
#include <mutex>
#include <sstream>

namespace tvmfork {
namespace runtime {

namespace {

size_t NumBytes(const std::vector<int64_t>& shape, DLDataType dtype) {
  size_t numel = 1;
  for (int64_t d : shape) numel *= static_cast<size_t>(d);
  return (numel * dtype.bits * dtype.lanes + 7) / 8;
}

ffi::Function GlobalRequired(const char* name) {
  // looked up once per name; executors may be created from several threads
  static std::mutex mutex;
  static std::unordered_map<std::string, ffi::Function>* cache =
      new std::unordered_map<std::string, ffi::Function>();
  std::lock_guard<std::mutex> lock(mutex);
  auto it = cache->find(name);
  if (it != cache->end()) return it->second;
  auto f = ffi::Function::GetGlobal(name);
  if (!f.has_value()) {
    TVM_FFI_THROW(RuntimeError) << "graph executor: the base runtime function " << name
                                << " is not registered; load libtvm_runtime first";
  }
  cache->emplace(name, *f);
  return *f;
}

// A tensor that aliases the memory of another one (a storage buffer); the base
// tensor is kept alive by the allocator object stored inside the view.
struct ViewAlloc {
  ffi::Tensor base;
  void AllocData(DLTensor* tensor) {
    tensor->data = base.GetDLTensorPtr()->data;
    tensor->byte_offset = base.GetDLTensorPtr()->byte_offset;
  }
  void FreeData(DLTensor*) {}
};

ffi::Tensor MakeView(const ffi::Tensor& base, const std::vector<int64_t>& shape,
                     DLDataType dtype) {
  return ffi::Tensor::FromNDAlloc(ViewAlloc{base},
                                  ffi::ShapeView(shape.data(), shape.size()), dtype,
                                  base.GetDLTensorPtr()->device);
}

bool SameDType(DLDataType a, DLDataType b) {
  return a.code == b.code && a.bits == b.bits && a.lanes == b.lanes;
}

std::string DescribeTensor(const int64_t* shape, int ndim, DLDataType dtype) {
  return ShapeToString(shape, ndim) + " " + std::string(ffi::DLDataTypeToString(dtype));
}

}  // namespace

ffi::Tensor AllocTensor(const std::vector<int64_t>& shape, DLDataType dtype, DLDevice dev) {
  return GlobalRequired("runtime.TVMTensorAllocWithScope")(ffi::Shape(shape), dtype, dev,
                                                             ffi::Optional<ffi::String>())
      .cast<ffi::Tensor>();
}

void CopyTensor(const ffi::Tensor& from, const ffi::Tensor& to) {
  GlobalRequired("runtime.TVMTensorCopyFromTo")(from, to);
}

namespace {
// Once a copy of this code has registered global functions, the shared object that
// holds it must stay mapped: tvm-ffi dlcloses a library module when it is freed.
// Re-opening ourselves with RTLD_NODELETE pins the object whatever flags it was
// linked with (export_library's default .so, a .tar re-linked by the base, ...).
void PinThisSharedObject() {
  static bool pinned = false;
  if (pinned) return;
  Dl_info info;
  if (dladdr(reinterpret_cast<void*>(&PinThisSharedObject), &info) != 0 &&
      info.dli_fname != nullptr) {
    dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD | RTLD_NODELETE);
  }
  pinned = true;
}
}  // namespace

void RegisterGlobalOnce(const char* name, ffi::Function func) {
  if (!ffi::Function::GetGlobal(name).has_value()) {
    PinThisSharedObject();
    ffi::Function::SetGlobal(name, std::move(func));
  }
}

GraphExecutor::GraphExecutor(const std::string& graph_json, ffi::Module lib,
                             std::vector<DLDevice> devices)
    : spec_(GraphSpec::FromJSON(graph_json)), lib_(std::move(lib)), devices_(std::move(devices)) {
  if (devices_.empty()) {
    TVM_FFI_THROW(ValueError) << "graph executor: no device given";
  }
  for (const DLDevice& dev : devices_) {
    if (dev.device_type != devices_[0].device_type || dev.device_id != devices_[0].device_id) {
      TVM_FFI_THROW(ValueError) << "graph executor: got several devices; heterogeneous "
                                   "execution is not supported, pass one device";
    }
  }
  for (size_t i = 0; i < spec_.input_nodes.size(); ++i) {
    input_index_.emplace(spec_.nodes[spec_.input_nodes[i]].name, static_cast<int>(i));
  }
  SetupStorage();
  SetupOps();
}

void GraphExecutor::SetupStorage() {
  // One buffer per storage id, as large as its largest user: this honours the
  // storage plan's reuse (entries that share an id share memory).
  std::vector<size_t> pool_bytes;
  for (size_t eid = 0; eid < spec_.NumEntries(); ++eid) {
    size_t sid = static_cast<size_t>(spec_.storage_ids[eid]);
    if (sid >= pool_bytes.size()) pool_bytes.resize(sid + 1, 0);
    pool_bytes[sid] = std::max(pool_bytes[sid], NumBytes(spec_.shapes[eid], spec_.dtypes[eid]));
  }
  DLDataType u8{kDLUInt, 8, 1};
  storage_.reserve(pool_bytes.size());
  for (size_t nbytes : pool_bytes) {
    // a zero-size buffer still needs a valid pointer for the kernels' null checks
    storage_.push_back(AllocTensor({static_cast<int64_t>(std::max<size_t>(nbytes, 1))}, u8,
                                   devices_[0]));
  }
  data_entry_.reserve(spec_.NumEntries());
  for (size_t eid = 0; eid < spec_.NumEntries(); ++eid) {
    data_entry_.push_back(
        MakeView(storage_[spec_.storage_ids[eid]], spec_.shapes[eid], spec_.dtypes[eid]));
  }
}

void GraphExecutor::SetupOps() {
  for (size_t nid = 0; nid < spec_.nodes.size(); ++nid) {
    const GraphNode& node = spec_.nodes[nid];
    if (node.op != "tvm_op" || node.func_name == "__nop") continue;
    OpExec exec;
    std::vector<uint32_t> eids;
    for (const NodeEntry& e : node.inputs) eids.push_back(spec_.EntryId(e));
    for (uint32_t i = 0; i < node.num_outputs; ++i) {
      eids.push_back(spec_.EntryId(static_cast<uint32_t>(nid), i));
    }
    for (uint32_t eid : eids) {
      ffi::Tensor arg = data_entry_[eid];
      if (node.flatten_data) {
        std::vector<int64_t> flat{1};
        for (int64_t d : spec_.shapes[eid]) flat[0] *= d;
        arg = MakeView(arg, flat, spec_.dtypes[eid]);
      }
      // AnyView does not own: arg_tensors_ keeps the (view) objects alive
      arg_tensors_.push_back(arg);
      exec.args.push_back(ffi::AnyView(arg));
    }
    if (node.func_name == "__copy") {
      if (node.inputs.size() != 1 || node.num_outputs != 1) {
        TVM_FFI_THROW(ValueError) << "graph executor: __copy node \"" << node.name
                                  << "\" must have one input and one output";
      }
      exec.is_copy = true;
      exec.func = GlobalRequired("runtime.TVMTensorCopyFromTo");
      exec.args = {ffi::AnyView(data_entry_[eids[0]]), ffi::AnyView(data_entry_[eids[1]])};
    } else {
      ffi::Optional<ffi::Function> f = lib_->GetFunction(ffi::String(node.func_name), true);
      if (!f.has_value()) {
        TVM_FFI_THROW(ValueError) << "graph executor: node \"" << node.name
                                  << "\" calls function \"" << node.func_name
                                  << "\", which the compiled module does not contain";
      }
      exec.func = *f;
    }
    ops_.push_back(std::move(exec));
  }
}

void GraphExecutor::Run() {
  ffi::Any rv;
  for (const OpExec& op : ops_) {
    op.func.CallPacked(op.args.data(), static_cast<int32_t>(op.args.size()), &rv);
  }
}

int GraphExecutor::GetInputIndex(const std::string& name) const {
  auto it = input_index_.find(name);
  return it == input_index_.end() ? -1 : it->second;
}

int GraphExecutor::CheckInputIndex(int index, const char* caller) const {
  if (index < 0 || index >= NumInputs()) {
    TVM_FFI_THROW(IndexError) << caller << ": input index " << index
                              << " is out of range; the graph has " << NumInputs() << " inputs";
  }
  return index;
}

int GraphExecutor::CheckOutputIndex(int index, const char* caller) const {
  if (index < 0 || index >= NumOutputs()) {
    TVM_FFI_THROW(IndexError) << caller << ": output index " << index
                              << " is out of range; the graph has " << NumOutputs() << " outputs";
  }
  return index;
}

int GraphExecutor::InputIndexFromAny(const ffi::AnyView& key, const char* caller) const {
  if (auto name = key.try_cast<ffi::String>()) {
    int index = GetInputIndex(std::string(*name));
    if (index < 0) {
      std::ostringstream names;
      for (size_t i = 0; i < spec_.input_nodes.size(); ++i) {
        names << (i ? ", " : "") << spec_.nodes[spec_.input_nodes[i]].name;
      }
      TVM_FFI_THROW(KeyError) << caller << ": the graph has no input named \"" << *name
                              << "\"; its inputs are: " << names.str();
    }
    return index;
  }
  if (auto index = key.try_cast<int64_t>()) {
    return CheckInputIndex(static_cast<int>(*index), caller);
  }
  TVM_FFI_THROW(TypeError) << caller << ": an input is named by a string or an int index, not "
                           << key.GetTypeKey();
  TVM_FFI_UNREACHABLE();
}

void GraphExecutor::SetInput(int index, const ffi::Tensor& value) {
  CheckInputIndex(index, "set_input");
  uint32_t nid = spec_.input_nodes[index];
  uint32_t eid = spec_.EntryId(nid, 0);
  const std::vector<int64_t>& shape = spec_.shapes[eid];
  DLDataType dtype = spec_.dtypes[eid];
  const DLTensor* v = value.GetDLTensorPtr();
  bool same_shape = v->ndim == static_cast<int>(shape.size()) &&
                    std::equal(shape.begin(), shape.end(), v->shape);
  if (!same_shape || !SameDType(v->dtype, dtype)) {
    TVM_FFI_THROW(ValueError) << "set_input: input \"" << spec_.nodes[nid].name
                              << "\" expects shape "
                              << DescribeTensor(shape.data(), static_cast<int>(shape.size()), dtype)
                              << " but got " << DescribeTensor(v->shape, v->ndim, v->dtype);
  }
  CopyTensor(value, data_entry_[eid]);
}

ffi::Tensor GraphExecutor::GetInput(int index) const {
  CheckInputIndex(index, "get_input");
  return data_entry_[spec_.EntryId(spec_.input_nodes[index], 0)];
}

ffi::Tensor GraphExecutor::GetOutput(int index) const {
  CheckOutputIndex(index, "get_output");
  return data_entry_[spec_.EntryId(spec_.outputs[index])];
}

void GraphExecutor::CopyOutputTo(int index, const ffi::Tensor& out) const {
  ffi::Tensor src_tensor = GetOutput(index);
  const DLTensor* src = src_tensor.GetDLTensorPtr();
  const DLTensor* dst = out.GetDLTensorPtr();
  bool same_shape =
      dst->ndim == src->ndim && std::equal(src->shape, src->shape + src->ndim, dst->shape);
  if (!same_shape || !SameDType(src->dtype, dst->dtype)) {
    TVM_FFI_THROW(ValueError) << "get_output: output " << index << " has shape "
                              << DescribeTensor(src->shape, src->ndim, src->dtype)
                              << " but the out tensor has "
                              << DescribeTensor(dst->shape, dst->ndim, dst->dtype);
  }
  CopyTensor(src_tensor, out);
}

void GraphExecutor::SetParams(const ffi::Map<ffi::String, ffi::Tensor>& params) {
  for (const auto& kv : params) {
    int index = GetInputIndex(std::string(kv.first));
    // a parameter blob may carry names the graph no longer uses (folded away)
    if (index >= 0) SetInput(index, kv.second);
  }
}

void GraphExecutor::LoadParams(const ffi::Bytes& blob) {
  SetParams(GlobalRequired("runtime.LoadParams")(blob).cast<ffi::Map<ffi::String, ffi::Tensor>>());
}

ffi::Map<ffi::String, ffi::Any> GraphExecutor::GetInputInfo() const {
  ffi::Map<ffi::String, ffi::Any> shapes, dtypes;
  for (uint32_t nid : spec_.input_nodes) {
    uint32_t eid = spec_.EntryId(nid, 0);
    shapes.Set(ffi::String(spec_.nodes[nid].name), ffi::Shape(spec_.shapes[eid]));
    dtypes.Set(ffi::String(spec_.nodes[nid].name), ffi::DLDataTypeToString(spec_.dtypes[eid]));
  }
  ffi::Map<ffi::String, ffi::Any> info;
  info.Set("shape", shapes);
  info.Set("dtype", dtypes);
  return info;
}

ffi::Optional<ffi::Function> GraphExecutor::GetFunction(const ffi::String& name) {
  // every closure holds a strong reference so the module outlives its functions
  ffi::ObjectPtr<ffi::Object> self = ffi::GetObjectPtr<ffi::Object>(this);
  GraphExecutor* ex = this;
  if (name == "run") {
    return ffi::Function::FromTyped([self, ex]() { ex->Run(); });
  }
  if (name == "set_input") {
    return ffi::Function::FromTyped([self, ex](ffi::AnyView key, ffi::Tensor value) {
      ex->SetInput(ex->InputIndexFromAny(key, "set_input"), value);
    });
  }
  if (name == "get_input") {
    return ffi::Function::FromTyped([self, ex](ffi::AnyView key) {
      return ex->GetInput(ex->InputIndexFromAny(key, "get_input"));
    });
  }
  if (name == "get_output") {
    return ffi::Function::FromPacked([self, ex](ffi::PackedArgs args, ffi::Any* rv) {
      if (args.size() < 1 || args.size() > 2) {
        TVM_FFI_THROW(TypeError) << "get_output(index, out=None) takes 1 or 2 arguments, got "
                                 << args.size();
      }
      int index = args[0].cast<int>();
      if (args.size() == 2) {
        ex->CopyOutputTo(index, args[1].cast<ffi::Tensor>());
        *rv = args[1];
      } else {
        *rv = ex->GetOutput(index);
      }
    });
  }
  if (name == "get_num_outputs") {
    return ffi::Function::FromTyped([self, ex]() { return ex->NumOutputs(); });
  }
  if (name == "get_num_inputs") {
    return ffi::Function::FromTyped([self, ex]() { return ex->NumInputs(); });
  }
  if (name == "get_input_index") {
    return ffi::Function::FromTyped(
        [self, ex](ffi::String name) { return ex->GetInputIndex(std::string(name)); });
  }
  if (name == "get_input_info") {
    return ffi::Function::FromTyped([self, ex]() { return ex->GetInputInfo(); });
  }
  if (name == "run_from_inputs") {
    // end-to-end timing: (name0, host_tensor0, name1, ...) -> outputs copied to the host
    return ffi::Function::FromPacked([self, ex](ffi::PackedArgs args, ffi::Any* rv) {
      if (args.size() % 2 != 0) {
        TVM_FFI_THROW(TypeError) << "run_from_inputs takes (name, tensor) pairs, got "
                                 << args.size() << " arguments";
      }
      for (int i = 0; i < args.size(); i += 2) {
        ex->SetInput(ex->InputIndexFromAny(args[i], "run_from_inputs"),
                     args[i + 1].cast<ffi::Tensor>());
      }
      ex->Run();
      ffi::Array<ffi::Tensor> outputs;
      DLDevice host{kDLCPU, 0};
      for (int i = 0; i < ex->NumOutputs(); ++i) {
        const DLTensor* out = ex->GetOutput(i).GetDLTensorPtr();
        ffi::Tensor copy = AllocTensor(std::vector<int64_t>(out->shape, out->shape + out->ndim),
                                       out->dtype, host);
        CopyTensor(ex->GetOutput(i), copy);
        outputs.push_back(copy);
      }
      *rv = outputs;
    });
  }
  if (name == "load_params") {
    return ffi::Function::FromTyped([self, ex](ffi::Bytes blob) { ex->LoadParams(blob); });
  }
  return std::nullopt;
}

namespace {

// tvm.graph_executor.create(graph_json, lib, dev0, dev1, ...) as upstream.
void CreateGraphExecutor(ffi::PackedArgs args, ffi::Any* rv) {
  if (args.size() < 3) {
    TVM_FFI_THROW(TypeError) << "tvm.graph_executor.create(graph_json, lib, device, ...) needs "
                                "at least 3 arguments, got "
                             << args.size();
  }
  std::string graph_json(args[0].cast<ffi::String>());
  ffi::Module lib = args[1].cast<ffi::Module>();
  std::vector<DLDevice> devices;
  for (int i = 2; i < args.size(); ++i) devices.push_back(args[i].cast<DLDevice>());
  *rv = ffi::Module(ffi::make_object<GraphExecutor>(graph_json, lib, devices));
}

TVM_FFI_STATIC_INIT_BLOCK() {
  RegisterGlobalOnce("tvm.graph_executor.create", ffi::Function::FromPacked(CreateGraphExecutor));
}

}  // namespace

}  // namespace runtime
}  // namespace tvmfork
