#include "tributary/model/tensor.h"

#include <sstream>

namespace tributary::model {
namespace {

std::string ShapeString(const std::vector<int64_t>& shape) {
  std::ostringstream os;
  os << "[";
  for (size_t i = 0; i < shape.size(); ++i) os << (i ? ", " : "") << shape[i];
  os << "]";
  return os.str();
}

}  // namespace

torch::ScalarType ToTorchDType(DType dtype) {
  switch (dtype) {
    case DType::kF32:
      return torch::kFloat32;
    case DType::kF16:
      return torch::kFloat16;
    case DType::kBF16:
      return torch::kBFloat16;
  }
  return torch::kFloat32;
}

torch::Tensor TensorView(const SafetensorsFile& file, const TensorInfo& info) {
  return torch::from_blob(file.Data(info), info.shape,
                          torch::TensorOptions().dtype(ToTorchDType(info.dtype)));
}

Result<torch::Tensor> LoadTensor(const Checkpoint& checkpoint, std::string_view name,
                                 const std::vector<int64_t>& expected_shape,
                                 torch::ScalarType dtype) {
  TRIB_ASSIGN_OR_RETURN(Checkpoint::Entry e, checkpoint.Find(name));
  if (!expected_shape.empty() && e.info->shape != expected_shape) {
    return Status::InvalidArgument(e.file->path().string() + ": tensor '" + std::string(name) +
                                       "' has shape " + ShapeString(e.info->shape) + ", expected " +
                                       ShapeString(expected_shape),
                                   "wrong_shape");
  }
  try {
    return TensorView(*e.file, *e.info).to(dtype);
  } catch (const c10::Error& err) {
    return Status::Internal(e.file->path().string() + ": tensor '" + std::string(name) +
                            "': " + err.what_without_backtrace());
  }
}

}  // namespace tributary::model
