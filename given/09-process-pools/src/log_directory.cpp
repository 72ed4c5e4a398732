// The seed's run() and a generator of test logs (given, not a kata): the pool part is the
// chapter's ProcessPoolExecutor, the per-file work is analyze_file.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "py/log_analysis.hpp"
#include "py/process_pool.hpp"

namespace py::log_analysis {
namespace {

namespace mp = py::multiprocessing;

// task(file_name) as a registered function: returns {"total": n, "ip": m}, as the seed does.
const mp::Function task("log_analysis.task", [](Tuple& args) {
    const Counts counts = analyze_file(mp::from_object<std::string>(args.item(0)));
    Ref<Dict> result = Dict::create();
    result->setitem(Str::create("total").get(), Int::create(counts.total).get());
    result->setitem(Str::create("ip").get(), Int::create(counts.ip).get());
    return Ref<Object>(result);
});

}  // namespace

std::map<std::string, Counts> analyze_directory(const std::string& directory, int workers) {
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(directory)) {
        if (entry.is_regular_file()) {
            files.push_back(entry.path());
        }
    }
    std::sort(files.begin(), files.end());
    // outer(info, file_name): each callback files its result under its file's name. Callbacks
    // run in the pool's manager thread, so they keep the pickled result; this thread loads it.
    std::mutex mutex;
    std::map<std::string, std::string> pickled;
    {
        concurrent::ProcessPoolExecutor pool(workers);
        for (const auto& file : files) {
            auto future = pool.submit(task, file.string());
            future.add_done_callback([&mutex, &pickled, name = file.filename().string()](
                                         const concurrent::ProcessFuture& done) {
                std::string bytes = done.pickled().result();
                std::lock_guard lock(mutex);
                pickled[name] = std::move(bytes);
            });
        }
        pool.shutdown(true);
    }
    std::map<std::string, Counts> info;
    for (const auto& [name, bytes] : pickled) {
        Ref<Object> result = pickle::loads(bytes);
        auto* dict = static_cast<Dict*>(result.get());
        info[name] = {mp::from_object<long long>(dict->getitem(Str::create("total").get())),
                      mp::from_object<long long>(dict->getitem(Str::create("ip").get()))};
    }
    return info;
}

std::map<std::string, Counts> generate_logs(const std::string& directory, int files,
                                            long long lines, unsigned seed) {
    std::filesystem::create_directories(directory);
    std::map<std::string, Counts> expected;
    unsigned long long state = seed;
    auto next = [&state] {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        return static_cast<unsigned>(state >> 33);
    };
    static const char* const paths[] = {"/index.html", "/api/items", "/static/app.js", "/login",
                                        "/favicon.ico"};
    for (int f = 0; f < files; ++f) {
        char name[32];
        std::snprintf(name, sizeof name, "access_%02d.log", f);
        std::ofstream out(std::filesystem::path(directory) / name, std::ios::binary);
        std::set<std::string> ips;
        Counts counts;
        std::string buffer;
        buffer.reserve(1 << 20);
        for (long long i = 0; i < lines; ++i) {
            const unsigned r = next();
            if (r % 50 == 0) {
                buffer += (r % 100 == 0) ? "\n" : "   \n";  // blank lines, skipped
                continue;
            }
            // A few thousand distinct clients per file, some behind a proxy.
            const unsigned client = next() % 4000;
            std::string ip = "10." + std::to_string(client / 250) + "." +
                             std::to_string(client % 250) + "." + std::to_string(f + 1);
            ips.insert(ip);
            ++counts.total;
            buffer += ip;
            if (r % 7 == 0) {
                buffer += ", 172.16.0." + std::to_string(r % 200);
            }
            buffer += " - - [21/Mar/2021:10:";
            buffer += std::to_string(10 + r % 50);
            buffer += ":00 +0800] \"GET ";
            buffer += paths[r % 5];
            buffer += " HTTP/1.1\" 200 ";
            buffer += std::to_string(r % 9000);
            buffer += " \"-\" \"Mozilla/5.0\"\n";
            if (buffer.size() > (1 << 20) - 512) {
                out << buffer;
                buffer.clear();
            }
        }
        out << buffer;
        counts.ip = static_cast<long long>(ips.size());
        expected[name] = counts;
    }
    return expected;
}

}  // namespace py::log_analysis
