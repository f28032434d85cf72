// The byte format of a tsquash autoencoder (docs/format.md, "Autoencoder model"): architecture, a trained
// flag and the float32 parameters, with a CRC-32C over everything. Torch-free, so it is fuzzed like every
// other decoder.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "tsquash/learned/architecture.hpp"

namespace tsquash::learned {

// Version 2 adds flag bit 1, the linear path (Architecture::linear). Models without it are still written as
// version 1, so older readers keep reading them.
inline constexpr uint8_t model_format_version = 2;

struct ModelBlob {
    Architecture arch;
    bool trained = false;
    std::vector<float> params;  // parameter_count(arch) values in the model's parameter order
};

// Throws InvalidArgument when the architecture is invalid or params has the wrong length.
std::vector<uint8_t> write_model(const ModelBlob& m);

// Throws CorruptStream for anything that is not a complete, intact model of a known version.
ModelBlob read_model(const uint8_t* data, size_t n);

}  // namespace tsquash::learned
