// libFuzzer target for the HTTP/1.1 response parser (status line, headers, chunked framing).
// CI builds it with clang and runs it for a bounded time (.ci/run):
//
//   clang++-14 -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined \
//       -Icommon/include -Igiven/11-coroutines/include -Isolutions/11-coroutines/include \
//       given/11-coroutines/check/http_fuzzer.cpp solutions/11-coroutines/src/http_parser.cpp \
//       common/src/kata.cpp -o http_fuzzer
//   ./http_fuzzer -max_total_time=60 given/11-coroutines/check/http_corpus
//
// Any input may be rejected, but only with one of the parser's own exceptions: a crash, a
// sanitizer report, or any other exception is a bug.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "py/aiohttp.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    try {
        py::aiohttp::ParsedResponse response = py::aiohttp::parse_response(input);
        // What was accepted must be coherent.
        if (response.status.status < 100 || response.status.status > 999) {
            __builtin_trap();
        }
    } catch (const py::aiohttp::ClientError&) {
        // Rejected with a clear error: fine.
    }
    try {
        (void)py::aiohttp::parse_chunk_size(input);
    } catch (const py::aiohttp::TransferEncodingError&) {
    }
    return 0;
}
