#include <doctest/doctest.h>

#include "tools/kube-testserver/label_selector.h"

using namespace drover::kts;

namespace {

bool selects(const std::string& selector, const std::map<std::string, std::string>& labels) {
    auto s = LabelSelector::parse(selector);
    REQUIRE_MESSAGE(s, selector);
    return s->matches(labels);
}

}  // namespace

TEST_CASE("label selectors: equality, inequality, set membership and existence") {
    std::map<std::string, std::string> labels{{"app", "web"}, {"tier", "front"}, {"example.com/x", "1"}};
    CHECK(selects("", labels));
    CHECK(selects("app=web", labels));
    CHECK(selects("app==web,tier=front", labels));
    CHECK_FALSE(selects("app=web,tier=back", labels));
    CHECK(selects("app!=db", labels));
    CHECK(selects("missing!=x", labels));
    CHECK(selects("tier in (front, back)", labels));
    CHECK_FALSE(selects("tier notin (front)", labels));
    CHECK(selects("missing notin (x)", labels));
    CHECK(selects("app", labels));
    CHECK(selects("!missing", labels));
    CHECK_FALSE(selects("!app", labels));
    CHECK(selects("example.com/x=1", labels));
}

TEST_CASE("malformed label selectors are errors") {
    for (const char* bad : {"a in (b", "a in ()", "a wat (b)", "=b", "bad key!=x", "a=b,,c=d", "a=bad value!"})
        CHECK_MESSAGE(!LabelSelector::parse(bad), bad);
}

TEST_CASE("field selectors know metadata.name and metadata.namespace") {
    json object = {{"metadata", {{"name", "x"}, {"namespace", "web"}}}};
    auto by_name = FieldSelector::parse("metadata.name=x");
    REQUIRE(by_name);
    CHECK(by_name->matches_object(object));
    auto not_ns = FieldSelector::parse("metadata.namespace!=web");
    REQUIRE(not_ns);
    CHECK_FALSE(not_ns->matches_object(object));
    auto unsupported = FieldSelector::parse("spec.nodeName=n1");
    REQUIRE_FALSE(unsupported);
    CHECK(unsupported.error().message == "field label not supported: spec.nodeName");
}
