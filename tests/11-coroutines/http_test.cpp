// Chapter 11, §12: an HTTP/1.1 client on the event loop, against servers no one here wrote
// (Python's http.server and an aiohttp server) and against misbehaving ones.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "py/aiohttp.hpp"
#include "py/asyncio.hpp"
#include "py/asyncio_streams.hpp"
#include "python_server.hpp"

namespace {

namespace aiohttp = py::aiohttp;
namespace asyncio = py::asyncio;
using asyncio::Coroutine;
using testing::ElementsAre;
using workbook_test::PythonServer;

TEST(Coroutines, Step44_TheParserReadsStatusLinesAndHeaders) {
    aiohttp::StatusLine status = aiohttp::parse_status_line("HTTP/1.1 404 Not Found");
    EXPECT_EQ(status.status, 404);
    EXPECT_EQ(status.reason, "Not Found");
    EXPECT_EQ(status.version_minor, 1);
    EXPECT_EQ(aiohttp::parse_status_line("HTTP/1.0 200").reason, "") << "the reason may be empty";
    for (const char* bad : {"HTTP/1.1 2000 OK", "HTTX/1.1 200 OK", "HTTP/1.1 20 OK", "", "200 OK",
                            "HTTP/1.1 abc OK"}) {
        EXPECT_THROW(aiohttp::parse_status_line(bad), aiohttp::BadStatusLine) << bad << " (§12)";
    }
    auto [name, value] = aiohttp::parse_header_line("Content-Type:  text/html ");
    EXPECT_EQ(name, "Content-Type");
    EXPECT_EQ(value, "text/html") << "surrounding whitespace is not part of the value";
    EXPECT_THROW(aiohttp::parse_header_line("no colon here"), aiohttp::InvalidHeader);
    EXPECT_THROW(aiohttp::parse_header_line("Bad Name: x"), aiohttp::InvalidHeader);
    EXPECT_THROW(aiohttp::parse_header_line("Name : x"), aiohttp::InvalidHeader)
        << "whitespace before the colon is forbidden (request smuggling)";
    aiohttp::ParsedResponse response = aiohttp::parse_response(
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\ncontent-type: text/plain\r\n\r\nhello");
    EXPECT_EQ(response.body, "hello");
    EXPECT_EQ(response.headers.get("Content-Type").value_or(""), "text/plain")
        << "header names compare case-insensitively";
    EXPECT_THROW(aiohttp::parse_response("HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n"),
                 aiohttp::InvalidHeader);
}

TEST(Coroutines, Step45_ChunkedBodiesAndTheirErrors) {
    EXPECT_EQ(aiohttp::parse_chunk_size("1a"), 26U);
    EXPECT_EQ(aiohttp::parse_chunk_size("A;name=value"), 10U) << "chunk extensions are ignored";
    EXPECT_THROW(aiohttp::parse_chunk_size("zz"), aiohttp::TransferEncodingError) << "(§12)";
    EXPECT_THROW(aiohttp::parse_chunk_size(""), aiohttp::TransferEncodingError);
    aiohttp::ParsedResponse response = aiohttp::parse_response(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
    EXPECT_EQ(response.body, "hello world");
    EXPECT_THROW(aiohttp::parse_response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                         "5\r\nhelloXX0\r\n\r\n"),
                 aiohttp::TransferEncodingError)
        << "a chunk must be followed by CRLF";

    auto error_of = [](const std::string& data, const char* method = "GET") -> std::string {
        try {
            aiohttp::parse_response(data, method);
        } catch (const aiohttp::ClientError& e) {
            return e.formatted();
        }
        return "no error";
    };
    EXPECT_EQ(error_of("HTTP/1.1 099 Too Low\r\n\r\n"),
              "BadStatusLine: Bad status line 'HTTP/1.1 099 Too Low'")
        << "a status code is at least 100";
    EXPECT_EQ(error_of("HTTP/1.1 200 OK\r\nX-Bell: a\x07"
                       "b\r\n\r\n"),
              "InvalidHeader: Invalid HTTP Header value: 'a\\x07b'")
        << "no control characters in a value; the message shows them escaped";
    EXPECT_EQ(error_of("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"),
              "ClientPayloadError: Response payload is not completed");
    EXPECT_EQ(error_of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel"),
              "ClientPayloadError: Response payload is not completed");
    EXPECT_EQ(error_of("HTTP/1.1 200 OK\r\nContent-Le"),
              "ClientPayloadError: Response payload is not completed: header line");
    EXPECT_EQ(error_of("HTTP/1.1 200 " + std::string(9000, 'x')),
              "LineTooLong: Got more than 8190 bytes when reading Status line");
    EXPECT_EQ(error_of("HTTP/1.1 200 OK\r\nX-Long: " + std::string(9000, 'x') + "\r\n\r\n"),
              "LineTooLong: Got more than 8190 bytes when reading header line");
    std::string many_headers = "HTTP/1.1 200 OK\r\n";
    for (int i = 0; i < 5; ++i) {
        many_headers += "X-H" + std::to_string(i) + ": " + std::string(8000, 'x') + "\r\n";
    }
    EXPECT_EQ(error_of(many_headers + "\r\n"),
              "LineTooLong: Got more than 32768 bytes when reading headers");

    EXPECT_EQ(aiohttp::parse_response("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nzz").body,
              "zz")
        << "a Transfer-Encoding that does not end in chunked: the body runs until close";
    EXPECT_EQ(aiohttp::parse_response("HTTP/1.0 200 OK\r\n\r\nuntil close").body, "until close")
        << "neither chunked nor Content-Length: until close";
    EXPECT_EQ(aiohttp::parse_response("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", "HEAD").body,
              "")
        << "a response to HEAD has no body, whatever Content-Length says";
    EXPECT_EQ(aiohttp::parse_response("HTTP/1.1 204 No Content\r\n\r\n").body, "");
}

std::string python_server_available() {
    if (::access(WORKBOOK_PYTHON3, X_OK) != 0) {
        return std::string("no ") + WORKBOOK_PYTHON3;
    }
    return {};
}

TEST(Coroutines, Step46_GetFromPythonsHttpServerFollowingRedirects) {
    if (auto missing = python_server_available(); !missing.empty()) {
        GTEST_SKIP() << missing;
    }
    EXPECT_EQ(aiohttp::join_url(aiohttp::parse_url("http://h:81/a/b"), "c").str(),
              "http://h:81/a/c")
        << "a relative Location replaces the last path segment";
    EXPECT_EQ(aiohttp::join_url(aiohttp::parse_url("http://h/a"), "http://g/x").str(),
              "http://g/x");
    for (const char* bad : {"https://h/", "http://h:0/", "http://h:x/", "http://:80/"}) {
        EXPECT_THROW(aiohttp::parse_url(bad), aiohttp::InvalidURL) << bad;
    }
    std::filesystem::path root =
        std::filesystem::temp_directory_path() / ("ch11-http-" + std::to_string(::getpid()));
    std::filesystem::create_directories(root / "sub");
    std::string big(300000, 'z');
    std::ofstream(root / "big.bin", std::ios::binary) << big;
    std::ofstream(root / "sub" / "index.html") << "<p>index</p>";
    {
        PythonServer server(
            {"-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", root.string()},
            "port ([0-9]+)");
        ASSERT_GT(server.port(), 0) << "python3 -m http.server did not announce its port";
        const std::string base = "http://127.0.0.1:" + std::to_string(server.port());
        auto main = [&]() -> Coroutine<void> {
            aiohttp::ClientSession session;
            aiohttp::ClientResponse response = co_await session.get(base + "/big.bin");
            EXPECT_EQ(response.status(), 200);
            EXPECT_EQ(response.content_length().value_or(0), big.size());
            std::string body = co_await response.read();
            EXPECT_EQ(body.size(), big.size()) << "a Content-Length body, read whole (§12)";
            EXPECT_TRUE(body == big);
            aiohttp::ClientResponse index = co_await session.get(base + "/sub");
            EXPECT_EQ(index.status(), 200) << "http.server answers /sub with 301 to /sub/";
            EXPECT_THAT(index.history(), ElementsAre(base + "/sub"));
            EXPECT_EQ(co_await index.read(), "<p>index</p>");
            aiohttp::ClientResponse missing = co_await session.get(base + "/nope");
            EXPECT_EQ(missing.status(), 404);
            EXPECT_EQ(missing.reason(), "File not found") << "http.server's reason phrase";
            EXPECT_EQ(missing.url(), base + "/nope");
            co_await missing.read();
            aiohttp::RequestOptions options;
            options.headers.add("Accept", "text/html");
            aiohttp::ClientResponse relative = co_await session.get(base + "/sub/", options);
            EXPECT_EQ(co_await relative.read(), "<p>index</p>") << "with a header of our own";
            EXPECT_EQ(session.idle_connections(), 0U)
                << "http.server speaks HTTP/1.0 without keep-alive: nothing to keep";
        };
        asyncio::run(main());
    }
    std::filesystem::remove_all(root);
}

TEST(Coroutines, Step47_KeepAliveReusesConnectionsPerHost) {
    if (auto missing = python_server_available(); !missing.empty()) {
        GTEST_SKIP() << missing;
    }
    PythonServer server({WORKBOOK_TESTS_DIR "/servers/aiohttp_server.py"}, "^([0-9]+)$");
    ASSERT_GT(server.port(), 0) << "the aiohttp server did not start (python3-aiohttp installed?)";
    const std::string base = "http://127.0.0.1:" + std::to_string(server.port());
    auto main = [&]() -> Coroutine<void> {
        aiohttp::ClientSession session;
        for (int i = 0; i < 10; ++i) {
            aiohttp::ClientResponse response = co_await session.get(base + "/bytes/100");
            EXPECT_EQ((co_await response.read()).size(), 100U);
        }
        EXPECT_EQ(session.connections_opened(), 1U)
            << "HTTP/1.1 keeps the connection alive: ten GETs, one connection (§12)";
        aiohttp::ClientResponse chunked = co_await session.get(base + "/chunked/25000");
        EXPECT_FALSE(chunked.content_length().has_value());
        EXPECT_EQ(chunked.headers().get("Transfer-Encoding").value_or(""), "chunked");
        EXPECT_EQ(co_await chunked.read(), std::string(25000, 'c')) << "a chunked body";
        aiohttp::ClientResponse posted = co_await session.post(base + "/echo", "payload");
        EXPECT_EQ(co_await posted.read(), "payload");
        aiohttp::ClientResponse redirected = co_await session.get(base + "/redirect/3");
        EXPECT_EQ(co_await redirected.read(), "arrived");
        EXPECT_EQ(redirected.history().size(), 3U);
        try {
            co_await session.get(base + "/loop");
            ADD_FAILURE() << "a redirect loop stops after max_redirects";
        } catch (const aiohttp::TooManyRedirects&) {
        }

        aiohttp::ClientSession limited({}, /*limit_per_host=*/2);
        std::vector<asyncio::Task<std::size_t>> tasks;
        tasks.reserve(8);
        auto fetch = [&]() -> Coroutine<std::size_t> {
            aiohttp::ClientResponse response = co_await limited.get(base + "/bytes/1000");
            co_return (co_await response.read()).size();
        };
        for (int i = 0; i < 8; ++i) {
            tasks.push_back(asyncio::create_task(fetch()));
        }
        std::vector<std::size_t> sizes = co_await asyncio::gather(tasks);
        EXPECT_EQ(sizes.size(), 8U);
        EXPECT_LE(limited.connections_opened(), 2U) << "limit_per_host=2: at most two at once";
    };
    asyncio::run(main());
}

// A server that answers every request with `reply` and then closes (or keeps silent).
Coroutine<asyncio::Server> misbehaving(std::string reply, bool close_after) {
    auto handler = [reply, close_after](asyncio::StreamReader reader,
                                        asyncio::StreamWriter writer) -> Coroutine<void> {
        co_await reader.readuntil("\r\n\r\n");
        writer.write(reply);
        co_await writer.drain();
        if (close_after) {
            writer.close();
        } else {
            co_await reader.read();  // until the client gives up
        }
    };
    co_return co_await asyncio::start_server(handler, "127.0.0.1", 0);
}

TEST(Coroutines, Step48_MalformedResponsesAreRejectedWithClearErrors) {
    std::vector<std::string> errors;
    auto main = [&]() -> Coroutine<void> {
        auto attempt = [&](std::string reply, bool close_after,
                           aiohttp::ClientTimeout timeout) -> Coroutine<void> {
            asyncio::Server server = co_await misbehaving(reply, close_after);
            aiohttp::ClientSession session(timeout);
            std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/";
            try {
                aiohttp::ClientResponse response = co_await session.get(url);
                co_await response.read();
                errors.emplace_back("no error");
            } catch (const py::BaseException& e) {
                errors.push_back(e.python_name());
            }
            server.close();
        };
        aiohttp::ClientTimeout normal;
        co_await attempt("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", true, normal);
        co_await attempt("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", true,
                         normal);
        co_await attempt("HTTP/1.1 200 OK\r\nX-Big: " + std::string(40000, 'h') + "\r\n\r\n", true,
                         normal);
        co_await attempt("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n", false,
                         aiohttp::ClientTimeout{std::nullopt, 0.05});
        aiohttp::ClientTimeout short_total;
        short_total.total = 0.05;
        co_await attempt("", false, short_total);
        co_await attempt("SSH-2.0-OpenSSH\r\n\r\n", true, normal);
    };
    asyncio::run(main());
    EXPECT_THAT(errors, ElementsAre("ClientPayloadError", "TransferEncodingError", "LineTooLong",
                                    "TimeoutError", "TimeoutError", "BadStatusLine"))
        << "closed mid-body, bad chunk size, oversized header, a silent body and a silent "
           "server, not HTTP at all (§12)";
}

}  // namespace
