// §7 the manager's server process (managers.py: Server). One thread per connection; every object
// is touched only under one server-wide mutex (the server's GIL), which blocking calls (Lock,
// Event, Queue) give up while they wait, through condition variables on that same mutex.
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string_view>
#include <thread>
#include <vector>

#include "error_reply.hpp"
#include "proxy_pickle.hpp"
#include "py/bytes.hpp"
#include "py/containers.hpp"
#include "py/kata.hpp"
#include "py/managers.hpp"
#include "py/pickle.hpp"
#include "py/scalars.hpp"
#include "slices.hpp"
#include "sockets.hpp"

// libgcov's entry point exists only in a coverage build; a weak reference is null otherwise.
extern "C" void __gcov_dump() __attribute__((weak));  // NOLINT(bugprone-reserved-identifier)

namespace py::multiprocessing::managers::detail {
namespace {

using connection::Connection;

// An error whose Python argument is an object (KeyError(key)), not just a message; an empty
// `arg` is an exception raised without arguments.
struct RemoteException {
    std::string name;
    Ref<Object> arg;
};

std::mutex gil;  // the server's one lock around every object
using Gil = std::unique_lock<std::mutex>;

Object* arg(Tuple* args, ssize_t i) {
    if (i >= args->size()) {
        throw TypeError("missing a required argument");
    }
    return args->item(i);
}
bool truthy(Object* op) {
    return Int::check(op) ? static_cast<Int*>(op)->value() != 0 : !is_none(op);
}
double number(Object* op) {
    return op->ob_type == &Float::Type ? static_cast<Float*>(op)->value()
                                       : static_cast<double>(static_cast<Int*>(op)->value());
}
Ref<Object> none() {
    return None();
}

// What a referent is: a table of its exposed methods. call() returns an empty Ref for a method
// that is not exposed.
// What binding keyword arguments needs to know of a method: its qualified name for the messages,
// and its parameters in order, each with its default (null when required). The built-in methods
// of dict and list take positional arguments only, as in CPython.
struct Parameter {
    std::string name;
    Ref<Object> default_value;
};
struct Signature {
    std::string qualname;
    std::vector<Parameter> parameters;
    bool positional_only = false;
    bool keyword_only = false;  // list.sort(*, key=None, reverse=False)
};

struct Referent {
    virtual ~Referent() = default;
    virtual Ref<Object> call(const std::string& method, Tuple* args, Gil& lock) = 0;
    [[nodiscard]] virtual Signature signature(const std::string& method) const = 0;
};

// A request's (args, kwds) as the positional arguments of `signature`, with Python's TypeErrors:
// q.get(timeout=0.5) from a python3 proxy is get(True, 0.5) here.
Ref<Object> bind_arguments(const Signature& signature, Tuple* args, Object* kwds) {
    const bool no_keywords =
        kwds == nullptr || kwds->ob_type != &Dict::Type || static_cast<Dict*>(kwds)->size() == 0;
    if (no_keywords && !signature.keyword_only) {
        return Ref<Object>::borrow(args);
    }
    auto type_error = [](const std::string& text) {
        return RemoteException{"TypeError", Str::create(text)};
    };
    if (signature.positional_only) {
        throw type_error(signature.qualname + "() takes no keyword arguments");
    }
    if (signature.keyword_only && args->size() > 0) {
        throw type_error(signature.qualname + "() takes no positional arguments");
    }
    const auto& parameters = signature.parameters;
    std::vector<Object*> bound(parameters.size(), nullptr);
    const auto given = static_cast<std::size_t>(args->size());
    if (given > parameters.size()) {
        throw type_error(signature.qualname + "() takes " + std::to_string(parameters.size() + 1) +
                         " positional arguments but " + std::to_string(given + 1) +
                         " were given");  // Python counts self
    }
    for (std::size_t i = 0; i < given; ++i) {
        bound[i] = args->item(static_cast<ssize_t>(i));
    }
    const auto keywords = no_keywords ? std::vector<std::pair<Object*, Object*>>{}
                                      : static_cast<Dict*>(kwds)->items();
    for (const auto& [key, value] : keywords) {
        if (key->ob_type != &Str::Type) {
            throw type_error("keywords must be strings");
        }
        const std::string_view name = static_cast<Str*>(key)->view();
        const auto found = std::find_if(parameters.begin(), parameters.end(),
                                        [&](const Parameter& p) { return p.name == name; });
        if (found == parameters.end() && signature.keyword_only) {
            throw type_error("'" + std::string(name) + "' is an invalid keyword argument for " +
                             signature.qualname + "()");
        }
        if (found == parameters.end()) {
            throw type_error(signature.qualname + "() got an unexpected keyword argument '" +
                             std::string(name) + "'");
        }
        const auto index = static_cast<std::size_t>(found - parameters.begin());
        if (bound[index] != nullptr) {
            throw type_error(signature.qualname + "() got multiple values for argument '" +
                             std::string(name) + "'");
        }
        bound[index] = value;
    }
    std::vector<Object*> items;
    for (std::size_t i = 0; i < parameters.size(); ++i) {
        Object* item = bound[i] != nullptr ? bound[i] : parameters[i].default_value.get();
        if (item == nullptr) {
            throw type_error(signature.qualname + "() missing 1 required positional argument: '" +
                             parameters[i].name + "'");
        }
        items.push_back(item);
    }
    auto* tuple =
        static_cast<Tuple*>(alloc_object(&Tuple::Type, static_cast<ssize_t>(items.size())));
    for (std::size_t i = 0; i < items.size(); ++i) {
        incref(items[i]);
        tuple->items()[i] = items[i];
    }
    return Ref<Object>::steal(tuple);
}

Signature builtin_signature(const std::string& type, const std::string& method) {
    return {type + "." + method, {}, true};
}

struct DictReferent : Referent {
    Ref<Dict> dict = Dict::create();
    // dict.update(mapping) for a dict argument.
    void update(Object* other) {
        if (other->ob_type != &Dict::Type) {
            throw RemoteException{"TypeError",
                                  Str::create("'" + std::string(other->ob_type->tp_name) +
                                              "' object is not iterable")};
        }
        for (const auto& [key, value] : static_cast<Dict*>(other)->items()) {
            dict->setitem(key, value);
        }
    }
    Ref<Object> call(const std::string& method, Tuple* args, Gil& /*lock*/) override {
        if (method == "__setitem__") {
            dict->setitem(arg(args, 0), arg(args, 1));
            return none();
        }
        if (method == "__getitem__" || method == "__delitem__") {
            Object* key = arg(args, 0);
            if (!dict->contains(key)) {
                throw RemoteException{"KeyError", Ref<Object>::borrow(key)};
            }
            if (method == "__delitem__") {
                dict->delitem(key);
                return none();
            }
            return Ref<Object>::borrow(dict->getitem(key));
        }
        if (method == "get") {  // get(key, default=None)
            Object* found = dict->get(arg(args, 0));
            return Ref<Object>::borrow(found != nullptr   ? found
                                       : args->size() > 1 ? args->item(1)
                                                          : none().get());
        }
        if (method == "pop") {  // pop(key[, default])
            Object* key = arg(args, 0);
            Object* found = dict->get(key);
            if (found == nullptr) {
                if (args->size() > 1) {
                    return Ref<Object>::borrow(args->item(1));
                }
                throw RemoteException{"KeyError", Ref<Object>::borrow(key)};
            }
            Ref<Object> value = Ref<Object>::borrow(found);
            dict->delitem(key);
            return value;
        }
        if (method == "setdefault") {  // setdefault(key, default=None)
            Object* key = arg(args, 0);
            if (!dict->contains(key)) {
                dict->setitem(key, args->size() > 1 ? args->item(1) : none().get());
            }
            return Ref<Object>::borrow(dict->getitem(key));
        }
        if (method == "popitem") {  // the last item, as CPython's (LIFO)
            const auto all = dict->items();
            if (all.empty()) {
                throw RemoteException{"KeyError", Str::create("popitem(): dictionary is empty")};
            }
            const auto [key, value] = all.back();
            Ref<Object> pair = Tuple::pack({key, value});
            dict->delitem(key);
            return pair;
        }
        if (method == "update") {
            update(arg(args, 0));
            return none();
        }
        if (method == "clear") {
            for (Object* key : dict->keys()) {
                dict->delitem(key);
            }
            return none();
        }
        if (method == "__len__") {
            return Int::create(dict->size());
        }
        if (method == "__contains__") {
            return to_bool(dict->contains(arg(args, 0)));
        }
        if (method == "keys" || method == "items" || method == "values" || method == "copy") {
            auto list = List::create();
            auto copy = Dict::create();
            for (const auto& [key, value] : dict->items()) {
                if (method == "keys") {
                    list->append(key);
                } else if (method == "items") {
                    list->append(Tuple::pack({key, value}).get());
                } else if (method == "values") {
                    list->append(value);
                } else {
                    copy->setitem(key, value);
                }
            }
            return method == "copy" ? Ref<Object>(copy) : Ref<Object>(list);
        }
        if (method == "__repr__") {
            return Str::create(repr(dict.get()));
        }
        return {};  // not exposed
    }
    [[nodiscard]] Signature signature(const std::string& method) const override {
        return builtin_signature("dict", method);
    }
};

// The items of a list or tuple argument (list.extend, list(iterable) in create); anything else
// is the TypeError of iterating it.
std::vector<Ref<Object>> items_of(Object* iterable) {
    std::vector<Ref<Object>> out;
    if (iterable->ob_type == &List::Type) {
        auto* list = static_cast<List*>(iterable);
        for (ssize_t i = 0; i < list->size(); ++i) {
            out.push_back(Ref<Object>::borrow(list->item(i)));
        }
    } else if (iterable->ob_type == &Tuple::Type) {
        auto* tuple = static_cast<Tuple*>(iterable);
        for (ssize_t i = 0; i < tuple->size(); ++i) {
            out.push_back(Ref<Object>::borrow(tuple->item(i)));
        }
    } else {
        throw RemoteException{"TypeError",
                              Str::create("'" + std::string(iterable->ob_type->tp_name) +
                                          "' object is not iterable")};
    }
    return out;
}

Ref<Object> as_list(const std::vector<Ref<Object>>& items) {
    auto list = List::create();
    for (const auto& item : items) {
        list->append(item.get());
    }
    return list;
}

long long integer(Object* op, const char* what) {
    if (!Int::check(op)) {
        throw RemoteException{"TypeError",
                              Str::create(std::string(what) + " must be integers, not '" +
                                          op->ob_type->tp_name + "'")};
    }
    return static_cast<Int*>(op)->value();
}

// A slice's parts made concrete for a sequence of n items (PySlice_Unpack and
// PySlice_AdjustIndices, Objects/sliceobject.c): the first index, the step and how many.
struct SliceIndices {
    long long start;
    long long step;
    long long length;
};

SliceIndices slice_indices(Object* start_part, Object* stop_part, Object* step_part, long long n) {
    PY_KATA_TODO("§7");
}

// Python's a < b for the values a manager's list sorts: numbers, str, bytes, and tuples and
// lists of them (lexicographic); other pairs are the TypeError CPython raises.
bool less(Object* a, Object* b) {
    auto is_number = [](Object* op) { return Int::check(op) || op->ob_type == &Float::Type; };
    if (is_number(a) && is_number(b)) {
        if (Int::check(a) && Int::check(b)) {
            return static_cast<Int*>(a)->value() < static_cast<Int*>(b)->value();
        }
        return number(a) < number(b);
    }
    if (a->ob_type == b->ob_type && a->ob_type == &Str::Type) {
        return static_cast<Str*>(a)->view() < static_cast<Str*>(b)->view();  // UTF-8 keeps order
    }
    if (a->ob_type == b->ob_type && a->ob_type == &Bytes::Type) {
        return static_cast<Bytes*>(a)->view() < static_cast<Bytes*>(b)->view();
    }
    if (a->ob_type == b->ob_type && (a->ob_type == &Tuple::Type || a->ob_type == &List::Type)) {
        const std::vector<Ref<Object>> left = items_of(a);
        const std::vector<Ref<Object>> right = items_of(b);
        for (std::size_t i = 0; i < left.size() && i < right.size(); ++i) {
            if (!equal(left[i].get(), right[i].get())) {
                return less(left[i].get(), right[i].get());
            }
        }
        return left.size() < right.size();
    }
    throw RemoteException{"TypeError",
                          Str::create(std::string("'<' not supported between "
                                                  "instances of '") +
                                      a->ob_type->tp_name + "' and '" + b->ob_type->tp_name + "'")};
}

// The list lives as a vector of references, so that insert, remove and del are plain vector
// operations; a reply that is a list (copy, +, *) is built from it.
struct ListReferent : Referent {
    std::vector<Ref<Object>> items;

