#pragma once
// Hub answers in the shapes the hub's contract gives, shared by the
// formatting and the in-process tests: /api/v1/status, /api/v1/bundles.
#include <string_view>

namespace drover::ctl::testing {

inline constexpr std::string_view kSampleStatus = R"({
  "revision": {"commit": "3f2a1b9c0d4e5f60718293a4b5c6d7e8f9012345", "deployed_at": "2026-11-21T10:00:00Z",
               "error": {"commit": "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b", "message": "web/bundle.yaml:7: unknown field \"taregts\""}},
  "agents": [
    {"id": "a1", "name": "edge-1", "online": true, "last_seen": "2026-11-21T10:00:00Z",
     "labels": {"role": "gateway", "ring": "canary"},
     "bundles": [{"bundle": "web", "state": "Ready", "revision": "3f2a1b9c0d4e", "message": "", "out_of_sync": false},
                 {"bundle": "infra", "state": "Ready", "revision": "3f2a1b9c0d4e", "message": "", "out_of_sync": false}]},
    {"id": "a2", "name": "edge-2", "online": false, "last_seen": "2026-11-20T09:30:00Z",
     "labels": {"role": "gateway"},
     "bundles": [{"bundle": "web", "state": "Failed", "revision": "1111", "message": "deployment web/nginx: image pull failed", "out_of_sync": true}]}
  ],
  "bundles": [
    {"name": "web", "revision": "3f2a1b9c0d4e5f60718293a4b5c6d7e8f9012345",
     "commit": "c0ffee0123456789abcdef0123456789abcdef01", "targeted": 3, "ready": 2, "not_ready": 1,
     "states": {"Ready": 2, "Pending": 1}},
    {"name": "infra", "revision": "3f2a1b9c0d4e5f60718293a4b5c6d7e8f9012345",
     "commit": "3f2a1b9c0d4e5f60718293a4b5c6d7e8f9012345", "targeted": 1, "ready": 1, "not_ready": 0,
     "states": {"Ready": 1}}
  ]
})";

inline constexpr std::string_view kSampleBundles = R"([
  {"name": "web", "commit": "c0ffee0123456789abcdef0123456789abcdef01",
   "revision": "3f2a1b9c0d4e5f60718293a4b5c6d7e8f9012345", "targeted": 5, "ready": 2, "not_ready": 0,
   "failed": 1, "modified": 0, "out_of_sync": 1, "offline": 1, "pending": 1},
  {"name": "infra", "commit": "3f2a1b9c0d4e5f60718293a4b5c6d7e8f9012345",
   "revision": "3f2a1b9c0d4e5f60718293a4b5c6d7e8f9012345", "targeted": 1, "ready": 1, "not_ready": 0,
   "failed": 0, "modified": 0, "out_of_sync": 0, "offline": 0, "pending": 0}
])";

}  // namespace drover::ctl::testing
