// UTF-8 validation with CPython's error messages, for pickle's str opcodes (given, not a kata).
#pragma once

#include <string_view>

namespace py::pickle {

// Checks `data` as CPython's `data.decode('utf-8', 'surrogatepass')` would (pickle decodes str
// payloads that way, so lone surrogates written by Python survive). Throws
// py::UnicodeDecodeError("'utf-8' codec can't decode byte 0xff in position 0: invalid start
// byte"), "... bytes in position 0-1: invalid continuation byte" or "unexpected end of data".
void check_utf8(std::string_view data);

// The same for Python 2 str payloads, decoded as ASCII: "'ascii' codec can't decode byte 0xff
// in position 0: ordinal not in range(128)".
void check_ascii(std::string_view data);

}  // namespace py::pickle
