// py::aiohttp::ClientSession: requests over pooled keep-alive connections (aiohttp's
// client.py and connector.py, reduced; chapters/11-coroutines/README.md §12).
#include <algorithm>
#include <charconv>
#include <deque>
#include <map>

#include "py/aiohttp.hpp"
#include "py/kata.hpp"

namespace py::aiohttp {

using asyncio::Connection;
using asyncio::Coroutine;

std::string URL::str() const {
    return "http://" + host + (port == 80 ? "" : ":" + std::to_string(port)) + path;
}

URL parse_url(std::string_view text) {
    constexpr std::string_view scheme = "http://";
    if (text.substr(0, scheme.size()) != scheme) {
        throw InvalidURL(std::string(text) + " (only http:// URLs are supported)");
    }
    std::string_view rest = text.substr(scheme.size());
    std::size_t slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    URL url;
    url.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
    std::size_t colon = authority.rfind(':');
    if (colon != std::string_view::npos) {
        std::string_view port = authority.substr(colon + 1);
        int value = 0;
        auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), value);
        if (port.empty() || error != std::errc() || end != port.data() + port.size() ||
            value <= 0 || value > 65535) {
            throw InvalidURL(std::string(text));
        }
        url.port = value;
        authority = authority.substr(0, colon);
    }
    if (authority.empty()) {
        throw InvalidURL(std::string(text));
    }
    url.host = std::string(authority);
    return url;
}

URL join_url(const URL& base, std::string_view location) {
    if (location.substr(0, 7) == "http://") {
        return parse_url(location);
    }
    URL url = base;
    if (!location.empty() && location.front() == '/') {
        url.path = std::string(location);
    } else {
        std::string directory = base.path.substr(0, base.path.rfind('/') + 1);
        url.path = directory + std::string(location);
    }
    return url;
}

// ------------------------------------------------------------------------- the pool

struct ClientSession::State {
    ClientTimeout timeout;
    std::size_t limit_per_host = 0;
    std::map<std::string, std::vector<Connection>> idle;
    std::map<std::string, std::size_t> in_use;
    std::map<std::string, std::deque<asyncio::Future<void>>> waiters;
    std::size_t opened = 0;
    bool closed = false;

    // A connection to `url`'s host: an idle one if any is still usable, else a new one, waiting
    // while limit_per_host are in use (TCPConnector.connect).
    Coroutine<Connection> acquire(URL url, bool& reused) {
        const std::string origin = url.origin();
        // kata: begin step47 §12
        while (limit_per_host > 0 && in_use[origin] >= limit_per_host) {
            asyncio::Future<void> waiter(asyncio::get_running_loop());
            waiters[origin].push_back(waiter);
            co_await waiter;
        }
        ++in_use[origin];
        auto& pool = idle[origin];
        while (!pool.empty()) {
            Connection connection = std::move(pool.back());
            pool.pop_back();
            // A keep-alive connection the server has closed meanwhile reads EOF: drop it.
            if (!connection.reader.at_eof() && !connection.writer.is_closing()) {
                reused = true;
                co_return connection;
            }
            connection.writer.close();
        }
        // kata: end
        reused = false;
        try {
            Connection connection = co_await asyncio::open_connection(url.host, url.port);
            ++opened;
            co_return connection;
        } catch (...) {
            release_slot(origin);
            throw;
        }
    }

    void release(const std::string& origin, Connection connection, bool reusable) {
        // kata: begin step47 §12
        if (reusable && !closed) {
            idle[origin].push_back(std::move(connection));
        } else {
            connection.writer.close();
        }
        // kata: skeleton connection.writer.close();
        // kata: skeleton (void)reusable;
        // kata: end
        release_slot(origin);
    }

    void release_slot(const std::string& origin) {
        if (in_use[origin] > 0) {
            --in_use[origin];
        }
        auto& queue = waiters[origin];
        while (!queue.empty()) {
            asyncio::Future<void> waiter = queue.front();
            queue.pop_front();
            if (!waiter.done()) {
                waiter.set_result();
                return;
            }
        }
    }
};

// ------------------------------------------------------------------------- responses

struct ClientResponse::State {
    std::shared_ptr<ClientSession::State> session;
    std::string origin;
    URL url;
    std::vector<std::string> history;
    StatusLine status;
    Headers headers;
    BodyFraming framing;
    bool reusable = false;
    std::optional<Connection> connection;
    std::size_t remaining = 0;   // Content-Length bytes still to read
    std::size_t chunk_left = 0;  // bytes of the current chunk still to read
    bool finished = false;
    std::optional<double> sock_read;

    State() = default;
    State(const State&) = delete;
    State& operator=(const State&) = delete;
    ~State() { give_back(false); }

    void give_back(bool reuse) {
        if (connection) {
            session->release(origin, std::move(*connection), reuse && reusable);
            connection.reset();
        }
    }
    void finish() {
        finished = true;
        give_back(framing.kind != BodyFraming::Kind::UntilClose);
    }
};

