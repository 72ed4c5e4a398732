// The heap picture: the object graph as Graphviz DOT.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

// kata: skeleton // KATA (lesson §4: steps 12-14).
#include "py/exceptions.hpp"
#include "py/heap.hpp"
#include "py/kata.hpp"
#include "py/runtime_pools.hpp"

namespace py::heap {
// kata: begin replace
namespace {

// Every tracked object of the three generations, oldest generation last (borrowed).
std::vector<Object*> tracked_objects() {
    std::vector<Object*> found;
    for (gc::Generation& generation : gc::generations().generations) {
        for (gc::GCHead* node = gc::next(&generation.head); node != &generation.head;
             node = gc::next(node)) {
            found.push_back(gc::from_gc(node));
        }
    }
    return found;
}

// Adds `start` and everything it reaches to `seen`/`order`.
void reach(Object* start, std::unordered_set<Object*>& seen, std::vector<Object*>& order) {
    std::vector<Object*> stack{start};
    while (!stack.empty()) {
        Object* op = stack.back();
        stack.pop_back();
        if (!seen.insert(op).second) {
            continue;
        }
        order.push_back(op);
        for (Object* referent : gc::referents(op)) {
            stack.push_back(referent);
        }
    }
}

std::string escape(const std::string& text) {
    std::string out;
    for (const char c : text) {
        if (c == '"' || c == '\\') {
            out.push_back('\\');
        }
        out.push_back(c);
    }
    return out;
}

std::string describe(Object* op) {
    std::string value;
    if (op->ob_type == &List::Type || op->ob_type == &Tuple::Type) {
        value = "len " + std::to_string(static_cast<VarObject*>(op)->ob_size);
    } else if (op->ob_type == &Dict::Type) {
        value = "len " + std::to_string(static_cast<Dict*>(op)->size());
    } else if (!gc::is_gc(op)) {
        value = repr(op);
        if (value.size() > 24) {
            value = value.substr(0, 21) + "...";
        }
    }
    const int generation = gc::generation_of(op);
    const std::string where = generation < 0    ? "untracked"
                              : generation == 3 ? "frozen"
                                                : "gen " + std::to_string(generation);
    return escape(std::string(type_name(op)) + (value.empty() ? "" : " " + value)) + "\\nrefcnt " +
           std::to_string(op->ob_refcnt) + " · " + where;
}

}  // namespace
// kata: end

std::vector<Object*> unreachable_objects() {
    // kata: begin §4
    const std::vector<Object*> tracked = tracked_objects();
    std::unordered_map<Object*, ssize_t> refs;
    for (Object* op : tracked) {
        refs[op] = op->ob_refcnt;
    }
    for (Object* op : tracked) {
        for (Object* referent : gc::referents(op)) {
            if (auto found = refs.find(referent); found != refs.end()) {
                --found->second;
            }
        }
    }
    std::unordered_set<Object*> reachable;
    std::vector<Object*> order;
    for (Object* op : tracked) {
        if (refs[op] > 0) {
            reach(op, reachable, order);
        }
    }
    std::vector<Object*> unreachable;
    for (Object* op : tracked) {
        if (reachable.count(op) == 0) {
            unreachable.push_back(op);
        }
    }
    return unreachable;
    // kata: end
}

std::string to_dot(const DotOptions& options) {
    // kata: begin §4
    std::unordered_set<Object*> seen;
    std::vector<Object*> order;
    for (Object* root : options.roots) {
        reach(root, seen, order);
    }
    const std::vector<Object*> garbage = unreachable_objects();
    const std::unordered_set<Object*> unreachable(garbage.begin(), garbage.end());
    if (options.unreachable) {
        for (Object* op : garbage) {
            reach(op, seen, order);
        }
    }
#ifdef PY_TRACE_REFS
    if (options.all_objects) {
        for (Object* op : refchain::objects()) {
            reach(op, seen, order);
        }
    }
#endif
    const std::unordered_set<Object*> roots(options.roots.begin(), options.roots.end());
    std::unordered_map<Object*, std::size_t> id;
    for (Object* op : order) {
        id.emplace(op, id.size());
    }
    std::ostringstream out;
    out << "digraph heap {\n  rankdir=LR;\n  node [shape=box, style=\"rounded,filled\", "
           "fillcolor=white, fontname=\"Helvetica\"];\n";
    if (!options.title.empty()) {
        out << "  label=\"" << escape(options.title) << "\";\n  labelloc=t;\n";
    }
    for (Object* op : order) {
        out << "  o" << id[op] << " [label=\"" << describe(op) << "\"";
        if (unreachable.count(op) != 0) {
            out << ", fillcolor=\"#f4a6a6\", color=\"#b00000\"";
        } else if (!gc::is_gc(op)) {
            out << ", fillcolor=\"#eeeeee\"";
        }
        if (roots.count(op) != 0) {
            out << ", penwidth=2.5";
        }
        out << "];\n";
    }
    for (Object* op : order) {
        for (Object* referent : gc::referents(op)) {
            out << "  o" << id[op] << " -> o" << id[referent];
            if (unreachable.count(op) != 0 && unreachable.count(referent) != 0) {
                out << " [color=\"#b00000\"]";
            }
            out << ";\n";
        }
    }
    out << "}\n";
    return out.str();
    // kata: end
}

void write_dot(const std::string& path, const DotOptions& options) {
    // kata: begin §4
    std::ofstream file(path);
    file << to_dot(options);
    file.close();
    if (!file) {
        throw OSError("cannot write the heap picture to '" + path + "'");
    }
    // kata: end
}

std::string snapshot(std::string_view name, const std::vector<Object*>& roots,
                     std::string_view title) {
    // kata: begin §4
    const char* target = std::getenv("WORKBOOK_HEAP_DOT");
    if (target == nullptr || *target == '\0') {
        return "";
    }
    std::string path = target;
    if (path.size() < 4 || path.compare(path.size() - 4, 4, ".dot") != 0) {
        path += "/" + std::string(name) + ".dot";
    }
    DotOptions options;
    options.roots = roots;
    options.title = title.empty() ? std::string(name) : std::string(title);
    write_dot(path, options);
    return path;
    // kata: end
}

}  // namespace py::heap
