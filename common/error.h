#pragma once
// Expected failures are values. An Error carries the one line a person needs
// to act on it; exceptions are kept for bugs and broken infrastructure.
#include <expected>
#include <string>
#include <utility>

namespace drover {

struct Error {
    std::string message;
};

template <class T>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> fail(std::string message) {
    return std::unexpected(Error{std::move(message)});
}

}  // namespace drover
