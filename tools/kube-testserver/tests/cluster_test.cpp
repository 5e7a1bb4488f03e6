#include <doctest/doctest.h>

#include <chrono>
#include <thread>

#include "tools/kube-testserver/cluster.h"

using namespace drover::kts;

namespace {

struct Fixture {
    Cluster cluster;

    ResourceType type(const std::string& group, const std::string& version, const std::string& plural) {
        auto t = cluster.find_type(group, version, plural);
        REQUIRE_MESSAGE(t, group, "/", version, "/", plural);
        return *t;
    }
    Target at(const std::string& group, const std::string& version, const std::string& plural, const std::string& ns,
              const std::string& name = "", const std::string& sub = "") {
        return {type(group, version, plural), ns, name, sub};
    }
    ApiReply ok(const ApiResult& r) {
        REQUIRE_MESSAGE(r, (r ? "" : r.error().message()));
        return *r;
    }
    ApiError err(const ApiResult& r) {
        REQUIRE_FALSE(r);
        return r.error();
    }
    ApiResult apply(const Target& t, const json& body, const std::string& manager = "drover", bool force = true) {
        WriteOptions o;
        o.field_manager = manager;
        o.force = force;
        return cluster.patch(t, PatchType::apply, body.dump(), o);
    }
    void make_namespace(const std::string& name) {
        ok(apply(at("", "v1", "namespaces", "", name),
                 {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", name}}}}));
    }
};

json config_map(const std::string& name, const std::string& ns, json data, json labels = json::object()) {
    return {{"apiVersion", "v1"},
            {"kind", "ConfigMap"},
            {"metadata", {{"name", name}, {"namespace", ns}, {"labels", labels}}},
            {"data", data}};
}

json deployment(const std::string& name, const std::string& ns, int replicas, const std::string& image = "nginx") {
    json d = json::parse(R"({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {},
        "spec": {"selector": {"matchLabels": {}}, "template": {"metadata": {"labels": {}},
                 "spec": {"containers": [{"name": "main"}]}}}})");
    d["metadata"] = {{"name", name}, {"namespace", ns}};
    d["spec"]["replicas"] = replicas;
    d["spec"]["selector"]["matchLabels"]["app"] = name;
    d["spec"]["template"]["metadata"]["labels"]["app"] = name;
    d["spec"]["template"]["spec"]["containers"][0]["image"] = image;
    return d;
}

json widget_crd() {
    return json::parse(R"({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {"group": "example.com", "scope": "Namespaced",
                 "names": {"kind": "Widget", "plural": "widgets"},
                 "versions": [{"name": "v1", "served": true, "storage": true,
                               "schema": {"openAPIV3Schema": {"type": "object"}},
                               "subresources": {"status": {}}}]}})");
}

std::string rv(const json& object) { return object["metadata"]["resourceVersion"].get<std::string>(); }

}  // namespace

TEST_CASE("apply creates (201), updates (200) and a repeated apply changes nothing, not even resourceVersion") {
    Fixture f;
    f.make_namespace("web");
    Target cm = f.at("", "v1", "configmaps", "web", "settings");
    ApiReply created = f.ok(f.apply(cm, config_map("settings", "web", {{"a", "1"}})));
    CHECK(created.code == 201);
    CHECK_FALSE(created.body["metadata"]["uid"].get<std::string>().empty());
    CHECK_FALSE(created.body["metadata"]["creationTimestamp"].get<std::string>().empty());

    ApiReply same = f.ok(f.apply(cm, config_map("settings", "web", {{"a", "1"}})));
    CHECK(same.code == 200);
    CHECK(rv(same.body) == rv(created.body));

    ApiReply changed = f.ok(f.apply(cm, config_map("settings", "web", {{"a", "2"}})));
    CHECK(std::stoull(rv(changed.body)) > std::stoull(rv(created.body)));
    CHECK(changed.body["metadata"]["uid"] == created.body["metadata"]["uid"]);
    CHECK(f.ok(f.cluster.get(cm)).body["data"]["a"] == "2");
}

TEST_CASE("a missing object is a NotFound Status worded like Kubernetes'") {
    Fixture f;
    ApiError e = f.err(f.cluster.get(f.at("", "v1", "configmaps", "default", "x")));
    CHECK(e.code == 404);
    CHECK(e.reason() == "NotFound");
    CHECK(e.message() == "configmaps \"x\" not found");
    CHECK(e.status["details"] == json::parse(R"({"name": "x", "kind": "configmaps"})"));
    ApiError grouped = f.err(f.cluster.get(f.at("apps", "v1", "deployments", "default", "web")));
    CHECK(grouped.message() == "deployments.apps \"web\" not found");
    CHECK(grouped.status["details"]["group"] == "apps");
}

