// SPDX-License-Identifier: Apache-2.0
/// \file mpi_session.hpp
/// \brief mpi_session: MPI started and stopped around a pipeline, with failures that stop the
/// whole job instead of hanging it.
///
/// MPI's default error handler aborts without a word; dlas sets MPI_ERRORS_RETURN so that
/// every call's result becomes a dlas::error naming the call, and ends a failed job with
/// MPI_Abort, which brings every rank down within seconds (a rank left waiting on a dead peer
/// would otherwise block forever).
#pragma once

#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "dlas/config.hpp"
#include "dlas/core/error.hpp"

namespace dlas::DLAS_ISA_NAMESPACE::pipeline {

/// Turns an MPI return code into errc::io_error naming the call and MPI's own message.
inline void mpi_check(int rc, const char* call) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, text, &len);
  throw error(errc::io_error, std::string(call) + " failed: " + std::string(text, std::size_t(len)));
}

/// MPI_Init / MPI_Finalize for one process of a pipeline job.
class mpi_session {
 public:
  mpi_session(int& argc, char**& argv) {
    int provided = 0;
    // Funneled: OpenMP threads run inside the kernels; only the main thread calls MPI.
    mpi_check(MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
  }
  ~mpi_session() { MPI_Finalize(); }
  mpi_session(const mpi_session&) = delete;
  mpi_session& operator=(const mpi_session&) = delete;

  int rank() const noexcept { return rank_; }
  int size() const noexcept { return size_; }

  /// Prints "dlas-pipeline: rank R: <what>" and stops every rank of the job with `code`.
  [[noreturn]] void abort_job(const std::string& what, int code = 1) const {
    std::fprintf(stderr, "dlas-pipeline: rank %d: %s\n", rank_, what.c_str());
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, code);
    std::abort();  // MPI_Abort does not return; this is for the compiler
  }

  /// A barrier that gives up after `timeout` (a peer that died or hangs) with errc::io_error.
  void barrier(std::chrono::duration<double> timeout) const {
    MPI_Request r;
    mpi_check(MPI_Ibarrier(MPI_COMM_WORLD, &r), "MPI_Ibarrier");
    wait(r, timeout, "barrier");
  }

  /// Waits for `r`, polling, for at most `timeout`; errc::io_error naming `what` after that.
  ///
  /// A rank that waits must leave its core to the rank it waits for (two ranks on two cores,
  /// or more ranks than cores): it polls without pause for `spin` only, then sleeps between
  /// polls, each sleep twice the last up to `longest_sleep`. A message that arrives during a
  /// sleep is noticed at most that late, a small fraction of a stage's compute.
  static void wait(MPI_Request& r, std::chrono::duration<double> timeout, const std::string& what) {
    using clock = std::chrono::steady_clock;
    constexpr auto spin = std::chrono::microseconds(20), first_sleep = std::chrono::microseconds(10),
                   longest_sleep = std::chrono::microseconds(250);
    const auto start = clock::now();
    const auto deadline = start + timeout;
    auto sleep = first_sleep;
    for (;;) {
      int done = 0;
      mpi_check(MPI_Test(&r, &done, MPI_STATUS_IGNORE), "MPI_Test");
      if (done) return;
      const auto now = clock::now();
      if (now > deadline)
        throw error(errc::io_error, what + ": no progress for " +
                                        std::to_string(int(timeout.count())) + " s (a peer rank stopped?)");
      if (now - start < spin) continue;
      std::this_thread::sleep_for(sleep);
      sleep = std::min(2 * sleep, longest_sleep);
    }
  }

 private:
  int rank_ = 0, size_ = 1;
};

}  // namespace dlas::pipeline
