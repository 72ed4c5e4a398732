// Widget, and the seed's broken singleton (lesson §1).
// KATA (lesson §1, steps 1-2): instance() and objects_made(). Widget and the constructor are given.
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
    // The seed's __new__: if there is an instance, return it; (hook here: the seed's sleep);
    // otherwise make one, keep it in made_, remember it in instance_.
    PY_KATA_TODO("§1");
}

std::size_t UnsafeSingleton::objects_made() const {
    PY_KATA_TODO("§1");
}

}  // namespace py::singleton
