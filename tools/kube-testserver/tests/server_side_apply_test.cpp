#include <doctest/doctest.h>

#include "tools/kube-testserver/server_side_apply.h"

using namespace drover::kts;

namespace {

const FieldSchema kBuiltin(true);

ApplyOptions by(const std::string& manager, bool force = false) {
    ApplyOptions o;
    o.manager = manager;
    o.force = force;
    o.api_version = "v1";
    o.time = "2026-01-01T00:00:00Z";
    return o;
}

json config_map(const std::string& data_json) {
    return json{{"apiVersion", "v1"},
                {"kind", "ConfigMap"},
                {"metadata", {{"name", "cm"}, {"namespace", "ns"}}},
                {"data", json::parse(data_json)}};
}

json apply_ok(const json* live, const json& applied, const ApplyOptions& options) {
    auto result = server_side_apply(live, applied, kBuiltin, options);
    REQUIRE_MESSAGE(result, (result ? "" : result.error().message()));
    return *result;
}

json fields_of_manager(const json& object, const std::string& manager) {
    for (const auto& e : object["metadata"].value("managedFields", json::array()))
        if (e["manager"] == manager) return e["fieldsV1"];
    return nullptr;
}

}  // namespace

TEST_CASE("the first apply creates the object and one Apply entry owning what was applied") {
    json created = apply_ok(nullptr, config_map(R"({"a": "1", "b": "2"})"), by("drover"));
    CHECK(created["data"] == json::parse(R"({"a": "1", "b": "2"})"));
    const json& entries = created["metadata"]["managedFields"];
    REQUIRE(entries.size() == 1);
    CHECK(entries[0]["manager"] == "drover");
    CHECK(entries[0]["operation"] == "Apply");
    CHECK(entries[0]["fieldsType"] == "FieldsV1");
    CHECK(entries[0]["fieldsV1"] == json::parse(R"({"f:data": {"f:a": {}, "f:b": {}}})"));
}

TEST_CASE("fields a manager stops applying are removed; fields it still applies are updated") {
    json live = apply_ok(nullptr, config_map(R"({"a": "1", "b": "2"})"), by("drover"));
    json next = apply_ok(&live, config_map(R"({"a": "changed"})"), by("drover"));
    CHECK(next["data"] == json::parse(R"({"a": "changed"})"));
    CHECK(fields_of_manager(next, "drover") == json::parse(R"({"f:data": {"f:a": {}}})"));
    // The last field gone: the emptied map goes too, as Go's omitempty would.
    json applied = config_map("{}");
    applied.erase("data");
    json last = apply_ok(&next, applied, by("drover"));
    CHECK_FALSE(last.contains("data"));
    CHECK_FALSE(last["metadata"].contains("managedFields"));
}

TEST_CASE("a field another manager set to a different value conflicts, naming the field and the manager") {
    json live = apply_ok(nullptr, config_map(R"({"a": "1", "b": "2"})"), by("kubectl"));
    auto refused = server_side_apply(&live, config_map(R"({"a": "mine"})"), kBuiltin, by("other"));
    REQUIRE_FALSE(refused);
    CHECK(refused.error().message() == "Apply failed with 1 conflict: conflict with \"kubectl\": .data.a");
    CHECK(refused.error().causes() ==
          json::parse(
              R"([{"type": "FieldManagerConflict", "message": "conflict with \"kubectl\"", "field": ".data.a"}])"));

    auto several = server_side_apply(&live, config_map(R"({"a": "x", "b": "y"})"), kBuiltin, by("other"));
    REQUIRE_FALSE(several);
    CHECK(several.error().message() ==
          "Apply failed with 2 conflicts: conflicts with \"kubectl\":\n- .data.a\n- .data.b");
}

TEST_CASE("applying the same value as another manager is not a conflict: both own the field") {
    json live = apply_ok(nullptr, config_map(R"({"a": "1"})"), by("kubectl"));
    json shared = apply_ok(&live, config_map(R"({"a": "1"})"), by("other"));
    CHECK(fields_of_manager(shared, "kubectl") == json::parse(R"({"f:data": {"f:a": {}}})"));
    CHECK(fields_of_manager(shared, "other") == json::parse(R"({"f:data": {"f:a": {}}})"));
    // One owner letting go does not remove a field the other still owns.
    json applied = config_map("{}");
    applied.erase("data");
    json released = apply_ok(&shared, applied, by("kubectl"));
    CHECK(released["data"]["a"] == "1");
    CHECK(fields_of_manager(released, "kubectl").is_null());
}

TEST_CASE("force takes the conflicting fields from their manager and leaves it the rest") {
    json live = apply_ok(nullptr, config_map(R"({"a": "1", "b": "2"})"), by("kubectl"));
    json forced = apply_ok(&live, config_map(R"({"a": "mine"})"), by("drover", true));
    CHECK(forced["data"] == json::parse(R"({"a": "mine", "b": "2"})"));
    CHECK(fields_of_manager(forced, "kubectl") == json::parse(R"({"f:data": {"f:b": {}}})"));
    CHECK(fields_of_manager(forced, "drover") == json::parse(R"({"f:data": {"f:a": {}}})"));
    // kubectl re-applying its old value now conflicts with drover.
    auto back = server_side_apply(&forced, config_map(R"({"a": "1", "b": "2"})"), kBuiltin, by("kubectl"));
    REQUIRE_FALSE(back);
    CHECK(back.error().message() == "Apply failed with 1 conflict: conflict with \"drover\": .data.a");
}