TEST_CASE("objects go into existing namespaces only") {
    Fixture f;
    ApiError e = f.err(f.apply(f.at("", "v1", "configmaps", "nowhere", "x"), config_map("x", "nowhere", {{"a", "1"}})));
    CHECK(e.code == 404);
    CHECK(e.message() == "namespaces \"nowhere\" not found");
}

TEST_CASE("apply without a field manager is refused as Kubernetes refuses it") {
    Fixture f;
    ApiError e = f.err(f.apply(f.at("", "v1", "configmaps", "default", "x"), config_map("x", "default", {}), ""));
    CHECK(e.code == 422);
    CHECK(e.message() ==
          "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch");
}

TEST_CASE("apply checks apiVersion, kind, name and namespace against the URL") {
    Fixture f;
    Target cm = f.at("", "v1", "configmaps", "default", "x");
    json wrong_version = config_map("x", "default", {});
    wrong_version["apiVersion"] = "v2";
    CHECK(f.err(f.apply(cm, wrong_version)).message() ==
          "Incorrect version specified in apply patch. Specified patch version: v2, expected: v1");
    json wrong_kind = config_map("x", "default", {});
    wrong_kind["kind"] = "Secret";
    CHECK(f.err(f.apply(cm, wrong_kind)).code == 400);
    CHECK(f.err(f.apply(cm, config_map("y", "default", {}))).message() ==
          "the name of the object (y) does not match the name on the URL (x)");
    json nameless = config_map("x", "default", {});
    nameless["metadata"].erase("name");
    CHECK(f.err(f.apply(cm, nameless)).message() == "the name of the object () does not match the name on the URL (x)");
    CHECK(f.err(f.apply(cm, config_map("x", "other", {}))).message() ==
          "the namespace of the provided object does not match the namespace sent on the request");
}

TEST_CASE("invalid names and labels are 422 Invalid with one cause per field") {
    Fixture f;
    ApiError e =
        f.err(f.apply(f.at("", "v1", "configmaps", "default", "Bad_Name"), config_map("Bad_Name", "default", {})));
    CHECK(e.code == 422);
    CHECK(e.reason() == "Invalid");
    CHECK(
        e.message().starts_with("ConfigMap \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\": a "
                                "lowercase RFC 1123 subdomain"));
    REQUIRE(e.status["details"]["causes"].size() == 1);
    CHECK(e.status["details"]["causes"][0]["field"] == "metadata.name");
    CHECK(e.status["details"]["causes"][0]["reason"] == "FieldValueInvalid");
    CHECK(e.status["details"]["kind"] == "ConfigMap");

    ApiError labels = f.err(f.apply(f.at("", "v1", "configmaps", "default", "ok"),
                                    config_map("ok", "default", {}, {{"bad key!", "v"}, {"k", "bad value!"}})));
    CHECK(labels.status["details"]["causes"].size() == 2);
    CHECK(labels.message().find("is invalid: [") != std::string::npos);
}

TEST_CASE("a Deployment needs a selector matching its template and containers with images") {
    Fixture f;
    json d = deployment("web", "default", 1);
    d["spec"]["template"]["metadata"]["labels"]["app"] = "other";
    d["spec"]["template"]["spec"]["containers"][0].erase("image");
    ApiError e = f.err(f.apply(f.at("apps", "v1", "deployments", "default", "web"), d));
    CHECK(e.code == 422);
    CHECK(e.message().starts_with("Deployment.apps \"web\" is invalid: ["));
    CHECK(e.message().find("spec.template.metadata.labels: Invalid value") != std::string::npos);
    CHECK(e.message().find("spec.template.spec.containers[0].image: Required value") != std::string::npos);
}

