// Swinging door trending with a guaranteed error bound.
//
// The filter keeps the last emitted point A (the anchor) and, for the points received since (the pending
// points p_1..p_k), the interval [lo, hi] of slopes s for which the line A + s (t - t_A) passes within
// +-deviation of every pending point: each point narrows it to [(v_i - v_A - d)/dt_i, (v_i - v_A + d)/dt_i].
// These are the two "doors" of the classic description. When a new point would leave the interval empty,
// the segment is closed at the last pending point p_k: it is emitted as is when the line A -> p_k has a
// slope inside [lo, hi], otherwise at the same time with the value A + clamp(slope, lo, hi) dt_k, which is
// within the deviation of v_k. The new point then starts the next segment from there.
//
// So every emitted point sits at an input time, and the linear interpolation of the emitted points is
// within +-deviation of every input point up to the last emitted one (up to floating-point rounding).
// Classic SDT emits p_k unchanged even when the line A -> p_k leaves the corridor, and pydbfilter emits
// an off-centre point; see sdt_compat.hpp for the latter.
//
// max_interval: when a point arrives at least max_interval after the last emitted point, the last
// pending point is emitted first (closing the segment as above), then the new point itself if it is
// still at least max_interval after that. flush() emits the last point with its exact value, preceded by
// a closing point at the time of the one before when the line to the exact value would break the bound.
#pragma once
#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "tsquash/filters/common.hpp"

namespace tsquash::filters {

template <TimeType T>
class Sdt : public FilterBase<Sdt<T>, T> {
    using Base = FilterBase<Sdt<T>, T>;
    friend Base;

public:
    static constexpr Kind kind = Kind::sdt;

    explicit Sdt(double deviation, std::optional<T> max_interval = std::nullopt) : Base(deviation, max_interval) {}

    double deviation() const { return this->p_.threshold; }

private:
    template <class Emit>
    void step(T t, double v, Emit& emit) {
        const double d = this->p_.threshold;
        if (!this->pos_.started) {
            emit(t, v);
            anchor_ = {t, v};
            last_ = anchor_;
            npend_ = 0;
            return;
        }
        if (this->p_.has_max_interval && reached(anchor_.t, t, this->p_.max_interval)) {
            if (npend_ > 0) close_at_last(emit);
            if (reached(anchor_.t, t, this->p_.max_interval)) {
                emit(t, v);
                anchor_ = {t, v};
                last_ = anchor_;
                npend_ = 0;
                return;
            }
        }
        double dt = elapsed(anchor_.t, t);
        double lo, hi;
        doors(v, dt, d, lo, hi);
        if (npend_ > 0) {
            const double nlo = std::max(lo_, lo), nhi = std::min(hi_, hi);
            if (nlo <= nhi && std::isfinite(lo) && std::isfinite(hi)) {
                lo = nlo;
                hi = nhi;
            } else {
                close_at_last(emit);
                dt = elapsed(anchor_.t, t);
                doors(v, dt, d, lo, hi);
            }
        }
        // A slope interval that overflowed or underflowed (values near the ends of the double range, or
        // times closer than the rounding of their difference) cannot hold a segment: the point is
        // emitted as it is.
        if (!std::isfinite(lo) || !std::isfinite(hi)) {
            emit(t, v);
            anchor_ = {t, v};
            last_ = anchor_;
            npend_ = 0;
            return;
        }
        if (npend_ == 0) {
            first_dt_ = dt;
            max_abs_ = std::fabs(v);
            times_exact_ = exact_difference(t);
        } else {
            max_abs_ = std::max(max_abs_, std::fabs(v));
            times_exact_ = times_exact_ && exact_difference(t);
        }
        lo_ = lo;
        hi_ = hi;
        prev_ = last_;
        last_ = {t, v};
        npend_ = npend_ >= 2 ? 2 : npend_ + 1;
    }

    // The slopes from the anchor that keep a line within +-deviation of (anchor + dt, v).
    void doors(double v, double dt, double d, double& lo, double& hi) const {
        const double rise = v - anchor_.v;
        const double a = rise - d, b = rise + d;
        lo = a / dt;
        hi = b / dt;
        // A slope that underflowed (subnormal values) has lost its relative precision: report it as
        // unusable, like an overflow, so the point is emitted as it is.
        constexpr double kNormal = std::numeric_limits<double>::min();
        if ((std::fabs(lo) < kNormal && a != 0) || (std::fabs(hi) < kNormal && b != 0)) [[unlikely]]
            lo = hi = std::numeric_limits<double>::quiet_NaN();
    }

