// The lock-order graph as Graphviz DOT, the last report's cycle highlighted (lesson §5).
#include <ostream>
#include <unordered_map>

#include "detector.hpp"
#include "py/kata.hpp"

namespace py::threading::deadlock {

namespace {

// [[maybe_unused]]: the skeleton keeps these helpers but does not call them yet.

// `text` as a DOT string: quotes and backslashes escaped, line breaks as \n.
[[maybe_unused]] std::string quoted(const std::string& text) {
    // kata: begin step12 §5
    std::string out = "\"";
    for (const char c : text) {
        if (c == '\n') {  // a line break inside a DOT label
            out += "\\n";
            continue;
        }
        if (c == '"' || c == '\\') {
            out += '\\';
        }
        out += c;
    }
    out += '"';
    return out;
    // kata: end
}

// An edge's label: the thread that first took the two locks in this order, and where.
[[maybe_unused]] std::string edge_label(const LockOrder& order) {
    // kata: begin step12 §5
    std::string label = order.thread_name;
    label += '\n';
    label += order.where.empty() ? "?" : order.where;
    return label;
    // kata: end
}

}  // namespace

void write_dot(std::ostream& out) {
    // kata: begin step12 §5
    const detail::Detector& state = detail::detector();
    const ScopedLock guard(state.mutex);

    std::vector<const LockOrder*> in_cycle;
    if (state.last_report) {
        for (const LockOrder& order : state.last_report->cycle) {
            in_cycle.push_back(&order);
        }
    }
    auto cycle_has = [&](const void* before, const void* after) {
        for (const LockOrder* order : in_cycle) {
            if (order->before == before && order->after == after) {
                return true;
            }
        }
        return false;
    };
    auto lock_in_cycle = [&](const void* lock) {
        for (const LockOrder* order : in_cycle) {
            if (order->before == lock || order->after == lock) {
                return true;
            }
        }
        return false;
    };

    // Nodes are numbered in the order they first appear.
    std::unordered_map<const void*, int> ids;
    std::vector<const void*> nodes;
    auto id_of = [&](const void* lock) {
        const auto [it, added] = ids.emplace(lock, static_cast<int>(nodes.size()));
        if (added) {
            nodes.push_back(lock);
        }
        std::string id = "L";
        id += std::to_string(it->second);
        return id;
    };
    for (const LockOrder& order : state.edges) {
        (void)id_of(order.before);
        (void)id_of(order.after);
    }
    for (const LockOrder* order : in_cycle) {
        (void)id_of(order->before);
        (void)id_of(order->after);
    }

    out << "digraph lock_order {\n"
        << "  rankdir=LR;\n"
        << "  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n"
        << "  edge [fontname=\"Helvetica\", fontsize=10];\n";
    for (const void* lock : nodes) {
        out << "  " << id_of(lock) << " [label=" << quoted(state.name_locked(lock));
        if (lock_in_cycle(lock)) {
            out << ", color=red, fontcolor=red, penwidth=2";
        }
        out << "];\n";
    }
    for (const LockOrder& order : state.edges) {
        out << "  " << id_of(order.before) << " -> " << id_of(order.after)
            << " [label=" << quoted(edge_label(order));
        if (cycle_has(order.before, order.after)) {
            out << ", color=red, fontcolor=red, penwidth=2";
        }
        out << "];\n";
    }
    for (const LockOrder* order : in_cycle) {
        if (state.edge(order->before, order->after) == nullptr) {
            // Refused (raised before it entered the graph), or a self-deadlock.
            out << "  " << id_of(order->before) << " -> " << id_of(order->after)
                << " [label=" << quoted(edge_label(*order).append("\nrefused"))
                << ", color=red, fontcolor=red, penwidth=2, style=dashed];\n";
        }
    }
    out << "}\n";
    // kata: end
}

}  // namespace py::threading::deadlock
