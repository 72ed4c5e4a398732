// Widget, and the seed's broken singleton (lesson §1).
// kata: skeleton // KATA (lesson §1, steps 1-2): instance() and objects_made(). Widget and the constructor are given.
#include <utility>

#include "py/kata.hpp"
#include "py/singleton.hpp"

namespace py::singleton {

namespace {
std::atomic<std::uint64_t> widgets_made{0};
}  // namespace

Widget::Widget(std::string widget_name)
    : name(std::move(widget_name)),
      serial(widgets_made.fetch_add(1, std::memory_order_relaxed) + 1) {}

UnsafeSingleton::UnsafeSingleton(Factory factory, Hook between_check_and_create)
    : factory_(std::move(factory)),
      between_check_and_create_(std::move(between_check_and_create)) {}

UnsafeSingleton::~UnsafeSingleton() = default;

Widget& UnsafeSingleton::instance() {
    // kata: begin replace
    // `if cls.instance: return cls.instance`
    if (Widget* existing = instance_.load(std::memory_order_acquire)) {
        return *existing;
    }
    // The seed's time.sleep(0.1): every thread that got here saw "no instance yet".
    if (between_check_and_create_) {
        between_check_and_create_();
    }
    // `cls.instance = object.__new__(cls)`: each thread that got this far makes its own.
    std::unique_ptr<Widget> made = factory_();
    Widget* mine = made.get();
    {
        const std::lock_guard lock(made_mutex_);
        made_.push_back(std::move(made));
    }
    instance_.store(mine, std::memory_order_release);
    return *mine;
    // kata: skeleton // The seed's __new__: if there is an instance, return it; (hook here: the seed's sleep);
    // kata: skeleton // otherwise make one, keep it in made_, remember it in instance_.
    // kata: skeleton PY_KATA_TODO("§1");
    // kata: end
}

std::size_t UnsafeSingleton::objects_made() const {
    // kata: begin §1
    const std::lock_guard lock(made_mutex_);
    return made_.size();
    // kata: end
}

}  // namespace py::singleton
