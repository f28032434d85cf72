// Shared pieces of the error-bounded filters: the time types they run on, input checks, and the byte
// layout their state is saved in.
//
// Every filter is a small state machine fed one (time, value) point at a time through
// `step(t, v, emit)`, where `emit(t, v)` receives each point the filter releases. The batch loops in
// batch.hpp call the same `step`, so a batch and a point-by-point run give identical output.
#pragma once
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "tsquash/errors.hpp"

namespace tsquash::filters {

// Times are int64 (epoch nanoseconds, milliseconds, counters...) or double (seconds, arbitrary units).
template <class T>
concept TimeType = std::is_same_v<T, int64_t> || std::is_same_v<T, double>;

enum class Kind : uint8_t { sdt = 1, sdt_compat = 2, deadband = 3, hysteresis = 4 };
enum class TimeCode : uint8_t { int64 = 1, float64 = 2 };

template <TimeType T>
constexpr TimeCode time_code() {
    return std::is_same_v<T, int64_t> ? TimeCode::int64 : TimeCode::float64;
}

const char* kind_name(Kind k);

template <TimeType T>
struct Point {
    T t{};
    double v = 0.0;
};

// Time from a to b (b > a) as a double. The int64 difference is taken in uint64, where it is exact for
// any pair of int64 times, so only the final conversion rounds.
inline double elapsed(int64_t a, int64_t b) { return static_cast<double>(uint64_t(b) - uint64_t(a)); }
inline double elapsed(double a, double b) { return b - a; }

// Whether at least `limit` has passed from a to b (b > a, limit > 0). Exact for int64.
inline bool reached(int64_t a, int64_t b, int64_t limit) { return uint64_t(b) - uint64_t(a) >= uint64_t(limit); }
inline bool reached(double a, double b, double limit) { return b - a >= limit; }

std::string format_time(int64_t t);
std::string format_time(double t);

// Parameters shared by the three filters: the threshold (SDT deviation, deadband, hysteresis) and the
// optional maximum interval after which a point is forced out.
template <TimeType T>
struct Params {
    double threshold = 0.0;
    bool has_max_interval = false;
    T max_interval{};

    Params() = default;
    Params(double thr, std::optional<T> max) : threshold(thr), has_max_interval(max.has_value()), max_interval(max.value_or(T{})) {
        if (!std::isfinite(thr) || thr < 0)
            throw InvalidArgument("the threshold must be a finite number >= 0, got " + format_time(thr));
        // NaN fails the test; +inf is accepted and never fires.
        if (has_max_interval && !(max_interval > 0))
            throw InvalidArgument("max_interval must be > 0, got " + format_time(max_interval));
    }
};

// Position in the input stream, common to all filters: used to reject out-of-order points and to report
// how many points went in and came out.
template <TimeType T>
struct Position {
    bool started = false;
    T last_t{};
    uint64_t n_in = 0;
    uint64_t n_out = 0;
};

// Throws InvalidArgument when (t, v) cannot follow the stream position: NaN or infinite value, NaN or
// infinite double time, or a time not strictly after the previous one. `index` names the point in the
// error message (its index in the caller's batch, or in the stream for single points).
template <TimeType T>
inline void check_point(bool started, T prev_t, T t, double v, uint64_t index) {
    if constexpr (std::is_same_v<T, double>) {
        if (!std::isfinite(t))
            throw InvalidArgument("time at index " + std::to_string(index) + " is " + format_time(t) +
                                  "; times must be finite");
    }
    if (started && !(t > prev_t))
        throw InvalidArgument("times must increase strictly: time at index " + std::to_string(index) + " (" +
                              format_time(t) + ") is not after the previous time (" + format_time(prev_t) + ")");
    if (!std::isfinite(v))
        throw InvalidArgument("value at index " + std::to_string(index) + " is " + format_time(v) +
                              "; the filters need finite values (drop or fill NaN and infinities first)");
}

// ---- state bytes -----------------------------------------------------------------------------------------
// Layout (little-endian), version 1:
//   "TSQF" | u8 version | u8 kind | u8 time code | u8 flags (bit 0: has max_interval)
//   f64 threshold | 8 bytes max_interval (int64 or f64) | u64 points in | u64 points out
//   u8 started | 8 bytes last input time | kind-specific body
//   u32 annotation length | annotation bytes (opaque to C++; the Python layer keeps its time kind here)
//   u32 CRC-32C of every byte before it
inline constexpr uint8_t kStateVersion = 1;
inline constexpr size_t kMaxAnnotation = 1u << 20;

class StateWriter {
public:
    void u8(uint8_t x) { out_.push_back(x); }
    void u32(uint32_t x);
    void u64(uint64_t x);
    void f64(double x);
    template <TimeType T>
    void time(T t) {
        if constexpr (std::is_same_v<T, int64_t>) u64(static_cast<uint64_t>(t));
        else f64(t);
    }
    void bytes(const std::string& s);
    std::vector<uint8_t> finish();  // appends the CRC

private:
    std::vector<uint8_t> out_;
};

class StateReader {
public:
    // Checks the CRC and the fixed header; throws CorruptStream when the bytes are not a filter state.
    StateReader(const uint8_t* data, size_t n);
    uint8_t u8();
    uint32_t u32();
    uint64_t u64();
    double f64();
    template <TimeType T>
    T time() {
        if constexpr (std::is_same_v<T, int64_t>) return static_cast<int64_t>(u64());
        else return f64();
    }
    bool flag();  // a u8 that must be 0 or 1
    std::string bytes();
    void expect_end() const;

private:
    void need(size_t k) const;
    const uint8_t* p_;
    size_t n_;  // bytes before the CRC
    size_t pos_ = 0;
};

struct StateHeader {
    Kind kind;
    TimeCode time;
};

// Reads the kind and time code of a state after checking its CRC; throws CorruptStream.
StateHeader peek_state(const uint8_t* data, size_t n);

}  // namespace tsquash::filters

