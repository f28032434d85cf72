// All error-bounded filters: Sdt<T>, SdtCompat, Deadband<T>, Hysteresis<T> (T = int64_t or double),
// run_batch, and the state bytes.
#pragma once
#include "tsquash/filters/batch.hpp"
#include "tsquash/filters/common.hpp"
#include "tsquash/filters/deadband.hpp"
#include "tsquash/filters/hysteresis.hpp"
#include "tsquash/filters/sdt.hpp"
#include "tsquash/filters/sdt_compat.hpp"
