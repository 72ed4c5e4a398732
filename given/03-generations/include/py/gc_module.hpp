// Everything chapters 01-03 build, in one include.
#pragma once

#include "py/generations.hpp"
#include "py/mark_sweep.hpp"
