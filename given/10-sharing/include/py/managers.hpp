// multiprocessing.Manager (Lib/multiprocessing/managers.py): a server process that holds objects
// and proxies that reach them from any process over authenticated connections (§4).
//
// Every proxy call is one request and one reply, pickled, in CPython's format:
//     request  (id, methodname, args, kwds)          id None for the server's own functions
//     reply    ('#RETURN', value) | ('#ERROR', exception) | ('#TRACEBACK', text)
// The server keeps a reference count per object: a proxy holds one, a copy of a proxy takes
// another (incref), a destroyed proxy gives its back (decref), and at zero the object goes.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "py/connection.hpp"
#include "py/exceptions.hpp"
#include "py/object.hpp"
#include "py/ref.hpp"

namespace py::multiprocessing::managers {

// managers.RemoteError: a '#TRACEBACK' reply, or an '#ERROR' of a type we cannot raise as itself.
PY_DECLARE_EXCEPTION(RemoteError, Exception);
// threading.BrokenBarrierError, as a manager's Barrier raises it.
PY_DECLARE_EXCEPTION(BrokenBarrierError, RuntimeError);

// A slice, l[start:stop:step]; an empty part is Python's None. Slice{2, 5} is l[2:5],
// Slice{{}, {}, 2} is l[::2]. It travels as CPython pickles slice(2, 5, None).
struct Slice {
    std::optional<long long> start = std::nullopt;
    std::optional<long long> stop = std::nullopt;
    std::optional<long long> step = std::nullopt;
};

// managers.Token: what names an object on a server.
struct Token {
    std::string type_id;  // "dict", "list", ... (CPython's attribute is `typeid`)
    connection::Address address;
    std::string id;  // "%x" % id(obj) on the server
};

// A call's keyword arguments, in order: {{"timeout", Float::create(0.5)}} is timeout=0.5.
using Kwargs = std::vector<std::pair<std::string, Ref<Object>>>;

// dispatch(c, id, methodname, args, kwds): one request, one reply; raises the reply's error.
Ref<Object> dispatch(connection::Connection& connection, std::optional<std::string> id,
                     const std::string& method, const std::vector<Ref<Object>>& args = {},
                     const Kwargs& kwds = {});

class BaseProxy {
  public:
    BaseProxy(Token token, std::string authkey);
    // A proxy of the value a managed dict or list gave back for a proxy stored in it
    // (RebuildProxy): takes a reference of its own (incref), as CPython's unpickling does.
    // TypeError for a value that is not a proxy.
    BaseProxy(Object* stored, std::string authkey);
    // A copy is one more reference on the server (CPython: pickling a proxy increfs).
    BaseProxy(const BaseProxy& other);
    BaseProxy& operator=(const BaseProxy&) = delete;
    // Gives the reference back (decref); a server that is gone is ignored.
    virtual ~BaseProxy();

    // _callmethod(methodname, args=(), kwds={}): the method of the referent, run in the server,
    // which binds the keyword arguments as Python does (q.get(timeout=0.5)); dict's and list's
    // methods take none: TypeError("dict.get() takes no keyword arguments").
    Ref<Object> _callmethod(const std::string& method, const std::vector<Ref<Object>>& args = {},
                            const Kwargs& kwds = {});
    [[nodiscard]] const Token& token() const noexcept { return token_; }
    // BaseProxy.__reduce__: the value to store in a managed dict or list (d["inner"] = l in
    // Python), pickled as RebuildProxy(ListProxy, Token(...), 'pickle', {}). The server keeps the
    // referent alive for as long as it runs, even after every proxy of it is gone.
    [[nodiscard]] Ref<Object> reduce() const;
    // str(proxy): the referent's repr, asked of the server (BaseProxy.__str__), e.g. "[666]".
    std::string str();
    // repr(proxy): the proxy's own, "<DictProxy object, typeid 'dict' at 0x7f...>", no request.
    [[nodiscard]] std::string repr() const;

