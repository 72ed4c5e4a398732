// The pickle opcodes this chapter reads and writes, with CPython's names (Lib/pickle.py and
// Modules/_pickle.c, enum opcode). The comment says what each pushes or does.
#pragma once

#include <cstdint>

namespace py::pickle {

enum Opcode : std::uint8_t {
    MARK = '(',             // push the mark: where the next TUPLE/APPENDS/SETITEMS begins
    STOP = '.',             // the end: the top of the stack is the result
    POP = '0',              // discard the top of the stack
    POP_MARK = '1',         // discard everything down to and including the topmost mark
    DUP = '2',              // push the top of the stack again
    FLOAT = 'F',            // protocol 0: a float written as text and a newline
    INT = 'I',              // protocol 0: an int as text ("01"/"00" are True/False)
    BININT = 'J',           // a signed 32-bit little-endian int
    BININT1 = 'K',          // an unsigned 8-bit int
    LONG = 'L',             // protocol 0: an int as text with an 'L' suffix
    BININT2 = 'M',          // an unsigned 16-bit little-endian int
    NONE = 'N',             // None
    REDUCE = 'R',           // call: pop args tuple and callable, push callable(*args)
    STRING = 'S',           // protocol 0: a quoted Python 2 str
    BINSTRING = 'T',        // Python 2 str, 4-byte length
    SHORT_BINSTRING = 'U',  // Python 2 str, 1-byte length
    UNICODE = 'V',          // protocol 0: raw-unicode-escape text and a newline
    BINUNICODE = 'X',       // str: 4-byte length, UTF-8
    APPEND = 'a',           // list.append(top)
    DICT = 'd',             // build a dict from the items above the mark
    EMPTY_DICT = '}',       // push {}
    APPENDS = 'e',          // list.extend(items above the mark)
    GET = 'g',              // protocol 0: memo fetch, index as text
    BINGET = 'h',           // memo fetch, 1-byte index
    LIST = 'l',             // build a list from the items above the mark
    EMPTY_LIST = ']',       // push []
    PUT = 'p',              // protocol 0: memo store, index as text
    BINPUT = 'q',           // memo store, 1-byte index
    LONG_BINPUT = 'r',      // memo store, 4-byte index
    LONG_BINGET = 'j',      // memo fetch, 4-byte index
    SETITEM = 's',          // dict[key] = value
    TUPLE = 't',            // build a tuple from the items above the mark
    EMPTY_TUPLE = ')',      // push ()
    SETITEMS = 'u',         // dict.update(pairs above the mark)
    BINFLOAT = 'G',         // a float: 8 bytes, big-endian IEEE 754
    GLOBAL = 'c',           // protocol 0-3: push module.name, both as text lines
    BUILD = 'b',            // obj.__setstate__(state): pop the state, set it on the top
    // Protocol 2
    PROTO = 0x80,     // the protocol number, 1 byte
    NEWOBJ = 0x81,    // cls.__new__(cls, *args): pop args and cls, push the instance
    TUPLE1 = 0x85,    // build a 1-tuple from the top item
    TUPLE2 = 0x86,    // ... 2-tuple
    TUPLE3 = 0x87,    // ... 3-tuple
    NEWTRUE = 0x88,   // True
    NEWFALSE = 0x89,  // False
    LONG1 = 0x8a,     // an int: 1-byte length, two's complement little-endian
    LONG4 = 0x8b,     // an int: 4-byte length
    // Protocol 3
    BINBYTES = 'B',        // bytes: 4-byte length
    SHORT_BINBYTES = 'C',  // bytes: 1-byte length
    // Protocol 4
    SHORT_BINUNICODE = 0x8c,  // str: 1-byte length
    BINUNICODE8 = 0x8d,       // str: 8-byte length
    BINBYTES8 = 0x8e,         // bytes: 8-byte length
    EMPTY_SET = 0x8f,
    ADDITEMS = 0x90,
    FROZENSET = 0x91,
    NEWOBJ_EX = 0x92,
    STACK_GLOBAL = 0x93,  // push module.name, both popped from the stack
    MEMOIZE = 0x94,       // memo store at the next index
    FRAME = 0x95,         // 8-byte length of the frame that follows
    // Protocol 5
    BYTEARRAY8 = 0x96,
    NEXT_BUFFER = 0x97,
    READONLY_BUFFER = 0x98,
};

}  // namespace py::pickle
