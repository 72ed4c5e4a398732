// Chapter 10, §7: the Manager's server process, its proxies and its wire format.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <string>
#include <vector>

#include "helpers.hpp"
#include "py/containers.hpp"
#include "py/exceptions.hpp"
#include "py/managers.hpp"
#include "py/pickle.hpp"
#include "py/queues.hpp"
#include "py/scalars.hpp"
#include "values.hpp"

namespace {

using py::multiprocessing::connection::Address;
using py::multiprocessing::connection::Client;
using py::multiprocessing::connection::Connection;
using py::multiprocessing::managers::SyncManager;
using sharing_test::fork_child;
using sharing_test::I;
using sharing_test::R;
using sharing_test::S;
using sharing_test::wait_child;

TEST(Sharing, Step42_ManagerDictAndListFromAChildProcess) {
    // The seed's example: with Manager() as manager: d = manager.dict(); l = manager.list(); a
    // child sets d[1] = '1', d['2'] = 2, d[0.25] = None and appends 666; the parent prints both.
    SyncManager manager;
    manager.start();
    auto d = manager.dict();
    auto l = manager.list();
    const pid_t child = fork_child([&] {
        d.setitem(I(1).get(), S("1").get());
        d.setitem(S("2").get(), I(2).get());
        d.setitem(py::Float::create(0.25).get(), py::None().get());
        l.append(I(666).get());
    });
    ASSERT_EQ(wait_child(child), 0) << "the child's proxies reached the server (§7)";
    EXPECT_EQ(d.str(), "{1: '1', '2': 2, 0.25: None}") << "print(d): str(proxy) is the referent's";
    EXPECT_EQ(l.str(), "[666]") << "print(l)";
    EXPECT_THAT(l.repr(), testing::MatchesRegex("<ListProxy object, typeid 'list' at 0x[0-9a-f]+>"))
        << "repr(proxy) is the proxy's own, asked of nobody";
    EXPECT_EQ(R(d.getitem(S("2").get())), "2");
    EXPECT_EQ(d.len(), 3);
    EXPECT_TRUE(d.contains(py::Float::create(0.25).get()));
    EXPECT_EQ(R(l.copy()), "[666]") << "copy() returns a plain list, by value";

    // _test_multiprocessing's test_list and test_dict, method by method, in the server.
    auto b = manager.list();
    b.extend(py::Tuple::pack({I(0).get(), I(1).get(), I(2).get()}).get());
    b.imul(2);
    EXPECT_EQ(b.str(), "[0, 1, 2, 0, 1, 2]") << "b.extend(range(3)); b *= 2";
    EXPECT_EQ(R(b.getitem(-1)), "2") << "a negative index counts from the end";
    EXPECT_EQ(b.index(I(2).get()), 2);
    EXPECT_EQ(b.count(I(1).get()), 2);
    b.insert(-100, S("first").get());
    b.remove(I(0).get());
    b.delitem(-1);
    EXPECT_EQ(R(b.pop(0)), "'first'");
    b.reverse();
    EXPECT_EQ(R(b.copy()), "[1, 0, 2, 1]");
    try {
        (void)b.getitem(4);
        FAIL() << "past the end";
    } catch (const py::IndexError& e) {
        EXPECT_STREQ(e.what(), "list index out of range");
    }
    try {
        b.remove(I(7).get());
        FAIL() << "7 is not in the list";
    } catch (const py::ValueError& e) {
        EXPECT_STREQ(e.what(), "list.remove(x): x not in list");
    }
    try {
        (void)b.index(I(7).get());
        FAIL() << "7 is not in the list";
    } catch (const py::ValueError& e) {
        EXPECT_STREQ(e.what(), "7 is not in list");
    }
    EXPECT_EQ(R(b._callmethod("__add__", {py::List::create()})), "[1, 0, 2, 1]")
        << "b + [] is a plain list";

    EXPECT_EQ(R(d.values()), "['1', 2, None]");
    EXPECT_EQ(R(d.pop(I(1).get())), "'1'");
    EXPECT_EQ(R(d.pop(I(1).get(), S("gone").get())), "'gone'") << "pop(key, default)";
    EXPECT_THROW((void)d.pop(I(1).get()), py::KeyError);
    EXPECT_EQ(R(d.setdefault(S("k").get(), I(5).get())), "5");
    EXPECT_EQ(R(d.setdefault(S("k").get(), I(6).get())), "5") << "setdefault keeps a value";
    auto more = py::Dict::create();
    more->setitem(S("m").get(), I(9).get());
    d.update(more.get());
    EXPECT_EQ(R(d.popitem()), "('m', 9)") << "popitem() takes the last item";
    EXPECT_EQ(R(d.get(S("nope").get())), "None");
    EXPECT_EQ(R(d._callmethod("get", {S("nope"), S("default")})), "'default'");
    d.clear();
    EXPECT_EQ(d.len(), 0);
    try {
        (void)d.popitem();
        FAIL() << "an empty dict";
    } catch (const py::KeyError& e) {
        EXPECT_STREQ(e.what(), "'popitem(): dictionary is empty'");
    }
}

TEST(Sharing, Step43_RequestsAndRepliesAreCPythons) {
    SyncManager manager(std::nullopt, std::string("wire key"));
    manager.start();
    // Speak to the server by hand: the handshake, then pickled (id, methodname, args, kwds).
    Connection raw = Client(manager.address(), std::string("wire key"));
    auto request = py::Tuple::pack(
        {py::None().get(), S("dummy").get(), py::Tuple::pack({}).get(), py::Dict::create().get()});
    raw.send_bytes(py::pickle::dumps(request.get()));
    EXPECT_EQ(R(py::pickle::loads(raw.recv_bytes())), "('#RETURN', None)") << "(§7)";
    auto create =
        py::Tuple::pack({py::None().get(), S("create").get(),
                         py::Tuple::pack({S("dict").get()}).get(), py::Dict::create().get()});
    raw.send_bytes(py::pickle::dumps(create.get()));
    const auto reply = py::pickle::loads(raw.recv_bytes());
    EXPECT_THAT(R(reply), testing::MatchesRegex("\\('#RETURN', \\('[0-9a-f]+', \\(\\)\\)\\)"))
        << "create answers (id, exposed)";
    EXPECT_EQ(manager.number_of_objects(), 1);

    // A failing server function is answered with the traceback's text, ('#TRACEBACK', text),
    // which the caller raises as RemoteError framed by 75 dashes (Server.handle_request).
    auto server_error = [&raw](const std::string& function,
                               const std::vector<py::Ref<py::Object>>& args) {
        try {
            py::multiprocessing::managers::dispatch(raw, std::nullopt, function, args);
        } catch (const py::multiprocessing::managers::RemoteError& e) {
            return std::string(e.what());
        }
        return std::string("no RemoteError");
    };
    const std::string dashes(75, '-');
    const std::string head = "\n" + dashes + "\nTraceback (most recent call last):\n";
    EXPECT_THAT(server_error("create", {S("nosuch")}),
                testing::AllOf(testing::StartsWith(head),
                               testing::EndsWith("\nKeyError: 'nosuch'\n" + dashes)))
        << "registry[typeid] of an unknown type id (§7)";
    EXPECT_THAT(server_error("nosuch", {}),
                testing::EndsWith("\nAssertionError: 'nosuch' unrecognized\n" + dashes))
        << "assert funcname in self.public";
    EXPECT_THAT(server_error("incref", {S("ffff")}),
                testing::EndsWith("\nKeyError: 'ffff'\n" + dashes))
        << "id_to_refcount[ident] of an unknown id";
    EXPECT_THAT(server_error("create", {}), testing::HasSubstr("\nTypeError: "))
        << "create() without a type id";
    EXPECT_EQ(manager.number_of_objects(), 1) << "and the server goes on";
}

TEST(Sharing, Step44_RemoteErrorsComeBackAsTheirExceptions) {
    SyncManager manager;
    manager.start();
    auto d = manager.dict();
    try {
        (void)d.getitem(S("missing").get());
        FAIL() << "a missing key raises KeyError in the caller";
    } catch (const py::KeyError& e) {
        EXPECT_STREQ(e.what(), "'missing'") << "('#ERROR', KeyError('missing')) (§7)";
    }
    auto l = manager.list();
    EXPECT_THROW((void)l.getitem(5), py::IndexError);
    EXPECT_THROW((void)l.pop(), py::IndexError) << "pop from empty list";
    auto ns = manager.Namespace();
    EXPECT_THROW((void)ns.getattr("x"), py::AttributeError);
    d.setitem(S("still").get(), S("works").get());
    EXPECT_EQ(R(d.get(S("still").get())), "'works'") << "the connection survives an error";
    EXPECT_EQ(R(d.get(S("nothing").get())), "None");
    EXPECT_EQ(R(d.keys()), "['still']");
    EXPECT_EQ(R(d.items()), "[('still', 'works')]");
    EXPECT_EQ(R(d.copy()), "{'still': 'works'}");
    d.delitem(S("still").get());
    EXPECT_THROW(d.delitem(S("still").get()), py::KeyError);
    // A method the referent does not expose: serve_client's AttributeError, then its
    // fallback_mapping[methodname] KeyError, answered with ('#TRACEBACK', ...): RemoteError.
    try {
        (void)d._callmethod("no_such_method");
        FAIL() << "no_such_method is not exposed";
    } catch (const py::multiprocessing::managers::RemoteError& e) {
        EXPECT_THAT(e.what(),
                    testing::EndsWith("\nKeyError: 'no_such_method'\n" + std::string(75, '-')));
    }
    for (auto* proxy : std::initializer_list<py::multiprocessing::managers::BaseProxy*>{&l, &ns}) {
        EXPECT_THROW((void)proxy->_callmethod("no_such_method"),
                     py::multiprocessing::managers::RemoteError);
    }
    l.append(I(1).get());
    l.setitem(0, I(7).get());
    EXPECT_EQ(R(l.getitem(0)), "7");
    EXPECT_EQ(l.len(), 1);
    EXPECT_EQ(R(l.pop()), "7");
    // A method called with too few arguments raises TypeError in the server: ('#ERROR', ...).
    auto value = manager.Value('i', I(1).get());
    EXPECT_THROW((void)value._callmethod("set"), py::TypeError) << "set() needs its argument";
}

TEST(Sharing, Step45_ProxyCopiesCountReferencesOnTheServer) {
    SyncManager manager;
    manager.start();
    EXPECT_EQ(manager.number_of_objects(), 0);
    {
        auto d = manager.dict();
        EXPECT_EQ(manager.number_of_objects(), 1) << "one object, held by one proxy (§7)";
        {
            py::multiprocessing::managers::DictProxy copy(d);  // incref
            copy.setitem(S("k").get(), I(1).get());
        }  // decref: one reference left
        EXPECT_EQ(manager.number_of_objects(), 1) << "the copy's decref left the object alive";
        EXPECT_EQ(R(d.getitem(S("k").get())), "1") << "the copy reached the same object";
    }
    EXPECT_EQ(manager.number_of_objects(), 0) << "the last proxy gone, the server dropped it";

    // A request for an id the server no longer has: id_to_obj[ident] fails, ('#TRACEBACK', ...).
    std::string dropped_id;
    {
        auto l = manager.list();
        dropped_id = l.token().id;
    }
    Connection raw = Client(manager.address(), manager.authkey());
    try {
        py::multiprocessing::managers::dispatch(raw, dropped_id, "__len__");
        FAIL() << "the object is gone";
    } catch (const py::multiprocessing::managers::RemoteError& e) {
        EXPECT_THAT(e.what(),
                    testing::EndsWith("\nKeyError: '" + dropped_id + "'\n" + std::string(75, '-')));
    }
}

TEST(Sharing, Step46_LockEventValueNamespaceAndQueueLiveInTheServer) {
    SyncManager manager;
    manager.start();
    auto value = manager.Value('i', I(0).get());
    EXPECT_EQ(R(value.get()), "0") << "Value(typecode, value) starts at value";
    auto lock = manager.Lock();
    auto done = manager.Event();
    auto ns = manager.Namespace();
    auto queue = manager.Queue();
    EXPECT_THAT(queue.repr(), testing::StartsWith("<AutoProxy[Queue] object, typeid 'Queue' at 0x"))
        << "a Queue's proxy class is made by MakeProxyType, named after its typeid";
    ASSERT_TRUE(lock.acquire());
    EXPECT_FALSE(lock.acquire(false)) << "a Lock is not reentrant";
    const pid_t child = fork_child([&] {
        // Blocks in the server until the parent releases the lock.
        if (!lock.acquire()) {
            throw std::runtime_error("acquire failed");
        }
        value.set(I(static_cast<py::Int*>(value.get().get())->value() + 41).get());
        ns.setattr("who", S("child").get());
        queue.put(S("from the child").get());
        lock.release();
        done.set();
    });
    value.set(I(1).get());
    lock.release();
    EXPECT_TRUE(done.wait(5.0)) << "the child finished (§7)";
    EXPECT_EQ(R(value.get()), "42");
    EXPECT_EQ(R(ns.getattr("who")), "'child'");
    EXPECT_EQ(R(queue.get()), "'from the child'");
    EXPECT_THROW((void)queue.get(false), py::queue::Empty);
    EXPECT_THROW((void)queue.get(true, 0.01), py::queue::Empty);
    EXPECT_EQ(queue.qsize(), 0);
    EXPECT_TRUE(done.is_set());
    done.clear();
    EXPECT_FALSE(done.wait(0.01)) << "a cleared Event times out";
    EXPECT_EQ(value.str(), "Value('i', 42)") << "managers.Value.__repr__";

    // Keyword arguments travel in the request's kwds and are bound as Python binds them.
    queue.put(S("kw").get());
    EXPECT_EQ(R(queue._callmethod("get", {}, {{"timeout", py::Float::create(5.0)}})), "'kw'")
        << "q.get(timeout=5.0)";
    EXPECT_THROW((void)queue._callmethod("get", {}, {{"block", py::False()}}), py::queue::Empty)
        << "q.get(block=False)";
    try {
        (void)queue._callmethod("get", {}, {{"wait", py::True()}});
        FAIL() << "an unknown keyword";
    } catch (const py::TypeError& e) {
        EXPECT_STREQ(e.what(), "Queue.get() got an unexpected keyword argument 'wait'");
    }
    try {
        (void)queue._callmethod("get", {py::True()}, {{"block", py::True()}});
        FAIL() << "a keyword that repeats a positional argument";
    } catch (const py::TypeError& e) {
        EXPECT_STREQ(e.what(), "Queue.get() got multiple values for argument 'block'");
    }
    try {
        (void)queue._callmethod("put", {}, {{"block", py::True()}});
        FAIL() << "the item is required";
    } catch (const py::TypeError& e) {
        EXPECT_STREQ(e.what(), "Queue.put() missing 1 required positional argument: 'item'");
    }
    auto d = manager.dict();
    try {
        (void)d._callmethod("get", {S("k")}, {{"default", py::None()}});
        FAIL() << "dict's methods are positional only";
    } catch (const py::TypeError& e) {
        EXPECT_STREQ(e.what(), "dict.get() takes no keyword arguments");
    }
    done.set();
    EXPECT_EQ(R(done._callmethod("wait", {}, {{"timeout", py::Float::create(0.5)}})), "True")
        << "e.wait(timeout=0.5)";
    EXPECT_TRUE(lock.acquire(true, 0.5));
    lock.release();

    // Namespace: del ns.name, and str(ns) lists the public attributes sorted (test_namespace).
    ns.setattr("name", S("Bob").get());
    ns.setattr("job", S("Builder").get());
    ns.setattr("_hidden", S("hidden").get());
    ns.delattr("job");
    EXPECT_EQ(ns.str(), "Namespace(name='Bob', who='child')");
    EXPECT_THROW((void)ns.getattr("job"), py::AttributeError) << "not hasattr(n, 'job')";
    try {
        ns.delattr("job");
        FAIL() << "deleting a missing attribute";
    } catch (const py::AttributeError& e) {
        EXPECT_STREQ(e.what(), "job");
    }
    EXPECT_EQ(wait_child(child), 0);
    auto rlock = manager.RLock();
    EXPECT_TRUE(rlock.acquire());
    EXPECT_TRUE(rlock.acquire()) << "an RLock is reentrant for its owner";
    rlock.release();
    rlock.release();
    EXPECT_THROW(rlock.release(), py::RuntimeError);
}

TEST(Sharing, Step47_AWrongKeyGetsNothing) {
    SyncManager manager(std::nullopt, std::string("right"));
    manager.start();
    try {
        (void)Client(manager.address(), std::string("wrong"));
        FAIL() << "a client with the wrong key must be refused";
    } catch (const py::AuthenticationError& e) {
        EXPECT_STREQ(e.what(), "digest sent was rejected") << "(§4, §7)";
    }
    EXPECT_EQ(manager.number_of_objects(), 0) << "the server still serves the right key";
}

TEST(Sharing, Step48_ADeadServerIsAClearErrorAndShutdownStopsIt) {
    {
        SyncManager manager;
        manager.start();
        auto d = manager.dict();
        d.setitem(I(1).get(), I(2).get());  // the proxy's connection is open now
        ::kill(manager.pid(), SIGKILL);
        ::waitpid(manager.pid(), nullptr, 0);
        EXPECT_THROW(d.setitem(I(3).get(), I(4).get()), py::Exception)
            << "a call to a killed server fails at once, it does not hang (§7)";
        try {
            (void)manager.dict();
            FAIL() << "a new connection to a dead server must fail";
        } catch (const py::OSError& e) {
            EXPECT_THAT(e.what(), testing::HasSubstr("Connection refused"));
        }
    }
    {
        SyncManager manager;
        manager.start();
        const auto path = std::get<std::string>(manager.address());
        const pid_t server = manager.pid();
        manager.shutdown();
        EXPECT_EQ(::kill(server, 0), -1) << "shutdown() waited for the server process to end";
        EXPECT_FALSE(std::filesystem::exists(path)) << "and its socket file is gone";
        manager.shutdown();  // again: nothing to do
    }
}

}  // namespace

