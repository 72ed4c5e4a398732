// Chapter 10, §4: the authkey handshake, Listener and Client, and python3 on the other end.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/hmac.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <thread>

#include "helpers.hpp"
#include "py/connection.hpp"
#include "py/exceptions.hpp"

namespace {

using py::multiprocessing::connection::Address;
using py::multiprocessing::connection::answer_challenge;
using py::multiprocessing::connection::Client;
using py::multiprocessing::connection::Connection;
using py::multiprocessing::connection::deliver_challenge;
using py::multiprocessing::connection::Listener;
using py::multiprocessing::connection::Pipe;
using py::multiprocessing::connection::TcpAddress;

using sharing_test::Background;

// Wakes both ends of a Pipe() if the test leaves while its helper thread still waits on one.
std::function<void()> unblock(const Connection& a, const Connection& b) {
    return [fa = a.fileno(), fb = b.fileno()] {
        sharing_test::shut_down(fa);
        sharing_test::shut_down(fb);
    };
}

// The test's own HMAC (straight from OpenSSL), to check what goes over the wire.
std::string hmac(const EVP_MD* digest, const std::string& key, const std::string& message) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    HMAC(digest, key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(message.data()), message.size(), out, &length);
    return {reinterpret_cast<const char*>(out), length};
}

TEST(Sharing, Step18_ChallengeAndResponseWithSha256) {
    // Watch the server side of the exchange by hand: we are the client.
    auto [server, client] = Pipe();
    Background delivering([&server = server] { deliver_challenge(server, "secret"); },
                          unblock(server, client));
    const std::string challenge = client.recv_bytes();
    ASSERT_EQ(challenge.substr(0, 11), "#CHALLENGE#") << "the challenge comes first (§4)";
    const std::string message = challenge.substr(11);
    ASSERT_EQ(message.size(), 8U + 40U) << "'{sha256}' + 40 random bytes (CPython 3.12+)";
    EXPECT_EQ(message.substr(0, 8), "{sha256}");
    // The HMAC covers the whole message, the {sha256} prefix included.
    client.send_bytes("{sha256}" + hmac(EVP_sha256(), "secret", message));
    EXPECT_EQ(client.recv_bytes(), "#WELCOME#");
    delivering.join();

    // Both of ours against each other, in both roles.
    auto [a, b] = Pipe();
    Background answering([&a = a] { answer_challenge(a, "key"); }, unblock(a, b));
    deliver_challenge(b, "key");
    answering.join();
    a.send_bytes("after the handshake");
    EXPECT_EQ(b.recv_bytes(), "after the handshake");

    // Any allowed digest: "{sha3_256}" is hashlib's name for OpenSSL's "sha3-256".
    auto [server3, client3] = Pipe();
    Background delivering3([&server3 = server3] { deliver_challenge(server3, "k3", "sha3_256"); },
                           unblock(server3, client3));
    const std::string message3 = client3.recv_bytes().substr(11);
    EXPECT_EQ(message3.substr(0, 10), "{sha3_256}");
    client3.send_bytes("{sha3_256}" + hmac(EVP_sha3_256(), "k3", message3));
    EXPECT_EQ(client3.recv_bytes(), "#WELCOME#") << "a {sha3_256} reply is checked with SHA3-256";
    delivering3.join();
    auto [c3, d3] = Pipe();
    Background answering3([&c3 = c3] { answer_challenge(c3, "k3"); }, unblock(c3, d3));
    deliver_challenge(d3, "k3", "sha3_384");
    answering3.join();
}

TEST(Sharing, Step19_TheLegacyMd5FormOfPython311) {
    // A 3.11 server sends 20 random bytes without a prefix and wants the raw HMAC-MD5 back.
    {
        auto [server, client] = Pipe();
        Background answering([&client = client] { answer_challenge(client, "k311"); },
                             unblock(server, client));
        const std::string message(20, '\x42');
        server.send_bytes("#CHALLENGE#" + message);
        EXPECT_EQ(server.recv_bytes(), hmac(EVP_md5(), "k311", message))
            << "a 20-byte challenge is the legacy form: raw 16-byte HMAC-MD5, no prefix (§4)";
        server.send_bytes("#WELCOME#");
        answering.join();
    }
    // A 3.11 client answers our "{sha256}" challenge with a raw HMAC-MD5 of all of it.
    {
        auto [server, client] = Pipe();
        Background delivering([&server = server] { deliver_challenge(server, "k311"); },
                              unblock(server, client));
        const std::string message = client.recv_bytes().substr(11);
        client.send_bytes(hmac(EVP_md5(), "k311", message));
        EXPECT_EQ(client.recv_bytes(), "#WELCOME#") << "a 16-byte reply is accepted as MD5";
        delivering.join();
    }
    // And our server can speak 3.11 itself (digest_name ""): 20 bytes, no prefix.
    {
        auto [server, client] = Pipe();
        Background delivering([&server = server] { deliver_challenge(server, "k", ""); },
                              unblock(server, client));
        const std::string challenge = client.recv_bytes();
        EXPECT_EQ(challenge.size(), 11U + 20U);
        client.send_bytes(hmac(EVP_md5(), "k", challenge.substr(11)));
        EXPECT_EQ(client.recv_bytes(), "#WELCOME#");
        delivering.join();
    }
}