TEST_CASE("an Update manager's fields conflict too, described with its API version and time") {
    json live = config_map(R"({"a": "edited"})");
    live["metadata"]["managedFields"] = json::parse(R"([{"manager": "kubectl-edit", "operation": "Update",
        "apiVersion": "v1", "time": "2026-01-02T03:04:05Z", "fieldsType": "FieldsV1",
        "fieldsV1": {"f:data": {"f:a": {}}}}])");
    auto refused = server_side_apply(&live, config_map(R"({"a": "mine"})"), kBuiltin, by("drover"));
    REQUIRE_FALSE(refused);
    CHECK(refused.error().message() ==
          "Apply failed with 1 conflict: conflict with \"kubectl-edit\" using v1 at 2026-01-02T03:04:05Z: .data.a");
}

TEST_CASE("containers merge by name: another manager's container and fields survive an apply") {
    auto deployment = [](const std::string& containers) {
        return json{{"apiVersion", "apps/v1"},
                    {"kind", "Deployment"},
                    {"metadata", {{"name", "web"}}},
                    {"spec", {{"template", {{"spec", {{"containers", json::parse(containers)}}}}}}}};
    };
    json live = apply_ok(nullptr, deployment(R"([{"name": "app", "image": "app:1"}])"), by("drover"));
    json sidecar = apply_ok(
        &live,
        deployment(R"([{"name": "app", "resources": {"limits": {"cpu": "1"}}}, {"name": "proxy", "image": "envoy"}])"),
        by("mesh"));
    json updated = apply_ok(&sidecar, deployment(R"([{"name": "app", "image": "app:2"}])"), by("drover"));
    const json& containers = updated["spec"]["template"]["spec"]["containers"];
    REQUIRE(containers.size() == 2);
    CHECK(containers[0] == json::parse(R"({"name": "app", "image": "app:2", "resources": {"limits": {"cpu": "1"}}})"));
    CHECK(containers[1] == json::parse(R"({"name": "proxy", "image": "envoy"})"));

    // drover dropping its container keeps it: mesh still owns fields in it.
    json dropped = apply_ok(&updated, deployment(R"([])"), by("drover"));
    const json& left = dropped["spec"]["template"]["spec"]["containers"];
    REQUIRE(left.size() == 2);
    CHECK_FALSE(left[0].contains("image"));
}

TEST_CASE("an atomic list is replaced whole and owned as one field") {
    json live = apply_ok(nullptr, json::parse(R"({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
        "spec": {"containers": [{"name": "c", "args": ["a", "b"]}]}})"),
                         by("drover"));
    json changed = apply_ok(&live, json::parse(R"({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
        "spec": {"containers": [{"name": "c", "args": ["z"]}]}})"),
                            by("drover"));
    CHECK(changed["spec"]["containers"][0]["args"] == json::parse(R"(["z"])"));
    auto refused = server_side_apply(&changed, json::parse(R"({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "args": ["y"]}]}})"),
                                     kBuiltin, by("other"));
    REQUIRE_FALSE(refused);
    CHECK(refused.error().conflicts.at(0).path == R"(.spec.containers[name="c"].args)");
}

TEST_CASE("explicit nulls in an applied configuration are absent fields") {
    json applied = config_map(R"({"a": "1", "b": null})");
    json created = apply_ok(nullptr, applied, by("drover"));
    CHECK(created["data"] == json::parse(R"({"a": "1"})"));
    CHECK(fields_of_manager(created, "drover") == json::parse(R"({"f:data": {"f:a": {}}})"));
}

TEST_CASE("identity and server-set metadata are never owned") {
    json applied = config_map(R"({"a": "1"})");
    applied["metadata"]["labels"] = {{"app", "x"}};
    json created = apply_ok(nullptr, applied, by("drover"));
    CHECK(fields_of_manager(created, "drover") ==
          json::parse(R"({"f:data": {"f:a": {}}, "f:metadata": {"f:labels": {"f:app": {}}}})"));
}

TEST_CASE("the status scope owns only .status and leaves the rest alone") {
    json live = apply_ok(nullptr, json::parse(R"({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web"}, "spec": {"replicas": 3}})"),
                         by("drover"));
    ApplyOptions status = by("test");
    status.scope = FieldScope::status_only;
    status.subresource = "status";
    json ready = apply_ok(&live, json::parse(R"({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web"}, "status": {"readyReplicas": 3}})"),
                          status);
    CHECK(ready["spec"]["replicas"] == 3);
    CHECK(ready["status"]["readyReplicas"] == 3);
    json entries = ready["metadata"]["managedFields"];
    REQUIRE(entries.size() == 2);
    CHECK(entries[1]["subresource"] == "status");
    CHECK(entries[1]["fieldsV1"] == json::parse(R"({"f:status": {"f:readyReplicas": {}}})"));
}