TEST_CASE("a bad request body is a 400, not a crash") {
    Fixture f;
    Target cm = f.at("", "v1", "configmaps", "default", "x");
    WriteOptions o;
    o.field_manager = "t";
    for (const char* body : {"", "{", "[1,2]", "\"x\"", "{\"data\": {\"a\": 1}}", "{\"metadata\": []}", "a: [b",
                             "{\"metadata\": {\"labels\": {\"a\": {\"b\": 1}}}}"}) {
        auto r = f.cluster.patch(cm, PatchType::apply, body, o);
        REQUIRE_MESSAGE(!r, body);
        CHECK_MESSAGE(r.error().code == 400, body);
    }
    std::string deep(5000, '[');
    CHECK(f.cluster.patch(cm, PatchType::apply, deep, o).error().code == 400);
    CHECK(f.cluster.create(f.at("", "v1", "configmaps", "default"), "{\"data\": 1}", o).error().code == 400);
}

TEST_CASE("generation counts spec changes only; status writes go through the status subresource") {
    Fixture f;
    Target d = f.at("apps", "v1", "deployments", "default", "web");
    json created = f.ok(f.apply(d, deployment("web", "default", 1))).body;
    CHECK(created["metadata"]["generation"] == 1);
    CHECK(created["status"] == json::object());

    // Status in a main-resource apply is ignored.
    json with_status = deployment("web", "default", 1);
    with_status["status"] = {{"readyReplicas", 5}};
    json same = f.ok(f.apply(d, with_status)).body;
    CHECK(same["status"] == json::object());
    CHECK(rv(same) == rv(created));

    Target status = d;
    status.subresource = "status";
    WriteOptions o;
    json patched = f.ok(f.cluster.patch(status, PatchType::merge,
                                        R"({"status": {"readyReplicas": 1}, "spec": {"replicas": 9}})", o))
                       .body;
    CHECK(patched["status"]["readyReplicas"] == 1);
    CHECK(patched["spec"]["replicas"] == 1);
    CHECK(patched["metadata"]["generation"] == 1);

    json scaled = f.ok(f.apply(d, deployment("web", "default", 3))).body;
    CHECK(scaled["metadata"]["generation"] == 2);
    CHECK(scaled["status"]["readyReplicas"] == 1);
}

TEST_CASE("defaults: replicas 1, a Service's ClusterIP, Secret stringData folded into data") {
    Fixture f;
    json d = deployment("web", "default", 1);
    d["spec"].erase("replicas");
    json created = f.ok(f.apply(f.at("apps", "v1", "deployments", "default", "web"), d)).body;
    CHECK(created["spec"]["replicas"] == 1);
    json fields = created["metadata"]["managedFields"][0]["fieldsV1"]["f:spec"];
    CHECK_FALSE(fields.contains("f:replicas"));

    json svc = json::parse(R"({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
                               "spec": {"ports": [{"port": 80}]}})");
    json service = f.ok(f.apply(f.at("", "v1", "services", "default", "web"), svc)).body;
    CHECK(service["spec"]["type"] == "ClusterIP");
    CHECK(service["spec"]["clusterIP"].get<std::string>().starts_with("10.43."));

    json secret = json::parse(R"({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
                                  "stringData": {"password": "hunter2"}})");
    json stored = f.ok(f.apply(f.at("", "v1", "secrets", "default", "s"), secret)).body;
    CHECK(stored["data"]["password"] == "aHVudGVyMg==");
    CHECK(stored["type"] == "Opaque");
    CHECK_FALSE(stored.contains("stringData"));
    json bad = json::parse(R"({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "b"}, "data": {"x": "%%"}})");
    CHECK(f.err(f.apply(f.at("", "v1", "secrets", "default", "b"), bad)).code == 400);
}

