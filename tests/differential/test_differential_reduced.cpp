// SPDX-License-Identifier: Apache-2.0
// Randomized differential test of every fp16 and int8 kernel (dense and CSR): fp16 within its
// stated bound of the fp64 oracle, int8 exactly equal to the int32 oracle.
#include "differential/harness.hpp"

using namespace dlas;

TEST_CASE("fp16 and int8 kernels agree with their oracles on random cases", "[differential][fp16][int8]") {
  std::vector<testing::differential::combo> combos;
  testing::differential::add_all_algorithms<precision::fp16, sparsity::dense>(combos);
  testing::differential::add_all_algorithms<precision::fp16, sparsity::csr>(combos);
  testing::differential::add_all_algorithms<precision::int8, sparsity::dense>(combos);
  testing::differential::add_all_algorithms<precision::int8, sparsity::csr>(combos);
  testing::differential::run(combos, 4000);
}
