// Everything chapters 01-04 build, in one include.
#pragma once

#include "py/gc_module.hpp"
#include "py/heap.hpp"
#include "py/pools.hpp"
