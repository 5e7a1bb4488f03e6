#pragma once
// Bounds on what one fleet repository may make the hub do. A push beyond any
// of them is refused with a Problem naming the limit, before the work is done.
//
// The byte limits are sized so that specs of 50 MiB and more (big CRDs,
// ConfigMaps carrying data) work, while one push cannot take the hub's
// memory: rendering holds the input files, their parsed objects and the
// canonical JSON at once (3-4x the input while it runs), and the hub
// keeps every rendered spec and its compressed form for as long as it serves
// the revision. Time is bounded too: yaml-cpp reads 2.5-9 MiB/s on one core
// (plain scalars and many small nodes are the slow end), JSON manifests about
// 60 MiB/s, so a 128 MiB YAML file costs the watcher thread 15-50 s per
// render. Operators with huge data do better with *.json manifests.
//
// Agents enforce the spec limit on their side too (agent/session/
// content_fetch.h: kMaxSpecBytes) and must accept whatever the hub renders;
// agent/tests check that the two agree.
#include <cstddef>

namespace drover::render {

struct Limits {
    size_t max_files = 10000;  // render inputs (*.yaml, *.yml, *.json) in the repository
    // One input file. Equal to max_spec_bytes: a file that large cannot
    // render to a smaller spec in any useful way, and one big object (a
    // 60 MiB ConfigMap) must fit in one file.
    size_t max_file_bytes = 128 << 20;
    // All render inputs together, checked before any is parsed (and by the
    // Git reader from object headers, before any is loaded): the renderer
    // holds all of them in memory at once.
    size_t max_input_bytes = 256 << 20;
    size_t max_bundles = 1000;
    size_t max_objects_per_bundle = 5000;
    // One rendered spec's canonical JSON, and the alias-expansion budget of
    // one YAML document. An agent needs 2.5-4x a spec's size in memory while
    // it applies and drift-checks it (see content_fetch.h), so this also
    // bounds agent memory: 128 MiB leaves 2x headroom over 50-60 MiB specs
    // (a 60 MiB ConfigMap renders to ~63 MiB of JSON) and keeps an agent
    // under ~500 MiB.
    size_t max_spec_bytes = 128 << 20;
    // Every distinct spec of the repository together (customizations render
    // a bundle again): the hub keeps them all, with their compressed forms,
    // while it serves the revision, and during a push the old revision's too.
    size_t max_fleet_spec_bytes = 512 << 20;
    size_t max_depth = 64;  // nesting of YAML/JSON collections
};

}  // namespace drover::render
