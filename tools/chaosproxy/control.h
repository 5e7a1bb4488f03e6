#pragma once
// The commands of the control channel and of --script files, one per line:
//   cut | stall | resume | delay D | rate R | rate off | chaos on|off
//   | refuse on|off | stats
// Parsing only; the relay carries them out and answers "ok ..." or
// "error <reason>".
#include <cstdint>
#include <string_view>
#include <variant>

#include "common/error.h"

namespace drover::chaosproxy::command {

struct Cut {};        // reset every open connection now
struct Stall {};      // every connection, open and new, discards until Resume
struct Resume {};     // end every stall, commanded or random
struct SetDelay {     // forward each byte no earlier than this after reading it
    int64_t ms = 0;
};
struct SetRate {      // per connection and direction; 0 = unlimited
    uint64_t bytes_per_s = 0;
};
struct SetChaos {     // random cuts and stalls on or off
    bool on = false;
};
struct SetRefuse {    // new connections reset at once
    bool on = false;
};
struct Stats {};

}  // namespace drover::chaosproxy::command

namespace drover::chaosproxy {

using Command = std::variant<command::Cut, command::Stall, command::Resume, command::SetDelay, command::SetRate,
                             command::SetChaos, command::SetRefuse, command::Stats>;

// One command line, without its line ending; surrounding blanks are ignored.
Result<Command> parse_command(std::string_view line);

}  // namespace drover::chaosproxy