    static constexpr double kMargin = 8 * std::numeric_limits<double>::epsilon();

    // Whether t - t_A is exact in double (always for int64 times up to 2^53 apart; for double times when
    // the TwoSum error of the subtraction is zero, as for integer-valued times).
    bool exact_difference(T t) const {
        if constexpr (std::is_same_v<T, double>) {
            const double s = t - anchor_.t;
            const double bp = s - t;
            const double ap = s - bp;
            return (t - ap) + (-anchor_.t - bp) == 0.0;
        } else {
            return true;
        }
    }

    // The value at time p.t of the feasible line from the anchor closest to p. It is p.v itself when the
    // line A -> p has a slope inside [lo, hi] (such a point may then lie exactly at +-deviation from the
    // line). Otherwise the slope is taken from [lo, hi] narrowed by a few units in the last place of the
    // values involved over the shortest pending time step (and, where double times did not subtract
    // exactly, by the rounding of the time differences), so that the rounding of the slopes, of this value and of a double-precision
    // interpolation of the output keeps every pending point inside +-deviation.
    double closing_value(const Point<T>& p) const {
        const double dt = elapsed(anchor_.t, p.t);
        const double s = (p.v - anchor_.v) / dt;
        if (s >= lo_ && s <= hi_) return p.v;
        const double d = this->p_.threshold;
        const double scale = max_abs_ + std::fabs(anchor_.v) + d;
        double margin = kMargin * scale;
        if (!times_exact_)  // rounded time differences tilt the slopes by up to eps |t| / dt
            margin += kMargin * scale * ((std::fabs(double(p.t)) + std::fabs(double(anchor_.t))) / first_dt_);
        const double delta = margin / first_dt_;
        const double l = lo_ + delta, h = hi_ - delta;
        const double c = l <= h ? std::clamp(s, l, h) : 0.5 * (lo_ + hi_);
        return anchor_.v + c * dt;
    }

    template <class Emit>
    void close_at_last(Emit& emit) {
        const double value = closing_value(last_);
        emit(last_.t, value);
        anchor_ = {last_.t, value};
        npend_ = 0;
    }

    template <class Emit>
    void finish(Emit& emit) {
        if (npend_ == 0) return;
        if (closing_value(last_) != last_.v) {
            // npend_ is 2 here: with a single pending point the slope to it is always inside.
            emit(prev_.t, closing_value(prev_));
        }
        emit(last_.t, last_.v);
        anchor_ = last_;
        npend_ = 0;
    }

    void save_body(StateWriter& w) const {
        w.u8(npend_);
        w.time(anchor_.t);
        w.f64(anchor_.v);
        w.f64(last_.v);
        w.time(prev_.t);
        w.f64(prev_.v);
        w.f64(lo_);
        w.f64(hi_);
        w.f64(max_abs_);
        w.f64(first_dt_);
        w.u8(times_exact_ ? 1 : 0);
    }

    void load_body(StateReader& r) {
        npend_ = r.u8();
        anchor_.t = r.template time<T>();
        anchor_.v = r.f64();
        last_ = {this->pos_.last_t, r.f64()};
        prev_.t = r.template time<T>();
        prev_.v = r.f64();
        lo_ = r.f64();
        hi_ = r.f64();
        max_abs_ = r.f64();
        first_dt_ = r.f64();
        times_exact_ = r.flag();
        if ((npend_ > 0 && !(first_dt_ > 0)) || npend_ > 2 || (npend_ > 0 && !(lo_ <= hi_)) || !std::isfinite(anchor_.v) || !std::isfinite(last_.v))
            throw CorruptStream("filter state: inconsistent SDT state");
    }

    Point<T> anchor_{};  // the last emitted point
    Point<T> last_{};    // the last input point (pending when npend_ > 0)
    Point<T> prev_{};    // the input point before last_ (pending when npend_ == 2)
    uint8_t npend_ = 0;  // pending points since the anchor, counted up to 2
    double lo_ = 0, hi_ = 0;  // slopes within +-deviation of every pending point
    double max_abs_ = 0;      // largest |value| of the pending points
    double first_dt_ = 1;     // time from the anchor to the first pending point
    bool times_exact_ = true; // every pending t - t_A was computed exactly
};

}  // namespace tsquash::filters