namespace {

template <class T>
Coroutine<T> within(std::optional<double> delay, Coroutine<T> body) {
    if (!delay) {
        co_return co_await body;
    }
    co_return co_await asyncio::timeout(delay, std::move(body));
}

// One line without its CRLF; LineTooLong past the limit; "" only at EOF (eof set).
Coroutine<std::string> read_line(asyncio::StreamReader& reader, const char* what, bool& eof) {
    std::string line;
    try {
        line = co_await reader.readline();
    } catch (const ValueError&) {
        throw LineTooLong(std::string("Got more than 8190 bytes when reading ") + what);
    }
    eof = line.empty();
    if (line.size() > max_line_size + 2) {
        throw LineTooLong(std::string("Got more than 8190 bytes when reading ") + what);
    }
    if (!eof && (line.size() < 2 || line.substr(line.size() - 2) != "\r\n")) {
        if (line.back() != '\n') {
            throw ClientPayloadError(std::string("Response payload is not completed: ") + what);
        }
        line.pop_back();  // a bare LF, which aiohttp's parser tolerates
        co_return line;
    }
    if (!eof) {
        line.resize(line.size() - 2);
    }
    co_return line;
}

}  // namespace

int ClientResponse::status() const {
    return state_->status.status;
}
const std::string& ClientResponse::reason() const {
    return state_->status.reason;
}
const Headers& ClientResponse::headers() const {
    return state_->headers;
}
std::string ClientResponse::url() const {
    return state_->url.str();
}
const std::vector<std::string>& ClientResponse::history() const {
    return state_->history;
}
std::optional<std::size_t> ClientResponse::content_length() const {
    if (state_->framing.kind == BodyFraming::Kind::Length) {
        return state_->framing.length;
    }
    return std::nullopt;
}
void ClientResponse::release() {
    state_->give_back(false);
}

Coroutine<std::string> ClientResponse::read_chunk(std::size_t n) {
    auto state = state_;
    if (state->finished || !state->connection) {
        co_return std::string();
    }
    asyncio::StreamReader& reader = state->connection->reader;
    switch (state->framing.kind) {
        case BodyFraming::Kind::None:
            state->finish();
            co_return std::string();
        case BodyFraming::Kind::Length: {
            if (state->remaining == 0) {
                state->finish();
                co_return std::string();
            }
            std::string data = co_await within(
                state->sock_read,
                reader.read(static_cast<std::ptrdiff_t>(std::min(n, state->remaining))));
            if (data.empty()) {
                state->give_back(false);
                throw ClientPayloadError(
                    "Response payload is not completed: <ContentLengthError: 400, message='Not "
                    "enough data for satisfy content length header.'>");
            }
            state->remaining -= data.size();
            if (state->remaining == 0) {
                state->finish();
            }
            co_return data;
        }
        case BodyFraming::Kind::UntilClose: {
            std::string data =
                co_await within(state->sock_read, reader.read(static_cast<std::ptrdiff_t>(n)));
            if (data.empty()) {
                state->finish();
            }
            co_return data;
        }
        case BodyFraming::Kind::Chunked: {
            // kata: begin step45 §12
            bool eof = false;
            if (state->chunk_left == 0) {
                std::string line =
                    co_await within(state->sock_read, read_line(reader, "chunk size", eof));
                if (eof) {
                    state->give_back(false);
                    throw ClientPayloadError(
                        "Response payload is not completed: <TransferEncodingError: 400, "
                        "message='Not enough data for satisfy transfer length header.'>");
                }
                state->chunk_left = parse_chunk_size(line);
                if (state->chunk_left == 0) {
                    // The last chunk; then trailers up to an empty line.
                    for (;;) {
                        std::string trailer = co_await read_line(reader, "trailer", eof);
                        if (trailer.empty()) {
                            break;
                        }
                    }
                    state->finish();
                    co_return std::string();
                }
            }
            std::string data = co_await within(
                state->sock_read,
                reader.read(static_cast<std::ptrdiff_t>(std::min(n, state->chunk_left))));
            if (data.empty()) {
                state->give_back(false);
                throw ClientPayloadError(
                    "Response payload is not completed: <TransferEncodingError: 400, "
                    "message='Not enough data for satisfy transfer length header.'>");
            }
            state->chunk_left -= data.size();
            if (state->chunk_left == 0) {
                std::string crlf = co_await reader.readexactly(2);
                if (crlf != "\r\n") {
                    throw TransferEncodingError("Chunk is not followed by CRLF");
                }
            }
            co_return data;
            // kata: skeleton co_return std::string();
            // kata: end
        }
    }
    co_return std::string();
}

Coroutine<std::string> ClientResponse::read() {
    std::string body;
    if (auto length = content_length()) {
        body.reserve(*length);
    }
    for (;;) {
        std::string chunk = co_await read_chunk(std::size_t{256} * 1024);
        if (chunk.empty()) {
            break;
        }
        body += chunk;
    }
    co_return body;
}

// ------------------------------------------------------------------------- requests

ClientSession::ClientSession(ClientTimeout timeout, std::size_t limit_per_host)
    : state_(std::make_shared<State>()) {
    state_->timeout = timeout;
    state_->limit_per_host = limit_per_host;
}

