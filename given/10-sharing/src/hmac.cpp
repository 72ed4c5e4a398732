#include "hmac.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/random.h>

#include <cerrno>
#include <string>

#include "os_error.hpp"
#include "py/exceptions.hpp"

namespace py::multiprocessing::detail {

std::string hmac_digest(std::string_view key, std::string_view message,
                        std::string_view digest_name) {
    const std::string name(digest_name);
    const EVP_MD* digest = EVP_get_digestbyname(name.c_str());
    if (digest == nullptr) {
        throw ValueError("unsupported hash type " + name);
    }
    std::string out(EVP_MAX_MD_SIZE, '\0');
    unsigned int length = 0;
    // An empty key is allowed by HMAC; OpenSSL wants a non-null pointer for it.
    static const char empty = '\0';
    if (HMAC(digest, key.empty() ? &empty : key.data(), static_cast<int>(key.size()),
             reinterpret_cast<const unsigned char*>(message.data()), message.size(),
             reinterpret_cast<unsigned char*>(out.data()), &length) == nullptr) {
        throw ValueError("unsupported hash type " + name);
    }
    out.resize(length);
    return out;
}

bool compare_digest(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string urandom(std::size_t n) {
    std::string out(n, '\0');
    std::size_t filled = 0;
    while (filled < n) {
        const ssize_t got = getrandom(out.data() + filled, n - filled, 0);
        if (got < 0) {
            if (errno == EINTR) {
                continue;
            }
            raise_os_error(errno);
        }
        filled += static_cast<std::size_t>(got);
    }
    return out;
}

}  // namespace py::multiprocessing::detail