  private:
    connection::Connection& connection();
    Token token_;
    std::string authkey_;
    std::optional<connection::Connection> connection_;
    pid_t connection_pid_ = 0;  // a forked child opens its own connection
};

// DictProxy / ListProxy: the common methods, as Python spells them.
class DictProxy : public BaseProxy {
  public:
    using BaseProxy::BaseProxy;
    void setitem(Object* key, Object* value) { _callmethod("__setitem__", {ref(key), ref(value)}); }
    Ref<Object> getitem(Object* key) { return _callmethod("__getitem__", {ref(key)}); }
    void delitem(Object* key) { _callmethod("__delitem__", {ref(key)}); }
    Ref<Object> get(Object* key) { return _callmethod("get", {ref(key)}); }
    long long len();
    bool contains(Object* key);
    Ref<Object> keys() { return _callmethod("keys"); }
    Ref<Object> values() { return _callmethod("values"); }
    Ref<Object> items() { return _callmethod("items"); }
    Ref<Object> copy() { return _callmethod("copy"); }
    void clear() { _callmethod("clear"); }
    // d.pop(key): KeyError when missing; d.pop(key, default) returns the default instead.
    Ref<Object> pop(Object* key) { return _callmethod("pop", {ref(key)}); }
    Ref<Object> pop(Object* key, Object* default_value) {
        return _callmethod("pop", {ref(key), ref(default_value)});
    }
    Ref<Object> setdefault(Object* key, Object* default_value) {
        return _callmethod("setdefault", {ref(key), ref(default_value)});
    }
    // d.update(other) for a dict.
    void update(Object* other) { _callmethod("update", {ref(other)}); }
    // d.popitem(): the last (key, value); KeyError('popitem(): dictionary is empty').
    Ref<Object> popitem() { return _callmethod("popitem"); }

  private:
    static Ref<Object> ref(Object* op) { return Ref<Object>::borrow(op); }
};

class ListProxy : public BaseProxy {
  public:
    using BaseProxy::BaseProxy;
    void append(Object* item) { _callmethod("append", {Ref<Object>::borrow(item)}); }
    // l.extend(iterable), a list or a tuple (l += iterable in Python).
    void extend(Object* iterable) { _callmethod("extend", {Ref<Object>::borrow(iterable)}); }
    void insert(long long index, Object* item);
    // l.remove(x): ValueError("list.remove(x): x not in list").
    void remove(Object* item) { _callmethod("remove", {Ref<Object>::borrow(item)}); }
    // l.index(x): ValueError("5 is not in list"). l.count(x). Both compare with ==.
    long long index(Object* item);
    long long count(Object* item);
    void reverse() { _callmethod("reverse"); }
    // l[i], l[i] = x, del l[i]: a negative index counts from the end; IndexError("list index out
    // of range") / ("list assignment index out of range") outside.
    Ref<Object> getitem(long long index);
    void setitem(long long index, Object* item);
    void delitem(long long index);
    // l.pop(index=-1): IndexError("pop from empty list") / ("pop index out of range").
    Ref<Object> pop() { return _callmethod("pop"); }
    Ref<Object> pop(long long index);
    long long len();
    Ref<Object> copy() { return _callmethod("copy"); }
    // l *= n, in the server; returns this proxy (ListProxy.__imul__).
    ListProxy& imul(long long times);
    // l += iterable: ListProxy.__iadd__ sends extend and returns this proxy.
    ListProxy& iadd(Object* iterable);
    ListProxy& operator*=(long long times) { return imul(times); }
    ListProxy& operator+=(Object* iterable) { return iadd(iterable); }

