#!/usr/bin/env bash
# Builds the pickle.loads fuzzer with Debian's clang (libFuzzer + ASan + UBSan), seeds it with
# pickles that python3 writes, and runs it for a bounded time (default 60 s).
#   fuzz/09-process-pools/run.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${1:-60}"
out=build/fuzz
mkdir -p "$out/corpus"
sources=(
    fuzz/09-process-pools/pickle_loads_fuzzer.cpp
    solutions/09-process-pools/src/pickle_dump.cpp
    solutions/09-process-pools/src/pickle_load.cpp
    given/09-process-pools/src/bytes.cpp
    given/09-process-pools/src/utf8.cpp
    given/09-process-pools/src/pickle_objects.cpp
    solutions/01-refcount/src/*.cpp
    common/src/kata.cpp
)
clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -DPY_TRACE_REFS=1 \
    -I fuzz/support -I common/include -I solutions/01-refcount/include -I given/01-refcount/include -I given/01-refcount/src \
    -I given/09-process-pools/include -I given/09-process-pools/src \
    -I solutions/09-process-pools/include \
    "${sources[@]}" -o "$out/pickle_loads_fuzzer"
/usr/bin/python3 - "$out/corpus" <<'PY'
import pickle, sys, os
d = sys.argv[1]
s = 'shared'
l = []; l.append(l)
values = [None, True, False, 0, 255, 65535, -1, 2**31, 2**63 - 1, -2**63, 1.5, float('inf'),
          '', 'h\xe9llo \u20ac', 'x' * 300, b'', b'ab', bytes(range(256)), (), (1,), (1, 2, 3, 4),
          [], [1, 'a', b'b'], {}, {'k': [1, 2], 7: (None,)}, [s, s, (s,)], l,
          list(range(2000)), {i: str(i) for i in range(300)}]
n = 0
for v in values:
    for p in range(0, 6):
        with open(os.path.join(d, 'seed_%03d' % n), 'wb') as f:
            f.write(pickle.dumps(v, p))
        n += 1
PY
# Inputs that once failed (regressions/) stay in the corpus.
cp fuzz/09-process-pools/regressions/* "$out/corpus/"
"$out/pickle_loads_fuzzer" -max_total_time="$seconds" -max_len=4096 -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$out/" "$out/corpus"
