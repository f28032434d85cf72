// Deadband (report by exception): a point is emitted when its value differs from the last emitted value
// by more than the deadband. Under step (sample-and-hold) reconstruction from the emitted points, every
// input point is within +-deadband of the reconstruction, and emitted points are exact.
//
// max_interval: when a point arrives at least max_interval after the last emitted point, the last
// unemitted point (if any) is emitted first, then the new point if it is still at least max_interval
// after that. flush() emits the last point if it has not been emitted.
#pragma once
#include <cmath>

#include "tsquash/filters/common.hpp"

namespace tsquash::filters {

template <TimeType T>
class Deadband : public FilterBase<Deadband<T>, T> {
    using Base = FilterBase<Deadband<T>, T>;
    friend Base;

public:
    static constexpr Kind kind = Kind::deadband;

    explicit Deadband(double deadband, std::optional<T> max_interval = std::nullopt) : Base(deadband, max_interval) {}

    double deadband() const { return this->p_.threshold; }

private:
    template <class Emit>
    void step(T t, double v, Emit& emit) {
        if (this->pos_.started) [[likely]] {
            if (this->p_.has_max_interval && reached(base_.t, t, this->p_.max_interval)) [[unlikely]] {
                if (pending_) {
                    emit(last_.t, last_.v);
                    base_ = last_;
                }
                if (reached(base_.t, t, this->p_.max_interval)) {
                    take(t, v, emit);
                    return;
                }
            }
            if (!(std::fabs(v - base_.v) > this->p_.threshold)) {
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
        base_ = {t, v};
        last_ = base_;
        pending_ = false;
    }

    template <class Emit>
    void finish(Emit& emit) {
        if (!pending_) return;
        emit(last_.t, last_.v);
        base_ = last_;
        pending_ = false;
    }

    void save_body(StateWriter& w) const {
        w.u8(pending_ ? 1 : 0);
        w.time(base_.t);
        w.f64(base_.v);
        w.f64(last_.v);
    }

    void load_body(StateReader& r) {
        pending_ = r.flag();
        base_.t = r.template time<T>();
        base_.v = r.f64();
        last_ = {this->pos_.last_t, r.f64()};
        if (!std::isfinite(base_.v) || !std::isfinite(last_.v))
            throw CorruptStream("filter state: inconsistent deadband state");
    }

    Point<T> base_{};  // the last emitted point
    Point<T> last_{};  // the last input point
    bool pending_ = false;  // last_ has not been emitted
};

}  // namespace tsquash::filters
