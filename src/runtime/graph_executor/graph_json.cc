/*!
 * \file graph_json.cc
 * \brief Reading the graph JSON of the graph executor (TVM 0.8 format).
 *
 * Layout read here:
 *   nodes:        [{"op": "null" | "tvm_op", "name": str, "inputs": [[nid, index, version]],
 *                   "attrs": {"func_name", "num_inputs", "num_outputs", "flatten_data"}}]
 *   arg_nodes:    node ids of the graph inputs (data and params)
 *   heads:        [[nid, index, version]] graph outputs
 *   node_row_ptr: entry id of the first output of every node (+ total at the end)
 *   attrs:        {"shape": ["list_shape", [...]], "dltype": ["list_str", [...]],
 *                  "storage_id": ["list_int", [...]]}, one value per entry; an optional
 *                  "device_index" must put every entry on the same device
 * Every problem is reported as a ValueError that says which field is wrong.
 */
#include <tvm/ffi/dtype.h>
#include <tvm/ffi/error.h>
#include <tvm/ffi/extra/json.h>

#include <sstream>

#include "graph_executor.h"

namespace tvmfork {
namespace runtime {

namespace {

namespace json = ::tvm::ffi::json;

json::Object AsObject(const ffi::Any& v, const std::string& what) {
  if (auto obj = v.try_cast<json::Object>()) return *obj;
  TVM_FFI_THROW(ValueError) << "graph JSON: " << what << " must be an object";
  TVM_FFI_UNREACHABLE();
}

json::Array AsArray(const ffi::Any& v, const std::string& what) {
  if (auto arr = v.try_cast<json::Array>()) return *arr;
  TVM_FFI_THROW(ValueError) << "graph JSON: " << what << " must be a list";
  TVM_FFI_UNREACHABLE();
}

ffi::Any Field(const json::Object& obj, const char* key, const std::string& where) {
  auto it = obj.find(ffi::String(key));
  if (it == obj.end()) {
    TVM_FFI_THROW(ValueError) << "graph JSON: " << where << " has no field \"" << key << "\"";
  }
  return (*it).second;
}

bool HasField(const json::Object& obj, const char* key) {
  return obj.find(ffi::String(key)) != obj.end();
}

// Node attributes are written as strings ("1") by the codegen, but accept numbers too.
int64_t AsInt(const ffi::Any& v, const std::string& what) {
  if (auto i = v.try_cast<int64_t>()) return *i;
  if (auto s = v.try_cast<ffi::String>()) {
    try {
      size_t pos = 0;
      std::string text(*s);
      int64_t value = std::stoll(text, &pos);
      if (pos == text.size()) return value;
    } catch (const std::exception&) {
    }
  }
  TVM_FFI_THROW(ValueError) << "graph JSON: " << what << " must be an integer";
  TVM_FFI_UNREACHABLE();
}

std::string AsStr(const ffi::Any& v, const std::string& what) {
  if (auto s = v.try_cast<ffi::String>()) return std::string(*s);
  TVM_FFI_THROW(ValueError) << "graph JSON: " << what << " must be a string";
  TVM_FFI_UNREACHABLE();
}

NodeEntry AsEntry(const ffi::Any& v, const std::string& what, size_t num_nodes) {
  json::Array e = AsArray(v, what);
  if (e.size() < 2 || e.size() > 3) {
    TVM_FFI_THROW(ValueError) << "graph JSON: " << what << " must be [node_id, index(, version)]";
  }
  int64_t nid = AsInt(e[0], what);
  int64_t index = AsInt(e[1], what);
  if (nid < 0 || static_cast<size_t>(nid) >= num_nodes || index < 0) {
    TVM_FFI_THROW(ValueError) << "graph JSON: " << what << " refers to node " << nid
                              << " output " << index << ", but the graph has " << num_nodes
                              << " nodes";
  }
  return NodeEntry{static_cast<uint32_t>(nid), static_cast<uint32_t>(index)};
}

// attrs entries look like ["list_int", [...]]: return the list, checking the tag.
json::Array TaggedList(const json::Object& attrs, const char* key, const char* tag) {
  json::Array pair = AsArray(Field(attrs, key, "attrs"), std::string("attrs.") + key);
  if (pair.size() != 2 || AsStr(pair[0], std::string("attrs.") + key + "[0]") != tag) {
    TVM_FFI_THROW(ValueError) << "graph JSON: attrs." << key << " must be [\"" << tag
                              << "\", [...]]";
  }
  return AsArray(pair[1], std::string("attrs.") + key + "[1]");
}

GraphNode ParseNode(const ffi::Any& v, size_t nid, size_t num_nodes) {
  std::string where = "node " + std::to_string(nid);
  json::Object obj = AsObject(v, where);
  GraphNode node;
  node.op = AsStr(Field(obj, "op", where), where + ".op");
  node.name = AsStr(Field(obj, "name", where), where + ".name");
  where = "node " + std::to_string(nid) + " (\"" + node.name + "\")";
  if (HasField(obj, "inputs")) {
    json::Array inputs = AsArray(Field(obj, "inputs", where), where + ".inputs");
    for (size_t i = 0; i < inputs.size(); ++i) {
      node.inputs.push_back(
          AsEntry(inputs[i], where + ".inputs[" + std::to_string(i) + "]", num_nodes));
    }
  }
  if (node.op == "null") return node;
  if (node.op != "tvm_op") {
    TVM_FFI_THROW(ValueError) << "graph JSON: " << where << " has op \"" << node.op
                              << "\"; expected \"null\" or \"tvm_op\"";
  }
  // upstream also accepts the older key "param" for the attribute dictionary
  const char* attrs_key = HasField(obj, "attrs") ? "attrs" : "param";
  json::Object attrs = AsObject(Field(obj, attrs_key, where), where + ".attrs");
  node.func_name = AsStr(Field(attrs, "func_name", where + ".attrs"), where + ".func_name");
  node.num_inputs = static_cast<uint32_t>(
      AsInt(Field(attrs, "num_inputs", where + ".attrs"), where + ".num_inputs"));
  node.num_outputs = static_cast<uint32_t>(
      AsInt(Field(attrs, "num_outputs", where + ".attrs"), where + ".num_outputs"));
  if (HasField(attrs, "flatten_data")) {
    node.flatten_data = AsInt(Field(attrs, "flatten_data", where), where + ".flatten_data") != 0;
  }
  if (node.num_inputs != node.inputs.size()) {
    TVM_FFI_THROW(ValueError) << "graph JSON: " << where << " declares num_inputs="
                              << node.num_inputs << " but lists " << node.inputs.size()
                              << " inputs";
  }
  return node;
}

}  // namespace

std::string ShapeToString(const int64_t* shape, int ndim) {
  std::ostringstream os;
  os << "(";
  for (int i = 0; i < ndim; ++i) {
    if (i) os << ", ";
    os << shape[i];
  }
  if (ndim == 1) os << ",";
  os << ")";
  return os.str();
}

GraphSpec GraphSpec::FromJSON(const std::string& graph_json) {
  ffi::String error;
  json::Value root_value = json::Parse(ffi::String(graph_json), &error);
  if (!error.empty()) {
    TVM_FFI_THROW(ValueError) << "graph JSON does not parse: " << error;
  }
  json::Object root = AsObject(root_value, "the graph");
  GraphSpec spec;

  json::Array nodes = AsArray(Field(root, "nodes", "the graph"), "nodes");
  for (size_t i = 0; i < nodes.size(); ++i) {
    spec.nodes.push_back(ParseNode(nodes[i], i, nodes.size()));
  }
  json::Array arg_nodes = AsArray(Field(root, "arg_nodes", "the graph"), "arg_nodes");
  for (const ffi::Any& v : arg_nodes) {
    int64_t nid = AsInt(v, "arg_nodes[i]");
    if (nid < 0 || static_cast<size_t>(nid) >= spec.nodes.size()) {
      TVM_FFI_THROW(ValueError) << "graph JSON: arg_nodes lists node " << nid
                                << ", but the graph has " << spec.nodes.size() << " nodes";
    }
    spec.input_nodes.push_back(static_cast<uint32_t>(nid));
  }

  if (HasField(root, "node_row_ptr")) {
    for (const ffi::Any& v : AsArray(Field(root, "node_row_ptr", "the graph"), "node_row_ptr")) {
      spec.node_row_ptr.push_back(static_cast<uint32_t>(AsInt(v, "node_row_ptr[i]")));
    }
    if (spec.node_row_ptr.size() != spec.nodes.size() + 1) {
      TVM_FFI_THROW(ValueError) << "graph JSON: node_row_ptr has " << spec.node_row_ptr.size()
                                << " values; expected one per node plus one ("
                                << spec.nodes.size() + 1 << ")";
    }
  } else {
    spec.node_row_ptr.push_back(0);
    for (const GraphNode& n : spec.nodes) {
      spec.node_row_ptr.push_back(spec.node_row_ptr.back() + n.num_outputs);
    }
  }
  for (size_t nid = 0; nid < spec.nodes.size(); ++nid) {
    const GraphNode& n = spec.nodes[nid];
    uint32_t declared = spec.node_row_ptr[nid + 1] - spec.node_row_ptr[nid];
    if (declared != n.num_outputs) {
      TVM_FFI_THROW(ValueError) << "graph JSON: node " << nid << " (\"" << n.name
                                << "\") has num_outputs=" << n.num_outputs
                                << " but node_row_ptr gives it " << declared << " entries";
    }
    for (const NodeEntry& e : n.inputs) {
      if (e.index >= spec.nodes[e.node_id].num_outputs) {
        TVM_FFI_THROW(ValueError) << "graph JSON: node " << nid << " (\"" << n.name
                                  << "\") reads output " << e.index << " of node " << e.node_id
                                  << ", which has " << spec.nodes[e.node_id].num_outputs;
      }
    }
  }

  json::Array heads = AsArray(Field(root, "heads", "the graph"), "heads");
  for (size_t i = 0; i < heads.size(); ++i) {
    NodeEntry e = AsEntry(heads[i], "heads[" + std::to_string(i) + "]", spec.nodes.size());
    if (e.index >= spec.nodes[e.node_id].num_outputs) {
      TVM_FFI_THROW(ValueError) << "graph JSON: heads[" << i << "] reads output " << e.index
                                << " of node " << e.node_id << ", which has "
                                << spec.nodes[e.node_id].num_outputs;
    }
    spec.outputs.push_back(e);
  }

  json::Object attrs = AsObject(Field(root, "attrs", "the graph"), "attrs");
  size_t num_entries = spec.NumEntries();
  json::Array shapes = TaggedList(attrs, "shape", "list_shape");
  json::Array dltypes = TaggedList(attrs, "dltype", "list_str");
  json::Array storage_ids = TaggedList(attrs, "storage_id", "list_int");
  if (shapes.size() != num_entries || dltypes.size() != num_entries ||
      storage_ids.size() != num_entries) {
    TVM_FFI_THROW(ValueError) << "graph JSON: attrs shape/dltype/storage_id have "
                              << shapes.size() << "/" << dltypes.size() << "/"
                              << storage_ids.size() << " values; the graph has " << num_entries
                              << " entries";
  }
  for (size_t eid = 0; eid < num_entries; ++eid) {
    std::vector<int64_t> shape;
    for (const ffi::Any& d : AsArray(shapes[eid], "attrs.shape entry")) {
      int64_t dim = AsInt(d, "attrs.shape dimension");
      if (dim < 0) {
        TVM_FFI_THROW(ValueError) << "graph JSON: entry " << eid << " has a negative dimension "
                                  << dim << " (dynamic shapes are not supported)";
      }
      shape.push_back(dim);
    }
    spec.shapes.push_back(std::move(shape));
    std::string dtype = AsStr(dltypes[eid], "attrs.dltype entry");
    try {
      spec.dtypes.push_back(ffi::StringToDLDataType(ffi::String(dtype)));
    } catch (const ffi::Error&) {
      TVM_FFI_THROW(ValueError) << "graph JSON: entry " << eid << " has unknown dtype \""
                                << dtype << "\"";
    }
    spec.storage_ids.push_back(AsInt(storage_ids[eid], "attrs.storage_id entry"));
    if (spec.storage_ids.back() < 0) {
      TVM_FFI_THROW(ValueError) << "graph JSON: entry " << eid << " has storage_id "
                                << spec.storage_ids.back();
    }
  }
  if (HasField(attrs, "device_index")) {
    json::Array device_index = TaggedList(attrs, "device_index", "list_int");
    for (const ffi::Any& v : device_index) {
      if (AsInt(v, "attrs.device_index entry") != AsInt(device_index[0], "attrs.device_index")) {
        TVM_FFI_THROW(ValueError) << "graph JSON: attrs.device_index places entries on several "
                                     "devices; heterogeneous graphs are not supported";
      }
    }
  }
  return spec;
}

}  // namespace runtime
}  // namespace tvmfork
