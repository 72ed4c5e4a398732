// §7 Manager, the client side (managers.py: dispatch, BaseProxy, BaseManager.start).
#include "py/managers.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <sstream>

#include "error_reply.hpp"
#include "hmac.hpp"
#include "proxy_pickle.hpp"
#include "py/containers.hpp"
#include "py/kata.hpp"
#include "py/pickle.hpp"
#include "py/queues.hpp"
#include "py/scalars.hpp"
#include "slices.hpp"
#include "sockets.hpp"

namespace py::multiprocessing::managers {
namespace {

using connection::Connection;

[[maybe_unused]] Ref<Object> pack_args(const std::vector<Ref<Object>>& items) {
    auto* tuple =
        static_cast<Tuple*>(alloc_object(&Tuple::Type, static_cast<ssize_t>(items.size())));
    for (std::size_t i = 0; i < items.size(); ++i) {
        incref(items[i].get());
        tuple->items()[i] = items[i].get();
    }
    return Ref<Object>::steal(tuple);
}

// convert_to_error: the Python exception a reply carries, as ours.
[[noreturn]] [[maybe_unused]] void raise_error_reply(
    const multiprocessing::detail::ErrorReply& error) {
    PY_KATA_TODO("§7");
}

Connection connect(const connection::Address& address, const std::string& authkey) {
    return connection::Client(address, authkey);
}

}  // namespace

Ref<Object> dispatch(Connection& connection, std::optional<std::string> id,
                     const std::string& method, const std::vector<Ref<Object>>& args,
                     const Kwargs& kwds) {
    PY_KATA_TODO("§7");
}

BaseProxy::BaseProxy(Token token, std::string authkey)
    : token_(std::move(token)), authkey_(std::move(authkey)) {}

BaseProxy::BaseProxy(Object* stored, std::string authkey) : authkey_(std::move(authkey)) {
    PY_KATA_TODO("§7");
}

Ref<Object> BaseProxy::reduce() const {
    PY_KATA_TODO("§7");
    return {};
}

BaseProxy::BaseProxy(const BaseProxy& other) : token_(other.token_), authkey_(other.authkey_) {
    PY_KATA_TODO("§7");
}

BaseProxy::~BaseProxy() {
    if (connection_pid_ != 0 && connection_pid_ != ::getpid()) {
        return;  // a forked child's copy: the reference belongs to the parent
    }
    PY_KATA_TODO_NOEXCEPT("§7");
}

Connection& BaseProxy::connection() {
    // One connection per proxy and process: a forked child must not share its parent's socket.
    if (!connection_ || connection_pid_ != ::getpid()) {
        connection_.emplace(connect(token_.address, authkey_));
        connection_pid_ = ::getpid();
    }
    return *connection_;
}

Ref<Object> BaseProxy::_callmethod(const std::string& method, const std::vector<Ref<Object>>& args,
                                   const Kwargs& kwds) {
    PY_KATA_TODO("§7");
}

std::string BaseProxy::str() {
    const Ref<Object> text = _callmethod("__repr__");
    return std::string(static_cast<Str*>(text.get())->view());
}

std::string BaseProxy::repr() const {
    std::string type = multiprocessing::detail::proxy_class(token_.type_id);
    if (type == "AutoProxy") {
        type += "[" + token_.type_id + "]";  // MakeProxyType's name for an AutoProxy's class
    }
    std::ostringstream out;
    out << "<" << type << " object, typeid '" << token_.type_id << "' at 0x" << std::hex
        << reinterpret_cast<std::uintptr_t>(this) << ">";
    return out.str();
}

long long DictProxy::len() {
    return static_cast<Int*>(_callmethod("__len__").get())->value();
}
bool DictProxy::contains(Object* key) {
    return static_cast<Int*>(_callmethod("__contains__", {ref(key)}).get())->value() != 0;
}
Ref<Object> ListProxy::getitem(long long index) {
    return _callmethod("__getitem__", {Int::create(index)});
}
void ListProxy::setitem(long long index, Object* item) {
    _callmethod("__setitem__", {Int::create(index), Ref<Object>::borrow(item)});
}
void ListProxy::insert(long long index, Object* item) {
    _callmethod("insert", {Int::create(index), Ref<Object>::borrow(item)});
}
long long ListProxy::index(Object* item) {
    return static_cast<Int*>(_callmethod("index", {Ref<Object>::borrow(item)}).get())->value();
}
long long ListProxy::count(Object* item) {
    return static_cast<Int*>(_callmethod("count", {Ref<Object>::borrow(item)}).get())->value();
}
void ListProxy::delitem(long long index) {
    _callmethod("__delitem__", {Int::create(index)});
}
Ref<Object> ListProxy::pop(long long index) {
    return _callmethod("pop", {Int::create(index)});
}
ListProxy& ListProxy::imul(long long times) {
    _callmethod("__imul__", {Int::create(times)});
    return *this;
}
ListProxy& ListProxy::iadd(Object* iterable) {
    _callmethod("extend", {Ref<Object>::borrow(iterable)});
    return *this;
}
namespace {
Ref<Object> slice_object(const Slice& slice) {
    auto part = [](std::optional<long long> value) {
        return value ? Ref<Object>(Int::create(*value)) : None();
    };
    // Pickled as CPython pickles slice(start, stop, step) (slices.hpp).
    return multiprocessing::detail::reduce_slice(part(slice.start).get(), part(slice.stop).get(),
                                                 part(slice.step).get());
}
}  // namespace
Ref<Object> ListProxy::getitem(const Slice& slice) {
    return _callmethod("__getitem__", {slice_object(slice)});
}
void ListProxy::setitem(const Slice& slice, Object* items) {
    _callmethod("__setitem__", {slice_object(slice), Ref<Object>::borrow(items)});
}
void ListProxy::delitem(const Slice& slice) {
    _callmethod("__delitem__", {slice_object(slice)});
}
bool ListProxy::contains(Object* item) {
    return static_cast<Int*>(_callmethod("__contains__", {Ref<Object>::borrow(item)}).get())
               ->value() != 0;
}
void ListProxy::sort(bool reverse) {
    _callmethod("sort", {}, {{"reverse", to_bool(reverse)}});
}
long long ListProxy::len() {
    return static_cast<Int*>(_callmethod("__len__").get())->value();
}
bool AcquirerProxy::acquire(bool blocking, std::optional<double> timeout) {
    std::vector<Ref<Object>> args{to_bool(blocking)};
    if (timeout) {
        args.emplace_back(Float::create(*timeout));
    }
    return static_cast<Int*>(_callmethod("acquire", args).get())->value() != 0;
}
bool ConditionProxy::wait(std::optional<double> timeout) {
    return static_cast<Int*>(
               _callmethod("wait", {timeout ? Ref<Object>(Float::create(*timeout)) : None()}).get())
               ->value() != 0;
}
void ConditionProxy::notify(long long n) {
    _callmethod("notify", {Int::create(n)});
}
long long BarrierProxy::wait(std::optional<double> timeout) {
    return static_cast<Int*>(
               _callmethod("wait", {timeout ? Ref<Object>(Float::create(*timeout)) : None()}).get())
        ->value();
}
long long BarrierProxy::parties() {
    return static_cast<Int*>(_callmethod("__getattribute__", {Str::create("parties")}).get())
        ->value();
}
long long BarrierProxy::n_waiting() {
    return static_cast<Int*>(_callmethod("__getattribute__", {Str::create("n_waiting")}).get())
        ->value();
}
bool BarrierProxy::broken() {
    return static_cast<Int*>(_callmethod("__getattribute__", {Str::create("broken")}).get())
               ->value() != 0;
}
long long ArrayProxy::len() {
    return static_cast<Int*>(_callmethod("__len__").get())->value();
}
Ref<Object> ArrayProxy::getitem(long long index) {
    return _callmethod("__getitem__", {Int::create(index)});
}
void ArrayProxy::setitem(long long index, Object* item) {
    _callmethod("__setitem__", {Int::create(index), Ref<Object>::borrow(item)});
}
bool EventProxy::is_set() {
    return static_cast<Int*>(_callmethod("is_set").get())->value() != 0;
}
bool EventProxy::wait(std::optional<double> timeout) {
    return static_cast<Int*>(
               _callmethod("wait", {timeout ? Ref<Object>(Float::create(*timeout)) : None()}).get())
               ->value() != 0;
}
Ref<Object> NamespaceProxy::getattr(const std::string& name) {
    return _callmethod("__getattribute__", {Str::create(name)});
}
void NamespaceProxy::setattr(const std::string& name, Object* value) {
    _callmethod("__setattr__", {Str::create(name), Ref<Object>::borrow(value)});
}
void NamespaceProxy::delattr(const std::string& name) {
    _callmethod("__delattr__", {Str::create(name)});
}
Ref<Object> QueueProxy::get(bool block, std::optional<double> timeout) {
    return _callmethod("get",
                       {to_bool(block), timeout ? Ref<Object>(Float::create(*timeout)) : None()});
}
long long QueueProxy::qsize() {
    return static_cast<Int*>(_callmethod("qsize").get())->value();
}

SyncManager::SyncManager(std::optional<connection::Address> address,
                         std::optional<std::string> authkey)
    : requested_address_(std::move(address)),
      authkey_(authkey ? std::move(*authkey) : multiprocessing::detail::urandom(32)) {}

SyncManager::~SyncManager() {
    if (pid_ > 0) {
        try {
            shutdown();
        } catch (const BaseException&) {
            int status = 0;
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, &status, 0);
        }
    }
}

