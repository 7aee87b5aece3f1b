// The records of a spool segment: u32 body length and u32 CRC-32 of the body (little endian),
// then the body: u16 topic length, the topic, the payload. The CRC finds the torn record a
// crash can leave at the end of the file; nothing after it was ever ACKed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace pvm::gateway {

inline constexpr size_t kSpoolRecordHeader = 8;

uint32_t crc32(std::string_view data);

// Appends one record; false (nothing appended) when it would exceed kMaxSpoolRecord.
bool append_spool_record(std::string& out, std::string_view topic, std::string_view payload);

enum class SpoolRead { Record, NeedMore, Corrupt };

// Parses the record at the start of `data`. Record: `size` is its length in bytes. NeedMore:
// `size` is how many bytes the record needs once its header is there (else the header's size).
SpoolRead parse_spool_record(std::string_view data, std::string_view& topic, std::string_view& payload,
                             size_t& size);

}  // namespace pvm::gateway