TEST_CASE("lists filter by label selector, span namespaces and page with continue tokens") {
    Fixture f;
    f.make_namespace("a");
    f.make_namespace("b");
    f.ok(f.apply(f.at("", "v1", "configmaps", "a", "one"), config_map("one", "a", {}, {{"tier", "web"}})));
    f.ok(f.apply(f.at("", "v1", "configmaps", "a", "two"), config_map("two", "a", {}, {{"tier", "db"}})));
    f.ok(f.apply(f.at("", "v1", "configmaps", "b", "three"), config_map("three", "b", {}, {{"tier", "web"}})));

    auto names = [](const json& list) {
        std::vector<std::string> out;
        for (const auto& item : list["items"]) out.push_back(item["metadata"]["name"]);
        return out;
    };
    Target all = f.at("", "v1", "configmaps", "");
    json web = f.ok(f.cluster.list(all, {"tier=web", "", 0, ""})).body;
    CHECK(web["kind"] == "ConfigMapList");
    CHECK(web["apiVersion"] == "v1");
    CHECK_FALSE(web["metadata"]["resourceVersion"].get<std::string>().empty());
    CHECK(names(web) == std::vector<std::string>{"one", "three"});
    CHECK_FALSE(web["items"][0].contains("kind"));  // typed lists carry no per-item kind
    CHECK(names(f.ok(f.cluster.list(all, {"tier in (db, cache)", "", 0, ""})).body) == std::vector<std::string>{"two"});
    CHECK(names(f.ok(f.cluster.list(f.at("", "v1", "configmaps", "a"), {"", "", 0, ""})).body) ==
          std::vector<std::string>{"one", "two"});
    CHECK(names(f.ok(f.cluster.list(all, {"", "metadata.name=two", 0, ""})).body) == std::vector<std::string>{"two"});

    json page1 = f.ok(f.cluster.list(all, {"", "", 2, ""})).body;
    CHECK(names(page1) == std::vector<std::string>{"one", "two"});
    CHECK(page1["metadata"]["remainingItemCount"] == 1);
    std::string token = page1["metadata"]["continue"];
    json page2 = f.ok(f.cluster.list(all, {"", "", 2, token})).body;
    CHECK(names(page2) == std::vector<std::string>{"three"});
    CHECK_FALSE(page2["metadata"].contains("continue"));

    CHECK(f.err(f.cluster.list(all, {"a in (", "", 0, ""})).code == 400);
    CHECK(f.err(f.cluster.list(all, {"", "spec.x=1", 0, ""})).code == 400);
}

TEST_CASE("a stale resourceVersion on PUT is a Conflict; a matching one goes through") {
    Fixture f;
    Target cm = f.at("", "v1", "configmaps", "default", "x");
    json created = f.ok(f.apply(cm, config_map("x", "default", {{"a", "1"}}))).body;
    json edited = created;
    edited["data"]["a"] = "2";
    edited["metadata"]["resourceVersion"] = "1";
    ApiError e = f.err(f.cluster.replace(cm, edited.dump(), {}));
    CHECK(e.code == 409);
    CHECK(e.message() ==
          "Operation cannot be fulfilled on configmaps \"x\": the object has been modified; please "
          "apply your changes to the latest version and try again");
    edited["metadata"]["resourceVersion"] = rv(created);
    WriteOptions by_edit;
    by_edit.field_manager = "kubectl-edit";
    json replaced = f.ok(f.cluster.replace(cm, edited.dump(), by_edit)).body;
    CHECK(replaced["data"]["a"] == "2");
    // The editor now owns .data.a; drover still owns nothing else there.
    json entries = replaced["metadata"]["managedFields"];
    REQUIRE(entries.size() == 1);
    CHECK(entries[0]["manager"] == "kubectl-edit");
    CHECK(entries[0]["operation"] == "Update");
}

TEST_CASE("merge, strategic-merge and JSON patches change objects in place") {
    Fixture f;
    Target cm = f.at("", "v1", "configmaps", "default", "x");
    f.ok(f.apply(cm, config_map("x", "default", {{"a", "1"}, {"b", "2"}})));
    WriteOptions o;
    json merged = f.ok(f.cluster.patch(cm, PatchType::merge, R"({"data": {"a": null, "c": "3"}})", o)).body;
    CHECK(merged["data"] == json::parse(R"({"b": "2", "c": "3"})"));
    json strategic =
        f.ok(f.cluster.patch(cm, PatchType::strategic_merge, R"({"$setElementOrder/x": [], "data": {"d": "4"}})", o))
            .body;
    CHECK(strategic["data"]["d"] == "4");
    CHECK_FALSE(strategic.contains("$setElementOrder/x"));
    json patched =
        f.ok(f.cluster.patch(cm, PatchType::json_patch, R"([{"op": "replace", "path": "/data/b", "value": "two"}])", o))
            .body;
    CHECK(patched["data"]["b"] == "two");
    CHECK(f.err(f.cluster.patch(cm, PatchType::json_patch, R"([{"op": "test", "path": "/data/b", "value": "x"}])", o))
              .code == 422);
    o.force = true;
    CHECK(f.err(f.cluster.patch(cm, PatchType::merge, "{}", o)).message() ==
          "PatchOptions.meta.k8s.io \"\" is invalid: force: Forbidden: may not be specified for non-apply patch");
    CHECK(f.err(f.cluster.patch(f.at("", "v1", "configmaps", "default", "y"), PatchType::merge, "{}", {})).code == 404);
}

