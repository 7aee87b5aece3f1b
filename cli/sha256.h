// SHA-256 by OpenSSL's libcrypto: the module cache names its files and checks their contents with
// it (the JIT cache uses LLVM's, which a build without the JIT lacks).
#pragma once

#include <string>
#include <string_view>

namespace pvm::cli {

// The 32 bytes of the digest of `bytes`; empty when libcrypto fails (it could not allocate).
std::string sha256(std::string_view bytes);

}  // namespace pvm::cli
