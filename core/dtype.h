// Element types: float32 for everything learned, uint8 for masks and images, int32 for labels.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace fbd {

enum class DType : unsigned char { F32, U8, I32 };

inline size_t dtype_size(DType t) { return t == DType::U8 ? 1 : 4; }
inline const char* dtype_name(DType t) { return t == DType::F32 ? "float32" : t == DType::U8 ? "uint8" : "int32"; }

template <typename T>
struct dtype_of;
template <>
struct dtype_of<float> {
  static constexpr DType value = DType::F32;
};
template <>
struct dtype_of<uint8_t> {
  static constexpr DType value = DType::U8;
};
template <>
struct dtype_of<int32_t> {
  static constexpr DType value = DType::I32;
};

using Shape = std::vector<int64_t>;

int64_t shape_numel(const Shape& shape);
std::string shape_str(const Shape& shape);  // "[2, 3, 4]"

}  // namespace fbd