TEST(Sharing, Step20_AWrongKeyIsAuthenticationError) {
    auto [server, client] = Pipe();
    std::string client_error;
    Background answering(
        [&client = client, &client_error] {
            try {
                answer_challenge(client, "wrong");
            } catch (const py::AuthenticationError& e) {
                client_error = e.what();
            }
        },
        unblock(server, client));
    try {
        deliver_challenge(server, "right");
        ADD_FAILURE() << "a wrong digest must raise AuthenticationError";
    } catch (const py::AuthenticationError& e) {
        EXPECT_STREQ(e.what(), "digest received was wrong") << "the server's side (§4)";
    }
    answering.join();
    EXPECT_EQ(client_error, "digest sent was rejected") << "the client's side";

    // Garbage instead of a challenge, and a reply with an unknown digest name.
    auto [c, d] = Pipe();
    c.send_bytes("hello, no challenge here");
    EXPECT_THROW(answer_challenge(d, "k"), py::AuthenticationError);
    Background delivering(
        [&c = c] { EXPECT_THROW(deliver_challenge(c, "k"), py::AuthenticationError); },
        unblock(c, d));
    (void)d.recv_bytes();
    d.send_bytes("{sha1}" + std::string(20, 'x'));
    EXPECT_EQ(d.recv_bytes(), "#FAILURE#") << "the server says FAILURE before raising";
    delivering.join();

    // 3.12's other refusals, each with its message.
    auto refused = [](const std::string& reply, const std::string& message) {
        auto [server, client] = Pipe();
        std::string error;
        Background delivering(
            [&server = server, &error] {
                try {
                    deliver_challenge(server, "k");
                } catch (const py::AuthenticationError& e) {
                    error = e.what();
                }
            },
            unblock(server, client));
        (void)client.recv_bytes();
        client.send_bytes(reply);
        EXPECT_EQ(client.recv_bytes(), "#FAILURE#");
        delivering.join();
        EXPECT_THAT(error, testing::StartsWith(message));
    };
    refused("{sha256}" + std::string(10, 'x'), "expected 'sha256' of length 32 got 10");
    refused("{nope}" + std::string(30, 'x'),
            "unsupported message length, missing digest prefix, or unsupported digest: "
            "message=b'{nope}" +
                std::string(30, 'x') + "'");
    // The message is repr(bytes): double quotes around a ' (when there is no "), \t \n \r and
    // \\ escaped, \xNN for the rest of the unprintable bytes.
    refused(std::string("\x01\t\n\r'\\\x7f\x80") + std::string(16, 'x'),
            "unsupported message length, missing digest prefix, or unsupported digest: "
            "message=b\"\\x01\\t\\n\\r'\\\\\\x7f\\x80xxxxxxxxxxxxxxxx\"");
    refused("\"'" + std::string(20, 'x'),
            "unsupported message length, missing digest prefix, or unsupported digest: "
            "message=b'\"\\'xxxxxxxxxxxxxxxxxxxx'");
    auto [e, f] = Pipe();
    e.send_bytes("#CHALLENGE#short");
    try {
        answer_challenge(f, "k");
        ADD_FAILURE() << "a 5-byte challenge is too short";
    } catch (const py::AuthenticationError& error) {
        EXPECT_STREQ(error.what(), "challenge too short: 5 bytes");
    }
}