ClientSession::~ClientSession() {
    close();
}

void ClientSession::close() {
    state_->closed = true;
    for (auto& [origin, pool] : state_->idle) {
        for (auto& connection : pool) {
            connection.writer.close();
        }
    }
    state_->idle.clear();
}

std::size_t ClientSession::connections_opened() const {
    return state_->opened;
}
std::size_t ClientSession::idle_connections() const {
    std::size_t count = 0;
    for (const auto& [origin, pool] : state_->idle) {
        count += pool.size();
    }
    return count;
}

namespace {

std::string request_head(const std::string& method, const URL& url, const std::string& body,
                         const Headers& extra) {
    std::string head = method;
    head += " ";
    head += url.path;
    head += " HTTP/1.1\r\nHost: ";
    head += url.host;
    if (url.port != 80) {
        head += ":" + std::to_string(url.port);
    }
    head += "\r\n";
    bool has_accept = false;
    for (const auto& [name, value] : extra.items()) {
        head += name;
        head += ": ";
        head += value;
        head += "\r\n";
        has_accept = has_accept || name == "Accept";
    }
    if (!has_accept) {
        head += "Accept: */*\r\n";
    }
    head += "Accept-Encoding: identity\r\nUser-Agent: py-aiohttp/11\r\n";
    if (!body.empty() || method == "POST" || method == "PUT") {
        head += "Content-Length: ";
        head += std::to_string(body.size());
        head += "\r\n";
    }
    head += "\r\n";
    return head;
}

// One request on one connection, to the end of the response headers.
Coroutine<ClientResponse> send_once(std::shared_ptr<ClientSession::State> session,
                                    std::string method, URL url, std::string body,
                                    Headers headers) {
    for (int attempt = 0;; ++attempt) {
        bool reused = false;
        auto response = std::make_shared<ClientResponse::State>();
        response->session = session;
        response->origin = url.origin();
        response->url = url;
        response->sock_read = session->timeout.sock_read;
        response->connection = co_await session->acquire(url, reused);
        // From here, `response` owns the connection: an exception gives it back, closed.
        Connection& connection = *response->connection;
        connection.writer.write(request_head(method, url, body, headers));
        connection.writer.write(body);
        co_await connection.writer.drain();

        bool eof = false;
        std::string line = co_await read_line(connection.reader, "Status line", eof);
        if (eof) {
            response->give_back(false);
            if (reused && attempt == 0) {
                continue;  // a kept-alive connection the server closed meanwhile: once more
            }
            throw ServerDisconnectedError("Server disconnected");
        }
        response->status = parse_status_line(line);
        std::size_t header_bytes = 0;
        for (;;) {
            std::string header = co_await read_line(connection.reader, "header line", eof);
            if (eof) {
                throw ServerDisconnectedError("Server disconnected");
            }
            if (header.empty()) {
                break;
            }
            header_bytes += header.size();
            if (header_bytes > max_headers) {
                throw LineTooLong("Got more than 32768 bytes when reading headers");
            }
            auto [name, value] = parse_header_line(header);
            response->headers.add(std::move(name), std::move(value));
        }
        response->framing = body_framing(response->status, response->headers, method);
        response->reusable = keep_alive(response->status, response->headers);
        response->remaining = response->framing.length;
        if (response->framing.kind == BodyFraming::Kind::None ||
            (response->framing.kind == BodyFraming::Kind::Length && response->remaining == 0)) {
            response->finish();
        }
        co_return ClientResponse(response);
    }
}

bool is_redirect(int status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

}  // namespace

Coroutine<ClientResponse> ClientSession::request(std::string method, std::string url,
                                                 std::string body, Options options) {
    auto session = state_;
    if (session->closed) {
        throw RuntimeError("Session is closed");
    }
    URL target = parse_url(url);
    std::vector<std::string> history;
    for (int redirects = 0;; ++redirects) {
        ClientResponse response = co_await within(
            session->timeout.total, send_once(session, method, target, body, options.headers));
        std::optional<std::string> location = response.headers().get("Location");
        if (!options.allow_redirects || !is_redirect(response.status()) || !location) {
            response.state_->history = std::move(history);
            co_return response;
        }
        // kata: begin step46 §12
        if (redirects + 1 > options.max_redirects) {
            response.release();
            throw TooManyRedirects("Too many redirects: " + std::to_string(redirects + 1) +
                                   ", last URL " + target.str());
        }
        co_await response.read();  // drain it, so that the connection can be reused
        history.push_back(target.str());
        if (response.status() == 303 ||
            ((response.status() == 301 || response.status() == 302) && method == "POST")) {
            method = "GET";
            body.clear();
        }
        target = join_url(target, *location);
        // kata: skeleton PY_KATA_TODO("§12");
        // kata: end
    }
}

Coroutine<ClientResponse> ClientSession::get(std::string url, Options options) {
    return request("GET", std::move(url), {}, std::move(options));
}

Coroutine<ClientResponse> ClientSession::post(std::string url, std::string body, Options options) {
    return request("POST", std::move(url), std::move(body), std::move(options));
}

}  // namespace py::aiohttp
