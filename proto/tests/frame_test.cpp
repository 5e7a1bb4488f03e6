#include <doctest/doctest.h>

#include "proto/frame.h"

using namespace drover;

TEST_CASE("frames round-trip") {
    v1::Envelope env;
    env.mutable_ack()->set_up_to_seq(42);
    auto back = wire::decode(wire::encode(env));
    REQUIRE(back);
    CHECK(back->ack().up_to_seq() == 42);
    CHECK(std::string(wire::message_name(*back)) == "ack");
}

TEST_CASE("oversized, garbage and empty frames are refused") {
    CHECK(wire::decode(std::string(100, 'x'), 10).error().message.find("exceeds") != std::string::npos);
    CHECK_FALSE(wire::decode("\xff\xff\xff\xff\xff"));
    CHECK(wire::decode("").error().message == "frame carries no message");
}
