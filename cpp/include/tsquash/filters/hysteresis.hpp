// Hysteresis: the filter tracks the spread (max - min) of the values since, and including, the last
// emitted point; when the spread exceeds the hysteresis the current point is emitted and the spread
// restarts from it. Every value held back lies in a band no wider than the hysteresis that contains the
// last emitted value, so under step (sample-and-hold) reconstruction every input point is within
// +-hysteresis of the reconstruction. Unlike deadband, it also reports oscillations that stay within the
// threshold of the held value but swing across it.
//
// max_interval and flush() behave as for the deadband filter.
#pragma once
#include <algorithm>
#include <cmath>

#include "tsquash/filters/common.hpp"

namespace tsquash::filters {

template <TimeType T>
class Hysteresis : public FilterBase<Hysteresis<T>, T> {
    using Base = FilterBase<Hysteresis<T>, T>;
    friend Base;

public:
    static constexpr Kind kind = Kind::hysteresis;

    explicit Hysteresis(double hysteresis, std::optional<T> max_interval = std::nullopt)
        : Base(hysteresis, max_interval) {}

    double hysteresis() const { return this->p_.threshold; }

private:
    template <class Emit>
    void step(T t, double v, Emit& emit) {
        if (this->pos_.started) [[likely]] {
            if (this->p_.has_max_interval && reached(base_t_, t, this->p_.max_interval)) [[unlikely]] {
                if (pending_) take(last_.t, last_.v, emit);
                if (reached(base_t_, t, this->p_.max_interval)) {
                    take(t, v, emit);
                    return;
                }
            }
            const double lo = std::min(lo_, v), hi = std::max(hi_, v);
            if (!(hi - lo > this->p_.threshold)) {
                lo_ = lo;
                hi_ = hi;
                pending_ = true;
                last_ = {t, v};
                return;
            }
        }
        take(t, v, emit);
    }

    template <class Emit>
    void take(T t, double v, Emit& emit) {
        emit(t, v);
        lo_ = hi_ = v;
        base_t_ = t;
        last_ = {t, v};
        pending_ = false;
    }

    template <class Emit>
    void finish(Emit& emit) {
        if (pending_) take(last_.t, last_.v, emit);
    }

    void save_body(StateWriter& w) const {
        w.u8(pending_ ? 1 : 0);
        w.time(base_t_);
        w.f64(lo_);
        w.f64(hi_);
        w.f64(last_.v);
    }

    void load_body(StateReader& r) {
        pending_ = r.flag();
        base_t_ = r.template time<T>();
        lo_ = r.f64();
        hi_ = r.f64();
        last_ = {this->pos_.last_t, r.f64()};
        if (!(lo_ <= hi_) || !std::isfinite(lo_) || !std::isfinite(hi_) || !std::isfinite(last_.v))
            throw CorruptStream("filter state: inconsistent hysteresis state");
    }

    T base_t_{};            // time of the last emitted point
    double lo_ = 0, hi_ = 0;  // range of values since (and including) the last emitted one
    Point<T> last_{};
    bool pending_ = false;
};

}  // namespace tsquash::filters