    // items[i] for a Python index (negative from the end); IndexError(message) outside.
    std::size_t position(Object* index, const char* message) const {
        if (!Int::check(index)) {
            throw RemoteException{"TypeError",
                                  Str::create(std::string("list indices must be integers or "
                                                          "slices, not ") +
                                              index->ob_type->tp_name)};
        }
        long long i = static_cast<Int*>(index)->value();
        const auto n = static_cast<long long>(items.size());
        if (i < 0) {
            i += n;
        }
        if (i < 0 || i >= n) {
            throw RemoteException{"IndexError", Str::create(message)};
        }
        return static_cast<std::size_t>(i);
    }
    // The first position in [from, to) of an item equal to x, or items.size().
    std::size_t find(Object* x, std::size_t from = 0,
                     std::size_t to = static_cast<std::size_t>(-1)) const {
        to = std::min(to, items.size());
        for (std::size_t i = from; i < to; ++i) {
            if (equal(items[i].get(), x)) {
                return i;
            }
        }
        return items.size();
    }
    // list.index's start and stop: slice-style bounds (negative from the end, then clamped).
    [[nodiscard]] std::size_t bound(Object* op) const {
        if (!Int::check(op)) {
            throw RemoteException{
                "TypeError",
                Str::create("slice indices must be integers or have an __index__ method")};
        }
        const auto n = static_cast<long long>(items.size());
        long long i = static_cast<Int*>(op)->value();
        i = i < 0 ? std::max(i + n, 0LL) : std::min(i, n);
        return static_cast<std::size_t>(i);
    }
    Ref<Object> repeated(Object* times) const {
        if (!Int::check(times)) {
            throw RemoteException{"TypeError",
                                  Str::create(std::string("can't multiply sequence by non-int of "
                                                          "type '") +
                                              times->ob_type->tp_name + "'")};
        }
        std::vector<Ref<Object>> out;
        for (long long k = 0; k < static_cast<Int*>(times)->value(); ++k) {
            out.insert(out.end(), items.begin(), items.end());
        }
        return as_list(out);
    }

