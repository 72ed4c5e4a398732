// Everything chapter 02 builds (and chapter 01 under it), in one include.
#pragma once

#include "py/gc.hpp"
#include "py/instance.hpp"
#include "py/runtime.hpp"
