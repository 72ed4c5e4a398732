// §4 the authentication handshake of Lib/multiprocessing/connection.py: each side proves it knows
// the authkey by returning the HMAC of 40 random bytes the other sent, without ever sending the
// key.
#include <array>
#include <string>

#include "hmac.hpp"
#include "py/connection.hpp"
#include "py/exceptions.hpp"
#include "py/kata.hpp"

namespace py::multiprocessing::connection {
namespace {

// The protocol's constants (CPython 3.12+ connection.py).
constexpr std::string_view kChallenge = "#CHALLENGE#";
constexpr std::string_view kWelcome = "#WELCOME#";
constexpr std::string_view kFailure = "#FAILURE#";
constexpr std::size_t kMessageLength = 40;         // MESSAGE_LENGTH: random bytes of a challenge
constexpr std::size_t kMd5OnlyMessageLength = 20;  // 3.11's MESSAGE_LENGTH
constexpr std::size_t kMd5DigestLength = 16;
constexpr std::size_t kMaxDigestNameLength = 8;  // "sha3_256"
constexpr std::array<std::string_view, 5> kAllowedDigests = {"md5", "sha256", "sha384", "sha3_256",
                                                             "sha3_384"};
constexpr std::int64_t kMaxHandshakeMessage = 256;  // recv_bytes(256): reject large messages

// repr() of bytes for error messages, as CPython writes it (Objects/bytesobject.c,
// PyBytes_Repr): single quotes unless the bytes hold a ' and no ", then double quotes; \t \n \r
// and \\ escaped, the quote escaped, \xNN for the other unprintable bytes.
[[maybe_unused]] std::string bytes_repr(std::string_view bytes) {
    static const char hex[] = "0123456789abcdef";
    const char quote =
        bytes.find('\'') != std::string_view::npos && bytes.find('"') == std::string_view::npos
            ? '"'
            : '\'';
    std::string out = {'b', quote};
    for (const char c : bytes) {
        const auto value = static_cast<unsigned char>(c);
        if (c == quote || c == '\\') {
            out += '\\';
            out += c;
        } else if (c == '\t' || c == '\n' || c == '\r') {
            out += '\\';
            out += c == '\t' ? 't' : c == '\n' ? 'n' : 'r';
        } else if (value >= 0x20 && value < 0x7f) {
            out += c;
        } else {
            out += "\\x";
            out += hex[value >> 4];
            out += hex[value & 0xf];
        }
    }
    return out + quote;
}

struct DigestAndPayload {
    std::string digest_name;  // "" for the legacy (3.11) form
    std::string_view payload;
};

// _get_digest_name_and_payload: a 16- or 20-byte message is the legacy form (a raw MD5 reply or a
// 3.11 challenge); otherwise it must start with "{name}" for an allowed digest name.
[[maybe_unused]] DigestAndPayload get_digest_name_and_payload(std::string_view message) {
    // kata: begin step19 §4
    if (message.size() == kMd5OnlyMessageLength || message.size() == kMd5DigestLength) {
        return {"", message};
    }
    if (!message.empty() && message.front() == '{') {
        const std::size_t curly = message.substr(0, kMaxDigestNameLength + 2).find('}', 1);
        if (curly != std::string_view::npos) {
            const std::string_view digest = message.substr(1, curly - 1);
            for (const std::string_view allowed : kAllowedDigests) {
                if (digest == allowed) {
                    return {std::string(digest), message.substr(curly + 1)};
                }
            }
        }
    }
    throw AuthenticationError(
        "unsupported message length, missing digest prefix, or unsupported digest: message=" +
        bytes_repr(message));
    // kata: end
}

// _create_response: the HMAC of the whole challenge (prefix included), "{name}" + mac in the
// modern form, the raw HMAC-MD5 in the legacy one.
[[maybe_unused]] std::string create_response(std::string_view authkey, std::string_view message) {
    // kata: begin step18 step19 §4
    const std::string digest_name = get_digest_name_and_payload(message).digest_name;
    if (digest_name.empty()) {
        return detail::hmac_digest(authkey, message, "md5");
    }
    return "{" + digest_name + "}" + detail::hmac_digest(authkey, message, digest_name);
    // kata: end
}

// _verify_challenge: recompute the HMAC of our message with the digest the reply names (MD5 for
// a raw reply) and compare in constant time.
[[maybe_unused]] void verify_challenge(std::string_view authkey, std::string_view message,
                                       std::string_view response) {
    // kata: begin step18 step20 §4
    const DigestAndPayload reply = get_digest_name_and_payload(response);
    const std::string digest_name = reply.digest_name.empty() ? "md5" : reply.digest_name;
    // Every allowed digest is in OpenSSL, so CPython's "response_digest=... unsupported" (for a
    // Python built without one) cannot happen here.
    const std::string expected = detail::hmac_digest(authkey, message, digest_name);
    if (expected.size() != reply.payload.size()) {
        throw AuthenticationError("expected '" + digest_name + "' of length " +
                                  std::to_string(expected.size()) + " got " +
                                  std::to_string(reply.payload.size()));
    }
    if (!detail::compare_digest(expected, reply.payload)) {
        throw AuthenticationError("digest received was wrong");
    }
    // kata: end
}

}  // namespace

void deliver_challenge(Connection& connection, std::string_view authkey,
                       std::string_view digest_name) {
    // kata: begin step18 step19 §4
    // 3.12+: "{sha256}" + 40 random bytes. The 3.11 form ("" here): 20 random bytes, no prefix.
    std::string message;
    if (digest_name.empty()) {
        message = detail::urandom(kMd5OnlyMessageLength);
    } else {
        // Built by appending (GCC 12's -Wrestrict misreads a chain of operator+ here).
        message.append("{").append(digest_name).append("}").append(detail::urandom(kMessageLength));
    }
    connection.send_bytes(std::string(kChallenge) + message);
    const std::string response = connection.recv_bytes(kMaxHandshakeMessage);
    try {
        verify_challenge(authkey, message, response);
    } catch (const AuthenticationError&) {
        connection.send_bytes(kFailure);
        throw;
    }
    connection.send_bytes(kWelcome);
    // kata: end
}

void answer_challenge(Connection& connection, std::string_view authkey) {
    // kata: begin step18 step19 step20 §4
    const std::string message = connection.recv_bytes(kMaxHandshakeMessage);
    if (message.substr(0, kChallenge.size()) != kChallenge) {
        throw AuthenticationError("Protocol error, expected challenge: message=" +
                                  bytes_repr(message));
    }
    const std::string_view challenge = std::string_view(message).substr(kChallenge.size());
    if (challenge.size() < kMd5OnlyMessageLength) {
        throw AuthenticationError("challenge too short: " + std::to_string(challenge.size()) +
                                  " bytes");
    }
    connection.send_bytes(create_response(authkey, challenge));
    const std::string response = connection.recv_bytes(kMaxHandshakeMessage);
    if (response != kWelcome) {
        throw AuthenticationError("digest sent was rejected");
    }
    // kata: end
}

}  // namespace py::multiprocessing::connection
