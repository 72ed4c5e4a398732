// Proxies inside pickles (managers.py: BaseProxy.__reduce__, RebuildProxy, Token). A proxy stored
// in a managed dict or list travels as CPython writes it:
//
//     RebuildProxy(ListProxy, Token('list', address, id), 'pickle', {})
//
// (an AutoProxy's kwds carry its `exposed` methods). Loading such a pickle needs a find_class
// that allows these names (chapter 09's py::pickle refuses every class otherwise); RebuildProxy
// then runs `rebuild` with the token, and the value it loads as is the same reduction, which
// pickles back byte for byte.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "py/managers.hpp"
#include "py/object.hpp"
#include "py/pickle.hpp"
#include "py/ref.hpp"

namespace py::multiprocessing::detail {

// SyncManager's registrations: the proxy class of each typeid ("AutoProxy" for Queue, whose
// class CPython names AutoProxy[Queue]; "BaseProxy" for a typeid it does not register).
std::string proxy_class(const std::string& type_id);

// BaseProxy.__reduce__ for a proxy of `token` (the proxy class follows the typeid, as
// SyncManager registers them).
Ref<Object> reduce_proxy(const managers::Token& token);

// The token of a value reduce_proxy made (or a pickle of one loaded), nullopt for anything else.
std::optional<managers::Token> proxy_token(Object* value);

// find_class for a manager's requests and replies: multiprocessing.managers' RebuildProxy, its
// proxy classes and Token, and builtins.slice (slices.hpp); every other name is refused.
// `rebuild(token)` is what RebuildProxy does besides building the proxy (the server keeps the
// referent alive).
pickle::FindClass manager_find_class(std::function<void(const managers::Token&)> rebuild);

}  // namespace py::multiprocessing::detail
