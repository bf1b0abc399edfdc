// SPDX-License-Identifier: Apache-2.0
/// \file check_footprint.hpp
/// \brief The memory checks every kernel runs: what footprint() states is what construction
/// and a call allocate, counted by a memory resource.
#pragma once

#include <catch2/catch.hpp>

#include <cstddef>
#include <type_traits>
#include <vector>

#include "dlas/conv2d.hpp"
#include "reference/counting_resource.hpp"

namespace dlas::testing {

/// Through the default resource: the live bytes after constructing Conv(sh, w, {}, opt) equal
/// footprint().weights, one call's peak above them equals footprint().workspace (for inputs of
/// another type than the storage type: workspace_bytes of that type), and the call
/// frees what it took. Returns the footprint for the caller's own checks.
template <class Conv, class In, class Out>
footprint check_counted_footprint(const conv2d_shape& sh, const std::vector<float>& w, const In& in, Out& out,
                                  const conv2d_options& opt = {}) {
  counting_resource counter;
  scoped_default_resource scope(&counter);
  const Conv conv(sh, w, {}, opt);
  const footprint f = conv.footprint();
  CHECK(index_t(counter.live) == f.weights);
  const std::size_t before = counter.live;
  counter.peak = before;
  conv(in.cview(), out.view());
  // footprint() states the workspace for inputs of the storage type; workspace_bytes<T> that
  // for other input types (int8 kernels also take int8_t codes).
  using in_type = std::remove_const_t<typename decltype(in.cview())::element_type>;
  CHECK(index_t(counter.peak - before) == (std::is_same_v<in_type, typename Conv::storage_type>
                                               ? f.workspace
                                               : Conv::template workspace_bytes<in_type>(sh)));
  CHECK(counter.live == before);
  return f;
}

/// Through conv2d_options::workspace_resource: one call's peak equals workspace_bytes(shape),
/// all of it returned.
template <class Conv, class In, class Out>
void check_workspace_resource(const conv2d_shape& sh, const std::vector<float>& w, const In& in, Out& out) {
  counting_resource ws;
  conv2d_options opt;
  opt.workspace_resource = &ws;
  const Conv conv(sh, w, {}, opt);
  conv(in.cview(), out.view());
  CHECK(index_t(ws.peak) ==
        Conv::template workspace_bytes<std::remove_const_t<typename decltype(in.cview())::element_type>>(sh));
  CHECK(ws.live == 0);
}

}  // namespace dlas::testing
