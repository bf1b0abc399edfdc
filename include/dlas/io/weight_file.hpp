// SPDX-License-Identifier: Apache-2.0
/// \file weight_file.hpp
/// \brief weight_file: the named fp32 tensors of a safetensors file, a .npy file or a folder
/// of .npy files, looked up by name (PyTorch state_dict keys such as "layer1.0.conv1.weight").
#pragma once

#include <algorithm>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dlas/core/buffer.hpp"
#include "dlas/core/error.hpp"
#include "dlas/io/named_tensor.hpp"
#include "dlas/io/npy.hpp"
#include "dlas/io/safetensors.hpp"

namespace dlas::io {

/// Whole contents of the file at `path`; errc::io_error when it cannot be read,
/// errc::resource_limit when it is larger than core::allocation_limit().
inline std::vector<std::byte> read_file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  core::require(bool(in), errc::io_error, [&] { return "cannot open '" + path + "'"; });
  const std::streamoff size = in.tellg();
  core::require(size >= 0, errc::io_error, [&] { return "cannot read '" + path + "'"; });
  core::require(size <= core::allocation_limit(), errc::resource_limit, [&] {
    return "'" + path + "' (" + std::to_string(size) + " bytes) exceeds the allocation limit";
  });
  std::vector<std::byte> bytes(static_cast<std::size_t>(size));
  in.seekg(0);
  in.read(reinterpret_cast<char*>(bytes.data()), size);
  core::require(in.gcount() == size, errc::io_error, [&] { return "cannot read '" + path + "'"; });
  return bytes;
}

/// Writes `bytes` to `path`; errc::io_error when it cannot.
inline void write_file_bytes(const std::string& path, std::span<const std::byte> bytes) {
  std::ofstream out(path, std::ios::binary);
  core::require(bool(out), errc::io_error, [&] { return "cannot create '" + path + "'"; });
  out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
  core::require(bool(out), errc::io_error, [&] { return "cannot write '" + path + "'"; });
}

/// A set of named fp32 tensors with lookup by name and shape checks.
///
/// Export from PyTorch with `safetensors.torch.save_file(model.state_dict(), "net.safetensors")`,
/// or `numpy.save(f"{folder}/{name}.npy", t.numpy())` per state_dict entry.
class weight_file {
 public:
  weight_file() = default;
  explicit weight_file(std::vector<named_tensor> tensors) {
    for (auto& t : tensors) add(std::move(t));
  }

  /// Reads a .safetensors file, a single .npy file (its tensor is named after the file's stem)
  /// or a folder whose *.npy files each hold one tensor named after the file's stem.
  static weight_file read(const std::string& path) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      std::vector<fs::path> files;
      for (fs::directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec))
        if (it->path().extension() == ".npy") files.push_back(it->path());
      core::require(!ec, errc::io_error, [&] { return "cannot list '" + path + "': " + ec.message(); });
      core::require(!files.empty(), errc::io_error, [&] { return "no .npy files in '" + path + "'"; });
      std::sort(files.begin(), files.end());
      weight_file w;
      for (const auto& f : files)
        w.add(parse_npy(read_file_bytes(f.string()), f.stem().string()));
      return w;
    }
    const auto bytes = read_file_bytes(path);
    if (bytes.size() >= 6 && std::to_integer<unsigned>(bytes[0]) == 0x93)
      return weight_file({parse_npy(bytes, fs::path(path).stem().string())});
    return weight_file(parse_safetensors(bytes, path));
  }

  /// Writes every tensor as F32 to a safetensors file.
  void write_safetensors(const std::string& path) const {
    write_file_bytes(path, safetensors_bytes(tensors_));
  }

  /// Adds `t`; errc::invalid_argument when its name is already taken.
  void add(named_tensor t) {
    core::require(!contains(t.name), errc::invalid_argument,
                  [&] { return "weight_file: two tensors named '" + t.name + "'"; });
    index_.emplace(t.name, tensors_.size());
    tensors_.push_back(std::move(t));
  }

  bool contains(std::string_view name) const { return index_.find(name) != index_.end(); }
  std::size_t size() const noexcept { return tensors_.size(); }
  std::span<const named_tensor> tensors() const noexcept { return tensors_; }

  /// The tensor called `name`; errc::invalid_argument naming it when absent.
  const named_tensor& at(std::string_view name) const {
    const auto it = index_.find(name);
    core::require(it != index_.end(), errc::invalid_argument,
                  [&] { return "weight_file: no tensor named '" + std::string(name) + "'"; });
    return tensors_[it->second];
  }

  /// The tensor called `name`, which must have exactly `shape`; errc::mismatched_buffer
  /// naming both shapes otherwise (a checkpoint of another architecture or width).
  const named_tensor& at(std::string_view name, std::span<const std::int64_t> shape) const {
    const named_tensor& t = at(name);
    core::require(std::equal(t.shape.begin(), t.shape.end(), shape.begin(), shape.end()),
                  errc::mismatched_buffer, [&] {
                    return "weight_file: '" + std::string(name) + "' has shape " + shape_text(t.shape) +
                           ", expected " + shape_text(shape);
                  });
    return t;
  }

  static std::string shape_text(std::span<const std::int64_t> shape) {
    std::string s = "[";
    for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
  }

 private:
  std::vector<named_tensor> tensors_;
  std::map<std::string, std::size_t, std::less<>> index_;
};

}  // namespace dlas::io
