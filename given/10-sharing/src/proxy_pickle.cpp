// See proxy_pickle.hpp.
#include "proxy_pickle.hpp"

#include <cstdint>
#include <map>
#include <sstream>
#include <string>
#include <utility>

#include "py/containers.hpp"
#include "py/exceptions.hpp"
#include "py/scalars.hpp"
#include "slices.hpp"

namespace py::multiprocessing::detail {
namespace {

constexpr const char* kModule = "multiprocessing.managers";

bool is_proxy_class(const std::string& name) {
    return name == "BaseProxy" || name == "AutoProxy" || name == "DictProxy" ||
           name == "ListProxy" || name == "ValueProxy" || name == "AcquirerProxy" ||
           name == "EventProxy" || name == "NamespaceProxy" || name == "ConditionProxy" ||
           name == "BarrierProxy" || name == "ArrayProxy" || name == "IteratorProxy" ||
           name == "PoolProxy";
}

Ref<Object> address_object(const connection::Address& address) {
    if (const auto* tcp = std::get_if<connection::TcpAddress>(&address)) {
        return Tuple::pack({Str::create(tcp->first).get(), Int::create(tcp->second).get()});
    }
    return Str::create(std::get<std::string>(address));
}

std::optional<connection::Address> address_of(Object* op) {
    if (op->ob_type == &Str::Type) {
        return connection::Address(std::string(static_cast<Str*>(op)->view()));
    }
    if (op->ob_type == &Tuple::Type && static_cast<Tuple*>(op)->size() == 2) {
        auto* pair = static_cast<Tuple*>(op);
        if (pair->item(0)->ob_type == &Str::Type && Int::check(pair->item(1))) {
            return connection::Address(connection::TcpAddress(
                std::string(static_cast<Str*>(pair->item(0))->view()),
                static_cast<int>(static_cast<Int*>(pair->item(1))->value())));
        }
    }
    return std::nullopt;
}

// Token's state, (typeid, address, id), as Token.__getstate__ returns it.
std::optional<managers::Token> token_of(Object* op) {
    if (op->ob_type != &pickle::Instance::Type) {
        return std::nullopt;
    }
    auto* instance = static_cast<pickle::Instance*>(op);
    auto* cls = static_cast<pickle::Global*>(instance->cls.get());
    Object* state = instance->state.get();
    if (cls->name != "Token" || state == nullptr || state->ob_type != &Tuple::Type ||
        static_cast<Tuple*>(state)->size() != 3) {
        return std::nullopt;
    }
    auto* parts = static_cast<Tuple*>(state);
    auto address = address_of(parts->item(1));
    if (parts->item(0)->ob_type != &Str::Type || parts->item(2)->ob_type != &Str::Type ||
        !address) {
        return std::nullopt;
    }
    return managers::Token{std::string(static_cast<Str*>(parts->item(0))->view()), *address,
                           std::string(static_cast<Str*>(parts->item(2))->view())};
}

Ref<pickle::Reduce> reduce_with(Object* rebuild_proxy, Object* cls, Object* token, Object* kwds) {
    return pickle::make_reduce(rebuild_proxy,
                               Tuple::pack({cls, token, Str::create("pickle").get(), kwds}).get());
}

}  // namespace

std::string proxy_class(const std::string& type_id) {
    static const std::map<std::string, std::string> classes = {
        {"dict", "DictProxy"},           {"list", "ListProxy"},
        {"Value", "ValueProxy"},         {"Lock", "AcquirerProxy"},
        {"RLock", "AcquirerProxy"},      {"Event", "EventProxy"},
        {"Namespace", "NamespaceProxy"}, {"Queue", "AutoProxy"},
        {"Semaphore", "AcquirerProxy"},  {"BoundedSemaphore", "AcquirerProxy"},
        {"Condition", "ConditionProxy"}, {"Barrier", "BarrierProxy"},
        {"Array", "ArrayProxy"}};
    const auto found = classes.find(type_id);
    return found != classes.end() ? found->second : "BaseProxy";
}

Ref<Object> reduce_proxy(const managers::Token& token) {
    const std::string cls = proxy_class(token.type_id);
    auto kwds = Dict::create();
    if (cls == "AutoProxy") {  // BaseProxy.__reduce__: an AutoProxy passes on its methods
        kwds->setitem(Str::create("exposed").get(),
                      Tuple::pack({Str::create("empty").get(), Str::create("full").get(),
                                   Str::create("get").get(), Str::create("get_nowait").get(),
                                   Str::create("put").get(), Str::create("put_nowait").get(),
                                   Str::create("qsize").get()})
                          .get());
    }
    auto token_class = pickle::make_global(kModule, "Token");
    auto instance = pickle::make_instance(
        token_class.get(), Tuple::pack({}).get(),
        Tuple::pack({Str::create(token.type_id).get(), address_object(token.address).get(),
                     Str::create(token.id).get()})
            .get());
    auto reduce = reduce_with(pickle::make_global(kModule, "RebuildProxy").get(),
                              pickle::make_global(kModule, cls).get(), instance.get(), kwds.get());
    // BaseProxy.__repr__, for str() of a container holding it; the address is this object's.
    std::ostringstream text;
    text << "<" << (cls == "AutoProxy" ? "AutoProxy[" + token.type_id + "]" : cls)
         << " object, typeid '" << token.type_id << "' at 0x" << std::hex
         << reinterpret_cast<std::uintptr_t>(reduce.get()) << ">";
    reduce->text = text.str();
    return reduce;
}

std::optional<managers::Token> proxy_token(Object* value) {
    if (value->ob_type != &pickle::Reduce::Type) {
        return std::nullopt;
    }
    auto* reduce = static_cast<pickle::Reduce*>(value);
    auto* func = static_cast<pickle::Global*>(reduce->func.get());
    auto* args = static_cast<Tuple*>(reduce->args.get());
    if (func->name != "RebuildProxy" || args->size() != 4) {
        return std::nullopt;
    }
    return token_of(args->item(1));
}

pickle::FindClass manager_find_class(std::function<void(const managers::Token&)> rebuild) {
    return [rebuild = std::move(rebuild)](const std::string& module,
                                          const std::string& name) -> Ref<Object> {
        if (module == "builtins" && name == "slice") {  // l[2:5] from any client
            return pickle::make_global(module, name, &slice_from_args);
        }
        if (module != kModule ||
            !(name == "RebuildProxy" || name == "Token" || is_proxy_class(name))) {
            throw UnpicklingError("py::pickle refuses to load the global '" + module + "." + name +
                                  "'");
        }
        if (name != "RebuildProxy") {
            return pickle::make_global(module, name);
        }
        // RebuildProxy(func, token, serializer, kwds): the proxy, kept as its own reduction.
        return pickle::make_global(module, name, [rebuild](Object* args) -> Ref<Object> {
            auto* tuple = static_cast<Tuple*>(args);
            if (tuple->size() != 4 || tuple->item(0)->ob_type != &pickle::Global::Type) {
                throw TypeError("RebuildProxy() takes 4 positional arguments");
            }
            const auto token = token_of(tuple->item(1));
            if (!token) {
                throw TypeError("RebuildProxy() needs a Token");
            }
            rebuild(*token);
            // What this proxy's __reduce__ gives when it is pickled again (kwds as fresh).
            return reduce_proxy(*token);
        });
    };
}

}  // namespace py::multiprocessing::detail