TEST_CASE("deleting a Namespace deletes what is in it; objects owned by a deleted object go too") {
    Fixture f;
    f.make_namespace("web");
    json d = f.ok(f.apply(f.at("apps", "v1", "deployments", "web", "app"), deployment("app", "web", 1))).body;
    json pod = json::parse(R"({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "app-1"},
                               "spec": {"containers": [{"name": "c", "image": "i"}]}})");
    pod["metadata"]["ownerReferences"] = {
        {{"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"name", "app"}, {"uid", d["metadata"]["uid"]}}};
    f.ok(f.apply(f.at("", "v1", "pods", "web", "app-1"), pod));
    f.ok(f.apply(f.at("", "v1", "configmaps", "web", "c"), config_map("c", "web", {})));

    ApiReply deleted =
        f.ok(f.cluster.remove(f.at("apps", "v1", "deployments", "web", "app"), {"Background", "", "", false}));
    CHECK(deleted.body["status"] == "Success");
    CHECK(f.err(f.cluster.get(f.at("", "v1", "pods", "web", "app-1"))).code == 404);
    CHECK(f.ok(f.cluster.get(f.at("", "v1", "configmaps", "web", "c"))).code == 200);

    f.ok(f.cluster.remove(f.at("", "v1", "namespaces", "", "web"), {}));
    CHECK(f.err(f.cluster.get(f.at("", "v1", "configmaps", "web", "c"))).code == 404);
    ApiError protected_ns = f.err(f.cluster.remove(f.at("", "v1", "namespaces", "", "default"), {}));
    CHECK(protected_ns.code == 403);
    CHECK(protected_ns.message() == "namespaces \"default\" is forbidden: this namespace may not be deleted");
}

TEST_CASE("delete preconditions and dry runs leave the object alone") {
    Fixture f;
    Target cm = f.at("", "v1", "configmaps", "default", "x");
    f.ok(f.apply(cm, config_map("x", "default", {})));
    ApiError e = f.err(f.cluster.remove(cm, {"", "wrong-uid", "", false}));
    CHECK(e.code == 409);
    CHECK(e.message().find("Precondition failed: UID in precondition: wrong-uid") != std::string::npos);
    f.ok(f.cluster.remove(cm, {"", "", "", true}));
    f.ok(f.cluster.get(cm));
    f.ok(f.cluster.remove(cm, {}));
    CHECK(f.err(f.cluster.remove(cm, {})).code == 404);
}

TEST_CASE("a CRD adds its kind once Established; deleting it removes its custom resources") {
    Fixture f;
    CHECK_FALSE(f.cluster.find_type("example.com", "v1", "widgets"));
    json crd = f.ok(f.apply(f.at("apiextensions.k8s.io", "v1", "customresourcedefinitions", "", "widgets.example.com"),
                            widget_crd()))
                   .body;
    bool established = false;
    for (const auto& c : crd["status"]["conditions"])
        if (c["type"] == "Established") established = c["status"] == "True";
    CHECK(established);
    CHECK(crd["spec"]["names"]["singular"] == "widget");
    CHECK(crd["spec"]["names"]["listKind"] == "WidgetList");
    CHECK(f.cluster.resource_list("example.com", "v1").has_value());
    CHECK(f.cluster.group_list().dump().find("example.com") != std::string::npos);

    Target w = f.at("example.com", "v1", "widgets", "default", "w1");
    json cr = json::parse(R"({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w1"},
                              "spec": {"size": 3, "tags": ["a"]}, "status": {"ready": true}})");
    json stored = f.ok(f.apply(w, cr)).body;
    CHECK_FALSE(stored.contains("status"));  // the CRD declares a status subresource
    json list = f.ok(f.cluster.list(f.at("example.com", "v1", "widgets", ""), {})).body;
    CHECK(list["kind"] == "WidgetList");
    CHECK(list["items"][0]["kind"] == "Widget");

    f.ok(f.cluster.remove(f.at("apiextensions.k8s.io", "v1", "customresourcedefinitions", "", "widgets.example.com"),
                          {}));
    CHECK_FALSE(f.cluster.find_type("example.com", "v1", "widgets"));
    f.ok(f.apply(f.at("apiextensions.k8s.io", "v1", "customresourcedefinitions", "", "widgets.example.com"),
                 widget_crd()));
    CHECK(f.err(f.cluster.get(w)).code == 404);
}

