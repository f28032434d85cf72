// encode / decode / info and the streaming Encoder / Decoder. Inputs are taken without copies (buffer
// protocol), outputs are allocated with the GIL held, and the codec loops run with the GIL released.
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <optional>

#include "register.hpp"
#include "tsquash/container/stream.hpp"
#include "tsquash/errors.hpp"
#include "tsquash/io/crc32c.hpp"

namespace py = pybind11;
using namespace tsquash::container;

namespace tsquash::bindings {
namespace {

// A read-only view of any C-contiguous bytes-like object (bytes, bytearray, memoryview, numpy array).
class ByteView {
public:
    explicit ByteView(const py::handle& obj) {
        if (PyObject_GetBuffer(obj.ptr(), &view_, PyBUF_C_CONTIGUOUS) != 0) {
            PyErr_Clear();
            throw py::type_error("expected a bytes-like object (bytes, bytearray, memoryview), got " +
                                 std::string(py::str(py::type::handle_of(obj).attr("__name__"))));
        }
        owner_ = py::reinterpret_borrow<py::object>(obj);
    }
    ~ByteView() { PyBuffer_Release(&view_); }
    ByteView(const ByteView&) = delete;
    ByteView& operator=(const ByteView&) = delete;

    const uint8_t* data() const { return static_cast<const uint8_t*>(view_.buf); }
    size_t size() const { return static_cast<size_t>(view_.len); }

private:
    Py_buffer view_{};
    py::object owner_;
};

Dtype dtype_of(const py::array& a) {
    const py::dtype dt = a.dtype();
    for (uint8_t code = 1; code <= kMaxDtypeCode; ++code) {
        const Dtype d = Dtype(code);
        if (visit_dtype(d, [&](auto tag) { return dt.equal(py::dtype::of<decltype(tag)>()); })) return d;
    }
    throw py::type_error("tsquash encodes float64, float32 or integer arrays in native byte order, got " +
                         std::string(py::str(dt)));
}

py::array new_array(Dtype d, uint64_t n) {
    const auto len = static_cast<py::ssize_t>(n);
    return visit_dtype(d, [&](auto tag) -> py::array { return py::array_t<decltype(tag)>(len); });
}

// A 1-D C-contiguous array of a supported dtype; the Python layer converts anything else first.
const void* checked_data(const py::array& a, Dtype expected) {
    if (a.ndim() != 1) throw py::value_error("expected a 1-D array, got " + std::to_string(a.ndim()) + "-D");
    if (!(a.flags() & py::array::c_style)) throw py::value_error("expected a contiguous array");
    if (dtype_of(a) != expected)
        throw py::type_error(std::string("expected ") + dtype_name(expected) + " values, got " +
                             std::string(py::str(a.dtype())));
    return a.data();
}

std::vector<std::pair<std::string, long long>> params_from(const py::dict& d) {
    std::vector<std::pair<std::string, long long>> out;
    for (auto item : d) {
        const std::string name = py::str(item.first);
        const py::handle v = item.second;
        // Any integer (numpy ones included, via __index__), but not bool and nothing that merely converts.
        if (PyBool_Check(v.ptr()) || !PyIndex_Check(v.ptr()))
            throw py::type_error("codec parameter '" + name + "' must be an int");
        py::object as_int = py::reinterpret_steal<py::object>(PyNumber_Index(v.ptr()));
        if (!as_int) {
            PyErr_Clear();
            throw py::type_error("codec parameter '" + name + "' must be an int");
        }
        int overflow = 0;
        const long long value = PyLong_AsLongLongAndOverflow(as_int.ptr(), &overflow);
        if (overflow != 0)
            throw py::value_error("codec parameter '" + name + "' is out of range, got " +
                                  std::string(py::str(as_int)));
        out.emplace_back(name, value);
    }
    return out;
}

py::dict header_dict(const Header& h) {
    const CodecSpec& spec = codec_spec(h.codec);
    py::dict params;
    for (size_t i = 0; i < spec.params.size(); ++i) params[py::str(spec.params[i].name)] = int(h.params[i]);
    py::dict d;
    d["codec"] = spec.name;
    d["format_version"] = int(h.version);
    d["dtype"] = dtype_name(h.dtype);
    d["count"] = h.count;
    d["params"] = params;
    d["header_size"] = h.header_size;
    d["payload_size"] = h.payload_size;
    d["payload_crc32c"] = h.payload_crc;
    return d;
}

// How many values a read of `count` (all the rest when absent) from `start` takes: within the stream, or
// ValueError.
uint64_t checked_range(const Decoder& dec, uint64_t start, std::optional<uint64_t> count) {
    const uint64_t total = dec.remaining();
    const uint64_t n = count ? *count : total - std::min(start, total);
    if (start > total || n > total - start)
        throw py::value_error("values [" + std::to_string(start) + ", " + std::to_string(start) + " + " +
                              std::to_string(n) + ") are past the end of a stream of " + std::to_string(total));
    return n;
}

py::bytes to_bytes(const std::vector<uint8_t>& v) {
    return py::bytes(reinterpret_cast<const char*>(v.data()), v.size());
}

class PyEncoder {
public:
    PyEncoder(const std::string& codec, const std::string& dtype, const py::dict& params)
        : enc_(codec_spec(codec).id, dtype_from_name(dtype), resolve_params(codec_spec(codec), params_from(params))) {}

