// py::aiohttp: an HTTP/1.1 client on py::asyncio streams, shaped like aiohttp's ClientSession
// (aiohttp 3.8: client.py, client_reqrep.py, http_parser.py, connector.py).
//
//     aiohttp::ClientSession session;
//     aiohttp::ClientResponse response = co_await session.get("http://127.0.0.1:8000/a.jpg");
//     std::string body = co_await response.read();
//     co_await session.close();
//
// Plain http:// only. Bodies: Content-Length, chunked, or read until the server closes.
// Connections are kept alive and reused per host (at most limit_per_host at a time).
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "py/asyncio.hpp"
#include "py/asyncio_streams.hpp"

namespace py::aiohttp {

// aiohttp's client exceptions (client_exceptions.py) and the parser's (http_exceptions.py;
// here under ClientError so that one except clause catches every failed request).
PY_DECLARE_EXCEPTION(ClientError, Exception);
PY_DECLARE_EXCEPTION(ClientConnectionError, ClientError);
PY_DECLARE_EXCEPTION(ServerDisconnectedError, ClientConnectionError);
PY_DECLARE_EXCEPTION(ClientPayloadError, ClientError);
PY_DECLARE_EXCEPTION(ClientResponseError, ClientError);
PY_DECLARE_EXCEPTION(TooManyRedirects, ClientResponseError);
PY_DECLARE_EXCEPTION(InvalidURL, ClientError);
PY_DECLARE_EXCEPTION(HttpProcessingError, ClientError);
PY_DECLARE_EXCEPTION(BadStatusLine, HttpProcessingError);
PY_DECLARE_EXCEPTION(InvalidHeader, HttpProcessingError);
PY_DECLARE_EXCEPTION(LineTooLong, HttpProcessingError);
PY_DECLARE_EXCEPTION(TransferEncodingError, HttpProcessingError);

// http_parser.py's limits (HttpParser defaults).
constexpr std::size_t max_line_size = 8190;
constexpr std::size_t max_field_size = 8190;
constexpr std::size_t max_headers = 32768;

// Header names compare case-insensitively (CIMultiDict); the order received is kept.
class Headers {
  public:
    void add(std::string name, std::string value);
    // The first value of `name`, or nullopt.
    [[nodiscard]] std::optional<std::string> get(std::string_view name) const;
    [[nodiscard]] const std::vector<std::pair<std::string, std::string>>& items() const {
        return items_;
    }

  private:
    std::vector<std::pair<std::string, std::string>> items_;
};

// ------------------------------------------------------------------------- the parser (§12)

struct StatusLine {
    int version_major = 1;
    int version_minor = 1;
    int status = 0;
    std::string reason;
};

// "HTTP/1.1 200 OK" (without the CRLF). BadStatusLine otherwise.
StatusLine parse_status_line(std::string_view line);
// "Name: value". InvalidHeader for a missing colon, an empty or malformed name.
std::pair<std::string, std::string> parse_header_line(std::string_view line);
// A chunk-size line: hex digits, optionally ";extensions". TransferEncodingError otherwise.
std::size_t parse_chunk_size(std::string_view line);

// How the body is framed (RFC 9112 §6.3): chunked, Content-Length, or until the server closes.
struct BodyFraming {
    enum class Kind { None, Length, Chunked, UntilClose } kind = Kind::None;
    std::size_t length = 0;
};
BodyFraming body_framing(const StatusLine& status, const Headers& headers, std::string_view method);
// Whether the connection can carry another request afterwards.
bool keep_alive(const StatusLine& status, const Headers& headers);

// A whole response in one buffer, for tests and the fuzzer: status, headers and decoded body.
struct ParsedResponse {
    StatusLine status;
    Headers headers;
    std::string body;
};
ParsedResponse parse_response(std::string_view data, std::string_view method = "GET");

// ------------------------------------------------------------------------- the client (§12)

struct ClientTimeout {
    std::optional<double> total = 300.0;  // the whole request, to the end of the headers
    std::optional<double> sock_read;      // each read of the body
};

struct URL {
    std::string host;
    int port = 80;
    std::string path = "/";  // with the query
    [[nodiscard]] std::string origin() const { return host + ":" + std::to_string(port); }
    [[nodiscard]] std::string str() const;
};
// InvalidURL for anything but http://host[:port][/path].
URL parse_url(std::string_view url);
// A Location header against the URL that sent it.
URL join_url(const URL& base, std::string_view location);

class ClientSession;

class ClientResponse {
  public:
    struct State;
    ClientResponse() = default;
    explicit ClientResponse(std::shared_ptr<State> state) : state_(std::move(state)) {}

    [[nodiscard]] int status() const;
    [[nodiscard]] const std::string& reason() const;
    [[nodiscard]] const Headers& headers() const;
    [[nodiscard]] std::string url() const;
    [[nodiscard]] std::optional<std::size_t> content_length() const;
    // The URLs that redirected here, oldest first.
    [[nodiscard]] const std::vector<std::string>& history() const;
    // Up to n bytes of the body ("" at its end); the connection goes back to the pool then.
    asyncio::Coroutine<std::string> read_chunk(std::size_t n = 64 * 1024);
    // The whole body.
    asyncio::Coroutine<std::string> read();
    // Gives the connection up without reading the rest (it is closed, not reused).
    void release();

  private:
    friend class ClientSession;
    std::shared_ptr<State> state_;
};

// A request's keyword arguments.
struct RequestOptions {
    Headers headers;
    bool allow_redirects = true;
    int max_redirects = 10;
};

class ClientSession {
  public:
    struct State;
    // limit_per_host: connections open at once to one host:port (0: no limit), as TCPConnector.
    explicit ClientSession(ClientTimeout timeout = {}, std::size_t limit_per_host = 0);
    ~ClientSession();
    ClientSession(const ClientSession&) = delete;
    ClientSession& operator=(const ClientSession&) = delete;

    using Options = RequestOptions;
    asyncio::Coroutine<ClientResponse> request(std::string method, std::string url,
                                               std::string body = {}, Options options = {});
    asyncio::Coroutine<ClientResponse> get(std::string url, Options options = {});
    asyncio::Coroutine<ClientResponse> post(std::string url, std::string body,
                                            Options options = {});
    // Closes the idle connections.
    void close();

    // For tests: connections opened so far, and idle ones kept for reuse.
    [[nodiscard]] std::size_t connections_opened() const;
    [[nodiscard]] std::size_t idle_connections() const;

  private:
    std::shared_ptr<State> state_;
};

}  // namespace py::aiohttp
