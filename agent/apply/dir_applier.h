#pragma once
// `--apply dir:PATH`: each object becomes one pretty-printed JSON file
// PATH/<bundle>/<kind>.<namespace or _cluster>.<name>.json. For plain
// devices, demos and tests.
//
// File names are built only from [a-z0-9._-]: upper case is lowered and
// every other byte (including '/', '_' and, outside the object name, '.')
// becomes "_xx" (hex). A hostile bundle or object name therefore can never
// leave PATH/<bundle>/, and distinct (kind, namespace, name) triples never
// share a file. Files are replaced atomically (write_file_atomic); an
// unchanged file is not rewritten. The temporary file of a write that was
// killed before its rename is removed by the bundle's next apply or prune.
#include <string>

#include "agent/apply/applier.h"

namespace drover::apply {

class DirApplier final : public Applier {
public:
    explicit DirApplier(std::string root);

    ApplyResult apply(std::string_view bundle, const std::vector<nlohmann::json>& objects,
                      const Inventory& previous) override;
    Result<void> prune(std::string_view bundle, const Inventory& inventory) override;
    Result<std::vector<Difference>> drift(std::string_view bundle, const Inventory& inventory,
                                          const std::vector<nlohmann::json>& objects) override;

    // PATH/<bundle> and the file an object is written to (relative to it).
    Result<std::string> bundle_dir(std::string_view bundle) const;
    static Result<std::string> file_name(const ObjectKey& key);

private:
    std::string root_;
};

// What DirApplier writes for one object: 2-space indented JSON and a newline.
std::string render_object_file(const nlohmann::json& object);

}  // namespace drover::apply