    Ref<Object> call(const std::string& method, Tuple* args, Gil& /*lock*/) override {
        if (method == "append") {
            items.push_back(Ref<Object>::borrow(arg(args, 0)));
            return none();
        }
        if (method == "extend") {
            for (auto& item : items_of(arg(args, 0))) {
                items.push_back(std::move(item));
            }
            return none();
        }
        if (method == "insert") {  // list.insert clamps the index
            long long at = integer(arg(args, 0), "list indices");
            const auto n = static_cast<long long>(items.size());
            at = std::clamp(at < 0 ? at + n : at, 0LL, n);
            items.insert(items.begin() + at, Ref<Object>::borrow(arg(args, 1)));
            return none();
        }
        if (Object* parts =
                args->size() > 0 ? multiprocessing::detail::slice_parts(args->item(0)) : nullptr;
            parts != nullptr &&
            (method == "__getitem__" || method == "__setitem__" || method == "__delitem__")) {
            return call_with_slice(method, static_cast<Tuple*>(parts), args);
        }
        if (method == "__getitem__") {
            return items[position(arg(args, 0), "list index out of range")];
        }
        if (method == "__setitem__") {
            items[position(arg(args, 0), "list assignment index out of range")] =
                Ref<Object>::borrow(arg(args, 1));
            return none();
        }
        if (method == "sort") {  // sort(*, key=None, reverse=False), bound by signature()
            if (!is_none(arg(args, 0))) {
                throw RemoteException{"TypeError",
                                      Str::create("the manager's list sorts with key=None only")};
            }
            sort(truthy(arg(args, 1)));
            return none();
        }
        if (method == "__delitem__") {
            items.erase(items.begin() + static_cast<std::ptrdiff_t>(position(
                                            arg(args, 0), "list assignment index out of range")));
            return none();
        }
        if (method == "pop") {
            if (items.empty()) {
                throw RemoteException{"IndexError", Str::create("pop from empty list")};
            }
            const Ref<Object> last = Int::create(-1);
            const std::size_t at =
                position(args->size() > 0 ? args->item(0) : last.get(), "pop index out of range");
            Ref<Object> item = std::move(items[at]);
            items.erase(items.begin() + static_cast<std::ptrdiff_t>(at));
            return item;
        }
        if (method == "remove" || method == "index") {  // index(x, start=0, stop=maxsize)
            const bool ranged = method == "index" && args->size() > 1;
            const std::size_t at =
                find(arg(args, 0), ranged ? bound(args->item(1)) : 0,
                     ranged && args->size() > 2 ? bound(args->item(2)) : items.size());
            if (at == items.size()) {
                throw RemoteException{
                    "ValueError",
                    Str::create(method == "remove" ? "list.remove(x): x not in list"
                                                   : repr(arg(args, 0)) + " is not in list")};
            }
            if (method == "index") {
                return Int::create(static_cast<long long>(at));
            }
            items.erase(items.begin() + static_cast<std::ptrdiff_t>(at));
            return none();
        }
        if (method == "count") {
            return Int::create(static_cast<long long>(std::count_if(
                items.begin(), items.end(),
                [&](const Ref<Object>& item) { return equal(item.get(), arg(args, 0)); })));
        }
        if (method == "__contains__") {
            return to_bool(find(arg(args, 0)) != items.size());
        }
        if (method == "reverse") {
            std::reverse(items.begin(), items.end());
            return none();
        }
        if (method == "clear") {
            items.clear();
            return none();
        }
        if (method == "__len__") {
            return Int::create(static_cast<long long>(items.size()));
        }
        if (method == "copy") {
            return as_list(items);
        }
        if (method == "__add__") {  // ListProxy's l + [5, 6]: a plain list comes back
            std::vector<Ref<Object>> out = items;
            for (auto& item : items_of(arg(args, 0))) {
                out.push_back(std::move(item));
            }
            return as_list(out);
        }
        if (method == "__mul__" || method == "__rmul__") {
            return repeated(arg(args, 0));
        }
        if (method == "__imul__") {  // ListProxy's l *= 2
            const Ref<Object> twice = repeated(arg(args, 0));
            items = items_of(twice.get());
            return none();
        }
        if (method == "__repr__") {
            return Str::create(repr(as_list(items).get()));
        }
        return {};  // not exposed
    }
    [[nodiscard]] Signature signature(const std::string& method) const override {
        if (method == "sort") {
            return {"sort", {{"key", None()}, {"reverse", False()}}, false, true};
        }
        return builtin_signature("list", method);
    }

