// py::pickle's Global, Instance and Reduce (pickle.hpp): globals a caller's find_class allowed,
// and the objects NEWOBJ and REDUCE make of them. Their C++ members are constructed in place in
// the memory alloc_object zero-fills, and destroyed in tp_dealloc.
#include <new>
#include <string>
#include <utility>

#include "py/pickle.hpp"

namespace py::pickle {
namespace {

template <class T>
void destroy(Object* self) {
    static_cast<T*>(self)->~T();
    free_object(self);
}

std::string global_repr(Object* self) {
    const auto* global = static_cast<Global*>(self);
    return "<class '" + global->module + "." + global->name + "'>";
}

std::string instance_repr(Object* self) {
    const auto* cls = static_cast<Global*>(static_cast<Instance*>(self)->cls.get());
    return "<" + cls->module + "." + cls->name + " object>";
}

std::string reduce_repr(Object* self) {
    const auto* reduce = static_cast<Reduce*>(self);
    if (!reduce->text.empty()) {
        return reduce->text;
    }
    const auto* func = static_cast<Global*>(reduce->func.get());
    return "<reduce " + func->module + "." + func->name + ">";
}

}  // namespace

TypeObject Global::Type = {.tp_name = "type",
                           .tp_basicsize = sizeof(Global),
                           .tp_dealloc = &destroy<Global>,
                           .tp_repr = &global_repr};
TypeObject Instance::Type = {.tp_name = "object",
                             .tp_basicsize = sizeof(Instance),
                             .tp_dealloc = &destroy<Instance>,
                             .tp_repr = &instance_repr};
TypeObject Reduce::Type = {.tp_name = "reduce",
                           .tp_basicsize = sizeof(Reduce),
                           .tp_dealloc = &destroy<Reduce>,
                           .tp_repr = &reduce_repr};

Ref<Global> make_global(std::string module, std::string name,
                        std::function<Ref<Object>(Object* args)> call) {
    auto* global = static_cast<Global*>(alloc_object(&Global::Type));
    new (&global->module) std::string(std::move(module));
    new (&global->name) std::string(std::move(name));
    new (&global->call) std::function<Ref<Object>(Object*)>(std::move(call));
    return Ref<Global>::steal(global);
}

Ref<Instance> make_instance(Object* cls, Object* args, Object* state) {
    auto* instance = static_cast<Instance*>(alloc_object(&Instance::Type));
    new (&instance->cls) Ref<Object>(Ref<Object>::borrow(cls));
    new (&instance->args) Ref<Object>(Ref<Object>::borrow(args));
    new (&instance->state) Ref<Object>(state != nullptr ? Ref<Object>::borrow(state) : nullptr);
    return Ref<Instance>::steal(instance);
}

Ref<Reduce> make_reduce(Object* func, Object* args) {
    auto* reduce = static_cast<Reduce*>(alloc_object(&Reduce::Type));
    new (&reduce->func) Ref<Object>(Ref<Object>::borrow(func));
    new (&reduce->args) Ref<Object>(Ref<Object>::borrow(args));
    new (&reduce->text) std::string();
    return Ref<Reduce>::steal(reduce);
}

}  // namespace py::pickle
