// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include "dlas/io/safetensors.hpp"
#include "io/bytes.hpp"
#include "reference/errors.hpp"

using namespace dlas;
using namespace dlas::io;
using dlas::testing::append_int;
using dlas::testing::f32_bytes;
using dlas::testing::safetensors_file;

TEST_CASE("safetensors files as safetensors.torch.save_file writes them", "[io][safetensors]") {
  // Two F32 tensors, a BF16 and an I64 scalar (BatchNorm's num_batches_tracked), with metadata.
  std::vector<std::byte> data = f32_bytes({1, 2, 3, 4, 5, 6});  // fc.weight 2x3
  const auto bias = f32_bytes({-0.5f, 0.25f});                  // fc.bias 2
  data.insert(data.end(), bias.begin(), bias.end());
  append_int(data, 0x3fc0, 2);  // bf16 1.5
  append_int(data, 0xc000, 2);  // bf16 -2
  append_int(data, 17, 8);      // i64 17
  const auto file = safetensors_file(
      R"({"__metadata__":{"format":"pt"},"bn.num_batches_tracked":{"dtype":"I64","shape":[],"data_offsets":[36,44]},)"
      R"("fc.bias":{"dtype":"F32","shape":[2],"data_offsets":[24,32]},)"
      R"("fc.weight":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},)"
      R"("scale":{"dtype":"BF16","shape":[2],"data_offsets":[32,36]}})",
      data);
  const auto tensors = parse_safetensors(file);
  REQUIRE(tensors.size() == 4);
  CHECK(tensors[0].name == "fc.weight");  // in the order of their data
  CHECK(tensors[0].shape == std::vector<std::int64_t>{2, 3});
  CHECK(tensors[0].values == std::vector<float>{1, 2, 3, 4, 5, 6});
  CHECK(tensors[1].values == std::vector<float>{-0.5f, 0.25f});
  CHECK(tensors[2].stored == dtype::bf16);
  CHECK(tensors[2].values == std::vector<float>{1.5f, -2.0f});
  CHECK(tensors[3].shape.empty());
  CHECK(tensors[3].values == std::vector<float>{17.0f});

  SECTION("safetensors_bytes writes F32 that reads back bit for bit") {
    const auto back = parse_safetensors(safetensors_bytes(tensors));
    REQUIRE(back.size() == tensors.size());
    for (std::size_t i = 0; i < back.size(); ++i) {
      CHECK(back[i].name == tensors[i].name);
      CHECK(back[i].shape == tensors[i].shape);
      CHECK(back[i].values == tensors[i].values);
    }
  }
}

TEST_CASE("malformed safetensors files get a parse_error that says what is wrong",
          "[io][safetensors][errors]") {
  const auto data = f32_bytes({1, 2});
  const auto with = [&](const std::string& json) { return parse_safetensors(safetensors_file(json, data), "w"); };
  REQUIRE_DLAS_ERROR(parse_safetensors(std::vector<std::byte>(3), "w"), errc::parse_error,
                     "shorter than the 8-byte header length");
  std::vector<std::byte> huge;
  append_int(huge, std::uint64_t(1) << 40, 8);
  REQUIRE_DLAS_ERROR(parse_safetensors(huge, "w"), errc::parse_error, "exceeds 100 MB");
  std::vector<std::byte> past;
  append_int(past, 64, 8);
  REQUIRE_DLAS_ERROR(parse_safetensors(past, "w"), errc::parse_error, "runs past the end");
  REQUIRE_DLAS_ERROR(with("{\"a\": "), errc::parse_error, "malformed JSON header");
  REQUIRE_DLAS_ERROR(with("[1, 2]"), errc::parse_error, "not a JSON object");
  REQUIRE_DLAS_ERROR(with(R"({"a":{"dtype":"F32","shape":[2]}})"), errc::parse_error,
                     "tensor 'a': needs \"dtype\"");
  // A tensor named "" (found by fuzz_weight_file): the writer could not write it back.
  REQUIRE_DLAS_ERROR(with(R"({"":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})"), errc::parse_error,
                     "a tensor name is empty");
  REQUIRE_DLAS_ERROR(with(R"({"a":{"dtype":"F8_E4M3","shape":[8],"data_offsets":[0,8]}})"),
                     errc::parse_error, "unsupported dtype 'F8_E4M3'");
  REQUIRE_DLAS_ERROR(with(R"({"a":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}})"),
                     errc::parse_error, "tensor 'a': shape must be an integer");
  REQUIRE_DLAS_ERROR(with(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})"),
                     errc::parse_error, "negative dimension -2");
  REQUIRE_DLAS_ERROR(with(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,1e300]}})"),
                     errc::parse_error, "data_offsets[1] must be an integer");
  REQUIRE_DLAS_ERROR(with(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[4,16]}})"),
                     errc::parse_error, "outside the 8 data bytes");
  REQUIRE_DLAS_ERROR(with(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})"),
                     errc::parse_error, "8 data bytes for 3 F32 elements");
  REQUIRE_DLAS_ERROR(with(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})"),
                     errc::parse_error, "data bytes [0, 4) belong to no tensor");
  REQUIRE_DLAS_ERROR(with(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})"),
                     errc::parse_error, "4 data bytes after the last tensor");
  REQUIRE_DLAS_ERROR(with(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                          R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})"),
                     errc::parse_error, "overlaps another");
  REQUIRE_DLAS_ERROR(with(R"({"__metadata__":{"k":1},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})"),
                     errc::parse_error, "'__metadata__' must be an object of strings");
  REQUIRE_DLAS_ERROR(with(R"({"a":{"dtype":"F32","shape":[99999999999,99999999999],"data_offsets":[0,8]}})"),
                     errc::resource_limit, "exceeds the allocation limit");
  const named_tensor twice[] = {{"a", {1}, {1.0f}}, {"a", {1}, {2.0f}}};
  REQUIRE_DLAS_ERROR(safetensors_bytes(twice), errc::invalid_argument, "'a' is empty, reserved or repeated");
}