TEST(Sharing, Step21_ListenerAndClientOnAUnixSocket) {
    Listener listener;
    const auto& path = std::get<std::string>(listener.address());
    EXPECT_THAT(path, testing::HasSubstr("listener-")) << "an arbitrary AF_UNIX address (§4)";
    Background client_thread([address = listener.address()] {
        Connection connection = Client(address);
        connection.send_bytes("over a unix socket");
        EXPECT_EQ(connection.recv_bytes(), "thanks");
    });
    Connection accepted = listener.accept();
    EXPECT_EQ(accepted.recv_bytes(), "over a unix socket");
    accepted.send_bytes("thanks");
    client_thread.join();
    listener.close();
    EXPECT_FALSE(std::filesystem::exists(path)) << "close() removes the socket file";
    EXPECT_THROW(listener.accept(), py::OSError) << "OSError('listener is closed')";

    // accept() blocked in the kernel and interrupted by a signal (EINTR) accepts again.
    {
        const sharing_test::Interrupter interrupter;
        Listener waiting;
        std::atomic<pid_t> tid{0};
        std::optional<Connection> accepted_late;
        Background acceptor(
            [&] {
                tid = sharing_test::thread_id();
                accepted_late = waiting.accept();
            },
            [fd = waiting.fileno()] { sharing_test::shut_down(fd); });
        while (tid.load() == 0) {
            std::this_thread::yield();
        }
        sharing_test::Interrupter::interrupt(tid);
        Connection late = Client(waiting.address());
        acceptor.join();
        late.send_bytes("after EINTR");
        EXPECT_EQ(accepted_late->recv_bytes(), "after EINTR") << "accept() retries EINTR (§4)";
    }

    // The socket errors are Python's: a path that does not fit in sockaddr_un, a path in use.
    try {
        Listener too_long(Address(std::string("/tmp/") + std::string(120, 'x')));
        ADD_FAILURE() << "a 125-character path does not fit";
    } catch (const py::OSError& e) {
        EXPECT_STREQ(e.what(), "AF_UNIX path too long");
    }
    Listener first;
    try {
        Listener second(first.address());
        ADD_FAILURE() << "two listeners on one path";
    } catch (const py::OSError& e) {
        EXPECT_STREQ(e.what(), "[Errno 98] Address already in use");
    }
    // No descriptor left (EMFILE, in a child): socket(2) fails for a Listener and a Client.
    const pid_t child = sharing_test::fork_child([address = first.address()] {
        const sharing_test::NoFreeDescriptors no_free_descriptors;
        const std::string emfile = "[Errno 24] Too many open files";
        sharing_test::expect_in_child<py::OSError>([] { Listener unix_listener; }, emfile);
        sharing_test::expect_in_child<py::OSError>(
            [] {
                Listener tcp(TcpAddress{"127.0.0.1", 0});
            },
            emfile);
        sharing_test::expect_in_child<py::OSError>([&] { (void)Client(address); }, emfile);
    });
    EXPECT_EQ(sharing_test::wait_child(child), 0) << "EMFILE is OSError (see the child's stderr)";
}

TEST(Sharing, Step22_ListenerAndClientOnLoopbackTcpWithAuthkey) {
    Listener listener(TcpAddress{"127.0.0.1", 0}, 1, "s3cret");
    const int port = std::get<TcpAddress>(listener.address()).second;
    EXPECT_GT(port, 0) << "port 0 binds a free port; address() says which (§4)";
    Background client_thread([port] {
        Connection connection = Client(TcpAddress{"127.0.0.1", port}, "s3cret");
        connection.send_bytes("authenticated");
    });
    Connection accepted = listener.accept();
    EXPECT_EQ(accepted.recv_bytes(), "authenticated");
    client_thread.join();

    // A wrong key: the server raises and the client never gets to send anything.
    std::string client_error;
    Background intruder([port, &client_error] {
        try {
            Connection connection = Client(TcpAddress{"127.0.0.1", port}, "guess");
            connection.send_bytes("let me in");
        } catch (const py::AuthenticationError& e) {
            client_error = e.what();
        }
    });
    try {
        (void)listener.accept();
        ADD_FAILURE() << "accept() must refuse a client with the wrong key";
    } catch (const py::AuthenticationError& e) {
        EXPECT_STREQ(e.what(), "digest received was wrong");
    }
    intruder.join();
    EXPECT_EQ(client_error, "digest sent was rejected");

    // A port in use (SO_REUSEADDR does not share a listening port), and a host that is no address.
    try {
        Listener second(TcpAddress{"127.0.0.1", port});
        ADD_FAILURE() << "two listeners on one port";
    } catch (const py::OSError& e) {
        EXPECT_STREQ(e.what(), "[Errno 98] Address already in use");
    }
    try {
        (void)Client(TcpAddress{"not-an-address", port});
        ADD_FAILURE() << "no such host";
    } catch (const py::OSError& e) {
        EXPECT_STREQ(e.what(), "[Errno -2] Name or service not known") << "socket.gaierror's text";
    }
}

// python3's side of the interop tests.
const char* const kPythonListener = R"(
import sys
from multiprocessing.connection import Listener
with Listener(sys.argv[1], authkey=sys.argv[2].encode()) as listener:
    print("ready", flush=True)
    try:
        with listener.accept() as conn:
            message = conn.recv_bytes()
            conn.send_bytes(message[::-1])
            print("served", flush=True)
    except Exception as e:
        print(type(e).__name__ + ": " + str(e), flush=True)
)";

