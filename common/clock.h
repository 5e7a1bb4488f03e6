#pragma once
#include <cstdint>
#include <string>

namespace drover {

int64_t unix_now_ms();                 // wall clock, milliseconds
std::string rfc3339(int64_t unix_ms);  // "2026-11-21T10:00:00Z"

}  // namespace drover
