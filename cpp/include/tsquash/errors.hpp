// Exception types thrown by the C++ core. The bindings map each one to a Python exception:
// InvalidArgument -> ValueError, TypeMismatch -> TypeError, CorruptStream -> tsquash.CorruptStreamError.
#pragma once
#include <stdexcept>
#include <string>

namespace tsquash {

struct Error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// A parameter or argument outside what the operation accepts.
struct InvalidArgument : Error {
    using Error::Error;
};

// A dtype the codec cannot handle.
struct TypeMismatch : Error {
    using Error::Error;
};

// Bytes that are not a valid stream: truncated, corrupted, or of an unknown version.
struct CorruptStream : Error {
    using Error::Error;
};

}  // namespace tsquash
