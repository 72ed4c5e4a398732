// UTF-8 validation with CPython's messages (Objects/stringlib/codecs.h, Objects/unicodeobject.c
// unicode_decode_utf8 and the surrogatepass handler in Python/codecs.c).
#include "utf8.hpp"

#include <cstdio>
#include <string>

#include "py/exceptions.hpp"

namespace py::pickle {
namespace {

[[noreturn]] void decode_error(const char* codec, std::string_view data, std::size_t start,
                               std::size_t end, const char* reason) {
    char text[160];
    if (end - start == 1) {
        std::snprintf(text, sizeof text, "'%s' codec can't decode byte 0x%02x in position %zu: %s",
                      codec, static_cast<unsigned char>(data[start]), start, reason);
    } else {
        std::snprintf(text, sizeof text, "'%s' codec can't decode bytes in position %zu-%zu: %s",
                      codec, start, end - 1, reason);
    }
    throw UnicodeDecodeError(text);
}

bool is_continuation(unsigned char byte) {
    return (byte & 0xc0) == 0x80;
}

}  // namespace

void check_utf8(std::string_view data) {
    const std::size_t size = data.size();
    std::size_t i = 0;
    while (i < size) {
        const auto lead = static_cast<unsigned char>(data[i]);
        if (lead < 0x80) {
            ++i;
            continue;
        }
        int length = 0;
        unsigned char low = 0x80;  // the allowed range of the second byte
        unsigned char high = 0xbf;
        if (lead >= 0xc2 && lead <= 0xdf) {
            length = 2;
        } else if (lead >= 0xe0 && lead <= 0xef) {
            length = 3;
            low = lead == 0xe0 ? 0xa0 : 0x80;  // no overlong forms; 0xed keeps its surrogates
        } else if (lead >= 0xf0 && lead <= 0xf4) {
            length = 4;
            low = lead == 0xf0 ? 0x90 : 0x80;
            high = lead == 0xf4 ? 0x8f : 0xbf;
        } else {
            decode_error("utf-8", data, i, i + 1, "invalid start byte");
        }
        // Count the bytes that are valid so far: the error covers the lead and those.
        std::size_t valid = 1;
        for (int k = 1; k < length; ++k) {
            if (i + k >= size) {
                decode_error("utf-8", data, i, size, "unexpected end of data");
            }
            const auto byte = static_cast<unsigned char>(data[i + k]);
            const bool ok = k == 1 ? (byte >= low && byte <= high) : is_continuation(byte);
            if (!ok) {
                decode_error("utf-8", data, i, i + valid, "invalid continuation byte");
            }
            ++valid;
        }
        i += static_cast<std::size_t>(length);
    }
}

void check_ascii(std::string_view data) {
    for (std::size_t i = 0; i < data.size(); ++i) {
        if (static_cast<unsigned char>(data[i]) >= 0x80) {
            decode_error("ascii", data, i, i + 1, "ordinal not in range(128)");
        }
    }
}

}  // namespace py::pickle