void SyncManager::start() {
    PY_KATA_TODO("§7");
}

void SyncManager::shutdown() {
    PY_KATA_TODO("§7");
}

Token SyncManager::create(const std::string& type_id, std::vector<Ref<Object>> args) {
    Connection connection = connect(address_, authkey_);
    args.insert(args.begin(), Str::create(type_id));
    const Ref<Object> reply = dispatch(connection, std::nullopt, "create", args);
    const auto* pair = static_cast<Tuple*>(reply.get());
    return Token{type_id, address_, std::string(static_cast<Str*>(pair->item(0))->view())};
}

DictProxy SyncManager::dict() {
    return DictProxy(create("dict"), authkey_);
}
ListProxy SyncManager::list() {
    return ListProxy(create("list"), authkey_);
}
ValueProxy SyncManager::Value(char typecode, Object* value) {
    return ValueProxy(
        create("Value", {Str::create(std::string(1, typecode)), Ref<Object>::borrow(value)}),
        authkey_);
}
AcquirerProxy SyncManager::Lock() {
    return AcquirerProxy(create("Lock"), authkey_);
}
AcquirerProxy SyncManager::RLock() {
    return AcquirerProxy(create("RLock"), authkey_);
}
AcquirerProxy SyncManager::Semaphore(long long value) {
    return AcquirerProxy(create("Semaphore", {Int::create(value)}), authkey_);
}
AcquirerProxy SyncManager::BoundedSemaphore(long long value) {
    return AcquirerProxy(create("BoundedSemaphore", {Int::create(value)}), authkey_);
}
ConditionProxy SyncManager::Condition() {
    return ConditionProxy(create("Condition"), authkey_);
}
ConditionProxy SyncManager::Condition(const BaseProxy& lock) {
    return ConditionProxy(create("Condition", {lock.reduce()}), authkey_);
}
BarrierProxy SyncManager::Barrier(long long parties, std::optional<double> timeout) {
    return Barrier(parties, None().get(), timeout);
}
BarrierProxy SyncManager::Barrier(long long parties, Object* action,
                                  std::optional<double> timeout) {
    return BarrierProxy(
        create("Barrier", {Int::create(parties), Ref<Object>::borrow(action),
                           timeout ? Ref<Object>(Float::create(*timeout)) : None()}),
        authkey_);
}
ArrayProxy SyncManager::Array(char typecode, Object* sequence) {
    return ArrayProxy(
        create("Array", {Str::create(std::string(1, typecode)), Ref<Object>::borrow(sequence)}),
        authkey_);
}
EventProxy SyncManager::Event() {
    return EventProxy(create("Event"), authkey_);
}
NamespaceProxy SyncManager::Namespace() {
    return NamespaceProxy(create("Namespace"), authkey_);
}
QueueProxy SyncManager::Queue() {
    return QueueProxy(create("Queue"), authkey_);
}

long long SyncManager::number_of_objects() {
    Connection connection = connect(address_, authkey_);
    return static_cast<Int*>(dispatch(connection, std::nullopt, "number_of_objects").get())
        ->value();
}

}  // namespace py::multiprocessing::managers
