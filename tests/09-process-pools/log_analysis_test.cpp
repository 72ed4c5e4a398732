// Chapter 09, §8: the seed's log analysis (§二.3.7), checked against the counts the generator
// knows and against the seed's own Python task run by python3 on the same files.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>
#include <string>

#include "py/exceptions.hpp"
#include "py/log_analysis.hpp"
#include "python.hpp"

namespace {

namespace logs = py::log_analysis;

TEST(ProcessPools, Step34_LogAnalysisCountsRequestsAndIpsPerFile) {
    const std::string directory =
        "/tmp/workbook_logs_" + std::to_string(::getpid()) + "_" + std::to_string(std::rand());
    const auto expected = logs::generate_logs(directory, 3, 2000);
    ASSERT_EQ(expected.size(), 3U);
    for (const auto& [name, counts] : expected) {
        EXPECT_EQ(logs::analyze_file(std::string(directory).append("/").append(name)), counts)
            << name;
        EXPECT_GT(counts.total, 1900) << "about 2% of the lines are blank";
        EXPECT_GT(counts.ip, 1000);
    }
    EXPECT_EQ(logs::analyze_directory(directory, 2), expected);

    // The seed's task, as written there (without its time.sleep), on the same files.
    const std::string script =
        "import os\n"
        "def task(file_path):\n"
        "    ip_set = set()\n"
        "    total_count = ip_count = 0\n"
        "    with open(file_path, mode='r', encoding='utf-8') as f:\n"
        "        for line in f:\n"
        "            if not line.strip():\n"
        "                continue\n"
        "            user_ip = line.split(' - -', maxsplit=1)[0].split(', ')[0]\n"
        "            total_count += 1\n"
        "            if user_ip in ip_set:\n"
        "                continue\n"
        "            ip_count += 1\n"
        "            ip_set.add(user_ip)\n"
        "    return {'total': total_count, 'ip': ip_count}\n"
        "d = '" +
        directory +
        "'\n"
        "for name in sorted(os.listdir(d)):\n"
        "    r = task(os.path.join(d, name))\n"
        "    print(name, r['total'], r['ip'])\n";
    std::istringstream python(testing_python::run_python(script));
    std::string name;
    long long total = 0;
    long long ip = 0;
    int files = 0;
    while (python >> name >> total >> ip) {
        ASSERT_TRUE(expected.count(name)) << name;
        EXPECT_EQ(total, expected.at(name).total) << name << ": python3 counts differently";
        EXPECT_EQ(ip, expected.at(name).ip) << name;
        ++files;
    }
    EXPECT_EQ(files, 3) << "python3 printed every file";
    std::filesystem::remove_all(directory);
    EXPECT_THROW((void)logs::analyze_file(directory + "/missing.log"), py::OSError);
}

}  // namespace