    void push(const py::array& values) {
        const void* p = checked_data(values, enc_.dtype());
        const size_t n = static_cast<size_t>(values.shape(0));
        py::gil_scoped_release nogil;
        enc_.push(p, n);
    }
    py::bytes finish() {
        std::vector<uint8_t> out;
        {
            py::gil_scoped_release nogil;
            out = enc_.finish();
        }
        return to_bytes(out);
    }
    uint64_t count() const { return enc_.count(); }

private:
    Encoder enc_;
};

class PyDecoder {
public:
    explicit PyDecoder(const py::object& blob) : view_(std::make_unique<ByteView>(blob)), dec_(view_->data(), view_->size()) {}

    py::array read(std::optional<int64_t> max) {
        const uint64_t want = max ? static_cast<uint64_t>(std::max<int64_t>(*max, 0)) : dec_.remaining();
        const size_t n = static_cast<size_t>(std::min<uint64_t>(want, dec_.remaining()));
        py::array out = new_array(dec_.header().dtype, n);
        void* p = out.mutable_data();
        {
            py::gil_scoped_release nogil;
            dec_.read(p, n);
        }
        return out;
    }
    uint64_t skip(uint64_t n) {
        py::gil_scoped_release nogil;
        return dec_.skip(n);
    }
    void seek(uint64_t position) {
        if (position > dec_.header().count)
            throw py::value_error("position " + std::to_string(position) + " is past the end of a stream of " +
                                  std::to_string(dec_.header().count));
        py::gil_scoped_release nogil;
        dec_.seek(position);
    }
    uint64_t position() const { return dec_.position(); }
    uint64_t remaining() const { return dec_.remaining(); }
    py::dict header() const { return header_dict(dec_.header()); }

private:
    std::unique_ptr<ByteView> view_;
    Decoder dec_;
};

}  // namespace

void register_codecs(py::module_& m) {
    m.def("codecs", [] {
        py::list out;
        for (const auto& s : codec_specs()) {
            py::list dtypes, params;
            for (Dtype d : s.dtypes) dtypes.append(dtype_name(d));
            for (const auto& p : s.params) {
                py::dict pd;
                pd["name"] = p.name;
                pd["min"] = p.min;
                pd["max"] = p.max;
                pd["default"] = p.default_value;
                pd["help"] = p.help;
                params.append(pd);
            }
            py::dict d;
            d["name"] = s.name;
            d["id"] = int(s.id);
            d["summary"] = s.summary;
            d["dtypes"] = dtypes;
            d["params"] = params;
            out.append(d);
        }
        return out;
    }, "Describe every codec: name, numeric id, summary, dtypes and parameters.");

    m.def("encode", [](const py::array& values, const std::string& codec, const py::dict& params, unsigned n_threads) {
        const CodecSpec& spec = codec_spec(codec);
        const Dtype dt = dtype_of(values);
        const void* p = checked_data(values, dt);
        const size_t n = static_cast<size_t>(values.shape(0));
        const auto pbytes = resolve_params(spec, params_from(params));
        // The last call's stream, copied out to Python already, lends its memory to this one (up to 8 MiB, as
        // the encoder's own scratch).
        static thread_local std::vector<uint8_t> kept;
        std::vector<uint8_t> out;
        {
            py::gil_scoped_release nogil;
            out = encode(spec.id, dt, pbytes, p, n, n_threads, std::move(kept));
        }
        py::bytes blob = to_bytes(out);
        if (out.capacity() <= (size_t(8) << 20)) kept = std::move(out);
        return blob;
    }, py::arg("values"), py::arg("codec"), py::arg("params") = py::dict(), py::arg("n_threads") = 1u,
       "Encode a 1-D contiguous float64/float32/integer array into a self-describing stream.");

    m.def("decode", [](const py::object& blob, unsigned n_threads, uint64_t start, std::optional<uint64_t> count) {
        ByteView view(blob);
        Decoder dec(view.data(), view.size());
        const uint64_t n = checked_range(dec, start, count);
        py::array out = new_array(dec.header().dtype, n);
        void* p = out.mutable_data();
        {
            py::gil_scoped_release nogil;
            dec.skip(start);
            dec.read(p, n, n_threads);
        }
        return out;
    }, py::arg("blob"), py::arg("n_threads") = 1u, py::arg("start") = 0u, py::arg("count") = py::none(),
       "Decode a stream, or `count` of its values from `start` (all the rest by default), into a new 1-D array.");

    m.def("decode_into", [](const py::object& blob, py::array out, unsigned n_threads, uint64_t start,
                            std::optional<uint64_t> count) {
        ByteView view(blob);
        Decoder dec(view.data(), view.size());  // checks the payload's checksum before anything is written
        const Dtype want = dec.header().dtype;
        const uint64_t n = checked_range(dec, start, count);
        const py::dtype dt = out.dtype();
        const bool same_dtype = dt.equal(new_array(want, 0).dtype());
        if (!same_dtype || static_cast<uint64_t>(out.size()) != n)
            throw py::value_error("out has " + std::to_string(out.size()) + " x " + std::string(py::str(dt)) +
                                  ", the values asked for are " + std::to_string(n) + " x " + dtype_name(want));
        if (!(out.flags() & py::array::c_style) || !out.writeable())
            throw py::value_error("out must be a C-contiguous, writeable array");
        void* p = out.mutable_data();
        {
            py::gil_scoped_release nogil;
            dec.skip(start);
            dec.read(p, n, n_threads);
        }
        return out;
    }, py::arg("blob"), py::arg("out"), py::arg("n_threads") = 1u, py::arg("start") = 0u,
       py::arg("count") = py::none(),
       "Decode a stream, or `count` of its values from `start`, straight into `out` (C-contiguous, writeable, "
       "the stream's dtype, as many values).");

    m.def("info", [](const py::object& blob) {
        ByteView view(blob);
        return header_dict(read_header(view.data(), view.size()));
    }, py::arg("blob"), "Read and validate a stream's header (the payload checksum is not checked).");
    m.def("block_choices", [](const py::object& blob) {
        ByteView view(blob);
        container::BlockChoices c;
        {
            py::gil_scoped_release nogil;
            c = container::block_choices(view.data(), view.size());
        }
        py::list per_block;
        py::dict counts;
        for (std::string_view name : c.methods) {
            py::str key(name.data(), name.size());
            per_block.append(key);
            counts[key] = (counts.contains(key) ? counts[key].cast<size_t>() : size_t(0)) + 1;
        }
        py::dict d;
        d["blocks"] = c.methods.size();
        d["methods"] = counts;
        d["per_block"] = per_block;
        d["dictionary_entries"] = c.dictionary_entries;
        d["entropy_tables"] = c.entropy_tables;
        d["reference_period"] = c.reference_period;
        return d;
    }, py::arg("blob"), "What the encoder of an alp or auto stream chose per block (no block is decoded).");
    m.def("crc32c", [](const py::object& blob, uint32_t crc) {
        ByteView view(blob);
        return io::crc32c(view.data(), view.size(), crc);
    }, py::arg("blob"), py::arg("crc") = 0, "CRC-32C (Castagnoli) of a bytes-like object, continuing from crc.");

    py::class_<PyEncoder>(m, "Encoder")
        .def(py::init<const std::string&, const std::string&, const py::dict&>(), py::arg("codec"),
             py::arg("dtype"), py::arg("params") = py::dict())
        .def("push", &PyEncoder::push, py::arg("values"))
        .def("finish", &PyEncoder::finish)
        .def_property_readonly("count", &PyEncoder::count);

    py::class_<PyDecoder>(m, "Decoder")
        .def(py::init<const py::object&>(), py::arg("blob"))
        .def("read", &PyDecoder::read, py::arg("max") = py::none())
        .def("skip", &PyDecoder::skip, py::arg("n"))
        .def("seek", &PyDecoder::seek, py::arg("position"))
        .def_property_readonly("position", &PyDecoder::position)
        .def_property_readonly("remaining", &PyDecoder::remaining)
        .def_property_readonly("header", &PyDecoder::header);
}

}  // namespace tsquash::bindings