namespace {

// python3's own SyncManager connects to our server and uses a dict through its DictProxy.
const char* const kPythonManagerClient = R"(
import sys
from multiprocessing.managers import SyncManager
manager = SyncManager(address=sys.argv[1], authkey=sys.argv[2].encode())
manager.connect()
d = manager.dict()
d["from python"] = [1, 2.5, "three"]
print(d["from python"], flush=True)
try:
    d["missing"]
except KeyError as e:
    print("KeyError", e, flush=True)
print(str(d), flush=True)
q = manager.Queue()
q.put(item=5)
print(q.get(timeout=5), flush=True)
try:
    q.get(block=True, timeout=0.01)
except Exception as e:
    print(type(e).__name__, flush=True)
ns = manager.Namespace()
ns.name = "Bob"
ns.job = "Builder"
del ns.job
print(str(ns), hasattr(ns, "job"), flush=True)
a = manager.list([0, 1, 2, 3, 4])
a += [5]
a *= 2
a.insert(0, "x")
a.remove("x")
print(list(a), len(a), a.index(5), a.count(0), a + [6], flush=True)
b = manager.dict({"one": 1}, two=2)
print(b.copy(), b.get("three", 3), b.pop("one"), sorted(b.values()), flush=True)
try:
    manager.list(range(3))  # our pickle loads no class but bytes: the server refuses it
except Exception as e:
    print(type(e).__module__, type(e).__name__, flush=True)
)";

