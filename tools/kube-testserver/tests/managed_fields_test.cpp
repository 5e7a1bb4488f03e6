#include <doctest/doctest.h>

#include "tools/kube-testserver/managed_fields.h"

using namespace drover::kts;

namespace {

const FieldSchema kBuiltin(true);

UpdateWrite update_by(const std::string& manager) {
    return {manager, "", "v1", "2026-01-01T00:00:00Z", FieldScope::whole};
}

json with_data(const std::string& data) { return json{{"metadata", {{"name", "cm"}}}, {"data", json::parse(data)}}; }

}  // namespace

TEST_CASE("a create by Update owns every field it set") {
    ManagedFields entries;
    record_update(entries, nullptr, with_data(R"({"a": "1"})"), kBuiltin, update_by("kubectl-create"));
    REQUIRE(entries.size() == 1);
    CHECK(entries[0].operation == "Update");
    CHECK(entries[0].fields.to_fields_v1() == json::parse(R"({"f:data": {"f:a": {}}})"));
}

TEST_CASE("an update takes the fields it changes from their owner, without conflict") {
    json old = with_data(R"({"a": "1", "b": "2"})");
    FieldSet applied;
    applied.insert({"f:data", "f:a"});
    applied.insert({"f:data", "f:b"});
    ManagedFields entries{{"drover", "Apply", "v1", "t0", "", applied}};
    record_update(entries, &old, with_data(R"({"a": "edited", "b": "2"})"), kBuiltin, update_by("kubectl-edit"));
    REQUIRE(entries.size() == 2);
    CHECK(entries[0].fields.to_fields_v1() == json::parse(R"({"f:data": {"f:b": {}}})"));
    CHECK(entries[1].manager == "kubectl-edit");
    CHECK(entries[1].fields.to_fields_v1() == json::parse(R"({"f:data": {"f:a": {}}})"));
}

TEST_CASE("a field that disappears leaves every manager; managers left with nothing are dropped") {
    json old = with_data(R"({"a": "1"})");
    FieldSet applied;
    applied.insert({"f:data", "f:a"});
    ManagedFields entries{{"drover", "Apply", "v1", "t0", "", applied}};
    json updated = with_data("{}");
    record_update(entries, &old, updated, kBuiltin, update_by("kubectl"));
    CHECK(entries.empty());
}

TEST_CASE("managedFields round-trip through the object, and unreadable ones are an error") {
    json object = with_data(R"({"a": "1"})");
    FieldSet set;
    set.insert({"f:data", "f:a"});
    write_managed_fields(object,
                         {{"drover", "Apply", "v1", "t0", "", set}, {"x", "Update", "v1", "t1", "status", set}});
    auto read = read_managed_fields(object);
    REQUIRE(read);
    REQUIRE(read->size() == 2);
    CHECK((*read)[1].subresource == "status");
    CHECK((*read)[0].fields == set);
    CHECK(object["metadata"]["managedFields"][1]["subresource"] == "status");
    CHECK_FALSE(object["metadata"]["managedFields"][0].contains("subresource"));

    object["metadata"]["managedFields"][0]["operation"] = "Merge";
    auto bad = read_managed_fields(object);
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message == "metadata.managedFields[0].operation must be Apply or Update");
}

TEST_CASE("tracked fields leave out identity, and status where a status subresource owns it") {
    json object = json::parse(R"({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "uid": "u",
        "resourceVersion": "3", "labels": {"a": "b"}}, "spec": {"x": 1}, "status": {"phase": "Running"}})");
    CHECK(tracked_fields(object, kBuiltin, FieldScope::whole).to_fields_v1() ==
          json::parse(
              R"({"f:metadata": {"f:labels": {"f:a": {}}}, "f:spec": {"f:x": {}}, "f:status": {"f:phase": {}}})"));
    CHECK(tracked_fields(object, kBuiltin, FieldScope::main_without_status).to_fields_v1() ==
          json::parse(R"({"f:metadata": {"f:labels": {"f:a": {}}}, "f:spec": {"f:x": {}}})"));
    CHECK(tracked_fields(object, kBuiltin, FieldScope::status_only).to_fields_v1() ==
          json::parse(R"({"f:status": {"f:phase": {}}})"));
}

TEST_CASE("the default field manager is the User-Agent's product name") {
    CHECK(manager_from_user_agent("kubectl/v1.32.4 (linux/amd64) kubernetes/4cb5f07") == "kubectl");
    CHECK(manager_from_user_agent("curl/7.88.1") == "curl");
    CHECK(manager_from_user_agent("") == "");
    CHECK(manager_from_user_agent(std::string(300, 'x')).size() == 128);
}
