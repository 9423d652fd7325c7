// Turning checkpoint tensors into libtorch tensors.
#pragma once

#include <torch/types.h>

#include <string_view>
#include <vector>

#include "tributary/model/safetensors.h"

namespace tributary::model {

torch::ScalarType ToTorchDType(DType dtype);

//! A tensor over the file's mapped bytes, without a copy. The file must outlive the tensor; the
//! mapping is copy-on-write, so writing to the tensor never changes the file.
torch::Tensor TensorView(const SafetensorsFile& file, const TensorInfo& info);

//! The named tensor, converted to `dtype`, checked against `expected_shape` (empty = any). Errors
//! name the checkpoint directory and the tensor: missing_tensor, wrong_shape.
Result<torch::Tensor> LoadTensor(const Checkpoint& checkpoint, std::string_view name,
                                 const std::vector<int64_t>& expected_shape,
                                 torch::ScalarType dtype = torch::kFloat32);

}  // namespace tributary::model