    // BaseListProxy's other exposed methods (managers.py, 3.11):
    // l[2:5] (a plain list), l[1:3] = [..] (a list or tuple; an extended slice takes exactly as
    // many items: ValueError otherwise), del l[::2]. A step of 0: ValueError.
    Ref<Object> getitem(const Slice& slice);
    void setitem(const Slice& slice, Object* items);
    void delitem(const Slice& slice);
    // x in l, compared with ==.
    bool contains(Object* item);
    // l.sort(reverse=...): stable, with Python's `<` (TypeError for '<' between str and int);
    // key= is keyword-only in CPython and must be None here (a function does not pickle).
    void sort(bool reverse = false);
};

// manager.Value(typecode, value): get() / set(value) (CPython's ValueProxy).
class ValueProxy : public BaseProxy {
  public:
    using BaseProxy::BaseProxy;
    Ref<Object> get() { return _callmethod("get"); }
    void set(Object* value) { _callmethod("set", {Ref<Object>::borrow(value)}); }
};

// manager.Lock() and manager.RLock() (AcquirerProxy): the lock lives in the server; an RLock is
// owned by the server thread that serves this proxy's connection.
//
// manager.Semaphore(value=1) and manager.BoundedSemaphore(value=1) are AcquirerProxies too, of a
// threading.Semaphore in the server: ValueError('semaphore initial value must be >= 0') from
// create (a RemoteError, as every failing create), and a BoundedSemaphore released above its
// initial value raises ValueError('Semaphore released too many times').
class AcquirerProxy : public BaseProxy {
  public:
    using BaseProxy::BaseProxy;
    // AcquirerProxy.acquire: sends (blocking,) without a timeout, (blocking, timeout) with one.
    bool acquire(bool blocking = true, std::optional<double> timeout = std::nullopt);
    void release() { _callmethod("release"); }
};

// manager.Condition() (ConditionProxy): a threading.Condition of an RLock in the server, owned by
// the server thread of this proxy's connection. wait/notify without the lock: RuntimeError
// ('cannot wait on un-acquired lock' / 'cannot notify on un-acquired lock').
class ConditionProxy : public AcquirerProxy {
  public:
    using AcquirerProxy::AcquirerProxy;
    // True when notified, False when the timeout ran out.
    bool wait(std::optional<double> timeout = std::nullopt);
    void notify(long long n = 1);
    void notify_all() { _callmethod("notify_all"); }
    // ConditionProxy.wait_for runs in the client: predicate(), then wait() until it holds or the
    // timeout has run out; returns the predicate's last value.
    template <class Predicate>
    bool wait_for(Predicate predicate, std::optional<double> timeout = std::nullopt) {
        bool result = predicate();
        const auto end = std::chrono::steady_clock::now() +
                         std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                             std::chrono::duration<double>(timeout.value_or(0)));
        while (!result) {
            std::optional<double> left;
            if (timeout) {
                left =
                    std::chrono::duration<double>(end - std::chrono::steady_clock::now()).count();
                if (*left <= 0) {
                    break;
                }
            }
            wait(left);
            result = predicate();
        }
        return result;
    }
};

// manager.Barrier(parties, action=None, timeout=None) (BarrierProxy): threading.Barrier in the
// server. wait() returns the arrival index 0..parties-1; BrokenBarrierError once broken (abort(),
// a wait that timed out, a reset() while threads wait) until reset().
class BarrierProxy : public BaseProxy {
  public:
    using BaseProxy::BaseProxy;
    long long wait(std::optional<double> timeout = std::nullopt);
    void abort() { _callmethod("abort"); }
    void reset() { _callmethod("reset"); }
    // The attributes, read with __getattribute__ as BarrierProxy's properties do.
    long long parties();
    long long n_waiting();
    bool broken();
};

// manager.Array(typecode, sequence) (ArrayProxy): an array.array in the server; len, a[i] and
// a[i] = x only (ArrayProxy._exposed_). Items are checked as array.array checks them:
// TypeError, OverflowError ('signed char is greater than maximum'), IndexError('array index out
// of range').
class ArrayProxy : public BaseProxy {
  public:
    using BaseProxy::BaseProxy;
    long long len();
    Ref<Object> getitem(long long index);
    void setitem(long long index, Object* item);
};

// manager.Event() (EventProxy).
class EventProxy : public BaseProxy {
  public:
    using BaseProxy::BaseProxy;
    void set() { _callmethod("set"); }
    void clear() { _callmethod("clear"); }
    bool is_set();
    bool wait(std::optional<double> timeout = std::nullopt);
};

