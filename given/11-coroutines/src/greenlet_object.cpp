// The parts of py::greenlet that are bookkeeping rather than the kata: construction, the
// attributes, repr, and the thread's state (given).
#include <cstdio>
#include <new>
#include <sstream>

#include "greenlet_impl.hpp"

namespace py::greenlet {

namespace {

// The thread's state lives on the heap and is deleted by a thread_local guard, so that
// destructors that run later during thread exit can see that it is gone.
struct ThreadStateOwner {
    ThreadState* state = nullptr;
    bool exiting = false;
    ThreadStateOwner() = default;
    ThreadStateOwner(const ThreadStateOwner&) = delete;
    ThreadStateOwner& operator=(const ThreadStateOwner&) = delete;
    ~ThreadStateOwner() {
        exiting = true;
        tls_state = nullptr;  // from now on thread_state() takes the slow path and sees null
        ThreadState* doomed = state;
        // Drop the references one at a time while the state is still reachable: destroying a
        // greenlet may need it.
        if (doomed != nullptr) {
            doomed->previous.reset();
            doomed->next.reset();
            doomed->current.reset();
            doomed->main.reset();
        }
        state = nullptr;
        delete doomed;
    }
};

thread_local ThreadStateOwner owner;

}  // namespace

ThreadState* thread_state_slow() noexcept {
    if (owner.state == nullptr && !owner.exiting) {
        owner.state = new (std::nothrow) ThreadState();  // null: reported as an error by callers
        tls_state = owner.state;
    }
    return owner.state;
}

greenlet::Impl::~Impl() {
    free_stack(*this);
    detail::release_context(context);
}

ImplPtr make_greenlet_impl() {
    return ImplPtr(new greenlet::Impl(), &destroy);
}

void name_context(greenlet::Impl& impl) {
    std::snprintf(impl.context.name, sizeof impl.context.name, "<greenlet.greenlet object at %p>",
                  static_cast<void*>(&impl));
}

ImplPtr make_main_greenlet() {
    ImplPtr main = make_greenlet_impl();
    main->main = true;
    main->state = greenlet::Impl::State::Active;
    main->thread = std::this_thread::get_id();
    name_context(*main);
    return main;
}

greenlet::greenlet(Run run, std::optional<greenlet> parent, std::size_t stack_size) {
    ImplPtr parent_impl = parent ? parent->impl_ : getcurrent().impl_;
    if (parent_impl == nullptr) {
        throw TypeError("greenlet.parent must be a greenlet");
    }
    impl_ = make_greenlet_impl();
    impl_->run = std::move(run);
    impl_->thread = std::this_thread::get_id();
    impl_->stack_size = stack_size;
    name_context(*impl_);
    if (parent) {
        set_parent(*parent);
    } else {
        impl_->parent = std::move(parent_impl);
    }
}

greenlet::Impl& greenlet::get() const {
    if (impl_ == nullptr) {
        throw AttributeError("'NoneType' object has no attribute 'switch'");
    }
    return *impl_;
}

bool greenlet::started() const {
    return get().state != Impl::State::Unstarted;
}
bool greenlet::dead() const {
    return get().state == Impl::State::Dead;
}
greenlet::operator bool() const {
    return get().state == Impl::State::Active;
}
bool greenlet::is_main() const {
    return get().main;
}

std::optional<greenlet> greenlet::parent() const {
    const Impl& self = get();
    if (self.parent == nullptr) {
        return std::nullopt;
    }
    return greenlet(self.parent);
}

std::string greenlet::repr() const {
    const Impl& self = get();
    std::ostringstream out;
    out << "<greenlet.greenlet object at " << static_cast<const void*>(&self)
        << " (otid=" << self.thread << ")";
    if (self.state == Impl::State::Dead) {
        out << " dead>";
        return out.str();
    }
    ThreadState* state = thread_state();
    if (state != nullptr && state->current.get() == &self) {
        out << " current";
    } else if (self.state == Impl::State::Active) {
        out << " suspended";
    }
    if (self.state == Impl::State::Active) {
        out << " active";
    }
    out << (self.state == Impl::State::Unstarted ? " pending" : " started");
    if (self.main) {
        out << " main";
    }
    out << ">";
    return out.str();
}

void destroy(greenlet::Impl* impl) noexcept {
    bool suspended = impl->state == greenlet::Impl::State::Active && !impl->main;
    if (suspended) {
        ThreadState* state = thread_state();
        if (state == nullptr || impl->thread != std::this_thread::get_id()) {
            // Its frames can only run on its own thread, which is gone or elsewhere: greenlet
            // leaks it too (with a warning) rather than freeing a stack in use.
            std::fprintf(stderr, "greenlet: leaking %s: it was suspended in another thread\n",
                         impl->context.name);
            return;
        }
        try {
            kill(*impl);
        } catch (const std::exception& exc) {
            std::fprintf(stderr, "Exception ignored in: %s\n%s\n", impl->context.name, exc.what());
        }
        if (impl->state != greenlet::Impl::State::Dead) {
            std::fprintf(stderr, "greenlet: leaking %s: it caught GreenletExit and went on\n",
                         impl->context.name);
            return;
        }
    }
    delete impl;
}

}  // namespace py::greenlet
