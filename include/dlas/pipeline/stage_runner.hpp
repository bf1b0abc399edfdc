// SPDX-License-Identifier: Apache-2.0
/// \file stage_runner.hpp
/// \brief stage_runner: streams micro-batches through this rank's stage of a pipeline,
/// receiving from the previous rank and sending to the next with non-blocking MPI while it
/// computes.
///
/// Each rank holds `queue_depth` input slots and `queue_depth` output slots (the bounded
/// queue of the plan: memory::inference_stage_bytes counts exactly these). Receives for the
/// next micro-batches are posted into free input slots ahead of time and a send completes in
/// the background while the next micro-batch computes, so communication overlaps compute up to
/// the queue depth; a slot is reused only once its previous message has gone.
#pragma once

#include <mpi.h>

#include <chrono>
#include <climits>
#include <cstddef>
#include <memory_resource>
#include <span>
#include <string>
#include <vector>

#include "dlas/config.hpp"
#include "dlas/core/buffer.hpp"
#include "dlas/core/error.hpp"
#include "dlas/pipeline/mpi_session.hpp"

namespace dlas::DLAS_ISA_NAMESPACE::pipeline {

/// Where the time of one rank went.
struct stage_timing {
  double seconds = 0;          ///< from the start barrier to the last micro-batch handed on
  double compute_seconds = 0;  ///< inside the stage's compute
  double wait_seconds = 0;     ///< waiting for input or for a send slot
  double latency_sum = 0;      ///< last rank: sum over micro-batches of (left the last stage -
                               ///< entered the first), by the wall clock
  int micro_batches = 0;
};

/// The bounded queue and the message loop of one pipeline stage.
class stage_runner {
 public:
  /// `in_bytes` is the message from rank-1 (the network input on rank 0), `out_bytes` the
  /// message to rank+1 (the network output on the last rank); slots come from `memory`.
  stage_runner(const mpi_session& mpi, std::size_t in_bytes, std::size_t out_bytes, int queue_depth,
               std::chrono::duration<double> timeout, std::pmr::memory_resource* memory = nullptr)
      : mpi_(mpi), in_bytes_(in_bytes), out_bytes_(out_bytes), depth_(queue_depth), timeout_(timeout) {
    core::require(queue_depth >= 1, errc::invalid_argument,
                  [&] { return "stage_runner: queue depth " + std::to_string(queue_depth) + " must be at least 1"; });
    core::require(in_bytes <= std::size_t(INT_MAX) && out_bytes <= std::size_t(INT_MAX), errc::resource_limit, [&] {
      return "stage_runner: a message of " + std::to_string(std::max(in_bytes, out_bytes)) +
             " bytes exceeds MPI's int count; use smaller micro-batches";
    });
    auto* mem = memory ? memory : std::pmr::get_default_resource();
    for (int s = 0; s < depth_; ++s) {
      in_.emplace_back(in_bytes, mem);
      out_.emplace_back(out_bytes, mem);
    }
    recv_.assign(std::size_t(depth_), MPI_REQUEST_NULL);
    send_.assign(std::size_t(depth_), MPI_REQUEST_NULL);
    stamp_recv_.assign(std::size_t(depth_), MPI_REQUEST_NULL);
    stamp_send_.assign(std::size_t(depth_), MPI_REQUEST_NULL);
    stamp_in_.assign(std::size_t(depth_), 0.0);
    stamp_out_.assign(std::size_t(depth_), 0.0);
  }
  ~stage_runner() {
    for (auto* list : {&recv_, &stamp_recv_})
      for (auto& r : *list)
        if (r != MPI_REQUEST_NULL) {
          MPI_Cancel(&r);
          MPI_Request_free(&r);
        }
  }
  stage_runner(const stage_runner&) = delete;
  stage_runner& operator=(const stage_runner&) = delete;

  /// Bytes of the queue's slots: queue_depth x (in_bytes + out_bytes).
  index_t queue_bytes() const noexcept { return index_t(depth_) * index_t(in_bytes_ + out_bytes_); }
  bool first() const noexcept { return mpi_.rank() == 0; }
  bool last() const noexcept { return mpi_.rank() == mpi_.size() - 1; }

