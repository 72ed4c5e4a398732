// Step 35: globals a caller allows (Unpickler.find_class), and the classes, instances and calls
// that come with them, loaded and written back byte for byte as python3 wrote them.
#include <gtest/gtest.h>

#include <string>

#include "py/containers.hpp"
#include "py/exceptions.hpp"
#include "py/pickle.hpp"
#include "values.hpp"

namespace {

using namespace testing_values;
namespace pickle = py::pickle;

// python3: pickle.dumps([td, ns, td], protocol) for td = datetime.timedelta(days=1, seconds=2)
// (a REDUCE, fetched again with BINGET) and ns = argparse.Namespace(a=1) (NEWOBJ, then BUILD).
const char* const kProtocol4 =
    "80 04 95 50 00 00 00 00 00 00 00 5d 94 28 8c 08 64 61 74 65 74 69 6d 65 94 8c 09 74 69 6d 65 "
    "64 65 6c 74 61 94 93 94 4b 01 4b 02 4b 00 87 94 52 94 8c 08 61 72 67 70 61 72 73 65 94 8c 09 "
    "4e 61 6d 65 73 70 61 63 65 94 93 94 29 81 94 7d 94 8c 01 61 94 4b 01 73 62 68 05 65 2e";
const char* const kProtocol2 =
    "80 02 5d 71 00 28 63 64 61 74 65 74 69 6d 65 0a 74 69 6d 65 64 65 6c 74 61 0a 71 01 4b 01 4b "
    "02 4b 00 87 71 02 52 71 03 63 61 72 67 70 61 72 73 65 0a 4e 61 6d 65 73 70 61 63 65 0a 71 04 "
    "29 81 71 05 7d 71 06 58 01 00 00 00 61 71 07 4b 01 73 62 68 03 65 2e";

// Allows datetime.timedelta, a function whose call is kept as the call itself (so it pickles back
// the same), and the class argparse.Namespace; refuses the rest as CPython's docs' example does.
pickle::FindClass allow_two() {
    return [](const std::string& module, const std::string& name) -> py::Ref<py::Object> {
        if (module == "datetime" && name == "timedelta") {
            auto global = pickle::make_global(module, name);
            py::Object* self = global.get();
            global->call = [self](py::Object* args) -> py::Ref<py::Object> {
                return pickle::make_reduce(self, args);
            };
            return global;
        }
        if (module == "argparse" && name == "Namespace") {
            return pickle::make_global(module, name);
        }
        throw py::UnpicklingError("global '" + module + "." + name + "' is forbidden");
    };
}

TEST(ProcessPools, Step35_FindClassLoadsWhatTheCallerAllows) {
    EXPECT_THROW((void)pickle::loads(unhex(kProtocol4)), py::UnpicklingError)
        << "without a find_class only bytes and _codecs.encode load";
    for (const char* const data : {kProtocol4, kProtocol2}) {
        const auto value = pickle::loads(unhex(data), allow_two());
        ASSERT_EQ(value->ob_type, &py::List::Type);
        auto* list = static_cast<py::List*>(value.get());
        ASSERT_EQ(list->size(), 3);
        ASSERT_EQ(list->item(0)->ob_type, &pickle::Reduce::Type) << "what the call returned";
        EXPECT_EQ(list->item(2), list->item(0)) << "the memo gives the same object back";
        ASSERT_EQ(list->item(1)->ob_type, &pickle::Instance::Type) << "NEWOBJ's instance";
        auto* instance = static_cast<pickle::Instance*>(list->item(1));
        EXPECT_EQ(static_cast<pickle::Global*>(instance->cls.get())->name, "Namespace");
        EXPECT_EQ(py::repr(instance->state.get()), "{'a': 1}") << "BUILD's state";
        EXPECT_EQ(py::repr(list->item(1)), "<argparse.Namespace object>");
        const int protocol = data == kProtocol4 ? 4 : 2;
        EXPECT_EQ(hex(pickle::dumps(value, protocol)), data) << "written back as python3 wrote it";
    }
    // A refusal is find_class's own error; a class is not callable; NEWOBJ needs a class.
    try {
        (void)pickle::loads(unhex("80 04 8c 02 6f 73 94 8c 06 73 79 73 74 65 6d 94 93 94 2e"),
                            allow_two());
        ADD_FAILURE() << "os.system loaded";
    } catch (const py::UnpicklingError& error) {
        EXPECT_STREQ(error.what(), "global 'os.system' is forbidden");
    }
    const std::string ns =
        "80 04 8c 08 61 72 67 70 61 72 73 65 94 8c 09 4e 61 6d 65 73 70 61 63 65 "
        "94 93 94";
    EXPECT_THROW((void)pickle::loads(unhex(ns + " 29 52 2e"), allow_two()), py::TypeError)
        << "REDUCE of a class find_class gave no call";
    try {
        (void)pickle::loads(unhex("80 04 4b 01 29 81 2e"), allow_two());
        ADD_FAILURE() << "NEWOBJ of an int";
    } catch (const py::UnpicklingError& error) {
        EXPECT_STREQ(error.what(), "NEWOBJ class argument isn't a type object");
    }
}

}  // namespace
