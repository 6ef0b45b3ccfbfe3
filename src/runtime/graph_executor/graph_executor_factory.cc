/*!
 * \file graph_executor_factory.cc
 * \brief The "GraphExecutorFactory" runtime module: what relay.build returns and
 *        what export_library writes.
 *
 * The factory holds the graph JSON, the parameters and the name of the model
 * ("default"), and imports the compiled operator library. Calling
 * ``factory[module_name](dev)`` creates a GraphExecutor with the parameters set.
 *
 * It is binary serialisable: export_library packs ``SaveToBytes()`` next to the
 * compiled code in one shared library, and the loader registered here as
 * ``ffi.Module.load_from_bytes.GraphExecutorFactory`` rebuilds it when the library
 * is loaded (tvm-ffi then re-attaches the library module as its import). Because
 * these sources are also linked into every exported library, the loader is present
 * in any process that loads such a library, with or without Python.
 *
 * Serialised layout (little endian):
 *   magic "TVMFGEF1" (8 bytes)
 *   u64 length + bytes: graph JSON
 *   u64 length + bytes: module name
 *   u64 length + bytes: parameters in the base's runtime.SaveParams format
 */
#include <tvm/ffi/cast.h>
#include <tvm/ffi/error.h>

#include <cstring>

#include "graph_executor.h"

namespace tvmfork {
namespace runtime {

namespace {

constexpr char kMagic[] = "TVMFGEF1";
constexpr size_t kMagicLen = 8;

void WriteBlob(std::string* out, const char* data, size_t size) {
  uint64_t n = size;
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  out->append(data, size);
}

std::string ReadBlob(const char* data, size_t size, size_t* pos, const char* what) {
  if (*pos + 8 > size) {
    TVM_FFI_THROW(ValueError) << "GraphExecutorFactory: truncated data while reading " << what;
  }
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i) {
    n |= static_cast<uint64_t>(static_cast<unsigned char>(data[*pos + i])) << (8 * i);
  }
  *pos += 8;
  if (n > size - *pos) {
    TVM_FFI_THROW(ValueError) << "GraphExecutorFactory: truncated data while reading " << what;
  }
  std::string s(data + *pos, n);
  *pos += n;
  return s;
}

ffi::Function Global(const char* name) {
  auto f = ffi::Function::GetGlobal(name);
  if (!f.has_value()) {
    TVM_FFI_THROW(RuntimeError) << "GraphExecutorFactory: the base runtime function " << name
                                << " is not registered; load libtvm_runtime first";
  }
  return *f;
}

class GraphExecutorFactory : public ffi::ModuleObj {
 public:
  GraphExecutorFactory(std::string graph_json, ffi::Map<ffi::String, ffi::Tensor> params,
                       std::string module_name)
      : graph_json_(std::move(graph_json)),
        params_(std::move(params)),
        module_name_(std::move(module_name)) {}

  const char* kind() const final { return "GraphExecutorFactory"; }
  int GetPropertyMask() const final {
    return ffi::Module::kBinarySerializable | ffi::Module::kRunnable;
  }

  ffi::Optional<ffi::Function> GetFunction(const ffi::String& name) final {
    ffi::ObjectPtr<ffi::Object> self = ffi::GetObjectPtr<ffi::Object>(this);
    GraphExecutorFactory* f = this;
    if (name == module_name_) {
      return ffi::Function::FromPacked([self, f](ffi::PackedArgs args, ffi::Any* rv) {
        std::vector<DLDevice> devices;
        for (int i = 0; i < args.size(); ++i) devices.push_back(args[i].cast<DLDevice>());
        *rv = f->CreateExecutor(devices);
      });
    }
    if (name == "get_graph_json") {
      return ffi::Function::FromTyped([self, f]() { return ffi::String(f->graph_json_); });
    }
    if (name == "get_params") {
      return ffi::Function::FromTyped([self, f]() { return f->params_; });
    }
    if (name == "get_module_name") {
      return ffi::Function::FromTyped([self, f]() { return ffi::String(f->module_name_); });
    }
    return std::nullopt;
  }

  ffi::Bytes SaveToBytes() const final {
    std::string out(kMagic, kMagicLen);
    WriteBlob(&out, graph_json_.data(), graph_json_.size());
    WriteBlob(&out, module_name_.data(), module_name_.size());
    ffi::Bytes params = Global("runtime.SaveParams")(params_).cast<ffi::Bytes>();
    WriteBlob(&out, params.data(), params.size());
    return ffi::Bytes(out);
  }

  static ffi::Module LoadFromBytes(const ffi::Bytes& bytes) {
    const char* data = bytes.data();
    size_t size = bytes.size();
    if (size < kMagicLen || std::memcmp(data, kMagic, kMagicLen) != 0) {
      TVM_FFI_THROW(ValueError) << "GraphExecutorFactory: the serialised data does not start "
                                   "with the expected header (written by another version?)";
    }
    size_t pos = kMagicLen;
    std::string graph_json = ReadBlob(data, size, &pos, "the graph JSON");
    std::string module_name = ReadBlob(data, size, &pos, "the module name");
    std::string params_blob = ReadBlob(data, size, &pos, "the parameters");
    auto params = Global("runtime.LoadParams")(ffi::Bytes(params_blob))
                      .cast<ffi::Map<ffi::String, ffi::Tensor>>();
    return ffi::Module(ffi::make_object<GraphExecutorFactory>(std::move(graph_json),
                                                               std::move(params),
                                                               std::move(module_name)));
  }

 private:
  ffi::Module CreateExecutor(const std::vector<DLDevice>& devices) {
    if (devices.empty()) {
      TVM_FFI_THROW(TypeError) << "GraphExecutorFactory: " << module_name_
                               << "(device) needs a device";
    }
    if (imports_.empty()) {
      TVM_FFI_THROW(RuntimeError) << "GraphExecutorFactory: no compiled library is imported";
    }
    ffi::Module lib = imports_[0].cast<ffi::Module>();
    auto exec = ffi::make_object<GraphExecutor>(graph_json_, lib, devices);
    exec->SetParams(params_);
    return ffi::Module(exec);
  }

  std::string graph_json_;
  ffi::Map<ffi::String, ffi::Tensor> params_;
  std::string module_name_;
};

// tvm.graph_executor_factory.create(graph_json, lib, module_name, params)
ffi::Module CreateFactory(ffi::String graph_json, ffi::Module lib, ffi::String module_name,
                          ffi::Map<ffi::String, ffi::Tensor> params) {
  // validate the graph now, so a malformed graph fails at build time, not at load time
  GraphSpec::FromJSON(std::string(graph_json));
  auto factory = ffi::make_object<GraphExecutorFactory>(std::string(graph_json), params,
                                                        std::string(module_name));
  ffi::Module mod(factory);
  mod->ImportModule(lib);
  return mod;
}

TVM_FFI_STATIC_INIT_BLOCK() {
  RegisterGlobalOnce("tvm.graph_executor_factory.create", ffi::Function::FromTyped(CreateFactory));
  RegisterGlobalOnce("ffi.Module.load_from_bytes.GraphExecutorFactory",
                     ffi::Function::FromTyped(GraphExecutorFactory::LoadFromBytes));
}

}  // namespace

}  // namespace runtime
}  // namespace tvmfork
