#pragma once
// zlib-format compression of spec content. Specs are compressed once at the
// hub and sent as-is to every agent (cheaper than permessage-deflate).
#include <string>
#include <string_view>

#include "common/error.h"

namespace drover {

std::string deflate_bytes(std::string_view data);
// Refuses output larger than max_out: a small frame must not inflate into
// gigabytes (zip bomb).
Result<std::string> inflate_bytes(std::string_view data, size_t max_out);

}  // namespace drover
