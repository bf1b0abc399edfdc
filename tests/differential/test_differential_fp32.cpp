// SPDX-License-Identifier: Apache-2.0
// Randomized differential test of every fp32 kernel (dense and CSR) against the fp64 oracle.
#include "differential/harness.hpp"

using namespace dlas;

TEST_CASE("fp32 kernels agree with the fp64 oracle on random cases", "[differential][fp32]") {
  std::vector<testing::differential::combo> combos;
  testing::differential::add_all_algorithms<precision::fp32, sparsity::dense>(combos);
  testing::differential::add_all_algorithms<precision::fp32, sparsity::csr>(combos);
  testing::differential::run(combos, 6000);
}
