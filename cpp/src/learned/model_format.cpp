#include "tsquash/learned/model_format.hpp"

#include <cmath>
#include <cstring>
#include <string>

#include "tsquash/errors.hpp"
#include "tsquash/io/bytes.hpp"
#include "tsquash/io/crc32c.hpp"
#include "tsquash/io/fields.hpp"

namespace tsquash::learned {
namespace {

constexpr uint8_t magic[4] = {'T', 'S', 'Q', 'M'};

constexpr const char* kFormat = "autoencoder model bytes";

[[noreturn]] void fail(const std::string& why) { throw CorruptStream(std::string(kFormat) + ": " + why); }

void write_list(io::FieldWriter& w, const std::vector<int64_t>& v) {
    w.u8(static_cast<uint8_t>(v.size()));
    for (int64_t x : v) w.u32(static_cast<uint32_t>(x));
}

std::vector<int64_t> read_list(io::FieldReader& r, size_t max_len, const char* what) {
    const size_t len = r.u8();
    if (len > max_len) fail(std::string("too many ") + what);
    std::vector<int64_t> v(len);
    for (auto& x : v) x = r.u32();
    return v;
}

}  // namespace

std::vector<uint8_t> write_model(const ModelBlob& m) {
    validate(m.arch);
    const int64_t count = parameter_count(m.arch);
    if (static_cast<int64_t>(m.params.size()) != count)
        throw InvalidArgument("autoencoder model: " + std::to_string(m.params.size()) + " parameters given, the architecture has " +
                              std::to_string(count));
    io::FieldWriter w;
    w.out.assign(magic, magic + 4);
    w.u8(m.arch.linear ? 2 : 1);
    w.u8(static_cast<uint8_t>(m.arch.kind));
    w.u8(static_cast<uint8_t>(m.arch.activation));
    w.u8(static_cast<uint8_t>((m.trained ? 1 : 0) | (m.arch.linear ? 2 : 0)));
    write_list(w, m.arch.input_shape);
    write_list(w, m.arch.layers);
    write_list(w, m.arch.channels);
    w.u32(static_cast<uint32_t>(m.arch.latent));
    w.u32(static_cast<uint32_t>(count));
    const size_t at = w.out.size();
    w.out.resize(at + m.params.size() * 4);
    for (size_t i = 0; i < m.params.size(); ++i) {
        uint32_t bits;
        std::memcpy(&bits, &m.params[i], 4);
        io::store_le<uint32_t>(w.out.data() + at + 4 * i, bits);
    }
    return w.finish_with_crc();
}

ModelBlob read_model(const uint8_t* data, size_t n) {
    if (n < 4 || std::memcmp(data, magic, 4) != 0) fail("not a tsquash model (bad magic)");
    if (n < 9) fail("truncated");
    // The version is checked before the checksum so a newer file gets a useful message.
    if (data[4] == 0 || data[4] > model_format_version)
        fail("format version " + std::to_string(data[4]) + " is not supported (this tsquash reads up to " +
             std::to_string(model_format_version) + ")");
    if (io::crc32c(data, n - 4) != io::load_le<uint32_t>(data + n - 4)) fail("checksum mismatch");
    io::FieldReader r(data, n - 4, kFormat);
    (void)r.take(5);
    ModelBlob m;
    m.arch.kind = static_cast<Kind>(r.u8());
    m.arch.activation = static_cast<Activation>(r.u8());
    const uint8_t flags = r.u8();
    if (flags > (data[4] == 1 ? 1 : 3)) fail("unknown flags");
    m.trained = (flags & 1) != 0;
    m.arch.linear = (flags & 2) != 0;
    // Version 2 exists for the linear path alone, so every model has one byte form.
    if (m.arch.linear != (data[4] == 2)) fail("a version 2 model must have the linear path, and only version 2 has it");
    m.arch.input_shape = read_list(r, 2, "input dimensions");
    m.arch.layers = read_list(r, max_layers, "layers");
    m.arch.channels = read_list(r, max_conv_stages, "channel stages");
    m.arch.latent = r.u32();
    const uint32_t count = r.u32();
    try {
        validate(m.arch);
    } catch (const InvalidArgument& e) {
        fail(e.what());
    }
    if (static_cast<int64_t>(count) != parameter_count(m.arch)) fail("parameter count does not match the architecture");
    if (r.left() != static_cast<size_t>(count) * 4) fail("parameter payload has the wrong length");
    const uint8_t* p = r.take(r.left());
    m.params.resize(count);
    for (size_t i = 0; i < count; ++i) {
        const uint32_t bits = io::load_le<uint32_t>(p + 4 * i);
        std::memcpy(&m.params[i], &bits, 4);
        if (!std::isfinite(m.params[i])) fail("non-finite parameter");
    }
    return m;
}

}  // namespace tsquash::learned