  /// Runs `micro_batches` micro-batches. On the first rank `source(i, std::span<std::byte>)`
  /// fills the input of micro-batch i; on every rank `compute(i, std::span<const std::byte> in,
  /// std::span<std::byte> out)` runs the stage; on the last rank `sink(i, std::span<const
  /// std::byte>)` takes the output. Throws errc::io_error when a peer makes no progress for
  /// the timeout.
  template <class Source, class Compute, class Sink>
  stage_timing run(int micro_batches, Source&& source, Compute&& compute, Sink&& sink) {
    using clock = std::chrono::steady_clock;
    const auto since = [](clock::time_point t) { return std::chrono::duration<double>(clock::now() - t).count(); };
    stage_timing timing;
    timing.micro_batches = micro_batches;
    mpi_.barrier(timeout_);
    const auto start = clock::now();
    for (int i = 0; i < std::min(micro_batches, depth_); ++i) post_receive(i);
    for (int i = 0; i < micro_batches; ++i) {
      const std::size_t slot = std::size_t(i % depth_);
      auto t = clock::now();
      if (first()) {
        stamp_in_[slot] = wall_seconds();
      } else {
        mpi_session::wait(recv_[slot], timeout_, "receive of micro-batch " + std::to_string(i) + " from rank " + std::to_string(mpi_.rank() - 1));
        mpi_session::wait(stamp_recv_[slot], timeout_, "receive of a time stamp");
      }
      // The output slot of micro-batch i - depth must have left before it is overwritten.
      mpi_session::wait(send_[slot], timeout_, "send of micro-batch " + std::to_string(i - depth_) + " to rank " + std::to_string(mpi_.rank() + 1));
      mpi_session::wait(stamp_send_[slot], timeout_, "send of a time stamp");
      timing.wait_seconds += since(t);
      t = clock::now();
      if (first()) source(i, in_[slot].span());
      compute(i, std::span<const std::byte>(in_[slot].span()), out_[slot].span());
      timing.compute_seconds += since(t);
      stamp_out_[slot] = stamp_in_[slot];
      if (last()) {
        sink(i, std::span<const std::byte>(out_[slot].span()));
        timing.latency_sum += wall_seconds() - stamp_out_[slot];
      } else {
        mpi_check(MPI_Isend(out_[slot].data(), int(out_bytes_), MPI_BYTE, mpi_.rank() + 1, data_tag,
                            MPI_COMM_WORLD, &send_[slot]), "MPI_Isend");
        mpi_check(MPI_Isend(&stamp_out_[slot], 1, MPI_DOUBLE, mpi_.rank() + 1, stamp_tag,
                            MPI_COMM_WORLD, &stamp_send_[slot]), "MPI_Isend");
      }
      if (i + depth_ < micro_batches) post_receive(i + depth_);  // its slot is free again
    }
    const auto t = clock::now();
    for (std::size_t s = 0; s < send_.size(); ++s) {
      mpi_session::wait(send_[s], timeout_, "final send to rank " + std::to_string(mpi_.rank() + 1));
      mpi_session::wait(stamp_send_[s], timeout_, "final send of a time stamp");
    }
    timing.wait_seconds += since(t);
    timing.seconds = since(start);
    return timing;
  }

 private:
  static constexpr int data_tag = 11, stamp_tag = 12;

  /// Wall-clock seconds: one clock for every process of a host (MPI_Wtime is per process in
  /// Open MPI), and NTP-close across hosts, so latencies across hosts are approximate.
  static double wall_seconds() noexcept {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  }

  /// A byte buffer from a memory resource (counted by the caller's resource).
  class slot {
   public:
    slot(std::size_t bytes, std::pmr::memory_resource* mem) : buf_(index_t(bytes), mem) {}
    std::span<std::byte> span() noexcept { return {buf_.data(), std::size_t(buf_.size())}; }
    std::byte* data() noexcept { return buf_.data(); }

   private:
    aligned_buffer<std::byte> buf_;
  };

  void post_receive(int i) {
    if (first()) return;
    const std::size_t s = std::size_t(i % depth_);
    mpi_check(MPI_Irecv(in_[s].data(), int(in_bytes_), MPI_BYTE, mpi_.rank() - 1, data_tag, MPI_COMM_WORLD,
                        &recv_[s]), "MPI_Irecv");
    mpi_check(MPI_Irecv(&stamp_in_[s], 1, MPI_DOUBLE, mpi_.rank() - 1, stamp_tag, MPI_COMM_WORLD,
                        &stamp_recv_[s]), "MPI_Irecv");
  }

  const mpi_session& mpi_;
  std::size_t in_bytes_, out_bytes_;
  int depth_;
  std::chrono::duration<double> timeout_;
  std::vector<slot> in_, out_;
  std::vector<MPI_Request> recv_, send_, stamp_recv_, stamp_send_;
  std::vector<double> stamp_in_, stamp_out_;
};

}  // namespace dlas::pipeline
