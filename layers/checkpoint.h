// Checkpoints as .safetensors files (https://huggingface.co/docs/safetensors): an 8-byte
// little-endian header length, a JSON header naming each tensor's dtype, shape and byte range
// ("data_offsets", relative to the data section), then the raw little-endian data. PyTorch
// (safetensors.torch.load_file) and NumPy (safetensors.numpy) read them.
//
// A checkpoint holds the model's state_dict under its own names ("enc1.conv.weight") and,
// optionally, the optimizer's state under "optimizer.<name>". Saving goes through
// write_file_atomic (a temporary file renamed into place), so an interrupted save never
// leaves a broken checkpoint. Loading checks the whole file (header, every byte range against
// the file size) and every expected tensor's dtype and shape before anything is copied; the
// first problem is a one-line error naming the file and the tensor.
#pragma once
#include <map>
#include <string>

#include "layers/module.h"

namespace fbd::nn {

// Generic files: tensors of float32, uint8 or int32 (any device; written from a host copy).
// Metadata becomes the header's "__metadata__" (string values only).
void save_safetensors(const std::string& path, const NamedTensors& tensors,
                      const std::map<std::string, std::string>& metadata = {});
// Every tensor of the file, as CPU tensors, in header order; `metadata` (if given) receives
// the __metadata__ entries.
NamedTensors load_safetensors(const std::string& path, std::map<std::string, std::string>* metadata = nullptr);

// model.state_dict() plus `optimizer_state` (each name prefixed "optimizer.").
void save_checkpoint(const std::string& path, const Module& model, const NamedTensors& optimizer_state = {},
                     const std::map<std::string, std::string>& metadata = {});
// Loads the model's state (strict, in place, all checked first) and returns the optimizer
// entries with the prefix removed, for Optimizer::load_state_dict(state, path).
NamedTensors load_checkpoint(const std::string& path, Module& model,
                             std::map<std::string, std::string>* metadata = nullptr);

}  // namespace fbd::nn
