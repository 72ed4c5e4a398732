// Chapter 10, §3: send() and recv() carry pickled objects (chapter 09's pickle), to our own
// processes and to python3.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "helpers.hpp"
#include "py/connection.hpp"
#include "py/containers.hpp"
#include "py/exceptions.hpp"
#include "py/scalars.hpp"

namespace {

using py::multiprocessing::Pipe;
using py::multiprocessing::connection::Address;
using py::multiprocessing::connection::Client;
using py::multiprocessing::connection::Connection;

py::Ref<py::List> int_list(std::initializer_list<long long> values) {
    auto list = py::List::create();
    for (const long long v : values) {
        list->append(py::Int::create(v).get());
    }
    return list;
}

TEST(Sharing, Step17_SendAndRecvCarryPickles) {
    // The seed's Pipe example: the child sends [111, 22, 33, 44] and waits for the parent's 666.
    auto [parent_conn, child_conn] = Pipe();
    const pid_t child =
        sharing_test::fork_child([&parent_conn = parent_conn, &child_conn = child_conn] {
            parent_conn.close();
            child_conn.send(int_list({111, 22, 33, 44}));
            const py::Ref<py::Object> data = child_conn.recv();
            if (py::repr(data.get()) != "666") {
                throw std::runtime_error("the child received " + py::repr(data.get()));
            }
        });
    child_conn.close();
    const py::Ref<py::Object> info = parent_conn.recv();
    EXPECT_EQ(py::repr(info.get()), "[111, 22, 33, 44]")
        << "recv() unpickles what send() sent (§3)";
    parent_conn.send(py::Int::create(666));
    EXPECT_EQ(sharing_test::wait_child(child), 0) << "the child got 666";

    // A message that is not a pickle is the unpickler's error, and the connection stays usable.
    auto [a, b] = Pipe();
    a.send_bytes(std::string("\xff garbage", 9));
    EXPECT_THROW(b.recv(), py::UnpicklingError);
    a.send(py::Str::create("still fine"));
    EXPECT_EQ(py::repr(b.recv().get()), "'still fine'");
}

// python3 receives our object, wraps it and sends it back.
const char* const kPythonEcho = R"(
import sys
from multiprocessing.connection import Listener
with Listener(sys.argv[1], authkey=b"pickles") as listener:
    print("ready", flush=True)
    with listener.accept() as conn:
        obj = conn.recv()
        conn.send({"got": obj, "type": type(obj).__name__, "sum": sum(obj[1])})
)";

TEST(Sharing, Step26_PickledObjectsBetweenUsAndPython) {
    const std::string path = "/tmp/wb10-pickles-" + std::to_string(::getpid());
    struct RemoveAtEnd {
        std::string path;
        ~RemoveAtEnd() { std::filesystem::remove(path); }
    } const cleanup{path};
    sharing_test::Python python(kPythonEcho, {path});
    ASSERT_EQ(python.read_line(), "ready");
    Connection conn = Client(Address(path), "pickles");
    auto message = py::List::create();
    message->append(py::Str::create("héllo").get());
    message->append(int_list({1, 2, 3, 1LL << 40}).get());
    message->append(py::Float::create(0.5).get());
    conn.send(message);
    const py::Ref<py::Object> reply = conn.recv();
    EXPECT_EQ(py::repr(reply.get()),
              "{'got': ['héllo', [1, 2, 3, 1099511627776], 0.5], 'type': 'list', "
              "'sum': 1099511627782}")
        << "python3 unpickled our list and pickled its answer for us (§3)";
    EXPECT_EQ(python.wait(), 0);
}

}  // namespace
