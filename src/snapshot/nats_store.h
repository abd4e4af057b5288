#pragma once

#include <memory>
#include <string>

#include "common/result.h"
#include "snapshot/store.h"

namespace harmony::nats {
class Connection;
}

namespace harmony::snapshot {

// The JetStream backend: each snapshot is one object named after it in the object store bucket
// `bucket` (stream OBJ_<bucket>, NATS Object Store layout, so `nats object ls <bucket>` lists
// them), its manifest in the object's "Harmony-Manifest" header. An object becomes visible only
// once all its chunks are stored, so the previous snapshot stays until the new one is complete;
// then all but the newest two are deleted.
Result<std::unique_ptr<SnapshotStore>> NewNatsStore(std::shared_ptr<nats::Connection> connection,
                                                   const std::string& bucket, int replicas);

}  // namespace harmony::snapshot