TEST_CASE("in manual mode a CRD is served only once a test establishes it") {
    Cluster cluster(CrdEstablishment{false, std::chrono::milliseconds(0)});
    auto crd_type = *cluster.find_type("apiextensions.k8s.io", "v1", "customresourcedefinitions");
    WriteOptions o;
    o.field_manager = "drover";
    auto created = cluster.patch({crd_type, "", "widgets.example.com", ""}, PatchType::apply, widget_crd().dump(), o);
    REQUIRE(created);
    CHECK_FALSE(cluster.find_type("example.com", "v1", "widgets"));
    REQUIRE(cluster.establish_crd("widgets.example.com"));
    CHECK(cluster.find_type("example.com", "v1", "widgets"));
    CHECK(cluster.establish_crd("nope.example.com").error().code == 404);
}

TEST_CASE("an automatic establishment delay is honoured") {
    Cluster cluster(CrdEstablishment{true, std::chrono::milliseconds(150)});
    auto crd_type = *cluster.find_type("apiextensions.k8s.io", "v1", "customresourcedefinitions");
    WriteOptions o;
    o.field_manager = "drover";
    REQUIRE(cluster.patch({crd_type, "", "widgets.example.com", ""}, PatchType::apply, widget_crd().dump(), o));
    CHECK_FALSE(cluster.find_type("example.com", "v1", "widgets"));
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    bool served = false;
    while (!served && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));  // polling a bounded wait
        served = cluster.find_type("example.com", "v1", "widgets").has_value();
    }
    CHECK(served);
}

TEST_CASE("invalid CRDs are refused with the fields named") {
    Fixture f;
    json crd = widget_crd();
    crd["spec"]["group"] = "nodot";
    crd["spec"]["versions"][0].erase("schema");
    ApiError e =
        f.err(f.apply(f.at("apiextensions.k8s.io", "v1", "customresourcedefinitions", "", "widgets.example.com"), crd));
    CHECK(e.code == 422);
    CHECK(e.message().find("spec.group: Invalid value: \"nodot\": should be a domain with at least one dot") !=
          std::string::npos);
    CHECK(e.message().find("spec.versions[0].schema.openAPIV3Schema: Required value: schemas are required") !=
          std::string::npos);
}

TEST_CASE("a watch replays current objects, then streams changes that match its selector") {
    Fixture f;
    Target all = f.at("", "v1", "configmaps", "default");
    f.ok(f.apply(f.at("", "v1", "configmaps", "default", "a"), config_map("a", "default", {}, {{"w", "1"}})));
    Cluster::WatchCursor cursor;
    bool ended = false;
    auto soon = [] { return std::chrono::steady_clock::now() + std::chrono::milliseconds(100); };
    ListOptions selector{"w=1", "", 0, ""};
    auto first = f.cluster.watch_next(all, selector, "", cursor, soon(), &ended);
    REQUIRE(first.size() == 1);
    CHECK(first[0]["type"] == "ADDED");
    CHECK(first[0]["object"]["kind"] == "ConfigMap");

    f.ok(f.apply(f.at("", "v1", "configmaps", "default", "a"), config_map("a", "default", {{"x", "1"}}, {{"w", "1"}})));
    f.ok(f.apply(f.at("", "v1", "configmaps", "default", "b"), config_map("b", "default", {}, {{"w", "2"}})));
    f.ok(f.apply(f.at("", "v1", "configmaps", "default", "a"), config_map("a", "default", {{"x", "1"}}, {{"w", "0"}})));
    auto next = f.cluster.watch_next(all, selector, "", cursor, soon(), &ended);
    REQUIRE(next.size() == 2);
    CHECK(next[0]["type"] == "MODIFIED");
    CHECK(next[1]["type"] == "DELETED");  // left the selector
    auto idle = f.cluster.watch_next(all, selector, "", cursor, soon(), &ended);
    CHECK(idle.empty());
    CHECK(ended);

    Cluster::WatchCursor fresh;
    auto refused = f.cluster.watch_next(all, {}, "not-a-number", fresh, soon(), &ended);
    REQUIRE(refused.size() == 1);
    CHECK(refused[0]["type"] == "ERROR");
    CHECK(refused[0]["object"]["code"] == 400);
    CHECK(ended);
}

