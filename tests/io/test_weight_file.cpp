// SPDX-License-Identifier: Apache-2.0
#include <filesystem>

#include <catch2/catch.hpp>

#include "dlas/io/weight_file.hpp"
#include "reference/errors.hpp"

using namespace dlas;
using namespace dlas::io;
namespace fs = std::filesystem;

namespace {

/// A fresh folder under the system's temporary directory, removed afterwards.
struct scratch_dir {
  fs::path path = fs::temp_directory_path() / ("dlas_io_" + std::to_string(::getpid()));
  scratch_dir() {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~scratch_dir() { fs::remove_all(path); }
};

}  // namespace

TEST_CASE("weight_file reads safetensors, one .npy or a folder of .npy files", "[io][weights]") {
  scratch_dir dir;
  const weight_file w({{"conv1.weight", {2, 1, 1, 1}, {0.5f, -1.0f}}, {"conv1.bias", {2}, {0.0f, 3.0f}}});
  const std::string st = (dir.path / "net.safetensors").string();
  w.write_safetensors(st);
  const auto r = weight_file::read(st);
  CHECK(r.size() == 2);
  const std::int64_t shape[] = {2, 1, 1, 1};
  CHECK(r.at("conv1.weight", shape).values == std::vector<float>{0.5f, -1.0f});
  CHECK(r.at("conv1.bias").values == std::vector<float>{0.0f, 3.0f});

  fs::create_directories(dir.path / "npy");
  for (const auto& t : w.tensors())
    write_file_bytes((dir.path / "npy" / (t.name + ".npy")).string(), npy_bytes(t));
  write_file_bytes((dir.path / "npy" / "README.txt").string(), std::vector<std::byte>(3));
  const auto folder = weight_file::read((dir.path / "npy").string());
  CHECK(folder.size() == 2);  // the text file is not a tensor
  CHECK(folder.at("conv1.weight").values == std::vector<float>{0.5f, -1.0f});
  const auto single = weight_file::read((dir.path / "npy" / "conv1.bias.npy").string());
  CHECK(single.contains("conv1.bias"));

  SECTION("missing names, wrong shapes, unreadable paths are clear errors") {
    REQUIRE_DLAS_ERROR(r.at("fc.weight"), errc::invalid_argument, "no tensor named 'fc.weight'");
    const std::int64_t other[] = {2, 3, 3, 3};
    REQUIRE_DLAS_ERROR(r.at("conv1.weight", other), errc::mismatched_buffer,
                       "'conv1.weight' has shape [2, 1, 1, 1], expected [2, 3, 3, 3]");
    REQUIRE_DLAS_ERROR(weight_file::read((dir.path / "absent.safetensors").string()), errc::io_error,
                       "cannot open");
    fs::create_directories(dir.path / "empty");
    REQUIRE_DLAS_ERROR(weight_file::read((dir.path / "empty").string()), errc::io_error, "no .npy files");
    weight_file twice;
    twice.add({"a", {}, {1.0f}});
    REQUIRE_DLAS_ERROR(twice.add({"a", {}, {2.0f}}), errc::invalid_argument, "two tensors named 'a'");
    write_file_bytes((dir.path / "junk.safetensors").string(), std::vector<std::byte>(16));
    REQUIRE_DLAS_ERROR(weight_file::read((dir.path / "junk.safetensors").string()), errc::parse_error,
                       "junk.safetensors: ");
  }
}