TEST(Sharing, Step49_PythonsProxiesUseOurManager) {
    SyncManager manager(std::nullopt, std::string("py key"));
    manager.start();
    sharing_test::Python python(kPythonManagerClient,
                                {std::get<std::string>(manager.address()), "py key"});
    EXPECT_EQ(python.read_line(), "[1, 2.5, 'three']")
        << "python3's proxy created a dict in our server and set and read it (§7)";
    EXPECT_EQ(python.read_line(), "KeyError 'missing'") << "our ('#ERROR', KeyError) unpickled";
    EXPECT_EQ(python.read_line(), "{'from python': [1, 2.5, 'three']}");
    EXPECT_EQ(python.read_line(), "5") << "python3's AutoProxy[Queue] with keyword arguments";
    EXPECT_EQ(python.read_line(), "Empty") << "get(block=True, timeout=0.01) timed out";
    EXPECT_EQ(python.read_line(), "Namespace(name='Bob') False") << "del ns.job, str(ns)";
    EXPECT_EQ(python.read_line(),
              "[0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5] 12 5 2 [0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5, 6]")
        << "list(iterable) in create, +=, *=, insert, remove, index, count, +";
    EXPECT_EQ(python.read_line(), "{'one': 1, 'two': 2} 3 1 [2]")
        << "dict(mapping, **kwds) in create, get with a default, pop, values";
    EXPECT_EQ(python.read_line(), "_pickle UnpicklingError")
        << "the server's UnpicklingError is pickle's, not a builtin python3 cannot find";
    EXPECT_EQ(python.wait(), 0);
}

}  // namespace