    // l[start:stop:step] for the three parts of a slice: get, set (l[1:3] = [...]) or delete.
    Ref<Object> call_with_slice(const std::string& method, Tuple* parts, Tuple* args) {
        const SliceIndices at = slice_indices(parts->item(0), parts->item(1), parts->item(2),
                                              static_cast<long long>(items.size()));
        std::vector<std::size_t> chosen;
        chosen.reserve(static_cast<std::size_t>(at.length));
        for (long long k = 0, i = at.start; k < at.length; ++k, i += at.step) {
            chosen.push_back(static_cast<std::size_t>(i));
        }
        if (method == "__getitem__") {
            std::vector<Ref<Object>> out;
            out.reserve(chosen.size());
            for (const std::size_t i : chosen) {
                out.push_back(items[i]);
            }
            return as_list(out);
        }
        if (method == "__delitem__") {
            std::vector<bool> drop(items.size(), false);
            for (const std::size_t i : chosen) {
                drop[i] = true;
            }
            std::vector<Ref<Object>> kept;
            for (std::size_t i = 0; i < items.size(); ++i) {
                if (!drop[i]) {
                    kept.push_back(items[i]);
                }
            }
            items = std::move(kept);
            return none();
        }
        Object* value = arg(args, 1);
        if (value->ob_type != &List::Type && value->ob_type != &Tuple::Type) {
            throw RemoteException{"TypeError",
                                  Str::create(at.step == 1 ? "can only assign an iterable"
                                                           : "must assign iterable to "
                                                             "extended slice")};
        }
        std::vector<Ref<Object>> replacement = items_of(value);
        if (at.step == 1) {  // a plain slice may change the list's length
            const auto begin = items.begin() + at.start;
            items.erase(begin, begin + at.length);
            items.insert(items.begin() + at.start, replacement.begin(), replacement.end());
            return none();
        }
        if (static_cast<long long>(replacement.size()) != at.length) {
            throw RemoteException{"ValueError", Str::create("attempt to assign sequence of size " +
                                                            std::to_string(replacement.size()) +
                                                            " to extended slice of size " +
                                                            std::to_string(at.length))};
        }
        for (std::size_t k = 0; k < chosen.size(); ++k) {
            items[chosen[k]] = replacement[k];
        }
        return none();
    }

