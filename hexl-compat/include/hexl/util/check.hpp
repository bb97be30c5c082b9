// ckks-accel hexl-compat: argument checks. Unlike Intel HEXL, whose HEXL_CHECK is active only in
// debug builds, every precondition of this layer is checked in every build: a violation throws
// intel::hexl::Error (a std::invalid_argument) carrying the ckks-accel status and message.
#pragma once

#include <stdexcept>
#include <string>

#include "hexl/util/compiler.hpp"

namespace intel {
namespace hexl {

/// The exception every hexl-compat call throws on bad input (null pointer, wrong length, degree
/// or modulus, unsupported mod factor, wrong root, input out of its documented range).
/// what() is the ckks-accel message; status() the C ABI's CkksStatus code.
class Error : public std::invalid_argument {
 public:
  /// An error with ckks-accel status code `status` and message `msg`.
  Error(int status, const std::string& msg)
      : std::invalid_argument(msg), m_status(status) {}
  /// The CkksStatus code (see ckks_accel.h) of the failed call.
  int status() const noexcept { return m_status; }

 private:
  int m_status;
};

}  // namespace hexl
}  // namespace intel

/// Throws intel::hexl::Error(CKKS_STATUS_INVALID_ARGUMENT, message) unless `cond` holds (in
/// every build, unlike HEXL's debug-only macro). `msg` may use operator<< chains.
#define HEXL_CHECK(cond, msg)                                     \
  do {                                                            \
    if (!(cond)) {                                                \
      std::string hexl_check_msg_ = std::string("HEXL_CHECK(") +  \
                                    #cond + ") failed";           \
      throw ::intel::hexl::Error(3, hexl_check_msg_);             \
    }                                                             \
  } while (0)
