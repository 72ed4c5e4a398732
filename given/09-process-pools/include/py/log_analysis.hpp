// The seed's multi-process example (§二.3.7): count the requests and the distinct client IPs of
// every access log in a directory, one worker process per file through ProcessPoolExecutor.
// Lines look like
//
//     127.0.0.1 - - [21/Mar/2021:10:00:00 +0800] "GET /index.html HTTP/1.1" 200 512 "-" "curl/7.68"
//     10.0.0.7, 172.16.0.1 - - [21/Mar/2021:10:00:01 +0800] "GET / HTTP/1.1" 200 0 "-" "-"
//
// and, as in the seed, the client IP is what comes before " - -", up to the first ", "; blank
// lines are skipped.
#pragma once

#include <map>
#include <string>

namespace py::log_analysis {

struct Counts {
    long long total = 0;  // non-blank lines
    long long ip = 0;     // distinct client IPs
    friend bool operator==(const Counts&, const Counts&) = default;
};

// The seed's task(file_name) for one file. Throws py::OSError when the file cannot be read.
Counts analyze_file(const std::string& path);

// The seed's run(): every regular file of `directory`, one task each in a ProcessPoolExecutor
// of `workers` processes, results gathered by done-callbacks keyed by file name.
std::map<std::string, Counts> analyze_directory(const std::string& directory, int workers);

// Writes `files` logs of `lines` lines each (some blank, some with a forwarded-for list) into
// `directory`, deterministically from `seed`; returns the counts they must give.
std::map<std::string, Counts> generate_logs(const std::string& directory, int files,
                                            long long lines, unsigned seed = 2021);

}  // namespace py::log_analysis