    // list.sort(reverse=...): stable, with `<` only; reverse=True reverses before and after, so
    // equal items keep their order (as listobject.c does). A failing comparison leaves the list
    // as it was (CPython leaves some permutation of it).
    void sort(bool reverse) {
        std::vector<Ref<Object>> sorted = items;
        if (reverse) {
            std::reverse(sorted.begin(), sorted.end());
        }
        std::stable_sort(
            sorted.begin(), sorted.end(),
            [](const Ref<Object>& a, const Ref<Object>& b) { return less(a.get(), b.get()); });
        if (reverse) {
            std::reverse(sorted.begin(), sorted.end());
        }
        items = std::move(sorted);
    }
};

struct ValueReferent : Referent {
    Ref<Object> typecode;
    Ref<Object> value;
    Ref<Object> call(const std::string& method, Tuple* args, Gil& /*lock*/) override {
        if (method == "get") {
            return value;
        }
        if (method == "set") {
            value = Ref<Object>::borrow(arg(args, 0));
            return none();
        }
        if (method == "__repr__") {
            // managers.Value.__repr__: "Value('i', 42)"
            return Str::create("Value(" + repr(typecode.get()) + ", " + repr(value.get()) + ")");
        }
        return {};  // not exposed
    }
    [[nodiscard]] Signature signature(const std::string& method) const override {
        if (method == "set") {
            return {"Value.set", {{"value", {}}}};
        }
        return {"Value." + method, {}};
    }
};

struct NamespaceReferent : Referent {
    Ref<Dict> attributes = Dict::create();
    Ref<Object> call(const std::string& method, Tuple* args, Gil& /*lock*/) override {
        if (method == "__getattribute__") {
            Object* found = attributes->get(arg(args, 0));
            if (found == nullptr) {
                throw RemoteException{
                    "AttributeError",
                    Str::create("'Namespace' object has no attribute " + repr(arg(args, 0)))};
            }
            return Ref<Object>::borrow(found);
        }
        if (method == "__setattr__") {
            attributes->setitem(arg(args, 0), arg(args, 1));
            return none();
        }
        if (method == "__delattr__") {
            if (!attributes->contains(arg(args, 0))) {
                throw RemoteException{
                    "AttributeError",
                    Str::create(std::string(static_cast<Str*>(arg(args, 0))->view()))};
            }
            attributes->delitem(arg(args, 0));
            return none();
        }
        if (method == "__repr__") {
            // Namespace.__repr__: the public attributes, sorted, as name=repr(value).
            std::vector<std::string> shown;
            for (const auto& [name, value] : attributes->items()) {
                const std::string_view text = static_cast<Str*>(name)->view();
                if (!text.starts_with('_')) {
                    shown.push_back(std::string(text) + "=" + repr(value));
                }
            }
            std::sort(shown.begin(), shown.end());
            std::string out = "Namespace(";
            for (std::size_t i = 0; i < shown.size(); ++i) {
                out += (i == 0 ? "" : ", ") + shown[i];
            }
            return Str::create(out + ")");
        }
        return {};  // not exposed
    }
    [[nodiscard]] Signature signature(const std::string& method) const override {
        return builtin_signature("Namespace", method);
    }
};

// threading.Lock / RLock semantics, waiting on the server's GIL.
struct LockReferent : Referent {
    explicit LockReferent(bool reentrant) : reentrant(reentrant) {}
    bool reentrant;
    std::thread::id owner;
    int count = 0;
    std::condition_variable freed;
    Ref<Object> call(const std::string& method, Tuple* args, Gil& lock) override {
        const auto me = std::this_thread::get_id();
        if (method == "acquire") {
            const bool blocking = args->size() < 1 || truthy(args->item(0));
            const double timeout = args->size() < 2 ? -1.0 : number(args->item(1));
            if (reentrant && count > 0 && owner == me) {
                ++count;
                return True();
            }
            auto is_free = [&] { return count == 0; };
            bool got = is_free();
            if (!got && blocking) {
                if (timeout < 0) {
                    freed.wait(lock, is_free);
                    got = true;
                } else {
                    got = freed.wait_for(lock, std::chrono::duration<double>(timeout), is_free);
                }
            }
            if (got) {
                owner = me;
                count = 1;
            }
            return to_bool(got);
        }
        if (method == "release") {
            if (count == 0 || (reentrant && owner != me)) {
                throw RemoteException{"RuntimeError",
                                      Str::create(reentrant ? "cannot release un-acquired lock"
                                                            : "release unlocked lock")};
            }
            if (--count == 0) {
                freed.notify_one();
            }
            return none();
        }
        return {};  // not exposed
    }
    [[nodiscard]] Signature signature(const std::string& method) const override {
        // _thread.lock.acquire(blocking=True, timeout=-1)
        const std::string type = reentrant ? "_thread.RLock." : "_thread.lock.";
        if (method == "acquire") {
            return {type + method, {{"blocking", True()}, {"timeout", Float::create(-1.0)}}};
        }
        return {type + method, {}};
    }
};

struct EventReferent : Referent {
    bool flag = false;
    std::condition_variable changed;
    Ref<Object> call(const std::string& method, Tuple* args, Gil& lock) override {
        if (method == "set") {
            flag = true;
            changed.notify_all();
            return none();
        }
        if (method == "clear") {
            flag = false;
            return none();
        }
        if (method == "is_set") {
            return to_bool(flag);
        }
        if (method == "wait") {
            if (args->size() >= 1 && !is_none(args->item(0))) {
                changed.wait_for(lock, std::chrono::duration<double>(number(args->item(0))),
                                 [&] { return flag; });
            } else {
                changed.wait(lock, [&] { return flag; });
            }
            return to_bool(flag);
        }
        return {};  // not exposed
    }
    [[nodiscard]] Signature signature(const std::string& method) const override {
        if (method == "wait") {
            return {"Event.wait", {{"timeout", None()}}};
        }
        return {"Event." + method, {}};
    }
};

// threading.Semaphore / BoundedSemaphore (Lib/threading.py): a counter, waited on under the GIL.
struct SemaphoreReferent : Referent {
    SemaphoreReferent(long long value, bool bounded)
        : value(value), initial(value), bounded(bounded) {}
    long long value;
    long long initial;
    bool bounded;
    std::condition_variable available;
    Ref<Object> call(const std::string& method, Tuple* args, Gil& lock) override {
        if (method == "acquire") {  // acquire(blocking=True, timeout=None)
            // AcquirerProxy sends (blocking,) or (blocking, timeout): the defaults fill the rest.
            const bool blocking = args->size() < 1 || truthy(args->item(0));
            Object* timeout = args->size() < 2 ? none().get() : args->item(1);
            if (!blocking && !is_none(timeout)) {
                throw RemoteException{
                    "ValueError", Str::create("can't specify timeout for non-blocking acquire")};
            }
            auto ready = [&] { return value > 0; };
            if (blocking && is_none(timeout)) {
                available.wait(lock, ready);
            } else if (blocking) {
                available.wait_for(lock, std::chrono::duration<double>(number(timeout)), ready);
            }
            if (!ready()) {
                return False();
            }
            --value;
            return True();
        }
        if (method == "release") {  // release(n=1)
            const long long n = args->size() < 1 ? 1 : integer(args->item(0), "n");
            if (n < 1) {
                throw RemoteException{"ValueError", Str::create("n must be one or more")};
            }
            if (bounded && value + n > initial) {
                throw RemoteException{"ValueError",
                                      Str::create("Semaphore released too many times")};
            }
            value += n;
            for (long long i = 0; i < n; ++i) {
                available.notify_one();
            }
            return none();
        }
        return {};  // not exposed
    }
    [[nodiscard]] Signature signature(const std::string& method) const override {
        const std::string type = bounded ? "BoundedSemaphore." : "Semaphore.";
        if (method == "acquire") {
            return {type + method, {{"blocking", True()}, {"timeout", None()}}};
        }
        if (method == "release") {
            return {type + method, {{"n", Int::create(1)}}};
        }
        return {type + method, {}};
    }
};

// threading.Condition(lock=None): notify(n) wakes the n longest waiters, each of which takes the
// lock back before wait() returns. Without a lock it makes its own RLock, whose _release_save
// gives it up all the way (with its recursion count). manager.Condition(lock) passes a proxy of
// this server: RebuildProxy gives the server a proxy of it, and threading.Condition, finding no
// _is_owned or _release_save on a proxy, uses plain acquire() and release() (`external`).
struct ConditionReferent : Referent {
    explicit ConditionReferent(Referent* external = nullptr) : external(external) {}
    LockReferent lock{true};
    Referent* external;  // the lock's referent, kept by id_to_local_proxy_obj (never erased)
    struct Waiter {
        bool notified = false;
        std::condition_variable woken;
    };
    std::deque<Waiter*> waiters;

    [[nodiscard]] bool owned(Gil& gil_lock) const {
        if (external == nullptr) {
            return lock.count > 0 && lock.owner == std::this_thread::get_id();
        }
        return !was_free(gil_lock);
    }
    // Condition._is_owned for a lock without one: acquire(False) succeeding means it was not
    // held (it is released again). An RLock that this connection holds is acquired again, so
    // CPython's manager.Condition(manager.RLock()) can never wait or notify: we match it.
    [[nodiscard]] bool was_free(Gil& gil_lock) const {
        auto got = external->call(
            "acquire", static_cast<Tuple*>(Tuple::pack({False().get()}).get()), gil_lock);
        if (!truthy(got.get())) {
            return false;
        }
        external->call("release", static_cast<Tuple*>(Tuple::pack({}).get()), gil_lock);
        return true;
    }
    Ref<Object> call(const std::string& method, Tuple* args, Gil& gil_lock) override {
        if (method == "acquire" || method == "release") {
            return external != nullptr ? external->call(method, args, gil_lock)
                                       : lock.call(method, args, gil_lock);
        }
        if (method == "wait") {  // wait(timeout=None)
            if (!owned(gil_lock)) {
                throw RemoteException{"RuntimeError",
                                      Str::create("cannot wait on un-acquired lock")};
            }
            Waiter me;
            waiters.push_back(&me);
            int saved = 0;
            if (external != nullptr) {
                external->call("release", static_cast<Tuple*>(Tuple::pack({}).get()), gil_lock);
            } else {
                saved = std::exchange(lock.count, 0);  // _release_save: all the way
                lock.freed.notify_one();
            }
            Object* timeout = args->size() < 1 ? none().get() : args->item(0);
            if (is_none(timeout)) {
                me.woken.wait(gil_lock, [&] { return me.notified; });
            } else {
                me.woken.wait_for(gil_lock, std::chrono::duration<double>(number(timeout)),
                                  [&] { return me.notified; });
            }
            if (!me.notified) {
                waiters.erase(std::find(waiters.begin(), waiters.end(), &me));
            }
            if (external != nullptr) {  // _acquire_restore: a blocking acquire()
                external->call("acquire", static_cast<Tuple*>(Tuple::pack({}).get()), gil_lock);
            } else {
                lock.freed.wait(gil_lock, [&] { return lock.count == 0; });  // _acquire_restore
                lock.owner = std::this_thread::get_id();
                lock.count = saved;
            }
            return to_bool(me.notified);
        }
        if (method == "notify" || method == "notify_all") {
            if (!owned(gil_lock)) {
                throw RemoteException{"RuntimeError",
                                      Str::create("cannot notify on un-acquired lock")};
            }
            long long n = method == "notify_all" ? static_cast<long long>(waiters.size())
                          : args->size() < 1     ? 1
                                                 : integer(args->item(0), "n");
            while (n-- > 0 && !waiters.empty()) {
                Waiter* waiter = waiters.front();
                waiters.pop_front();
                waiter->notified = true;
                waiter->woken.notify_one();
            }
            return none();
        }
        return {};  // not exposed
    }
    [[nodiscard]] Signature signature(const std::string& method) const override {
        if (method == "acquire" || method == "release") {
            return external != nullptr ? external->signature(method) : lock.signature(method);
        }
        if (method == "wait") {
            return {"Condition.wait", {{"timeout", None()}}};
        }
        if (method == "notify") {
            return {"Condition.notify", {{"n", Int::create(1)}}};
        }
        return {"Condition." + method, {}};
    }
};

// threading.Barrier(parties, action=None, timeout=None): its states as Lib/threading.py has them.
struct BarrierReferent : Referent {
    enum State { Filling = 0, Draining = 1, Resetting = -1, Broken = -2 };
    BarrierReferent(long long parties, Ref<Object> action, Ref<Object> timeout)
        : parties(parties), action(std::move(action)), default_timeout(std::move(timeout)) {}
    long long parties;
    Ref<Object> action;
    Ref<Object> default_timeout;
    State state = Filling;
    long long count = 0;
    std::condition_variable changed;