TEST_CASE("create fills generateName and refuses duplicates with AlreadyExists") {
    Fixture f;
    Target cms = f.at("", "v1", "configmaps", "default");
    WriteOptions o;
    o.user_agent = "kubectl/v1.32.4 (linux/amd64)";
    json made = f.ok(f.cluster.create(cms, R"({"metadata": {"generateName": "job-"}})", o)).body;
    CHECK(made["metadata"]["name"].get<std::string>().size() == 9);
    CHECK(made["metadata"]["managedFields"][0]["manager"] == "kubectl");
    CHECK(f.ok(f.cluster.create(cms, R"({"metadata": {"name": "x"}})", o)).code == 201);
    ApiError dup = f.err(f.cluster.create(cms, R"({"metadata": {"name": "x"}})", o));
    CHECK(dup.code == 409);
    CHECK(dup.reason() == "AlreadyExists");
    CHECK(dup.message() == "configmaps \"x\" already exists");
    ApiError nameless = f.err(f.cluster.create(cms, R"({"data": {}})", o));
    CHECK(nameless.message() ==
          "ConfigMap \"\" is invalid: metadata.name: Required value: name or generateName is required");
}

TEST_CASE("the scale subresource reads and writes a Deployment's replicas, owned by the scaler") {
    Fixture f;
    Target d = f.at("apps", "v1", "deployments", "default", "web");
    f.ok(f.apply(d, deployment("web", "default", 2)));
    Target scale = d;
    scale.subresource = "scale";
    json read = f.ok(f.cluster.scale(scale, "GET", std::nullopt, "", {})).body;
    CHECK(read["kind"] == "Scale");
    CHECK(read["apiVersion"] == "autoscaling/v1");
    CHECK(read["spec"]["replicas"] == 2);
    CHECK(read["status"]["selector"] == "app=web");

    WriteOptions by;
    by.field_manager = "kubectl-scale";
    json scaled = f.ok(f.cluster.scale(scale, "PATCH", PatchType::merge, R"({"spec": {"replicas": 5}})", by)).body;
    CHECK(scaled["spec"]["replicas"] == 5);
    json live = f.ok(f.cluster.get(d)).body;
    CHECK(live["spec"]["replicas"] == 5);
    CHECK(live["metadata"]["generation"] == 2);
    bool scaler_owns_replicas = false;
    for (const auto& e : live["metadata"]["managedFields"])
        if (e["manager"] == "kubectl-scale")
            scaler_owns_replicas = e["subresource"] == "scale" && e["fieldsV1"]["f:spec"].contains("f:replicas");
    CHECK(scaler_owns_replicas);
    // drover applying its own replicas again conflicts unless forced.
    CHECK(f.err(f.apply(d, deployment("web", "default", 2), "drover", false)).code == 409);

    ApiError negative = f.err(f.cluster.scale(scale, "PUT", std::nullopt, R"({"spec": {"replicas": -1}})", by));
    CHECK(negative.code == 422);
    CHECK(negative.message() ==
          "Scale.autoscaling \"web\" is invalid: spec.replicas: Invalid value: -1: must be "
          "greater than or equal to 0");
    CHECK(f.err(f.cluster.scale(f.at("apps", "v1", "deployments", "default", "none", "scale"), "GET", std::nullopt, "",
                                {}))
              .code == 404);
}

TEST_CASE("paging one item at a time visits every object once, whatever the namespace names sort like") {
    Fixture f;
    for (const char* ns : {"a", "a-b", "ab"}) {
        f.make_namespace(ns);
        for (const char* name : {"x", "y"})
            f.ok(f.apply(f.at("", "v1", "configmaps", ns, name), config_map(name, ns, {})));
    }
    Target all = f.at("", "v1", "configmaps", "");
    std::vector<std::string> seen;
    std::string token;
    for (int page = 0; page < 20; ++page) {
        json list = f.ok(f.cluster.list(all, {"", "", 1, token})).body;
        for (const auto& item : list["items"])
            seen.push_back(item["metadata"]["namespace"].get<std::string>() + "/" +
                           item["metadata"]["name"].get<std::string>());
        if (!list["metadata"].contains("continue")) break;
        token = list["metadata"]["continue"];
    }
    CHECK(seen == std::vector<std::string>{"a/x", "a/y", "a-b/x", "a-b/y", "ab/x", "ab/y"});
    CHECK(f.err(f.cluster.list(all, {"", "", 1, "bm9wZQ=="})).message() ==
          "the provided continue parameter is invalid");
}
