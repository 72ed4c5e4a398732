// The seed's log analysis (§二.3.7) as a program:
//
//     log_analysis DIRECTORY [WORKERS]          total requests and distinct IPs per file
//     log_analysis --generate DIRECTORY FILES LINES   write test logs in the seed's format
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>

#include "py/log_analysis.hpp"
#include "py/multiprocessing.hpp"
#include "workbook/main_guard.hpp"

int main(int argc, char** argv) {
    // The stand-in for `if __name__ == '__main__':` (a spawned worker stops here).
    if (auto exit_code = workbook::run_main_guards(argc, argv)) {
        return *exit_code;
    }
    try {
        if (argc == 5 && std::strcmp(argv[1], "--generate") == 0) {
            const auto expected =
                py::log_analysis::generate_logs(argv[2], std::atoi(argv[3]), std::atoll(argv[4]));
            for (const auto& [name, counts] : expected) {
                std::printf("%s {'total': %lld, 'ip': %lld}\n", name.c_str(), counts.total,
                            counts.ip);
            }
            return 0;
        }
        if (argc == 2 || argc == 3) {
            const int workers = argc == 3 ? std::atoi(argv[2]) : 4;
            for (const auto& [name, counts] :
                 py::log_analysis::analyze_directory(argv[1], workers)) {
                std::printf("%s {'total': %lld, 'ip': %lld}\n", name.c_str(), counts.total,
                            counts.ip);
            }
            return 0;
        }
    } catch (const std::exception& error) {
        std::fprintf(stderr, "log_analysis: %s\n", error.what());
        return 1;
    }
    std::fprintf(stderr,
                 "usage: %s DIRECTORY [WORKERS]\n       %s --generate DIRECTORY FILES LINES\n",
                 argv[0], argv[0]);
    return 2;
}