    static RemoteException broken_error() { return RemoteException{"BrokenBarrierError", {}}; }
    void break_barrier() {  // _break
        state = Broken;
        changed.notify_all();
    }
    // self._action() in _release, for a true action, by the last party to arrive. No object that
    // reaches this server can be called (a function pickles as a global our find_class refuses),
    // so the call fails as CPython's call of it does, and wait() breaks the barrier.
    void call_action() const { PY_KATA_TODO("§7"); }
    Ref<Object> call(const std::string& method, Tuple* args, Gil& lock) override {
        if (method == "wait") {
            Object* given = args->size() < 1 ? none().get() : args->item(0);
            Object* timeout = is_none(given) ? default_timeout.get() : given;
            return Int::create(wait(timeout, lock));
        }
        if (method == "abort") {
            break_barrier();
            return none();
        }
        if (method == "reset") {
            if (count > 0) {
                if (state == Filling || state == Broken) {
                    state = Resetting;  // cleared by the last thread to leave
                }
            } else {
                state = Filling;
            }
            changed.notify_all();
            return none();
        }
        if (method == "__getattribute__") {
            Object* attribute = arg(args, 0);
            if (attribute->ob_type != &Str::Type) {
                throw RemoteException{"TypeError",
                                      Str::create(std::string("attribute name must be string, "
                                                              "not '") +
                                                  attribute->ob_type->tp_name + "'")};
            }
            const std::string_view name = static_cast<Str*>(attribute)->view();
            if (name == "parties") {
                return Int::create(parties);
            }
            if (name == "n_waiting") {
                return Int::create(state == Filling ? count : 0);
            }
            if (name == "broken") {
                return to_bool(state == Broken);
            }
            throw RemoteException{
                "AttributeError",
                Str::create("'Barrier' object has no attribute '" + std::string(name) + "'")};
        }
        if (method == "_wait_for_waiters") {
            // Not CPython's: a test's hand-off. Returns once `n` parties wait in this barrier, so
            // a test can reset() or abort() while they do without polling n_waiting.
            const long long n = integer(arg(args, 0), "n");
            changed.wait(lock, [&] { return state == Filling && count == n; });
            return none();
        }
        if (method == "__repr__") {
            return Str::create(state == Broken ? "<threading.Barrier: broken>"
                                               : "<threading.Barrier: waiters=" +
                                                     std::to_string(state == Filling ? count : 0) +
                                                     "/" + std::to_string(parties) + ">");
        }
        return {};  // not exposed
    }
    long long wait(Object* timeout, Gil& lock) { PY_KATA_TODO("§7"); }
    [[nodiscard]] Signature signature(const std::string& method) const override {
        if (method == "wait") {
            return {"Barrier.wait", {{"timeout", None()}}};
        }
        return {"Barrier." + method, {}};
    }
};

// array.array(typecode, sequence): the items kept as objects, each checked on the way in as
// Modules/arraymodule.c checks it for its typecode.
struct ArrayReferent : Referent {
    char typecode;
    std::vector<Ref<Object>> items;

