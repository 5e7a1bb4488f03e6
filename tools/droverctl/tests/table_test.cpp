#include <doctest/doctest.h>

#include "tools/droverctl/table.h"

using namespace drover::ctl;

TEST_CASE("columns are aligned to the widest cell with three spaces between, no trailing spaces") {
    Table t({"NAME", "STATUS", "LABELS"});
    t.add_row({"edge-1", "online", "role=gateway"});
    t.add_row({"e2", "offline since 2026-11-21T10:00:00Z", ""});
    CHECK(t.render() ==
          "NAME     STATUS                               LABELS\n"
          "edge-1   online                               role=gateway\n"
          "e2       offline since 2026-11-21T10:00:00Z\n");
}

TEST_CASE("a table with no rows renders its header only") {
    Table t({"A", "B"});
    CHECK(t.empty());
    CHECK(t.render() == "A   B\n");
}

TEST_CASE("missing cells are blank and extra cells are dropped") {
    Table t({"A", "B", "C"});
    t.add_row({"1"});
    t.add_row({"1", "2", "3", "4"});
    CHECK(t.render() == "A   B   C\n1\n1   2   3\n");
}

TEST_CASE("UTF-8 cells are measured in characters, not bytes") {
    Table t({"NAME", "X"});
    t.add_row({"h\xc3\xbc" "b", "1"});  // "hüb": 3 characters, 4 bytes
    t.add_row({"abcd", "2"});
    CHECK(t.render() == "NAME   X\nh\xc3\xbc" "b    1\nabcd   2\n");
    CHECK(display_width("h\xc3\xbc" "b") == 3);
}

TEST_CASE("control characters in cells cannot break rows or drive the terminal") {
    Table t({"MESSAGE", "N"});
    t.add_row({"line1\nline2\t\x1b[31mred", "1"});
    CHECK(t.render() == "MESSAGE                N\nline1 line2 ?[31mred   1\n");
    CHECK(printable("a\rb\x7f") == "a b?");
}
