// Chapter 09, §3: the bytes are CPython's. python3 (Debian's, the one the build found) pickles
// the same values; we compare byte for byte for protocols 2-5, python3 loads ours (and writes
// them again identically), and we load theirs.
#include <gtest/gtest.h>

#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "py/pickle.hpp"
#include "python.hpp"
#include "values.hpp"

namespace {

using namespace testing_values;
namespace pickle = py::pickle;

// Random values in Python: None, bools, int64s, floats, strs (ASCII, 2-byte, astral, NUL),
// bytes, tuples, lists (some past the 1000-item APPENDS batch), dicts (some past the SETITEMS
// batch) and values reused elsewhere in the same value. No cycles: the chapter has no collector.
const char* const kRandomValuesScript = R"(
import pickle, random
random.seed(20261128)
def text():
    n = random.choice([0, 1, 1, 2, 5, 30] * 20 + [255, 256, 300])
    k = random.random()
    if k < 0.5:
        return ''.join(random.choice('abc xyz_019') for _ in range(n))
    if k < 0.8:
        return ''.join(chr(random.randint(0x80, 0x7ff)) for _ in range(n))
    return ''.join(chr(random.choice([0x1F600, 0x4E2D, 0x10FFFF, 0xE9, 0])) for _ in range(n))
def number():
    return random.choice([0, 1, -1, 255, 256, 65535, 65536, -256, 2**31 - 1, 2**31, -2**31,
                          -2**31 - 1, 2**63 - 1, -2**63, random.randint(-2**63, 2**63 - 1),
                          random.randint(-300, 300)])
def atom():
    return random.choice([None, True, False, number(), text(),
                          random.choice([0.0, -0.0, 1.5, float('inf'), 1e300, random.random()]),
                          bytes(random.randint(0, 255)
                                for _ in range(random.choice([0, 1, 1, 3] * 20 + [256, 300])))])
def value(depth, seen):
    if seen and random.random() < 0.1:
        return random.choice(seen)
    k = random.random()
    if depth > 3 or k < 0.45:
        v = atom()
    elif k < 0.6:
        v = tuple(value(depth + 1, seen) for _ in range(random.choice([0, 1, 2, 3, 4, 5, 7])))
    elif k < 0.8:
        sizes = [0, 1, 2, 3, 5] * 6 + [999, 1000, 1001] if depth == 0 else [0, 1, 2, 3, 5]
        v = [value(depth + 1, seen) for _ in range(random.choice(sizes))]
    else:
        sizes = [0, 1, 2, 5] * 6 + [1001] if depth == 0 else [0, 1, 3]
        v = {random.choice([text(), number(), None, True, 1.5, (1, 'a')]): value(depth + 1, seen)
             for _ in range(random.choice(sizes))}
    if isinstance(v, (list, dict, tuple, str, bytes)) and random.random() < 0.3:
        seen.append(v)
    return v
for _ in range(200):
    v = value(0, [])
    for p in (2, 3, 4, 5):
        data = pickle.dumps(v, p)
        print(p, data.hex(), pickle.dumps(pickle.loads(data), p).hex())
)";

struct Case {
    const char* python;          // a Python expression for the value
    std::function<Obj()> build;  // the same value, with the same sharing, in our runtime
    std::function<void(Obj&)> unlink = [](Obj&) {};  // breaks a cycle after the test
};

Obj ints_list() {
    return L({py::None(), py::True(), py::False(), I(0), I(255), I(65535), I(-1), I(1LL << 31),
              I(-(1LL << 31) - 1), I(9223372036854775807LL), I(-9223372036854775807LL - 1)});
}

