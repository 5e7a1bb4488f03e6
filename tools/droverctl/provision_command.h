#pragma once
// droverctl provision --out FILE [--labels k=v,..] [--apply TARGET]
//     [--token-ttl 30d] [--token-uses N] [--name-from hostname]
//     [--agent-binary PATH] [--format tar|k8s] [--hub-url wss://..] [--image IMAGE]
//   Asks the hub for its trust anchors (GET /api/v1/trust) and a new
//   registration token (POST /api/v1/tokens), then writes an image overlay:
//   a gzip'd tar to unpack at / of a device's root filesystem (agent binary,
//   /etc/drover/{agent.conf,ca.pem,signing.pub.pem}, the systemd unit and
//   its enablement link), or with --format k8s the YAML that runs the agent
//   in a cluster. The token is written into the output (mode 0600), never
//   printed.
#include <span>
#include <string>

#include "tools/droverctl/context.h"
#include "tools/droverctl/provision_files.h"

namespace drover::ctl {

extern const char* const kProvisionHelp;

int run_provision(const Context& ctx, std::span<const std::string> args);

}  // namespace drover::ctl
