// Chapter 10, §7: proxies stored in managed containers (CPython's test_dict_proxy_nested and
// test_list_proxy_in_list): they travel as RebuildProxy pickles and come back as working proxies.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "helpers.hpp"
#include "py/containers.hpp"
#include "py/managers.hpp"
#include "py/pickle.hpp"
#include "py/scalars.hpp"
#include "values.hpp"

namespace {

using py::multiprocessing::managers::ListProxy;
using py::multiprocessing::managers::SyncManager;
using sharing_test::fork_child;
using sharing_test::I;
using sharing_test::S;
using sharing_test::wait_child;

// python3's own proxies: a list stored in a dict, read back (a new proxy, incref) and changed.
const char* const kPythonNestedClient = R"(
import sys, gc, multiprocessing
from multiprocessing.managers import SyncManager
# A rebuilt proxy authenticates with the process's authkey (RebuildProxy passes none).
multiprocessing.current_process().authkey = sys.argv[2].encode()
manager = SyncManager(address=sys.argv[1])
manager.connect()
d = manager.dict()
l = manager.list([1])
d["inner"] = l
del l
gc.collect()
print(manager._number_of_objects(), flush=True)
inner = d["inner"]
inner.append(2)
print(type(inner).__name__, list(d["inner"]), manager._number_of_objects(), flush=True)
outer = manager.list([manager.list([i]) for i in range(3)])
gc.collect()
outer[1].append(10)
print([list(x) for x in outer], manager._number_of_objects(), flush=True)
)";

TEST(Sharing, Step52_AProxyStoredInAManagedDictComesBackAsAProxy) {
    SyncManager manager;
    manager.start();
    auto outer = manager.dict();
    {
        auto inner = manager.list();
        inner.append(I(1).get());
        outer.setitem(S("inner").get(), inner.reduce().get());
        EXPECT_EQ(manager.number_of_objects(), 2);
    }
    EXPECT_EQ(manager.number_of_objects(), 1)
        << "the inner list's last proxy is gone; only the stored proxy keeps it (§7)";
    const pid_t child = fork_child([&] {
        ListProxy inner(outer.getitem(S("inner").get()).get(), manager.authkey());
        inner.append(I(2).get());  // another client, changing the same list
    });
    ASSERT_EQ(wait_child(child), 0);
    {
        ListProxy inner(outer.getitem(S("inner").get()).get(), manager.authkey());
        EXPECT_EQ(inner.str(), "[1, 2]") << "a working proxy again";
        EXPECT_EQ(manager.number_of_objects(), 2) << "unpickling it took a reference (incref)";
        EXPECT_THAT(outer.str(), testing::StartsWith("{'inner': <ListProxy object, typeid 'list' "
                                                     "at 0x"))
            << "the server holds a proxy: its repr is BaseProxy's";
    }
    EXPECT_EQ(manager.number_of_objects(), 1);

    // test_list_proxy_in_list: a list of lists, each a proxy.
    auto lists = manager.list();
    for (int i = 0; i < 3; ++i) {
        auto item = manager.list();
        item.append(I(i).get());
        lists.append(item.reduce().get());
    }
    ListProxy second(lists.getitem(1).get(), manager.authkey());
    second.append(I(10).get());
    EXPECT_EQ(ListProxy(lists.getitem(1).get(), manager.authkey()).str(), "[1, 10]");
    EXPECT_THROW(ListProxy(I(5).get(), manager.authkey()), py::TypeError);
}

TEST(Sharing, Step52_AProxyPicklesAsPython3PicklesIt) {
    SyncManager manager;
    manager.start();
    auto list = manager.list();
    const std::string ours = py::pickle::dumps(list.reduce());
    const auto& path = std::get<std::string>(manager.address());
    sharing_test::Python python(
        R"(
import sys, pickle
from multiprocessing.managers import ListProxy, Token
p = ListProxy(Token("list", sys.argv[1], sys.argv[2]), "pickle", incref=False, manager_owned=True)
print(pickle.dumps(p, 4).hex(), flush=True)
)",
        {path, list.token().id});
    std::string hex;
    for (const unsigned char c : ours) {
        static const char* const digits = "0123456789abcdef";
        hex += digits[c >> 4];
        hex += digits[c & 15];
    }
    EXPECT_EQ(python.read_line(), hex) << "RebuildProxy(ListProxy, Token(...), 'pickle', {})";
    EXPECT_EQ(python.wait(), 0);

    SyncManager served(std::nullopt, std::string("py key"));
    served.start();
    sharing_test::Python client(kPythonNestedClient,
                                {std::get<std::string>(served.address()), "py key"});
    // The counts are CPython's own server's for the same script (len(id_to_refcount)).
    EXPECT_EQ(client.read_line(), "1") << "the stored list is in id_to_local_proxy_obj only";
    EXPECT_EQ(client.read_line(), "ListProxy [1, 2] 2") << "python3's nested proxies on our server";
    EXPECT_EQ(client.read_line(), "[[0], [1, 10], [2]] 3");
    EXPECT_EQ(client.wait(), 0);
}

}  // namespace