std::vector<Case> cases() {
    std::vector<Case> all;
    all.push_back(
        {"[None, True, False, 0, 255, 65535, -1, 2**31, -2**31-1, 2**63-1, -2**63]", ints_list});
    all.push_back({"[1.5, -0.0, 1e300, float('inf'), 0.1]", [] {
                       return Obj(L({F(1.5), F(-0.0), F(1e300), F(1.0 / 0.0), F(0.1)}));
                   }});
    all.push_back({"['', 'ab', 'h\\xe9llo \\u20ac', 'x'*300]", [] {
                       return Obj(L({S(""), S("ab"), S("h\xc3\xa9llo \xe2\x82\xac"),
                                     S(std::string(300, 'x'))}));
                   }});
    all.push_back({"[b'', b'ab', bytes(range(256)), b'z'*300]", [] {
                       std::string all_bytes;
                       for (int i = 0; i < 256; ++i) {
                           all_bytes += static_cast<char>(i);
                       }
                       return Obj(L({B(""), B("ab"), B(all_bytes), B(std::string(300, 'z'))}));
                   }});
    // CPython's empty and one-character latin-1 strs and empty and one-byte bytes are singletons
    // (decoding and bytes([120]) return them), so equal ones are memo gets: protocol 2's
    // _codecs.encode(u'x', 'latin1') shares its 'x' with the str 'x'. Ours are separate objects.
    all.push_back({"[b'x', b'x'.decode('latin1'), chr(233), b''.decode(), bytes([120]), b'']", [] {
                       return Obj(L({B("x"), S("x"), S("\xc3\xa9"), S(""), B("x"), B("")}));
                   }});
    all.push_back({"[(), (1,), (1, 2, 3, 4), {'k': [1, 2], 7: (None,)}, {}]", [] {
                       return Obj(
                           L({T({}), T({I(1)}), T({I(1), I(2), I(3), I(4)}),
                              D({{S("k"), L({I(1), I(2)})}, {I(7), T({py::None()})}}), D({})}));
                   }});
    all.push_back({"(lambda s: [s, s, (s,), {'a': s}])('shared')", [] {
                       Obj s = S("shared");
                       return Obj(L({s, s, T({s}), D({{S("a"), s}})}));
                   }});
    all.push_back({"(lambda l: (l.append(l), l)[1])([])",
                   [] {
                       auto l = py::List::create();
                       l->append(l.get());
                       return Obj(l);
                   },
                   [](Obj& o) { static_cast<py::List*>(o.get())->clear(); }});
    all.push_back({"(lambda d: (d.__setitem__('me', d), d)[1])({})",
                   [] {
                       auto d = py::Dict::create();
                       d->setitem(S("me").get(), d.get());
                       return Obj(d);
                   },
                   [](Obj& o) { static_cast<py::Dict*>(o.get())->delitem(S("me").get()); }});
    all.push_back({"(lambda l: (l.append((l, 1, 2, 3)), l[0])[1])([])",
                   [] {
                       auto l = py::List::create();
                       Obj t = T({l, I(1), I(2), I(3)});
                       l->append(t.get());
                       return t;
                   },
                   [](Obj& o) {
                       static_cast<py::List*>(static_cast<py::Tuple*>(o.get())->item(0))->clear();
                   }});
    all.push_back({"list(range(25000))", [] {
                       auto l = py::List::create();
                       for (int i = 0; i < 25000; ++i) {
                           l->append(I(i).get());
                       }
                       return Obj(l);
                   }});
    all.push_back({"['%06d' % i for i in range(8000)]", [] {
                       auto l = py::List::create();
                       char text[16];
                       for (int i = 0; i < 8000; ++i) {
                           std::snprintf(text, sizeof text, "%06d", i);
                           l->append(S(text).get());
                       }
                       return Obj(l);
                   }});
    all.push_back(
        {"[b'y'*70000, 'tail', 'z'*65536]", [] {
             return Obj(L({B(std::string(70000, 'y')), S("tail"), S(std::string(65536, 'z'))}));
         }});
    all.push_back({"(lambda v: v + [v[-1]])(['s%d' % i for i in range(300)])", [] {
                       auto l = py::List::create();
                       Obj last;
                       for (int i = 0; i < 300; ++i) {
                           last = S("s" + std::to_string(i));
                           l->append(last.get());
                       }
                       l->append(last.get());
                       return Obj(l);
                   }});
    all.push_back({"{i: str(i) for i in range(2500)}", [] {
                       auto d = py::Dict::create();
                       for (int i = 0; i < 2500; ++i) {
                           d->setitem(I(i).get(), S(std::to_string(i)).get());
                       }
                       return Obj(d);
                   }});
    return all;
}

