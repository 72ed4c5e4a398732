// int, bool and float (Objects/longobject.c, Objects/boolobject.c, Objects/floatobject.c).
#include <array>
#include <charconv>
#include <cmath>
// kata: skeleton // KATA (lesson §5, §7 and §9: steps 8, 13 and 17). The type objects and the static True and
// kata: skeleton // False are given; the slot functions and factories are yours.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <system_error>

#include "py/kata.hpp"
#include "py/scalars.hpp"

namespace py {
namespace {

// kata: begin replace
// Numeric hashes reduce modulo the Mersenne prime 2**61 - 1 (Include/cpython/pyhash.h), so that
// equal numbers of different types hash alike: hash(1) == hash(1.0) == hash(True).
constexpr int HASH_BITS = 61;
constexpr std::uint64_t HASH_MODULUS = (std::uint64_t{1} << HASH_BITS) - 1;
constexpr hash_t HASH_INF = 314159;

hash_t int_hash_value(long long value) {
    // |value| mod P, then the sign back; -1 is reserved for errors, so it becomes -2.
    const std::uint64_t magnitude = value < 0 ? std::uint64_t{0} - static_cast<std::uint64_t>(value)
                                              : static_cast<std::uint64_t>(value);
    auto result = static_cast<hash_t>(magnitude % HASH_MODULUS);
    if (value < 0) {
        result = -result;
    }
    return result == -1 ? -2 : result;
}
// kata: skeleton // Numeric hashes reduce modulo the Mersenne prime 2**61 - 1 (Include/cpython/pyhash.h).
// kata: skeleton [[maybe_unused]] constexpr int HASH_BITS = 61;
// kata: skeleton [[maybe_unused]] constexpr std::uint64_t HASH_MODULUS = (std::uint64_t{1} << HASH_BITS) - 1;
// kata: skeleton [[maybe_unused]] constexpr hash_t HASH_INF = 314159;
// kata: end

hash_t int_hash(Object* self) {
    // kata: begin §7
    return int_hash_value(static_cast<Int*>(self)->ob_ival);
    // kata: end
}

hash_t float_hash(Object* self) {
    // kata: begin §7
    // _Py_HashDouble: the value of the float as a fraction, reduced modulo P.
    const double value = static_cast<Float*>(self)->ob_fval;
    if (std::isinf(value)) {
        return value > 0 ? HASH_INF : -HASH_INF;
    }
    if (std::isnan(value)) {
        return static_cast<hash_t>(reinterpret_cast<std::uintptr_t>(self) >> 4);  // by identity
    }
    int exponent = 0;
    double mantissa = std::frexp(value, &exponent);
    int sign = 1;
    if (mantissa < 0) {
        sign = -1;
        mantissa = -mantissa;
    }
    std::uint64_t x = 0;
    while (mantissa != 0.0) {  // 28 bits at a time
        x = ((x << 28) & HASH_MODULUS) | x >> (HASH_BITS - 28);
        mantissa *= 268435456.0;  // 2**28
        exponent -= 28;
        const auto digit = static_cast<std::uint64_t>(mantissa);
        mantissa -= static_cast<double>(digit);
        x += digit;
        if (x >= HASH_MODULUS) {
            x -= HASH_MODULUS;
        }
    }
    exponent = exponent >= 0 ? exponent % HASH_BITS : HASH_BITS - 1 - ((-1 - exponent) % HASH_BITS);
    x = ((x << exponent) & HASH_MODULUS) | x >> (HASH_BITS - exponent);
    auto result = static_cast<hash_t>(x) * sign;
    return result == -1 ? -2 : result;
    // kata: end
}

// kata: begin replace
bool is_number(const Object* op) {
    return Int::check(op) || op->ob_type == &Float::Type;
}

// Exact comparison of an integer with a double, as float_richcompare does: no rounding of a
// large integer to the nearest double.
bool int_equals_double(long long integer, double real) {
    if (!std::isfinite(real) || std::trunc(real) != real) {
        return false;
    }
    if (real < -9223372036854775808.0 || real >= 9223372036854775808.0) {
        return false;
    }
    return static_cast<long long>(real) == integer;
}

// kata: skeleton // int == int, int == float, float == float; NotImplemented for anything that is not a number.
// kata: end
Comparison number_equal(Object* self, Object* other) {
    // kata: begin §7
    if (!is_number(other)) {
        return Comparison::NotImplemented;
    }
    bool same = false;
    if (Int::check(self) && Int::check(other)) {
        same = static_cast<Int*>(self)->ob_ival == static_cast<Int*>(other)->ob_ival;
    } else if (Int::check(self)) {
        same = int_equals_double(static_cast<Int*>(self)->ob_ival,
                                 static_cast<Float*>(other)->ob_fval);
    } else if (Int::check(other)) {
        same = int_equals_double(static_cast<Int*>(other)->ob_ival,
                                 static_cast<Float*>(self)->ob_fval);
    } else {
        same = static_cast<Float*>(self)->ob_fval == static_cast<Float*>(other)->ob_fval;
    }
    return same ? Comparison::True : Comparison::False;
    // kata: end
}

std::string int_repr(Object* self) {
    // kata: begin §9
    return std::to_string(static_cast<Int*>(self)->ob_ival);
    // kata: end
}

std::string bool_repr(Object* self) {
    // kata: begin §9
    return static_cast<Int*>(self)->ob_ival != 0 ? "True" : "False";
    // kata: end
}

// kata: begin replace
// float.__repr__: the shortest digits that read back as the same double, in fixed notation
// when the decimal exponent is in [-4, 16), else in exponent notation (Python/pystrtod.c, 'r').
// kata: end
std::string float_repr(Object* self) {
    // kata: begin §9
    const double value = static_cast<Float*>(self)->ob_fval;
    if (std::isnan(value)) {
        return "nan";
    }
    if (std::isinf(value)) {
        return value > 0 ? "inf" : "-inf";
    }
    std::array<char, 64> buffer{};
    const auto [end, error] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value,
                                            std::chars_format::scientific);
    (void)error;                                       // 64 bytes always suffice for a double
    const std::string scientific(buffer.data(), end);  // "-1.2345e+02"
    const std::size_t e_at = scientific.find('e');
    const int exponent = std::atoi(scientific.c_str() + e_at + 1);
    const bool negative = scientific[0] == '-';
    std::string digits;
    for (std::size_t i = negative ? 1 : 0; i < e_at; ++i) {
        if (scientific[i] != '.') {
            digits += scientific[i];
        }
    }
    std::string out = negative ? "-" : "";
    if (exponent < -4 || exponent >= 16) {
        out += digits.substr(0, 1);
        if (digits.size() > 1) {
            out += "." + digits.substr(1);
        }
        out += exponent < 0 ? "e-" : "e+";
        const int magnitude = std::abs(exponent);
        out += (magnitude < 10 ? "0" : "") + std::to_string(magnitude);
    } else if (exponent < 0) {
        out += "0." + std::string(static_cast<std::size_t>(-exponent - 1), '0') + digits;
    } else {
        const auto integer_digits = static_cast<std::size_t>(exponent) + 1;
        if (digits.size() <= integer_digits) {
            out += digits + std::string(integer_digits - digits.size(), '0') + ".0";
        } else {
            out += digits.substr(0, integer_digits) + "." + digits.substr(integer_digits);
        }
    }
    return out;
    // kata: end
}

void number_dealloc(Object* self) {
    // kata: begin §5 noexcept
    free_object(self);
    // kata: end
}

void bool_dealloc(Object* self) {
    fatal_error("py::dealloc", "deallocating True or False", self);
}

// True and False: statically allocated, never on refchain. Their count starts at 1 for the
// reference the runtime itself holds, so they are never deallocated by correct code.
// kata: begin replace
Bool false_object{{PY_OBJECT_HEAD_INIT(&Bool::Type), 0}};
Bool true_object{{PY_OBJECT_HEAD_INIT(&Bool::Type), 1}};
// kata: skeleton [[maybe_unused]] Bool false_object{{PY_OBJECT_HEAD_INIT(&Bool::Type), 0}};
// kata: skeleton [[maybe_unused]] Bool true_object{{PY_OBJECT_HEAD_INIT(&Bool::Type), 1}};
// kata: end

}  // namespace

