// The cryptography the handshake needs, from OpenSSL's libcrypto (never hand-written):
// hmac.new(key, message, digest_name).digest(), hmac.compare_digest and os.urandom.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace py::multiprocessing::detail {

// HMAC of message under key with the named digest ("md5", "sha256", ...): the raw digest bytes.
// ValueError("unsupported hash type NAME") for a digest OpenSSL does not know.
std::string hmac_digest(std::string_view key, std::string_view message,
                        std::string_view digest_name);
// Constant-time equality (hmac.compare_digest): the time does not tell where they differ.
bool compare_digest(std::string_view a, std::string_view b) noexcept;
// n <= 256 bytes from the kernel's random source (os.urandom; getrandom(2) fills such a request
// whole, signals or not).
std::string urandom(std::size_t n);

}  // namespace py::multiprocessing::detail
