#include "sha256.h"

#include <openssl/evp.h>

namespace pvm::cli {

std::string sha256(std::string_view bytes) {
  std::string digest(32, '\0');
  unsigned int size = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), reinterpret_cast<unsigned char*>(digest.data()), &size,
                 EVP_sha256(), nullptr) != 1 ||
      size != digest.size())
    return "";
  return digest;
}

}  // namespace pvm::cli
