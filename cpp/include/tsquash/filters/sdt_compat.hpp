// pydbfilter's swinging door, for users who need its exact output (SdtFilter(..., compat=True)).
//
// pydbfilter keeps an upper and a lower pivot at +-deviation around the last output point, the largest
// slope from the upper pivot to any point since (su_max) and the smallest from the lower pivot (sl_min).
// When su_max > sl_min the doors have swung past parallel: the door that did not move is extended from
// its pivot, intersected with the line through the previous and the current input point, and the
// intersection is the output point, shifted down by deviation/2 when the upper slope triggered it and
// not shifted otherwise. Output times are therefore fractional, and the output is not centred in the
// parallelogram: the linear interpolation of the output can be up to about twice the deviation away
// from the input (the default filter in sdt.hpp guarantees +-deviation).
//
// Where pydbfilter divides by zero or restarts its window from the wrong point, this class does the
// following instead (documented in docs/filters.md):
//  - max_interval (strict '>', as in pydbfilter): the previous input point is emitted unless it already
//    was (pydbfilter repeats it), then the current point if it is still more than max_interval after
//    it; the window restarts from the last emitted point (pydbfilter restarts it around the current
//    point and then divides by zero on the next point).
//  - an intersection that is not finite or not strictly between the last output time and the current
//    time (parallel lines) emits the previous input point instead.
//  - flush() emits the last input point unless it was the last one emitted, and restarts the window
//    from it.
#pragma once
#include <cmath>
#include <limits>

#include "tsquash/filters/common.hpp"

namespace tsquash::filters {

class SdtCompat : public FilterBase<SdtCompat, double> {
    using Base = FilterBase<SdtCompat, double>;
    friend Base;

public:
    static constexpr Kind kind = Kind::sdt_compat;

    explicit SdtCompat(double deviation, std::optional<double> max_interval = std::nullopt)
        : Base(deviation, max_interval) {}

    double deviation() const { return p_.threshold; }

private:
    static constexpr double kInf = std::numeric_limits<double>::infinity();

    template <class Emit>
    void step(double t, double v, Emit& emit) {
        if (!pos_.started) {
            emit(t, v);
            restart(t, v);
            last_ = {t, v};
            last_emitted_ = true;
            return;
        }
        if (p_.has_max_interval && t - anchor_.t > p_.max_interval) {
            if (!last_emitted_) {
                emit(last_.t, last_.v);
                restart(last_.t, last_.v);
            }
            if (t - anchor_.t > p_.max_interval) {
                emit(t, v);
                restart(t, v);
                last_ = {t, v};
                last_emitted_ = true;
                return;
            }
        }
        evaluate(t, v, emit);
        last_ = {t, v};
        last_emitted_ = false;
    }

    void restart(double t, double v) {
        anchor_ = {t, v};
        su_max_ = -kInf;
        sl_min_ = kInf;
    }

    // The arithmetic follows pydbfilter operation by operation so that the output is bit-identical.
    template <class Emit>
    void evaluate(double t, double v, Emit& emit) {
        const double d = p_.threshold;
        const double upper = anchor_.v + d, lower = anchor_.v + (-d);
        const double su = (v - upper) / (t - anchor_.t);
        const double sl = (v - lower) / (t - anchor_.t);
        const bool up = su > su_max_;
        if (up) su_max_ = su;
        if (sl < sl_min_) sl_min_ = sl;
        if (!(su_max_ > sl_min_)) return;

        double m1, b1;
        if (up) {
            m1 = sl_min_;
            b1 = upper - m1 * anchor_.t;
        } else {
            m1 = su_max_;
            b1 = lower - m1 * anchor_.t;
        }
        const double m2 = (v - last_.v) / (t - last_.t);
        const double b2 = v - m2 * t;
        const double x = (b2 - b1) / (m1 - m2);
        double y = m1 * (b2 - b1) / (m1 - m2) + b1;
        if (up) y = y + (-d / 2);
        if (std::isfinite(x) && std::isfinite(y) && x > anchor_.t && x < t) {
            emit(x, y);
            anchor_ = {x, y};
        } else {
            if (!last_emitted_) emit(last_.t, last_.v);
            anchor_ = last_;
        }
        // The new window: slopes from the current point to the pivots around the new output point.
        su_max_ = (v - (anchor_.v + d)) / (t - anchor_.t);
        sl_min_ = (v - (anchor_.v + (-d))) / (t - anchor_.t);
    }

    template <class Emit>
    void finish(Emit& emit) {
        if (last_emitted_) return;
        emit(last_.t, last_.v);
        restart(last_.t, last_.v);
        last_emitted_ = true;
    }

    void save_body(StateWriter& w) const {
        w.u8(last_emitted_ ? 1 : 0);
        w.f64(anchor_.t);
        w.f64(anchor_.v);
        w.f64(last_.v);
        w.f64(su_max_);
        w.f64(sl_min_);
    }

    void load_body(StateReader& r) {
        last_emitted_ = r.flag();
        anchor_.t = r.f64();
        anchor_.v = r.f64();
        last_ = {pos_.last_t, r.f64()};
        su_max_ = r.f64();
        sl_min_ = r.f64();
        if (std::isnan(su_max_) || std::isnan(sl_min_) || !std::isfinite(anchor_.t) || !std::isfinite(anchor_.v))
            throw CorruptStream("filter state: inconsistent SDT (compat) state");
    }

    Point<double> anchor_{};  // the last output point
    Point<double> last_{};    // the last input point
    bool last_emitted_ = false;
    double su_max_ = -kInf, sl_min_ = kInf;
};

}  // namespace tsquash::filters