// manager.Namespace() (NamespaceProxy): attributes set and read in the server.
class NamespaceProxy : public BaseProxy {
  public:
    using BaseProxy::BaseProxy;
    Ref<Object> getattr(const std::string& name);
    void setattr(const std::string& name, Object* value);
    // del ns.name: AttributeError('name') when there is none.
    void delattr(const std::string& name);
};

// manager.Queue(): a queue.Queue in the server.
class QueueProxy : public BaseProxy {
  public:
    using BaseProxy::BaseProxy;
    void put(Object* item) { _callmethod("put", {Ref<Object>::borrow(item)}); }
    Ref<Object> get(bool block = true, std::optional<double> timeout = std::nullopt);
    Ref<Object> get_nowait() { return _callmethod("get_nowait"); }
    long long qsize();
};

// SyncManager: start() forks the server process; the proxies it hands out reach it.
class SyncManager {
  public:
    // No address: a fresh unix socket. No authkey: 32 random bytes (CPython takes the process's).
    explicit SyncManager(std::optional<connection::Address> address = std::nullopt,
                         std::optional<std::string> authkey = std::nullopt);
    SyncManager(const SyncManager&) = delete;
    SyncManager& operator=(const SyncManager&) = delete;
    // Shuts the server down if this object started it.
    ~SyncManager();

    void start();
    // Asks the server to stop and waits for its process.
    void shutdown();

    DictProxy dict();
    ListProxy list();
    ValueProxy Value(char typecode, Object* value);
    AcquirerProxy Lock();
    AcquirerProxy RLock();
    AcquirerProxy Semaphore(long long value = 1);
    AcquirerProxy BoundedSemaphore(long long value = 1);
    ConditionProxy Condition();
    // Condition(lock): a Lock, RLock, Semaphore, BoundedSemaphore or Condition of this manager,
    // sent as its proxy (CPython's RebuildProxy hands the server a proxy of its own object). Any
    // other proxy: RemoteError (AttributeError "'ListProxy' object has no attribute 'acquire'").
    // As in CPython, an RLock's Condition never waits or notifies: threading.Condition's
    // _is_owned test, acquire(False), succeeds on an RLock its own connection holds.
    ConditionProxy Condition(const BaseProxy& lock);
    BarrierProxy Barrier(long long parties, std::optional<double> timeout = std::nullopt);
    // Barrier(parties, action, timeout): the server runs a true action when the last party
    // arrives. CPython can send a picklable function (print); nothing our client sends can be
    // called, so that wait() raises TypeError("'int' object is not callable") and breaks the
    // barrier (the others get BrokenBarrierError), as CPython's server does for Barrier(2, 5).
    BarrierProxy Barrier(long long parties, Object* action,
                         std::optional<double> timeout = std::nullopt);
    // Array(typecode, sequence): the sequence a list or tuple.
    ArrayProxy Array(char typecode, Object* sequence);
    EventProxy Event();
    NamespaceProxy Namespace();
    QueueProxy Queue();

    // The server's number_of_objects(): how many objects it holds.
    long long number_of_objects();
    [[nodiscard]] const connection::Address& address() const noexcept { return address_; }
    [[nodiscard]] const std::string& authkey() const noexcept { return authkey_; }
    [[nodiscard]] pid_t pid() const noexcept { return pid_; }

  private:
    Token create(const std::string& type_id, std::vector<Ref<Object>> args = {});
    std::optional<connection::Address> requested_address_;
    connection::Address address_;
    std::string authkey_;
    pid_t pid_ = -1;
};

namespace detail {
// The server process's main: listens on `address` and serves until a 'shutdown' request.
// `ready` receives the bound address (a unix path, or "host:port") once it listens.
[[noreturn]] void serve_forever(connection::Address address, const std::string& authkey,
                                connection::Connection ready);
}  // namespace detail

}  // namespace py::multiprocessing::managers
