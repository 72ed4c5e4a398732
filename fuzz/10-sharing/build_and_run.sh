#!/usr/bin/env bash
# Builds the chapter 10 fuzz target with clang's libFuzzer + ASan/UBSan and runs it for a bounded
# time (default 60 s): bash fuzz/10-sharing/build_and_run.sh [seconds]. The target links the
# solution sources it needs directly (chapters 01 and 09 come along for pickle).
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${1:-60}"
out=build/fuzz10
mkdir -p "$out/corpus"
CXX="${CXX_FUZZ:-$(command -v clang++-14 || command -v clang++)}"
includes=(-Ifuzz/support -Icommon/include -Igiven/10-sharing/include -Igiven/10-sharing/src
          -Isolutions/01-refcount/include -Igiven/01-refcount/include -Igiven/01-refcount/src
          -Igiven/09-process-pools/include -Igiven/09-process-pools/src)
[ -d solutions/09-process-pools/include ] && includes+=(-Isolutions/09-process-pools/include)
# Only what the reader and the handshake reach: chapter 01's objects and chapter 09's pickle.
sources=(fuzz/10-sharing/connection_fuzz.cpp common/src/kata.cpp
         solutions/10-sharing/src/connection.cpp solutions/10-sharing/src/handshake.cpp
         given/10-sharing/src/os_error.cpp given/10-sharing/src/hmac.cpp
         given/10-sharing/src/slices.cpp given/10-sharing/src/proxy_pickle.cpp
         solutions/01-refcount/src/*.cpp
         solutions/09-process-pools/src/pickle_dump.cpp solutions/09-process-pools/src/pickle_load.cpp
         given/09-process-pools/src/bytes.cpp given/09-process-pools/src/utf8.cpp
         given/09-process-pools/src/pickle_objects.cpp)
# PY_TRACE_REFS: mode 3's objects are checked through the refchain (fuzz/support/object_leaks.hpp).
"$CXX" -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -DPY_TRACE_REFS=1 \
    -DWORKBOOK_CHAPTER_DIR='"chapters/10-sharing"' "${includes[@]}" "${sources[@]}" \
    -lcrypto -o "$out/connection_fuzz"
# Seeds: a good frame, a long-form header, a 3.12 and a 3.11 challenge.
printf '\x00\x00\x00\x00\x00\x03abc' > "$out/corpus/frame"
printf '\x00\x00\xff\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\x02hi' > "$out/corpus/long"
printf '\x01\x00\x00\x00\x00\x33#CHALLENGE#{sha256}0123456789012345678901234567890123456789' > "$out/corpus/challenge312"
printf '\x01\x00\x00\x00\x00\x1f#CHALLENGE#01234567890123456789' > "$out/corpus/challenge311"
printf '\x02\x00\x00\x00\x00\x10abcdefghijklmnop' > "$out/corpus/md5reply"
# A python3 request for l[2:5]: ('7f', '__getitem__', (slice(2, 5, None),), {}).
printf '\x03\x00\x80\x04\x959\x00\x00\x00\x00\x00\x00\x00(\x8c\x027f\x94\x8c\x0b__getitem__\x94\x8c\x08builtins\x94\x8c\x05slice\x94\x93\x94K\x02K\x05N\x87\x94R\x94\x85\x94}\x94t\x94.' > "$out/corpus/slice"
# Inputs that once failed (regressions/) stay in the corpus: mode 3, a request whose list
# contains itself before the pickle breaks off (cyclic garbage, not a leak).
cp fuzz/10-sharing/regressions/* "$out/corpus/"
"$out/connection_fuzz" -max_total_time="$seconds" -max_len=4096 -timeout=10 \
    -artifact_prefix="$out/" "$out/corpus"