TEST(ProcessPools, Step10_Python3WritesAndReadsTheSameBytes) {
    const std::vector<Case> all = cases();
    // One python3 run for everything: for each case and protocol, python's own bytes and
    // whether python3 loads ours into something that it writes back as exactly ours.
    std::ostringstream script;
    script << "import pickle\ncases = [\n";
    std::vector<Obj> values;
    for (const Case& c : all) {
        values.push_back(c.build());
        script << "  (" << c.python << ", {";
        for (int protocol = 2; protocol <= 5; ++protocol) {
            const std::string ours = hex(pickle::dumps(values.back(), protocol), false);
            script << protocol << ": bytes.fromhex('" << ours << "'), ";
        }
        script << "}),\n";
    }
    script << "]\n"
              "for i, (value, ours) in enumerate(cases):\n"
              "    for p in (2, 3, 4, 5):\n"
              "        theirs = pickle.dumps(value, p)\n"
              "        same = pickle.dumps(pickle.loads(ours[p]), p) == ours[p]\n"
              "        print(i, p, theirs.hex(), int(same))\n";
    int status = -1;
    const std::string output = testing_python::run_python(script.str(), &status);
    ASSERT_EQ(status, 0) << "python3 (" WORKBOOK_PYTHON3 ") failed; output:\n" << output;

    std::istringstream lines(output);
    std::size_t index = 0;
    int protocol = 0;
    std::string theirs_hex;
    int python_reads_ours = 0;
    int checked = 0;
    while (lines >> index >> protocol >> theirs_hex >> python_reads_ours) {
        ASSERT_LT(index, all.size());
        const std::string ours = pickle::dumps(values[index], protocol);
        const std::string theirs = unhex(theirs_hex);
        EXPECT_TRUE(ours == theirs) << all[index].python << " at protocol " << protocol
                                    << ": our bytes differ, " << first_difference(ours, theirs);
        EXPECT_EQ(python_reads_ours, 1)
            << all[index].python << " at protocol " << protocol
            << ": python3 did not load our pickle into the same structure";
        // We load theirs, and write it back as exactly theirs.
        Obj loaded = pickle::loads(theirs);
        EXPECT_TRUE(pickle::dumps(loaded, protocol) == theirs)
            << all[index].python << " at protocol " << protocol
            << ": loads(theirs) written again differs";
        all[index].unlink(loaded);
        ++checked;
    }
    EXPECT_EQ(checked, static_cast<int>(all.size()) * 4) << output.substr(0, 2000);
    for (std::size_t i = 0; i < all.size(); ++i) {
        all[i].unlink(values[i]);
    }

    // Then values no one chose: python3 builds 200 random ones (fixed seed; nested, shared,
    // every atom kind), pickles each, and loads and pickles it again. We load python3's pickle
    // and must write what python3's own round trip wrote: the same memo sharing and singletons.
    const std::string random_output = testing_python::run_python(kRandomValuesScript, &status);
    ASSERT_EQ(status, 0) << "python3 failed; output:\n" << random_output.substr(0, 2000);
    std::istringstream random_lines(random_output);
    std::string pickled_hex;
    std::string round_trip_hex;
    int compared = 0;
    while (random_lines >> protocol >> pickled_hex >> round_trip_hex) {
        const std::string round_trip = unhex(round_trip_hex);
        const std::string ours = pickle::dumps(pickle::loads(unhex(pickled_hex)), protocol);
        EXPECT_TRUE(ours == round_trip) << "random value " << compared / 4 << " at protocol "
                                        << protocol << ": " << first_difference(ours, round_trip);
        ++compared;
    }
    EXPECT_EQ(compared, 200 * 4);
}

}  // namespace
