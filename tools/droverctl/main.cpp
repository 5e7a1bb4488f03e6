// droverctl: the operator CLI. Everything but process setup lives in
// droverctl.cpp, so tests run the same code in-process.
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "tools/droverctl/api_client.h"
#include "tools/droverctl/droverctl.h"

int main(int argc, char** argv) {
    drover::ctl::CurlGlobal curl;
    std::vector<std::string> args(argv + 1, argv + argc);
    auto env = [](const char* name) -> std::optional<std::string> {
        const char* v = std::getenv(name);
        if (v == nullptr || *v == '\0') return std::nullopt;
        return std::string(v);
    };
    return drover::ctl::run_droverctl(args, std::cout, std::cerr, env);
}
