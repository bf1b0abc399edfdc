// SPDX-License-Identifier: Apache-2.0
/// \file memory.hpp
/// \brief Umbrella header of the memory model: static costs, profiles, predictor, recommender.
#pragma once

#include "dlas/memory/executor_layout.hpp"
#include "dlas/memory/layer_cost.hpp"
#include "dlas/memory/layer_terms.hpp"
#include "dlas/memory/partition.hpp"
#include "dlas/memory/plan_io.hpp"
#include "dlas/memory/predictor.hpp"
#include "dlas/memory/profile.hpp"
#include "dlas/memory/profile_io.hpp"
#include "dlas/memory/recommender.hpp"
#include "dlas/memory/schedule.hpp"
#include "dlas/memory/stage_table.hpp"
