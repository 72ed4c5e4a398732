// Chapter 05, §6: the seed's video downloader as a thread pool fetching files over loopback.
// The server is a few lines of plain sockets speaking just enough HTTP/1.0 (chapter 11 builds
// a real client); nothing leaves 127.0.0.1.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "py/concurrent.hpp"

namespace {

namespace cf = py::concurrent;

class Fd {
  public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    [[nodiscard]] int get() const { return fd_; }

  private:
    int fd_;
};

void send_all(int fd, const std::string& data) {
    std::size_t sent = 0;
    while (sent < data.size()) {
        const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) {
            return;
        }
        sent += static_cast<std::size_t>(n);
    }
}

// Serves `files` to exactly `requests` GETs, one connection each, then stops.
class LoopbackServer {
  public:
    LoopbackServer(std::map<std::string, std::string> files, int requests)
        : files_(std::move(files)), listener_(::socket(AF_INET, SOCK_STREAM, 0)) {
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        address.sin_port = 0;
        EXPECT_EQ(::bind(listener_.get(), reinterpret_cast<sockaddr*>(&address), sizeof address),
                  0);
        EXPECT_EQ(::listen(listener_.get(), 16), 0);
        socklen_t length = sizeof address;
        ::getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&address), &length);
        port_ = ntohs(address.sin_port);
        thread_ = std::thread([this, requests] {
            for (int i = 0; i < requests; ++i) {
                serve_one();
            }
        });
    }
    ~LoopbackServer() {
        ::shutdown(listener_.get(), SHUT_RDWR);  // unblocks accept() if a client never came
        thread_.join();
    }
    LoopbackServer(const LoopbackServer&) = delete;
    LoopbackServer& operator=(const LoopbackServer&) = delete;
    [[nodiscard]] int port() const { return port_; }

  private:
    void serve_one() {
        Fd client(::accept(listener_.get(), nullptr, nullptr));
        if (client.get() < 0) {
            return;
        }
        std::string request;
        char buffer[512];
        while (request.find("\r\n\r\n") == std::string::npos) {
            const ssize_t n = ::recv(client.get(), buffer, sizeof buffer, 0);
            if (n <= 0) {
                return;
            }
            request.append(buffer, static_cast<std::size_t>(n));
        }
        std::istringstream line(request);
        std::string method;
        std::string path;
        line >> method >> path;
        const auto found = files_.find(path.substr(1));
        if (found == files_.end()) {
            send_all(client.get(), "HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n");
            return;
        }
        send_all(client.get(),
                 "HTTP/1.0 200 OK\r\nContent-Length: " + std::to_string(found->second.size()) +
                     "\r\n\r\n" + found->second);
    }

    std::map<std::string, std::string> files_;
    Fd listener_;
    int port_ = 0;
    std::thread thread_;
};

// requests.get(url).content, for our one server.
std::string http_get(int port, const std::string& name) {
    Fd fd(::socket(AF_INET, SOCK_STREAM, 0));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        throw py::ConnectionError("connect failed");
    }
    send_all(fd.get(), "GET /" + name + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
    std::string response;
    char buffer[4096];
    for (;;) {
        const ssize_t n = ::recv(fd.get(), buffer, sizeof buffer, 0);
        if (n <= 0) {
            break;
        }
        response.append(buffer, static_cast<std::size_t>(n));
    }
    const auto body = response.find("\r\n\r\n");
    if (response.rfind("HTTP/1.0 200", 0) != 0 || body == std::string::npos) {
        throw py::OSError("bad response for " + name);
    }
    return response.substr(body + 4);
}

TEST(Threads, Step32_ThreadPoolDownloadsFilesOverLoopback) {
    std::map<std::string, std::string> files;
    for (int i = 1; i <= 6; ++i) {
        files[std::to_string(i) + ".mp4"] = std::string(1000 * i, static_cast<char>('a' + i));
    }
    LoopbackServer server(files, static_cast<int>(files.size()));
    const auto directory =
        std::filesystem::temp_directory_path() /
        ("workbook-ch05-" + std::to_string(::getpid()) + "-" + std::to_string(server.port()));
    std::filesystem::create_directories(directory);

    std::vector<cf::Future<std::size_t>> futures;
    {
        cf::ThreadPoolExecutor pool(3, "download");
        for (const auto& [name, content] : files) {
            futures.push_back(pool.submit(
                [&directory, port = server.port()](const std::string& file_name) {
                    const std::string content = http_get(port, file_name);
                    std::ofstream(directory / file_name, std::ios::binary) << content;
                    return content.size();
                },
                name));
        }
    }  // leaving the block shuts the pool down and waits
    for (auto& future : futures) {
        EXPECT_NO_THROW(future.result()) << "every download finished (§6)";
    }
    for (const auto& [name, content] : files) {
        std::ifstream in(directory / name, std::ios::binary);
        const std::string written((std::istreambuf_iterator<char>(in)),
                                  std::istreambuf_iterator<char>());
        EXPECT_EQ(written, content) << name << " was downloaded and written completely";
    }
    std::filesystem::remove_all(directory);
}

}  // namespace