TypeObject Int::Type = {.tp_name = "int",
                        .tp_basicsize = sizeof(Int),
                        .tp_dealloc = &number_dealloc,
                        .tp_repr = &int_repr,
                        .tp_hash = &int_hash,
                        .tp_equal = &number_equal};

TypeObject Bool::Type = {.tp_name = "bool",
                         .tp_basicsize = sizeof(Bool),
                         .tp_dealloc = &bool_dealloc,
                         .tp_repr = &bool_repr,
                         .tp_hash = &int_hash,
                         .tp_equal = &number_equal};

TypeObject Float::Type = {.tp_name = "float",
                          .tp_basicsize = sizeof(Float),
                          .tp_dealloc = &number_dealloc,
                          .tp_repr = &float_repr,
                          .tp_hash = &float_hash,
                          .tp_equal = &number_equal};

Ref<Int> Int::create(long long value) {
    // kata: begin §5
    auto* op = static_cast<Int*>(alloc_object(&Int::Type));
    op->ob_ival = value;
    return Ref<Int>::steal(op);
    // kata: end
}

bool Int::check(const Object* op) noexcept {
    return op->ob_type == &Int::Type || op->ob_type == &Bool::Type;
}

Ref<Bool> True() {
    // kata: begin §5
    return Ref<Bool>::borrow(&true_object);
    // kata: end
}
Ref<Bool> False() {
    // kata: begin §5
    return Ref<Bool>::borrow(&false_object);
    // kata: end
}
Ref<Bool> to_bool(bool value) {
    // kata: begin §5
    return value ? True() : False();
    // kata: end
}

Ref<Float> Float::create(double value) {
    // kata: begin §5
    auto* op = static_cast<Float*>(alloc_object(&Float::Type));
    op->ob_fval = value;
    return Ref<Float>::steal(op);
    // kata: end
}

}  // namespace py
