// NumPy .npy files, read and written by fbd itself (format versions 1.0, 2.0 and 3.0).
//
// Reading accepts C-order little-endian float32 ('<f4'), float64 ('<f8', converted to
// float32), uint8 ('|u1'), bool ('|b1', as uint8) and int32 ('<i4'); anything else, Fortran
// order, a bad header or a file shorter than its header says is a one-line fbd::Error that
// names the file. Writing produces format 1.0 (version 2.0 for headers over 64 KiB) from a
// float32, uint8 or int32 tensor on any device, atomically.
#pragma once
#include <string>

#include "core/tensor.h"

namespace fbd {

Tensor read_npy(const std::string& path);  // a CPU tensor
void write_npy(const std::string& path, const Tensor& t);

// The same on bytes in memory (`name` is used in error messages).
Tensor parse_npy(const std::vector<char>& bytes, const std::string& name);
std::vector<char> encode_npy(const Tensor& t);

}  // namespace fbd
