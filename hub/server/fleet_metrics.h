#pragma once
// The fleet's gauges, computed when /metrics is served (on the event loop,
// like every Fleet read): agents registered and connected, deployed bundles
// on their agents by shown state, the status and send queues. The states come
// from the same one-pass fleet view the REST API uses (api_fleet_state.h):
// one read of the agents and one of the statuses per scrape, whatever the
// fleet's size (about 40 ms at 10,000 agents; see metrics_test.cpp).
namespace drover::hub {

class Exposition;
class Fleet;

void collect_fleet_metrics(Fleet& fleet, Exposition& out);

}  // namespace drover::hub
