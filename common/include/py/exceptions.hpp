// Python's built-in exceptions, as C++ exceptions.
//
// Every chapter reports errors with these, carrying CPython's own message text where CPython has
// one, so that a Python programmer recognises `py::KeyError` or `py::RuntimeError("release unlocked
// lock")` at a glance. The hierarchy follows Python's (see "Exception hierarchy" in the Python
// library reference): catching `py::LookupError` also catches `py::KeyError`.
#pragma once

#include <any>
#include <exception>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace py {

// BaseException: the root. `what()` is the message alone, like `str(exc)` in Python;
// `python_name()` is the class name, so "KeyError: 'x'" is `python_name() + ": " + what()`.
class BaseException : public std::runtime_error {
  public:
    explicit BaseException(const std::string& message) : std::runtime_error(message) {}
    [[nodiscard]] virtual const char* python_name() const noexcept { return "BaseException"; }
    // "KeyError: 'x'", the line Python prints last in a traceback.
    [[nodiscard]] std::string formatted() const {
        return std::string(python_name()) + ": " + what();
    }
};

// Declares `Name : Base` with Python's class name. One line per exception keeps the hierarchy
// readable as a table.
#define PY_DECLARE_EXCEPTION(Name, Base)                                                  \
    class Name : public Base {                                                            \
      public:                                                                             \
        using Base::Base;                                                                 \
        [[nodiscard]] const char* python_name() const noexcept override { return #Name; } \
    }

PY_DECLARE_EXCEPTION(Exception, BaseException);
PY_DECLARE_EXCEPTION(ArithmeticError, Exception);
PY_DECLARE_EXCEPTION(OverflowError, ArithmeticError);
PY_DECLARE_EXCEPTION(ZeroDivisionError, ArithmeticError);
PY_DECLARE_EXCEPTION(AssertionError, Exception);
PY_DECLARE_EXCEPTION(AttributeError, Exception);
PY_DECLARE_EXCEPTION(EOFError, Exception);
PY_DECLARE_EXCEPTION(LookupError, Exception);
PY_DECLARE_EXCEPTION(IndexError, LookupError);
PY_DECLARE_EXCEPTION(KeyError, LookupError);
PY_DECLARE_EXCEPTION(MemoryError, Exception);
PY_DECLARE_EXCEPTION(OSError, Exception);
PY_DECLARE_EXCEPTION(BrokenPipeError, OSError);
PY_DECLARE_EXCEPTION(ConnectionError, OSError);
PY_DECLARE_EXCEPTION(ConnectionRefusedError, ConnectionError);
PY_DECLARE_EXCEPTION(ConnectionResetError, ConnectionError);
PY_DECLARE_EXCEPTION(FileExistsError, OSError);
PY_DECLARE_EXCEPTION(FileNotFoundError, OSError);
PY_DECLARE_EXCEPTION(TimeoutError, OSError);
PY_DECLARE_EXCEPTION(RuntimeError, Exception);
PY_DECLARE_EXCEPTION(NotImplementedError, RuntimeError);
PY_DECLARE_EXCEPTION(RecursionError, RuntimeError);
PY_DECLARE_EXCEPTION(TypeError, Exception);
PY_DECLARE_EXCEPTION(ValueError, Exception);
PY_DECLARE_EXCEPTION(UnicodeError, ValueError);
PY_DECLARE_EXCEPTION(UnicodeDecodeError, UnicodeError);
PY_DECLARE_EXCEPTION(ChildProcessError, OSError);
PY_DECLARE_EXCEPTION(ProcessLookupError, OSError);

// pickle's own (Lib/pickle.py): PickleError and its two children.
PY_DECLARE_EXCEPTION(PickleError, Exception);
PY_DECLARE_EXCEPTION(PicklingError, PickleError);
PY_DECLARE_EXCEPTION(UnpicklingError, PickleError);

// multiprocessing's own (Lib/multiprocessing/context.py): ProcessError and its children.
PY_DECLARE_EXCEPTION(ProcessError, Exception);
PY_DECLARE_EXCEPTION(AuthenticationError, ProcessError);
PY_DECLARE_EXCEPTION(BufferTooShort, ProcessError);
// Raised into a generator by close() (chapter 11). Like Python's, it is not an Exception.
PY_DECLARE_EXCEPTION(GeneratorExit, BaseException);

// ExceptionGroup (3.11, PEP 654): several exceptions raised together, e.g. by a TaskGroup.
// str() is "message (N sub-exception(s))".
class ExceptionGroup : public Exception {
  public:
    ExceptionGroup(const std::string& message, std::vector<std::exception_ptr> exceptions)
        : Exception(message + " (" + std::to_string(exceptions.size()) + " sub-exception" +
                    (exceptions.size() == 1 ? "" : "s") + ")"),
          message_(message),
          exceptions_(std::move(exceptions)) {}
    [[nodiscard]] const char* python_name() const noexcept override { return "ExceptionGroup"; }
    [[nodiscard]] const std::string& message() const noexcept { return message_; }
    [[nodiscard]] const std::vector<std::exception_ptr>& exceptions() const noexcept {
        return exceptions_;
    }

  private:
    std::string message_;
    std::vector<std::exception_ptr> exceptions_;
};

// StopIteration carries the return value of a finished generator (PEP 380): `value()` is empty
// for a plain `return`.
class StopIteration : public Exception {
  public:
    explicit StopIteration(std::any value = {}) : Exception(""), value_(std::move(value)) {}
    [[nodiscard]] const char* python_name() const noexcept override { return "StopIteration"; }
    [[nodiscard]] const std::any& value() const noexcept { return value_; }

  private:
    std::any value_;
};

// The class name Python prints for `error` ("ValueError"): python_name() for ours; a C++
// exception that is not one of ours has no Python class and is reported as "Exception", as the
// unraisable hook (chapter 02) reports it.
inline const char* exception_type_name(const std::exception_ptr& error) noexcept {
    try {
        std::rethrow_exception(error);
    } catch (const BaseException& e) {
        return e.python_name();
    } catch (...) {
        return "Exception";
    }
}

}  // namespace py
