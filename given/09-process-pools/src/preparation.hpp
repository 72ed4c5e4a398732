// The preparation data a spawned or forkserver child is sent (given, not a kata): what
// spawn.get_preparation_data gives a child in CPython, cut down to what a compiled program
// needs. It is plain bytes, not a pickle of runtime objects, so that a thread which must not
// touch the runtime (the process pool's manager, replacing a worker) can start a child: the
// target's arguments are the only pickle in it, made by whoever made the Process.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

namespace py::multiprocessing::detail {

struct Preparation {
    std::string function;      // the target's registered name
    std::string pickled_args;  // pickle.dumps(args): a tuple
    std::string name;
    bool daemon = false;
    std::vector<int> identity;  // (1, 2) for Process-1:2
    pid_t parent_pid = 0;
    std::string parent_name;
    std::vector<int> pass_fds;  // under the parent's numbers (spawn keeps them across exec)
};

std::string encode(const Preparation& preparation);
// ValueError("malformed preparation data") when the bytes are not what encode() writes.
Preparation decode(std::string_view data);

}  // namespace py::multiprocessing::detail
