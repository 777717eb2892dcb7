#include "layers/checkpoint.h"

#include <cstring>
#include <nlohmann/json.hpp>
#include <ostream>

#include "core/file_io.h"

namespace fbd::nn {

namespace {

using json = nlohmann::ordered_json;
constexpr const char* kOptimPrefix = "optimizer.";

const char* st_dtype(DType t) { return t == DType::F32 ? "F32" : t == DType::U8 ? "U8" : "I32"; }

bool parse_dtype(const std::string& s, DType* t) {
  if (s == "F32")
    *t = DType::F32;
  else if (s == "U8" || s == "BOOL")
    *t = DType::U8;
  else if (s == "I32")
    *t = DType::I32;
  else
    return false;
  return true;
}

uint64_t read_u64_le(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

}  // namespace

void save_safetensors(const std::string& path, const NamedTensors& tensors,
                      const std::map<std::string, std::string>& metadata) {
  json header = json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::vector<Tensor> host;
  host.reserve(tensors.size());
  uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    FBD_CHECK(t.defined(), path, ": tensor '", name, "' is undefined");
    FBD_CHECK(name != "__metadata__" && !header.contains(name), path, ": tensor name '", name, "' used twice");
    host.push_back(t.detach().cpu());
    json shape = json::array();
    for (int64_t d : t.shape()) shape.push_back(d);
    header[name] = {{"dtype", st_dtype(t.dtype())}, {"shape", shape}, {"data_offsets", {offset, offset + t.nbytes()}}};
    offset += t.nbytes();
  }
  std::string h = header.dump();
  h.append((8 - h.size() % 8) % 8, ' ');  // the data section starts 8-byte aligned
  write_file_atomic(path, [&](std::ostream& out) {
    char len[8];
    for (int i = 0; i < 8; ++i) len[i] = char((uint64_t(h.size()) >> (8 * i)) & 0xff);
    out.write(len, 8);
    out.write(h.data(), std::streamsize(h.size()));
    for (const Tensor& t : host) out.write(static_cast<const char*>(t.raw_data()), std::streamsize(t.nbytes()));
  });
}

NamedTensors load_safetensors(const std::string& path, std::map<std::string, std::string>* metadata) {
  const std::vector<char> bytes = read_file(path);
  FBD_CHECK(bytes.size() >= 8, path, ": not a safetensors file (", bytes.size(),
            " bytes, shorter than the 8-byte header length)");
  const uint64_t hlen = read_u64_le(bytes.data());
  FBD_CHECK(hlen <= bytes.size() - 8, path, ": truncated or not a safetensors file (the header length says ", hlen,
            " bytes, the file has ", bytes.size() - 8, " after it)");
  json header;
  try {
    header = json::parse(bytes.begin() + 8, bytes.begin() + 8 + std::ptrdiff_t(hlen));
  } catch (const json::exception& e) {
    FBD_FAIL(path, ": the safetensors header is not valid JSON (", e.what(), ")");
  }
  FBD_CHECK(header.is_object(), path, ": the safetensors header is not a JSON object");
  const uint64_t data_size = bytes.size() - 8 - hlen;
  const char* data = bytes.data() + 8 + hlen;
  NamedTensors out;
  for (auto it = header.begin(); it != header.end(); ++it) {
    const std::string& name = it.key();
    const json& e = it.value();
    if (name == "__metadata__") {
      if (metadata && e.is_object())
        for (auto m = e.begin(); m != e.end(); ++m)
          if (m.value().is_string()) (*metadata)[m.key()] = m.value().get<std::string>();
      continue;
    }
    DType dt;
    FBD_CHECK(e.is_object() && e.contains("dtype") && e["dtype"].is_string() && e.contains("shape") &&
                  e["shape"].is_array() && e.contains("data_offsets") && e["data_offsets"].is_array() &&
                  e["data_offsets"].size() == 2,
              path, ": tensor '", name, "' has a malformed header entry");
    FBD_CHECK(parse_dtype(e["dtype"].get<std::string>(), &dt), path, ": tensor '", name, "' has dtype ",
              e["dtype"].get<std::string>(), ", which fbd does not read (F32, U8, BOOL, I32)");
    Shape shape;
    for (const json& d : e["shape"]) {
      FBD_CHECK(d.is_number_integer() && d.get<int64_t>() >= 0, path, ": tensor '", name, "' has a bad shape entry");
      shape.push_back(d.get<int64_t>());
    }
    const json& off = e["data_offsets"];
    FBD_CHECK(off[0].is_number_unsigned() && off[1].is_number_unsigned(), path, ": tensor '", name,
              "' has bad data_offsets");
    const uint64_t begin = off[0].get<uint64_t>(), end = off[1].get<uint64_t>();
    uint64_t want = dtype_size(dt);  // the byte count, overflow checked (a shape's product can wrap to 0)
    for (int64_t d : shape)
      FBD_CHECK(!__builtin_mul_overflow(want, uint64_t(d), &want), path, ": tensor '", name, "' has shape ",
                shape_str(shape), ", more bytes than any file holds");
    FBD_CHECK(begin <= end && end - begin == want, path, ": tensor '", name, "' spans bytes [", begin, ", ", end,
              ") but ", e["dtype"].get<std::string>(), " ", shape_str(shape), " needs ", want);
    FBD_CHECK(end <= data_size, path, ": truncated: tensor '", name, "' needs bytes [", begin, ", ", end,
              ") of the data section, the file holds ", data_size);
    Tensor t = Tensor::empty(shape, dt);
    if (want > 0) std::memcpy(t.raw_data(), data + begin, size_t(want));
    out.emplace_back(name, t);
  }
  return out;
}

void save_checkpoint(const std::string& path, const Module& model, const NamedTensors& optimizer_state,
                     const std::map<std::string, std::string>& metadata) {
  NamedTensors all = model.state_dict();
  for (const auto& [n, t] : optimizer_state) all.emplace_back(kOptimPrefix + n, t);
  std::map<std::string, std::string> meta = metadata;
  meta.emplace("format", "fbd checkpoint");
  save_safetensors(path, all, meta);
}

NamedTensors load_checkpoint(const std::string& path, Module& model, std::map<std::string, std::string>* metadata) {
  NamedTensors file = load_safetensors(path, metadata);
  NamedTensors model_part, optim_part;
  const size_t plen = std::strlen(kOptimPrefix);
  for (auto& [n, t] : file) {
    if (n.compare(0, plen, kOptimPrefix) == 0)
      optim_part.emplace_back(n.substr(plen), t);
    else
      model_part.emplace_back(n, t);
  }
  model.load_state_dict(model_part, path);
  return optim_part;
}

}  // namespace fbd::nn