namespace tsquash::filters {

// What every filter shares: parameters, stream position, checked pushes, counting, and the state bytes.
// `Derived` supplies step(t, v, emit), finish(emit) (the flush), save_body(StateWriter&) and
// load_body(StateReader&), and a static `kind`.
template <class Derived, TimeType T>
class FilterBase {
public:
    using time_type = T;

    FilterBase(double threshold, std::optional<T> max_interval) : p_(threshold, max_interval) {}

    double threshold() const { return p_.threshold; }
    std::optional<T> max_interval() const {
        return p_.has_max_interval ? std::optional<T>(p_.max_interval) : std::nullopt;
    }
    bool started() const { return pos_.started; }
    T last_time() const { return pos_.last_t; }
    uint64_t points_in() const { return pos_.n_in; }
    uint64_t points_out() const { return pos_.n_out; }

    // Feeds one point; throws InvalidArgument (leaving the filter unchanged) when it cannot follow the
    // previous one. `emit(t, v)` is called for every released point, in time order.
    template <class Emit>
    void push(T t, double v, Emit&& emit) {
        check_point(pos_.started, pos_.last_t, t, v, pos_.n_in);
        push_unchecked(t, v, emit);
    }

    // For callers that have already checked the points (the batch loop checks a whole batch first).
    template <class Emit>
    void push_unchecked(T t, double v, Emit& emit) {
        auto counted = [&](T tt, double vv) {
            ++pos_.n_out;
            emit(tt, vv);
        };
        self().step(t, v, counted);
        pos_.started = true;
        pos_.last_t = t;
        ++pos_.n_in;
    }

    // Releases the held last point if it has not been emitted (and, for SDT, whatever the error bound
    // needs before it). The filter then continues from that point.
    template <class Emit>
    void flush(Emit&& emit) {
        auto counted = [&](T tt, double vv) {
            ++pos_.n_out;
            emit(tt, vv);
        };
        if (pos_.started) self().finish(counted);
    }

    std::vector<uint8_t> state(const std::string& annotation = {}) const {
        if (annotation.size() > kMaxAnnotation) throw InvalidArgument("state annotation too long");
        StateWriter w;
        for (char c : std::string("TSQF")) w.u8(static_cast<uint8_t>(c));
        w.u8(kStateVersion);
        w.u8(static_cast<uint8_t>(Derived::kind));
        w.u8(static_cast<uint8_t>(time_code<T>()));
        w.u8(p_.has_max_interval ? 1 : 0);
        w.f64(p_.threshold);
        w.time(p_.max_interval);
        w.u64(pos_.n_in);
        w.u64(pos_.n_out);
        w.u8(pos_.started ? 1 : 0);
        w.time(pos_.last_t);
        self().save_body(w);
        w.bytes(annotation);
        return w.finish();
    }

    // Rebuilds a filter from state(); throws CorruptStream for bytes that are not a state, and
    // InvalidArgument for a state of another filter kind or time type.
    static Derived from_state(const uint8_t* data, size_t n, std::string* annotation = nullptr) {
        const StateHeader h = peek_state(data, n);
        if (h.kind != Derived::kind)
            throw InvalidArgument(std::string("the state is of a ") + kind_name(h.kind) + " filter, not " +
                                  kind_name(Derived::kind));
        if (h.time != time_code<T>())
            throw InvalidArgument(std::string("the state is for ") +
                                  (h.time == TimeCode::int64 ? "int64" : "float64") + " times");
        StateReader r(data, n);
        for (int i = 0; i < 7; ++i) r.u8();  // magic, version, kind, time code: checked by peek_state
        const bool has_max = r.flag();
        const double thr = r.f64();
        const T max = r.template time<T>();
        if (!std::isfinite(thr) || thr < 0 || (has_max && !(max > 0)))
            throw CorruptStream("filter state: parameters out of range");
        Derived f(thr, has_max ? std::optional<T>(max) : std::nullopt);
        f.pos_.n_in = r.u64();
        f.pos_.n_out = r.u64();
        f.pos_.started = r.flag();
        f.pos_.last_t = r.template time<T>();
        f.load_body(r);
        std::string ann = r.bytes();
        r.expect_end();
        if (annotation) *annotation = std::move(ann);
        return f;
    }

protected:
    Derived& self() { return static_cast<Derived&>(*this); }
    const Derived& self() const { return static_cast<const Derived&>(*this); }

    Params<T> p_;
    Position<T> pos_;
};

}  // namespace tsquash::filters
