// The HTTP/1.1 response parser (RFC 9112; aiohttp's http_parser.py, HttpResponseParser;
// chapters/11-coroutines/README.md §12).
#include <algorithm>
#include <cctype>
#include <charconv>

#include "py/aiohttp.hpp"
#include "py/kata.hpp"

namespace py::aiohttp {

namespace {

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

// RFC 9110 token characters: what a header name may contain.
[[maybe_unused]] bool is_token_char(char c) {
    if (std::isalnum(static_cast<unsigned char>(c)) != 0) {
        return true;
    }
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

[[maybe_unused]] std::string shown(std::string_view s) {
    std::string out = "'";
    for (char c : s.substr(0, 80)) {
        if (std::isprint(static_cast<unsigned char>(c)) != 0) {
            out += c;
        } else {
            out += "\\x";
            const char* hex = "0123456789abcdef";
            out += hex[(static_cast<unsigned char>(c) >> 4) & 0xF];
            out += hex[static_cast<unsigned char>(c) & 0xF];
        }
    }
    return out + "'";
}

}  // namespace

void Headers::add(std::string name, std::string value) {
    items_.emplace_back(std::move(name), std::move(value));
}

std::optional<std::string> Headers::get(std::string_view name) const {
    for (const auto& [key, value] : items_) {
        if (iequals(key, name)) {
            return value;
        }
    }
    return std::nullopt;
}

StatusLine parse_status_line(std::string_view line) {
    // kata: begin step44 §12
    StatusLine status;
    // "HTTP/" DIGIT "." DIGIT SP 3DIGIT SP reason
    if (line.size() < 12 || line.substr(0, 5) != "HTTP/" ||
        std::isdigit(static_cast<unsigned char>(line[5])) == 0 || line[6] != '.' ||
        std::isdigit(static_cast<unsigned char>(line[7])) == 0 || line[8] != ' ') {
        throw BadStatusLine("Bad status line " + shown(line));
    }
    status.version_major = line[5] - '0';
    status.version_minor = line[7] - '0';
    std::string_view code = line.substr(9, 3);
    if (!std::all_of(code.begin(), code.end(),
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }) ||
        (line.size() > 12 && line[12] != ' ')) {
        throw BadStatusLine("Bad status line " + shown(line));
    }
    status.status = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
    if (status.status < 100) {
        throw BadStatusLine("Bad status line " + shown(line));
    }
    status.reason = line.size() > 13 ? std::string(line.substr(13)) : std::string();
    return status;
    // kata: end
}

std::pair<std::string, std::string> parse_header_line(std::string_view line) {
    // kata: begin step44 §12
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
        throw InvalidHeader("Invalid HTTP Header: " + shown(line));
    }
    std::string_view name = line.substr(0, colon);
    if (name.empty() || !std::all_of(name.begin(), name.end(), is_token_char)) {
        // Includes "Name : value": whitespace before the colon is forbidden (RFC 9112 §5.1).
        throw InvalidHeader("Invalid HTTP Header: " + shown(name));
    }
    std::string_view value = trim(line.substr(colon + 1));
    for (char c : value) {
        if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7F) {
            throw InvalidHeader("Invalid HTTP Header value: " + shown(value));
        }
    }
    return {std::string(name), std::string(value)};
    // kata: end
}

std::size_t parse_chunk_size(std::string_view line) {
    // kata: begin step45 §12
    std::string_view size = line.substr(0, line.find(';'));
    size = trim(size);
    if (size.empty() || size.size() > 15 || !std::all_of(size.begin(), size.end(), [](char c) {
            return std::isxdigit(static_cast<unsigned char>(c)) != 0;
        })) {
        throw TransferEncodingError("Not a valid chunk size: " + shown(line));
    }
    std::size_t value = 0;
    std::from_chars(size.data(), size.data() + size.size(), value, 16);
    return value;
    // kata: end
}

BodyFraming body_framing(const StatusLine& status, const Headers& headers,
                         std::string_view method) {
    // kata: begin step45 §12
    BodyFraming framing;
    // No body: HEAD, 1xx, 204, 304.
    if (iequals(method, "HEAD") || status.status < 200 || status.status == 204 ||
        status.status == 304) {
        return framing;
    }
    if (auto encoding = headers.get("Transfer-Encoding")) {
        std::string lower = *encoding;
        std::transform(lower.begin(), lower.end(), lower.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (lower.size() >= 7 && lower.substr(lower.size() - 7) == "chunked") {
            framing.kind = BodyFraming::Kind::Chunked;
            return framing;
        }
        framing.kind = BodyFraming::Kind::UntilClose;
        return framing;
    }
    if (auto length = headers.get("Content-Length")) {
        std::string_view text = trim(*length);
        std::size_t value = 0;
        auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (text.empty() || error != std::errc() || end != text.data() + text.size()) {
            throw InvalidHeader("Invalid Content-Length: " + shown(*length));
        }
        framing.kind = BodyFraming::Kind::Length;
        framing.length = value;
        return framing;
    }
    framing.kind = BodyFraming::Kind::UntilClose;
    return framing;
    // kata: end
}

bool keep_alive(const StatusLine& status, const Headers& headers) {
    auto connection = headers.get("Connection");
    if (connection && iequals(trim(*connection), "close")) {
        return false;
    }
    if (status.version_major == 1 && status.version_minor == 0) {
        return connection && iequals(trim(*connection), "keep-alive");
    }
    return true;
}

ParsedResponse parse_response(std::string_view data, std::string_view method) {
    ParsedResponse response;
    std::size_t position = 0;
    auto next_line = [&](const char* what) {
        std::size_t end = data.find("\r\n", position);
        if (end == std::string_view::npos) {
            if (data.size() - position > max_line_size) {
                throw LineTooLong(std::string("Got more than 8190 bytes when reading ") + what);
            }
            throw ClientPayloadError(std::string("Response payload is not completed: ") + what);
        }
        if (end - position > max_line_size) {
            throw LineTooLong(std::string("Got more than 8190 bytes when reading ") + what);
        }
        std::string_view line = data.substr(position, end - position);
        position = end + 2;
        return line;
    };
    response.status = parse_status_line(next_line("Status line"));
    std::size_t header_bytes = 0;
    for (;;) {
        std::string_view line = next_line("header line");
        if (line.empty()) {
            break;
        }
        header_bytes += line.size();
        if (header_bytes > max_headers) {
            throw LineTooLong("Got more than 32768 bytes when reading headers");
        }
        auto [name, value] = parse_header_line(line);
        response.headers.add(std::move(name), std::move(value));
    }
    BodyFraming framing = body_framing(response.status, response.headers, method);
    switch (framing.kind) {
        case BodyFraming::Kind::None:
            break;
        case BodyFraming::Kind::Length:
            if (data.size() - position < framing.length) {
                throw ClientPayloadError("Response payload is not completed");
            }
            response.body = std::string(data.substr(position, framing.length));
            break;
        case BodyFraming::Kind::UntilClose:
            response.body = std::string(data.substr(position));
            break;
        case BodyFraming::Kind::Chunked:
            for (;;) {
                std::size_t size = parse_chunk_size(next_line("chunk size"));
                if (size == 0) {
                    while (!next_line("trailer").empty()) {
                    }
                    break;
                }
                if (data.size() - position < size + 2) {
                    throw ClientPayloadError("Response payload is not completed");
                }
                response.body.append(data.substr(position, size));
                position += size;
                if (data.substr(position, 2) != "\r\n") {
                    throw TransferEncodingError("Chunk is not followed by CRLF");
                }
                position += 2;
            }
            break;
    }
    return response;
}

}  // namespace py::aiohttp
