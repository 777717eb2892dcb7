#include "core/npy.h"

#include <cstring>
#include <ostream>
#include <sstream>

#include "core/file_io.h"

namespace fbd {

namespace {

// The value text after 'key': in the header dict, up to the next top-level ',' or '}'.
std::string dict_value(const std::string& header, const std::string& key, const std::string& name) {
  const std::string quoted1 = "'" + key + "'", quoted2 = "\"" + key + "\"";
  size_t k = header.find(quoted1);
  if (k == std::string::npos) k = header.find(quoted2);
  FBD_CHECK(k != std::string::npos, name, ": not a valid .npy file (header has no '", key, "')");
  size_t colon = header.find(':', k);
  FBD_CHECK(colon != std::string::npos, name, ": not a valid .npy file (malformed header)");
  size_t i = colon + 1, depth = 0;
  std::string v;
  for (; i < header.size(); ++i) {
    const char c = header[i];
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (depth == 0 && (c == ',' || c == '}')) break;
    v += c;
  }
  const size_t a = v.find_first_not_of(" \t"), b = v.find_last_not_of(" \t");
  return a == std::string::npos ? "" : v.substr(a, b - a + 1);
}

Shape parse_shape(const std::string& text, const std::string& name) {
  FBD_CHECK(text.size() >= 2 && text.front() == '(' && text.back() == ')', name, ": bad shape ", text);
  Shape shape;
  std::stringstream items(text.substr(1, text.size() - 2));
  std::string item;
  while (std::getline(items, item, ',')) {
    const size_t a = item.find_first_not_of(' '), b = item.find_last_not_of(" L");  // 'L': Python 2 longs
    if (a == std::string::npos) continue;  // the empty item after a trailing comma: "(5,)"
    const std::string num = item.substr(a, b - a + 1);
    FBD_CHECK(!num.empty() && num.find_first_not_of("0123456789") == std::string::npos, name, ": bad shape ", text);
    FBD_CHECK(num.size() <= 18, name, ": bad shape ", text, " (a size too large)");  // stoll would throw past 2^63
    shape.push_back(std::stoll(num));
  }
  return shape;
}

}  // namespace

Tensor parse_npy(const std::vector<char>& bytes, const std::string& name) {
  static const char magic[] = "\x93NUMPY";
  FBD_CHECK(bytes.size() >= 10 && std::memcmp(bytes.data(), magic, 6) == 0, name,
            ": not a .npy file (bad magic bytes)");
  const int major = static_cast<unsigned char>(bytes[6]);
  FBD_CHECK(major >= 1 && major <= 3, name, ": unsupported .npy format version ", major);
  size_t header_len = 0, offset = 0;
  if (major == 1) {
    header_len = static_cast<unsigned char>(bytes[8]) | (size_t(static_cast<unsigned char>(bytes[9])) << 8);
    offset = 10;
  } else {
    FBD_CHECK(bytes.size() >= 12, name, ": truncated .npy header");
    for (int i = 0; i < 4; ++i) header_len |= size_t(static_cast<unsigned char>(bytes[8 + size_t(i)])) << (8 * i);
    offset = 12;
  }
  FBD_CHECK(bytes.size() >= offset + header_len, name, ": truncated .npy header");
  const std::string header(bytes.data() + offset, header_len);
  const std::string descr = dict_value(header, "descr", name);
  const std::string fortran = dict_value(header, "fortran_order", name);
  const Shape shape = parse_shape(dict_value(header, "shape", name), name);
  FBD_CHECK(fortran == "False", name, ": Fortran-order arrays are not supported (save with np.ascontiguousarray)");

  const std::string d = descr.size() >= 2 ? descr.substr(1, descr.size() - 2) : descr;  // strip quotes
  DType dtype;
  size_t elem = 0;
  bool from_f64 = false;
  if (d == "<f4") {
    dtype = DType::F32, elem = 4;
  } else if (d == "<f8") {
    dtype = DType::F32, elem = 8, from_f64 = true;
  } else if (d == "|u1" || d == "|b1" || d == "<u1") {
    dtype = DType::U8, elem = 1;
  } else if (d == "<i4") {
    dtype = DType::I32, elem = 4;
  } else {
    FBD_FAIL(name, ": unsupported dtype ", descr, " (fbd reads float32, float64, uint8, bool and int32)");
  }
  const size_t data_offset = offset + header_len;
  // The byte count, with overflow checked: a header can declare sizes whose product wraps.
  int64_t n = 1;
  size_t need = elem;
  for (int64_t d : shape)
    FBD_CHECK(!__builtin_mul_overflow(n, d, &n) && !__builtin_mul_overflow(need, size_t(d), &need), name,
              ": truncated: shape ", shape_str(shape), " needs more bytes than any file holds");
  FBD_CHECK(bytes.size() - data_offset >= need, name, ": truncated: shape ", shape_str(shape), " needs ", need,
            " bytes of data, the file has ", bytes.size() - data_offset);
  Tensor t = Tensor::empty(shape, dtype, Device::cpu());
  const char* src = bytes.data() + data_offset;
  if (from_f64) {
    float* dst = t.data<float>();
    for (int64_t i = 0; i < n; ++i) {
      double v;
      std::memcpy(&v, src + size_t(i) * 8, 8);
      dst[i] = static_cast<float>(v);
    }
  } else if (need > 0) {
    std::memcpy(t.raw_data(), src, need);
  }
  return t;
}

Tensor read_npy(const std::string& path) { return parse_npy(read_file(path), path); }

std::vector<char> encode_npy(const Tensor& t) {
  const char* descr = t.dtype() == DType::F32 ? "<f4" : t.dtype() == DType::U8 ? "|u1" : "<i4";
  std::string shape = "(";  // Python tuple syntax: "()", "(5,)", "(2, 3)"
  for (size_t i = 0; i < t.shape().size(); ++i) shape += (i ? ", " : "") + std::to_string(t.shape()[i]);
  shape += t.dim() == 1 ? ",)" : ")";
  std::string header = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  // Pad with spaces so magic + length + header + '\n' is a multiple of 64 bytes (as NumPy does).
  const bool v2 = header.size() + 11 > 65535;
  const size_t prefix = v2 ? 12 : 10;
  const size_t total = (prefix + header.size() + 1 + 63) / 64 * 64;
  header.append(total - prefix - header.size() - 1, ' ');
  header += '\n';
  std::vector<char> out;
  out.reserve(total + t.nbytes());
  const char magic[] = "\x93NUMPY";
  out.insert(out.end(), magic, magic + 6);
  out.push_back(char(v2 ? 2 : 1));
  out.push_back(0);
  const size_t len = header.size();
  for (size_t i = 0; i < (v2 ? 4u : 2u); ++i) out.push_back(char((len >> (8 * i)) & 0xff));
  out.insert(out.end(), header.begin(), header.end());
  const Tensor host = t.cpu();
  const char* data = static_cast<const char*>(host.raw_data());
  out.insert(out.end(), data, data + host.nbytes());
  return out;
}

void write_npy(const std::string& path, const Tensor& t) {
  const std::vector<char> bytes = encode_npy(t);
  write_file_atomic(path, [&](std::ostream& os) { os.write(bytes.data(), std::streamsize(bytes.size())); });
}

}  // namespace fbd
