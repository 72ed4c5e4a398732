// Chapter 11, §11: asyncio streams over loopback sockets.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <string>
#include <vector>

#include "py/asyncio.hpp"
#include "py/asyncio_streams.hpp"

namespace {

namespace asyncio = py::asyncio;
using asyncio::Coroutine;
using asyncio::StreamReader;
using asyncio::StreamWriter;
using testing::ElementsAre;

Coroutine<void> echo_lines(StreamReader reader, StreamWriter writer) {
    for (;;) {
        std::string line = co_await reader.readline();
        if (line.empty()) {
            break;  // EOF
        }
        writer.write("echo: " + line);
        co_await writer.drain();
    }
    writer.close();
}

TEST(Coroutines, Step41_StreamsEchoLinesOverLoopback) {
    std::vector<std::string> got;
    auto main = [&]() -> Coroutine<void> {
        asyncio::Server server = co_await asyncio::start_server(echo_lines, "127.0.0.1", 0);
        EXPECT_GT(server.port(), 0) << "port 0: the kernel picks a free port";
        asyncio::Connection connection =
            co_await asyncio::open_connection("127.0.0.1", server.port());
        connection.writer.write("hello\nworld\n");
        co_await connection.writer.drain();
        got.push_back(co_await connection.reader.readline());
        got.push_back(co_await connection.reader.readexactly(6));
        got.push_back(co_await connection.reader.readline());
        connection.writer.write_eof();  // the server sees EOF, closes, and we read to the end
        got.push_back(co_await connection.reader.read());
        EXPECT_TRUE(connection.reader.at_eof());
        connection.writer.close();
        server.close();
    };
    asyncio::run(main());
    EXPECT_THAT(got, ElementsAre("echo: hello\n", "echo: ", "world\n", ""))
        << "readline, readexactly and read(-1) over a real socket (§11)";

    // Flow control: far more than the kernel takes while the peer is not reading.
    constexpr std::size_t total = std::size_t{16} * 1024 * 1024;
    auto count_bytes = [](StreamReader reader, StreamWriter writer) -> Coroutine<void> {
        std::size_t seen = 0;
        while (seen < total) {
            std::string chunk = co_await reader.read(65536);
            if (chunk.empty()) {
                break;
            }
            seen += chunk.size();
        }
        writer.write("got " + std::to_string(seen) + "\n");
        writer.close();
    };
    auto flood = [&]() -> Coroutine<std::string> {
        asyncio::Server server = co_await asyncio::start_server(count_bytes, "127.0.0.1", 0);
        EXPECT_TRUE(server.is_serving());
        asyncio::Connection connection =
            co_await asyncio::open_connection("127.0.0.1", server.port());
        connection.writer.write(std::string(total, 'x'));
        EXPECT_GT(connection.writer.buffer_size(), std::size_t{64} * 1024)
            << "what the socket did not take waits in the writer's buffer";
        co_await connection.writer.drain();  // the writer callback flushes as the peer reads
        EXPECT_LE(connection.writer.buffer_size(), std::size_t{64} * 1024)
            << "drain() returns once the buffer is below the high-water mark";
        std::string reply = co_await connection.reader.readline();
        EXPECT_EQ(connection.writer.buffer_size(), 0U);
        connection.writer.close();
        co_await connection.writer.wait_closed();
        EXPECT_TRUE(connection.writer.is_closing());
        server.close();
        EXPECT_FALSE(server.is_serving());
        co_return reply;
    };
    EXPECT_EQ(asyncio::run(flood()), "got 16777216\n") << "every byte arrived (§11)";
}

TEST(Coroutines, Step42_ReadErrorsAndAPeerResetDuringDrain) {
    auto main = []() -> Coroutine<void> {
        try {
            co_await asyncio::open_connection("127.0.0.1", 1);
            ADD_FAILURE() << "nothing listens on port 1";
        } catch (const py::ConnectionRefusedError& e) {
            EXPECT_STREQ(e.what(), "[Errno 111] Connect call failed ('127.0.0.1', 1)");
        }
        auto short_reply = [](StreamReader, StreamWriter writer) -> Coroutine<void> {
            writer.write("abc");
            writer.close();
            co_return;
        };
        asyncio::Server server = co_await asyncio::start_server(short_reply, "127.0.0.1", 0);
        auto connection = co_await asyncio::open_connection("127.0.0.1", server.port());
        try {
            co_await connection.reader.readexactly(10);
            ADD_FAILURE() << "EOF before 10 bytes is IncompleteReadError (§11)";
        } catch (const asyncio::IncompleteReadError& e) {
            EXPECT_EQ(e.partial(), "abc");
            EXPECT_STREQ(e.what(), "3 bytes read on a total of 10 expected bytes");
        }
        connection.writer.close();
        server.close();

        // A peer that resets the connection (SO_LINGER 0 then close sends RST).
        auto resetter = [](StreamReader reader, StreamWriter writer) -> Coroutine<void> {
            co_await reader.read(1);  // the client is connected and has spoken
            linger hard{1, 0};
            ::setsockopt(writer.fileno(), SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
            writer.close();
            co_return;
        };
        asyncio::Server reset_server = co_await asyncio::start_server(resetter, "127.0.0.1", 0);
        auto victim = co_await asyncio::open_connection("127.0.0.1", reset_server.port());
        victim.writer.write("x");
        try {
            std::string nothing = co_await victim.reader.read();
            EXPECT_TRUE(nothing.empty());
        } catch (const py::ConnectionResetError&) {
        }
        bool reset = false;
        try {
            for (int i = 0; i < 64 && !reset; ++i) {
                victim.writer.write(std::string(std::size_t{256} * 1024, 'x'));
                co_await victim.writer.drain();
            }
        } catch (const py::ConnectionResetError& e) {
            reset = true;
        }
        EXPECT_TRUE(reset) << "drain() after the peer reset raises ConnectionResetError";
        victim.writer.close();
        reset_server.close();
    };
    asyncio::run(main());
}

TEST(Coroutines, Step43_ACancelledReadLeavesNoSocketBehind) {
    auto main = []() -> Coroutine<void> {
        auto silent = [](StreamReader reader, StreamWriter writer) -> Coroutine<void> {
            co_await reader.read();  // until the client goes away
            writer.close();
        };
        asyncio::Server server = co_await asyncio::start_server(silent, "127.0.0.1", 0);
        struct {
            std::size_t count;
        } before{asyncio::get_running_loop().registered_fd_count()};
        auto reading = [&server]() -> Coroutine<void> {
            auto connection = co_await asyncio::open_connection("127.0.0.1", server.port());
            co_await connection.reader.readline();  // waits forever: the server says nothing
        };
        auto task = asyncio::create_task(reading());
        for (int i = 0; i < 5; ++i) {
            co_await asyncio::sleep(0);
        }
        task.cancel();
        try {
            co_await task;
        } catch (const asyncio::CancelledError&) {
        }
        EXPECT_TRUE(task.cancelled());
        for (int i = 0; i < 5; ++i) {
            co_await asyncio::sleep(0);  // the server side sees EOF and closes too
        }
        EXPECT_EQ(asyncio::get_running_loop().registered_fd_count(), before.count)
            << "the cancelled task's socket was closed and unregistered (§11)";
        server.close();
    };
    asyncio::run(main());
}

}  // namespace
