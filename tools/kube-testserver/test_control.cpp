#include "tools/kube-testserver/test_control.h"

#include "common/text.h"
#include "tools/kube-testserver/api_server.h"

namespace drover::kts {

namespace {

HttpResponse ok(json body) { return json_response(200, body); }

HttpResponse error(int code, std::string_view reason, std::string_view message) {
    return json_response(code, status_body(code, reason, message));
}

HttpResponse method_not_allowed_here(const HttpRequest& request, std::string_view control) {
    return error(405, "MethodNotAllowed", cat(request.method, " is not supported on /testserver/", control));
}

HttpResponse crd_establishment(const HttpRequest& request, TestControl& state) {
    CrdEstablishment mode;
    const std::string& name = request.param("mode");
    if (name == "manual")
        mode.automatic = false;
    else if (name != "auto")
        return error(400, "BadRequest", "mode: expected auto or manual");
    if (request.has_param("delay_ms")) {
        auto delay = parse_u64(request.param("delay_ms"));
        if (!delay || *delay > 3'600'000) return error(400, "BadRequest", "delay_ms: expected 0-3600000");
        mode.delay = std::chrono::milliseconds(*delay);
    }
    state.cluster.set_crd_establishment(mode);
    return ok({{"mode", mode.automatic ? "auto" : "manual"}, {"delay_ms", mode.delay.count()}});
}

}  // namespace

HttpResponse handle_test_control(const HttpRequest& request, const std::string& control, TestControl& state) {
    const std::string& method = request.method;
    if (control == "faults" || control == "fail") {
        if (method == "GET") return ok({{"faults", state.faults.describe()}});
        if (method == "DELETE") {
            state.faults.clear();
            return ok({{"faults", json::array()}});
        }
        if (method != "POST") return method_not_allowed_here(request, control);
        auto rule = parse_fault_rule(request.query);
        if (!rule) return error(400, "BadRequest", rule.error().message);
        state.faults.add(std::move(*rule));
        return ok({{"faults", state.faults.describe()}});
    }
    if (control == "requests") {
        if (method == "GET") return ok({{"requests", state.log.to_json()}});
        if (method == "DELETE") {
            state.log.clear();
            return ok({{"requests", json::array()}});
        }
        return method_not_allowed_here(request, control);
    }
    if (control == "crd-establishment") {
        if (method != "POST") return method_not_allowed_here(request, control);
        return crd_establishment(request, state);
    }
    if (control.starts_with("crds/") && control.ends_with("/establish")) {
        if (method != "POST") return method_not_allowed_here(request, control);
        std::string name = control.substr(5, control.size() - 5 - std::string_view("/establish").size());
        auto result = state.cluster.establish_crd(name);
        if (!result) return json_response(result.error().code, result.error().status);
        return json_response(result->code, result->body);
    }
    return error(404, "NotFound",
                 cat("no test control endpoint /testserver/", control,
                     " (faults, requests, crd-establishment, crds/NAME/establish)"));
}

}  // namespace drover::kts
