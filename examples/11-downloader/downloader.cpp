// The seed's aiohttp downloader (§四.4.3), on py::asyncio and py::aiohttp:
//
//     downloader [--dir DIR] [--trace FILE] URL...
//
// Downloads every URL concurrently (one task each, one ClientSession, at most 4 connections per
// host), saves each under the last part of its path (".jpg" added when it has no extension, as
// the seed does), and draws a progress bar per file on a terminal. With --trace, the event loop
// writes a Chrome trace of its task steps, timers and waits to FILE (open it in
// https://ui.perfetto.dev or chrome://tracing; chapters/11-coroutines/README.md §9).
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "py/aiohttp.hpp"
#include "py/asyncio.hpp"

namespace {

namespace aiohttp = py::aiohttp;
namespace asyncio = py::asyncio;

struct Progress {
    std::string name;
    std::size_t received = 0;
    std::size_t total = 0;  // 0: unknown (chunked, or until close)
    std::string status = "waiting";
};

class Board {
  public:
    explicit Board(std::vector<Progress>& rows) : rows_(rows), tty_(::isatty(2) != 0) {}
    // Redraws every row in place (ANSI cursor up), at most every 50 ms unless forced.
    void draw(bool force = false) {
        if (!tty_) {
            return;
        }
        double now = asyncio::get_running_loop().time();
        if (!force && now - last_ < 0.05) {
            return;
        }
        last_ = now;
        if (drawn_) {
            std::fprintf(stderr, "\x1b[%zuA", rows_.size());
        }
        for (const Progress& row : rows_) {
            constexpr int width = 30;
            int filled = row.total > 0 ? static_cast<int>(width * row.received / row.total)
                                       : (row.status == "saved" ? width : 0);
            std::string bar(static_cast<std::size_t>(filled), '#');
            bar.resize(width, '.');
            std::fprintf(stderr, "\x1b[2K%-24.24s [%s] %8zu / %-8s %s\n", row.name.c_str(),
                         bar.c_str(), row.received,
                         row.total > 0 ? std::to_string(row.total).c_str() : "?",
                         row.status.c_str());
        }
        drawn_ = true;
    }
    // Without a terminal: one line per event, like the seed's prints.
    void say(const std::string& line) {
        if (!tty_) {
            std::printf("%s\n", line.c_str());
        }
    }

  private:
    std::vector<Progress>& rows_;
    bool tty_;
    bool drawn_ = false;
    double last_ = -1;
};

std::string file_name(const std::string& url) {
    std::string path = aiohttp::parse_url(url).path;
    path = path.substr(0, path.find('?'));
    std::string name = path.substr(path.rfind('/') + 1);
    if (name.empty()) {
        name = "index";
    }
    if (name.find('.') == std::string::npos) {
        name += ".jpg";
    }
    return name;
}

asyncio::Coroutine<void> fetch_and_save(aiohttp::ClientSession& session, std::string url,
                                        std::string directory, Progress& row, Board& board) {
    board.say("downloading: " + url);
    row.status = "downloading";
    aiohttp::ClientResponse response = co_await session.get(url);
    if (response.status() != 200) {
        row.status = "HTTP " + std::to_string(response.status());
        board.draw(true);
        co_return;
    }
    row.total = response.content_length().value_or(0);
    std::string content;
    for (;;) {
        std::string chunk = co_await response.read_chunk(std::size_t{16} * 1024);
        if (chunk.empty()) {
            break;
        }
        content += chunk;
        row.received = content.size();
        board.draw();
    }
    std::string path = directory + "/" + row.name;
    board.say("saving: " + path);
    std::ofstream(path, std::ios::binary) << content;
    row.status = "saved";
    board.draw(true);
}

asyncio::Coroutine<int> download_all(std::vector<std::string> urls, std::string directory) {
    std::vector<Progress> rows(urls.size());
    for (std::size_t i = 0; i < urls.size(); ++i) {
        rows[i].name = file_name(urls[i]);
    }
    Board board(rows);
    aiohttp::ClientSession session({}, /*limit_per_host=*/4);
    std::vector<asyncio::Task<void>> tasks;
    for (std::size_t i = 0; i < urls.size(); ++i) {
        tasks.push_back(
            asyncio::create_task(fetch_and_save(session, urls[i], directory, rows[i], board)));
    }
    co_await asyncio::wait(tasks);
    int failures = 0;
    for (std::size_t i = 0; i < tasks.size(); ++i) {
        if (std::exception_ptr error = tasks[i].exception()) {
            ++failures;
            try {
                std::rethrow_exception(error);
            } catch (const py::BaseException& e) {
                rows[i].status = e.formatted();
            }
        }
    }
    board.draw(true);
    for (const Progress& row : rows) {
        if (row.status != "saved") {
            std::fprintf(stderr, "%s: %s\n", row.name.c_str(), row.status.c_str());
        }
    }
    co_return failures;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> urls;
    std::string directory = ".";
    asyncio::RunOptions options;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--dir" && i + 1 < argc) {
            directory = argv[++i];
        } else if (arg == "--trace" && i + 1 < argc) {
            options.trace = argv[++i];
        } else {
            urls.push_back(arg);
        }
    }
    if (urls.empty()) {
        std::fprintf(stderr, "usage: %s [--dir DIR] [--trace FILE] URL...\n", argv[0]);
        return 2;
    }
    try {
        return asyncio::run(download_all(urls, directory), options) == 0 ? 0 : 1;
    } catch (const py::BaseException& e) {
        std::fprintf(stderr, "%s\n", e.formatted().c_str());
        return 1;
    }
}
