/*!
 * \file deploy_graph_executor.cc
 * \brief Run an exported model from C++, without Python.
 *
 * Usage: deploy_graph_executor <model.so> <input_name> <input.bin> <output.bin>
 *
 * Loads a library written by ``GraphExecutorFactoryModule.export_library``, creates
 * the executor of its "default" model on the CPU, fills input <input_name> with the
 * raw bytes of <input.bin> (which must hold exactly that input's size), runs, and
 * writes the raw bytes of output 0 to <output.bin>. The executor and the module
 * loader come from the exported library itself; this program only needs tvm-ffi and
 * the base runtime:
 *
 *   g++ -std=c++17 -O2 deploy_graph_executor.cc \
 *     -I$TVM_FFI/include -L$TVM_FFI/lib -L$TVM/lib \
 *     -Wl,--no-as-needed -ltvm_ffi -ltvm_runtime -Wl,-rpath,$TVM_FFI/lib:$TVM/lib
 *
 * where $TVM_FFI and $TVM are the installed ``tvm_ffi`` and ``tvm`` package folders
 * (libtvm_runtime provides device memory and the kernels' runtime calls).
 *
 * Threads: the base runtime starts half as many threads as logical CPUs on x86
 * (it assumes SMT); on a machine without SMT set TVM_NUM_THREADS to the number of
 * cores (the Python side of the fork does this by itself, see tvmfork/compat.py).
 */
#include <tvm/ffi/container/tensor.h>
#include <tvm/ffi/error.h>
#include <tvm/ffi/extra/module.h>
#include <tvm/ffi/function.h>

#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

namespace ffi = tvm::ffi;

static size_t NumBytes(const DLTensor* t) {
  size_t n = 1;
  for (int i = 0; i < t->ndim; ++i) n *= static_cast<size_t>(t->shape[i]);
  return n * ((t->dtype.bits * t->dtype.lanes + 7) / 8);
}

int main(int argc, char** argv) {
  if (argc != 5) {
    std::cerr << "usage: " << argv[0] << " <model.so> <input_name> <input.bin> <output.bin>\n";
    return 2;
  }
  try {
    ffi::Module factory = ffi::Module::LoadFromFile(argv[1]);
    DLDevice cpu{kDLCPU, 0};
    ffi::Module executor = factory->GetFunction("default").value()(cpu).cast<ffi::Module>();

    // the executor's own input buffer is on the CPU: fill it in place
    ffi::Tensor input =
        executor->GetFunction("get_input").value()(ffi::String(argv[2])).cast<ffi::Tensor>();
    std::ifstream in(argv[3], std::ios::binary);
    std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (bytes.size() != NumBytes(input.GetDLTensorPtr())) {
      std::cerr << "input " << argv[2] << " needs " << NumBytes(input.GetDLTensorPtr())
                << " bytes, " << argv[3] << " has " << bytes.size() << "\n";
      return 1;
    }
    std::memcpy(input.data_ptr(), bytes.data(), bytes.size());

    executor->GetFunction("run").value()();
    ffi::Tensor output = executor->GetFunction("get_output").value()(0).cast<ffi::Tensor>();
    std::ofstream out(argv[4], std::ios::binary);
    out.write(static_cast<const char*>(output.data_ptr()),
              static_cast<std::streamsize>(NumBytes(output.GetDLTensorPtr())));
    std::cout << "outputs: " << executor->GetFunction("get_num_outputs").value()().cast<int>()
              << "\n";
  } catch (const ffi::Error& err) {
    std::cerr << err.what() << "\n";
    return 1;
  }
  return 0;
}
