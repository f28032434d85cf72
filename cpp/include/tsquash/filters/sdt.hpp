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
        double rise = v - anchor_.v;
        double lo = (rise - d) / dt, hi = (rise + d) / dt;
        if (npend_ > 0) {
            const double nlo = std::max(lo_, lo), nhi = std::min(hi_, hi);
            if (nlo <= nhi && std::isfinite(lo) && std::isfinite(hi)) {
                lo = nlo;
                hi = nhi;
            } else {
                close_at_last(emit);
                dt = elapsed(anchor_.t, t);
                rise = v - anchor_.v;
                lo = (rise - d) / dt;
                hi = (rise + d) / dt;
            }
        }
        // A slope interval that overflowed (values near the double range, or times closer than the
        // rounding of their difference) cannot hold a segment: the point is emitted as it is.
        if (!std::isfinite(lo) || !std::isfinite(hi)) {
            emit(t, v);
            anchor_ = {t, v};
            last_ = anchor_;
            npend_ = 0;
            return;
        }
        lo_ = lo;
        hi_ = hi;
        prev_ = last_;
        last_ = {t, v};
        npend_ = npend_ >= 2 ? 2 : npend_ + 1;
    }

    // The value at time p.t of the feasible line from the anchor closest to p: p.v itself when the
    // line A -> p lies inside the slope interval.
    double closing_value(const Point<T>& p) const {
        const double dt = elapsed(anchor_.t, p.t);
        const double s = (p.v - anchor_.v) / dt;
        if (s >= lo_ && s <= hi_) return p.v;
        return anchor_.v + std::clamp(s, lo_, hi_) * dt;
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
        if (npend_ > 2 || (npend_ > 0 && !(lo_ <= hi_)) || !std::isfinite(anchor_.v) || !std::isfinite(last_.v))
            throw CorruptStream("filter state: inconsistent SDT state");
    }

    Point<T> anchor_{};  // the last emitted point
    Point<T> last_{};    // the last input point (pending when npend_ > 0)
    Point<T> prev_{};    // the input point before last_ (pending when npend_ == 2)
    uint8_t npend_ = 0;  // pending points since the anchor, counted up to 2
    double lo_ = 0, hi_ = 0;
};

}  // namespace tsquash::filters
