// Per-element rules of the copy kernels, shared by CPU and CUDA.
#pragma once
#include <cstdint>
#include <type_traits>

#include "kernels/common.h"
#include "kernels/copy_kernels.h"

namespace fbd::kernels {

template <typename To>
FBD_HD To saturating_cast(float v) {
  constexpr bool to_u8 = std::is_same_v<To, uint8_t>;
  constexpr float lo = to_u8 ? 0.0f : -2147483648.0f;
  constexpr float hi = to_u8 ? 255.0f : 2147483520.0f;  // the largest float below 2^31
  if (v != v) return To(0);                             // NaN
  return static_cast<To>(v < lo ? lo : (v > hi ? hi : v));
}

template <typename From, typename To>
FBD_HD To convert(From v) {
  if constexpr (std::is_same_v<To, float>) {
    return static_cast<float>(v);
  } else if constexpr (std::is_same_v<From, float>) {
    return saturating_cast<To>(v);
  } else if constexpr (std::is_same_v<To, uint8_t> && std::is_signed_v<From>) {  // int32 -> uint8
    return static_cast<To>(v < 0 ? 0 : (v > 255 ? 255 : v));
  } else {
    return static_cast<To>(v);
  }
}

// Calls f.template operator()<From, To>() for the runtime pair of element types.
template <typename F>
void dispatch_cast(ElemType from, ElemType to, F&& f) {
  auto inner = [&]<typename From>() {
    switch (to) {
      case ElemType::F32: f.template operator()<From, float>(); break;
      case ElemType::U8: f.template operator()<From, uint8_t>(); break;
      case ElemType::I32: f.template operator()<From, int32_t>(); break;
    }
  };
  switch (from) {
    case ElemType::F32: inner.template operator()<float>(); break;
    case ElemType::U8: inner.template operator()<uint8_t>(); break;
    case ElemType::I32: inner.template operator()<int32_t>(); break;
  }
}

}  // namespace fbd::kernels