const char* const kPythonClient = R"(
import sys
from multiprocessing.connection import Client
address = sys.argv[1]
if ":" in address:  # "host:port" for AF_INET, else a unix socket path
    host, port = address.rsplit(":", 1)
    address = (host, int(port))
elif address.startswith("@"):  # an abstract unix address: argv cannot hold its leading NUL
    address = "\0" + address[1:]
try:
    with Client(address, authkey=sys.argv[2].encode()) as conn:
        conn.send_bytes(b"from python " + sys.version.split()[0].encode())
        print(conn.recv_bytes().decode(), flush=True)
except Exception as e:
    print(type(e).__name__ + ": " + str(e), flush=True)
)";

std::string temp_socket_path(const char* what) {
    return "/tmp/wb10-" + std::string(what) + "-" + std::to_string(::getpid());
}

// python3's Listener removes its socket file when it closes, but not when the test has to kill it.
struct RemoveAtEnd {
    std::string path;
    ~RemoveAtEnd() { std::filesystem::remove(path); }
};

TEST(Sharing, Step23_OurClientTalksToPythonsListener) {
    const std::string path = temp_socket_path("pylistener");
    const RemoveAtEnd cleanup{path};
    sharing_test::Python python(kPythonListener, {path, "shared key"});
    ASSERT_EQ(python.read_line(), "ready") << "python3 could not start its Listener";
    Connection connection = Client(Address(path), "shared key");
    connection.send_bytes("stressed");
    EXPECT_EQ(connection.recv_bytes(), "desserts")
        << "python3's Listener read our frame and answered in the same format (§2, §4)";
    EXPECT_EQ(python.read_line(), "served");
    EXPECT_EQ(python.wait(), 0);
}

TEST(Sharing, Step24_PythonsClientTalksToOurListener) {
    Listener listener(TcpAddress{"127.0.0.1", 0}, 1, "shared key");
    const std::string address =
        "127.0.0.1:" + std::to_string(std::get<TcpAddress>(listener.address()).second);
    sharing_test::Python python(kPythonClient, {address, "shared key"});
    Connection accepted = listener.accept();
    const std::string hello = accepted.recv_bytes();
    EXPECT_THAT(hello, testing::StartsWith("from python 3.")) << "python3 authenticated and sent";
    accepted.send_bytes("hello back");
    EXPECT_EQ(python.read_line(), "hello back");
    EXPECT_EQ(python.wait(), 0);

    // An abstract unix address ("\0name", Linux; _test_multiprocessing's test_abstract_socket):
    // no file in the filesystem, and python3 must find it under the same name, so the address's
    // length is the name's, not sizeof(sun_path).
    const std::string name = "wb10-abstract-" + std::to_string(::getpid());
    Listener hidden(Address(std::string(1, '\0') + name), 1, "shared key");
    sharing_test::Python abstract_client(kPythonClient, {"@" + name, "shared key"});
    Connection from_abstract = hidden.accept();
    EXPECT_THAT(from_abstract.recv_bytes(), testing::StartsWith("from python 3."));
    from_abstract.send_bytes("abstract");
    EXPECT_EQ(abstract_client.read_line(), "abstract");
    EXPECT_EQ(abstract_client.wait(), 0);
    hidden.close();
    EXPECT_THROW(hidden.accept(), py::OSError) << "OSError('listener is closed')";
}

TEST(Sharing, Step25_AWrongKeyAgainstPythonGetsNothing) {
    // Our client, wrong key, python3's listener: python3 refuses us and we learn it.
    {
        const std::string path = temp_socket_path("pywrong");
        const RemoveAtEnd cleanup{path};
        sharing_test::Python python(kPythonListener, {path, "the key"});
        ASSERT_EQ(python.read_line(), "ready");
        try {
            (void)Client(Address(path), "not the key");
            ADD_FAILURE() << "python3's Listener must reject a wrong key";
        } catch (const py::AuthenticationError& e) {
            EXPECT_STREQ(e.what(), "digest sent was rejected") << "(§4)";
        }
        EXPECT_EQ(python.read_line(), "AuthenticationError: digest received was wrong");
        EXPECT_EQ(python.wait(), 0);
    }
    // python3's client, wrong key, our listener: we refuse it before reading anything.
    {
        Listener listener(std::nullopt, 1, "the key");
        sharing_test::Python python(kPythonClient,
                                    {std::get<std::string>(listener.address()), "not the key"});
        try {
            (void)listener.accept();
            ADD_FAILURE() << "our Listener must reject python3's wrong key";
        } catch (const py::AuthenticationError& e) {
            EXPECT_STREQ(e.what(), "digest received was wrong");
        }
        EXPECT_EQ(python.read_line(), "AuthenticationError: digest sent was rejected");
        EXPECT_EQ(python.wait(), 0);
    }
}

}  // namespace
