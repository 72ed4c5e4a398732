// Everything chapter 01 builds, in one include.
#pragma once

#include "py/containers.hpp"
#include "py/object.hpp"
#include "py/ref.hpp"
#include "py/refchain.hpp"
#include "py/scalars.hpp"
