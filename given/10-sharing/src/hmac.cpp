#include "hmac.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/random.h>

#include <algorithm>
#include <cerrno>
#include <string>

#include "os_error.hpp"
#include "py/exceptions.hpp"

namespace py::multiprocessing::detail {

std::string hmac_digest(std::string_view key, std::string_view message,
                        std::string_view digest_name) {
    // hashlib's names are OpenSSL's with '-' for '_' ("sha3_256" is OpenSSL's "sha3-256").
    std::string name(digest_name);
    std::replace(name.begin(), name.end(), '_', '-');
    const EVP_MD* digest = EVP_get_digestbyname(name.c_str());
    std::string out(EVP_MAX_MD_SIZE, '\0');
    unsigned int length = 0;
    // An empty key is allowed by HMAC; OpenSSL wants a non-null pointer for it.
    static const char empty = '\0';
    if (digest == nullptr ||
        HMAC(digest, key.empty() ? &empty : key.data(), static_cast<int>(key.size()),
             reinterpret_cast<const unsigned char*>(message.data()), message.size(),
             reinterpret_cast<unsigned char*>(out.data()), &length) == nullptr) {
        throw ValueError("unsupported hash type " + std::string(digest_name));
    }
    out.resize(length);
    return out;
}

bool compare_digest(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string urandom(std::size_t n) {
    // getrandom(2) returns every byte of a request up to 256 bytes, and is not interrupted by a
    // signal for one (all ours are: 4, 20 or 40 bytes).
    std::string out(n, '\0');
    if (getrandom(out.data(), n, 0) != static_cast<ssize_t>(n)) {
        raise_os_error(errno);
    }
    return out;
}

}  // namespace py::multiprocessing::detail