    ArrayReferent(Object* code, Object* sequence) {
        if (code->ob_type != &Str::Type || static_cast<Str*>(code)->view().size() != 1) {
            throw RemoteException{"TypeError",
                                  Str::create(std::string("array() argument 1 must be a unicode "
                                                          "character, not ") +
                                              code->ob_type->tp_name)};
        }
        typecode = static_cast<Str*>(code)->view()[0];
        if (std::string_view("bBuhHiIlLqQfd").find(typecode) == std::string_view::npos) {
            throw RemoteException{
                "ValueError",
                Str::create("bad typecode (must be b, B, u, h, H, i, I, l, L, q, Q, f or d)")};
        }
        for (auto& item : items_of(sequence)) {
            items.push_back(checked(item.get()));
        }
    }
    // The item as the array stores it (an int, a float, a one-character str), or the error.
    [[nodiscard]] Ref<Object> checked(Object* item) const {
        if (typecode == 'u') {
            // One code point: exactly one byte of the UTF-8 that is not a continuation byte.
            auto code_points = [](std::string_view text) {
                return std::count_if(text.begin(), text.end(), [](char c) {
                    return (static_cast<unsigned char>(c) & 0xc0) != 0x80;
                });
            };
            if (item->ob_type != &Str::Type || code_points(static_cast<Str*>(item)->view()) != 1) {
                throw RemoteException{"TypeError",
                                      Str::create("array item must be unicode character")};
            }
            return Ref<Object>::borrow(item);
        }
        if (typecode == 'f' || typecode == 'd') {
            if (!Int::check(item) && item->ob_type != &Float::Type) {
                throw RemoteException{
                    "TypeError",
                    Str::create(std::string("must be real number, not ") + item->ob_type->tp_name)};
            }
            return Float::create(number(item));
        }
        if (!Int::check(item)) {
            throw RemoteException{"TypeError",
                                  Str::create("'" + std::string(item->ob_type->tp_name) +
                                              "' object cannot be interpreted as "
                                              "an integer")};
        }
        const long long value = static_cast<Int*>(item)->value();
        struct Range {
            char code;
            long long low;
            long long high;
            const char* name;
        };
        // The messages of arraymodule.c's setters (b, B, h, H, i); the wider unsigned codes say
        // "can't convert negative value to unsigned int" (I, L) or "...negative int to unsigned".
        static constexpr Range ranges[] = {
            {'b', -128, 127, "signed char is "},
            {'B', 0, 255, "unsigned byte integer is "},
            {'h', -32768, 32767, "signed short integer is "},
            {'H', 0, 65535, "unsigned short is "},
            {'i', -2147483648LL, 2147483647LL, "signed integer is "},
        };
        for (const auto& range : ranges) {
            if (range.code == typecode && (value < range.low || value > range.high)) {
                throw RemoteException{"OverflowError",
                                      Str::create(std::string(range.name) +
                                                  (value < range.low ? "less than minimum"
                                                                     : "greater than maximum"))};
            }
        }
        if (value < 0 && (typecode == 'I' || typecode == 'L')) {
            throw RemoteException{"OverflowError",
                                  Str::create("can't convert negative value to unsigned int")};
        }
        if (value < 0 && typecode == 'Q') {
            throw RemoteException{"OverflowError",
                                  Str::create("can't convert negative int to unsigned")};
        }
        if (typecode == 'I' && value > 4294967295LL) {
            throw RemoteException{"OverflowError",
                                  Str::create("unsigned int is greater than maximum")};
        }
        return Int::create(value);
    }
    std::size_t position(Object* index, const char* message) const {
        if (!Int::check(index)) {
            throw RemoteException{"TypeError", Str::create("array indices must be integers")};
        }
        long long i = static_cast<Int*>(index)->value();
        const auto n = static_cast<long long>(items.size());
        i = i < 0 ? i + n : i;
        if (i < 0 || i >= n) {
            throw RemoteException{"IndexError", Str::create(message)};
        }
        return static_cast<std::size_t>(i);
    }
    Ref<Object> call(const std::string& method, Tuple* args, Gil& /*lock*/) override {
        if (method == "__len__") {
            return Int::create(static_cast<long long>(items.size()));
        }
        if (method == "__getitem__") {
            return items[position(arg(args, 0), "array index out of range")];
        }
        if (method == "__setitem__") {
            const std::size_t at = position(arg(args, 0), "array assignment index out of range");
            items[at] = checked(arg(args, 1));
            return none();
        }
        if (method == "__repr__") {  // array('i', [1, 2]), array('u', 'ab'), array('d')
            std::string out = "array('" + std::string(1, typecode) + "'";
            if (!items.empty() && typecode == 'u') {  // the characters as one str
                std::string text;
                for (const auto& item : items) {
                    text += static_cast<Str*>(item.get())->view();
                }
                out += ", " + repr(Str::create(text).get());
            } else if (!items.empty()) {
                out += ", " + repr(as_list(items).get());
            }
            return Str::create(out + ")");
        }
        return {};  // not exposed
    }
    [[nodiscard]] Signature signature(const std::string& method) const override {
        return builtin_signature("array", method);
    }
};

struct QueueReferent : Referent {
    std::deque<Ref<Object>> items;
    std::condition_variable not_empty;
    Ref<Object> call(const std::string& method, Tuple* args, Gil& lock) override {
        if (method == "put") {
            items.push_back(Ref<Object>::borrow(arg(args, 0)));
            not_empty.notify_one();
            return none();
        }
        if (method == "get") {
            const bool block = args->size() < 1 || truthy(args->item(0));
            auto ready = [&] { return !items.empty(); };
            if (block && args->size() >= 2 && !is_none(args->item(1))) {
                not_empty.wait_for(lock, std::chrono::duration<double>(number(args->item(1))),
                                   ready);
            } else if (block) {
                not_empty.wait(lock, ready);
            }
            if (items.empty()) {
                throw RemoteException{"Empty", Str::create("")};
            }
            Ref<Object> item = std::move(items.front());
            items.pop_front();
            return item;
        }
        if (method == "qsize") {
            return Int::create(static_cast<long long>(items.size()));
        }
        if (method == "empty") {
            return to_bool(items.empty());
        }
        if (method == "full") {  // Queue(maxsize=0): never
            return to_bool(false);
        }
        if (method == "put_nowait") {  // unbounded: never Full
            return call("put", args, lock);
        }
        if (method == "get_nowait") {
            const Ref<Object> no_block = Tuple::pack({False().get()});
            return call("get", static_cast<Tuple*>(no_block.get()), lock);
        }
        return {};  // not exposed
    }
    [[nodiscard]] Signature signature(const std::string& method) const override {
        // queue.Queue's: put(item, block=True, timeout=None), get(block=True, timeout=None)
        if (method == "put") {
            return {"Queue.put", {{"item", {}}, {"block", True()}, {"timeout", None()}}};
        }
        if (method == "get") {
            return {"Queue.get", {{"block", True()}, {"timeout", None()}}};
        }
        if (method == "put_nowait") {
            return {"Queue.put_nowait", {{"item", {}}}};
        }
        return {"Queue." + method, {}};
    }
};

struct Entry {
    std::unique_ptr<Referent> referent;
    long long refcount = 0;
    // In id_to_local_proxy_obj: a proxy of it is stored in one of the server's objects, so it
    // stays (with refcount 0) when its last outside proxy goes, as CPython keeps it.
    bool local_proxy = false;
};

// Server state: id_to_obj, id_to_refcount and id_to_local_proxy_obj in one map; an entry with
// refcount 0 is in id_to_local_proxy_obj only.
std::map<std::string, Entry> objects;
connection::Address server_address;  // Server.address: a token naming it is one of ours
std::atomic<bool> stopping{false};
int listening_socket = -1;

// create's argument `name`: positional at `index` (the typeid is 0), or a keyword, as python3's
// manager.Barrier(2, action=f) sends it ({'action': f}); None when neither is there.
Object* create_arg(Tuple* args, Object* kwds, ssize_t index, std::string_view name) {
    if (index < args->size()) {
        return args->item(index);
    }
    if (kwds != nullptr && kwds->ob_type == &Dict::Type) {
        for (const auto& [key, value] : static_cast<Dict*>(kwds)->items()) {
            if (key->ob_type == &Str::Type && static_cast<Str*>(key)->view() == name) {
                return value;
            }
        }
    }
    return none().get();
}

// threading.Condition(lock) stores lock.acquire and lock.release: the lock argument must have
// them. A proxy of this server's Lock, RLock, Semaphore, BoundedSemaphore or Condition does
// (AcquirerProxy); anything else is CPython's AttributeError, naming the proxy's class.
Referent* condition_lock(Object* lock) {
    PY_KATA_TODO("§7");
    return nullptr;
}

[[maybe_unused]] std::unique_ptr<Referent> make_referent(const std::string& type_id, Tuple* args,
                                                         Object* kwds) {
    if (type_id == "dict") {  // dict(mapping=(), **kwds)
        auto dict = std::make_unique<DictReferent>();
        if (args->size() > 1) {
            dict->update(args->item(1));
        }
        if (kwds != nullptr && kwds->ob_type == &Dict::Type) {
            for (const auto& [key, value] : static_cast<Dict*>(kwds)->items()) {
                dict->dict->setitem(key, value);
            }
        }
        return dict;
    }
    if (type_id == "list") {  // list(iterable=())
        auto list = std::make_unique<ListReferent>();
        if (args->size() > 1) {
            list->items = items_of(args->item(1));
        }
        return list;
    }
    if (type_id == "Value") {
        auto value = std::make_unique<ValueReferent>();
        value->typecode = Ref<Object>::borrow(arg(args, 1));  // create('Value', typecode, value)
        value->value = Ref<Object>::borrow(arg(args, 2));
        return value;
    }
    if (type_id == "Namespace") {
        return std::make_unique<NamespaceReferent>();
    }
    if (type_id == "Lock" || type_id == "RLock") {
        return std::make_unique<LockReferent>(type_id == "RLock");
    }
    if (type_id == "Event") {
        return std::make_unique<EventReferent>();
    }
    if (type_id == "Semaphore" || type_id == "BoundedSemaphore") {  // (value=1)
        const long long value = args->size() > 1 ? integer(args->item(1), "value") : 1;
        if (value < 0) {
            throw RemoteException{"ValueError",
                                  Str::create("semaphore initial value must be >= 0")};
        }
        return std::make_unique<SemaphoreReferent>(value, type_id == "BoundedSemaphore");
    }
    if (type_id == "Condition") {  // (lock=None)
        Object* lock = create_arg(args, kwds, 1, "lock");
        return std::make_unique<ConditionReferent>(is_none(lock) ? nullptr : condition_lock(lock));
    }
    if (type_id == "Barrier") {  // (parties, action=None, timeout=None)
        return std::make_unique<BarrierReferent>(
            integer(create_arg(args, kwds, 1, "parties"), "parties"),
            Ref<Object>::borrow(create_arg(args, kwds, 2, "action")),
            Ref<Object>::borrow(create_arg(args, kwds, 3, "timeout")));
    }
    if (type_id == "Array") {  // Array(typecode, sequence, lock=True)
        return std::make_unique<ArrayReferent>(arg(args, 1), arg(args, 2));
    }
    if (type_id == "Queue") {
        return std::make_unique<QueueReferent>();
    }
    throw RemoteException{"KeyError", Str::create(type_id)};
}

// The second half of create's reply, (ident, exposed): the methods a python3 AutoProxy gets. Only
// the Queue is an AutoProxy in SyncManager; the other proxy types list their methods themselves.
Ref<Object> exposed_methods(const std::string& type_id) {
    if (type_id != "Queue") {
        return Tuple::pack({});
    }
    return Tuple::pack({Str::create("empty").get(), Str::create("full").get(),
                        Str::create("get").get(), Str::create("get_nowait").get(),
                        Str::create("put").get(), Str::create("put_nowait").get(),
                        Str::create("qsize").get()});
}

// The server's own functions (Server.public): create, incref, decref, number_of_objects,
// shutdown, dummy. The reply value, or a RemoteException.
[[maybe_unused]] Ref<Object> call_server_function(const std::string& name, Tuple* args,
                                                  Object* kwds) {
    PY_KATA_TODO("§7");
}

// ('#TRACEBACK', text) with the last line of a Python traceback raised in managers.py's
// `function`: what the client's RemoteError shows.
[[maybe_unused]] std::string traceback_reply(const std::string& function,
                                             const std::string& last_line) {
    std::string text = "Traceback (most recent call last):\n  File \"managers.py\", in ";
    text.append(function).append("\n").append(last_line).append("\n");
    return pickle::dumps(
        Tuple::pack({Str::create("#TRACEBACK").get(), Str::create(text).get()}).get(), 4);
}

// Runs one request (id, methodname, args, kwds) and returns the pickled reply.
[[maybe_unused]] std::string handle(const std::string& request_bytes, Gil& lock) {
    PY_KATA_TODO("§7");
    return {};
}

// One connection: the handshake, then requests until the client goes away.
void serve_client(Connection connection, const std::string& authkey) {
    PY_KATA_TODO("§7");
}

}  // namespace

void serve_forever(connection::Address address, const std::string& authkey, Connection ready) {
    // If the process that started us dies without shutting us down, go too (CPython's server
    // lingers instead; a test binary stopped by its watchdog should leave nothing running).
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    connection::Listener listener(address, 16);  // the handshake is done per connection, below
    listening_socket = listener.fileno();
    const auto& bound = listener.address();
    server_address = bound;
    if (const auto* tcp = std::get_if<connection::TcpAddress>(&bound)) {
        ready.send_bytes(tcp->first + ":" + std::to_string(tcp->second));
    } else {
        ready.send_bytes(std::get<std::string>(bound));
    }
    ready.close();
    while (!stopping) {
        try {
            Connection connection = listener.accept();
            std::thread([connection = std::move(connection), &authkey]() mutable {
                try {
                    serve_client(std::move(connection), authkey);
                } catch (...) {
                    // The connection closed as serve_client unwound: its client sees EOFError.
                }
            }).detach();
        } catch (const BaseException&) {
            if (stopping) {
                break;
            }
        }
    }
    listener.close();
    std::fflush(nullptr);
    if (&__gcov_dump != nullptr) {
        __gcov_dump();  // a coverage build: _exit would skip writing this process's counts
    }
    ::_exit(0);
}

}  // namespace py::multiprocessing::managers::detail
