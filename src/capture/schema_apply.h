// capture: carrying out a schema change another node made (issue #10 item 1;
// docs/schema-changes.md). Every step is idempotent: a step whose effect is already there does
// nothing, so a change can arrive in every shard stream, or reach a node that made the same
// change by hand, and still leave one schema.
#pragma once

#include <string>
#include <vector>

#include "capture/catalog.h"
#include "change/schema_change.h"
#include "common/result.h"
#include "sqlite/database.h"

namespace harmony::capture {

struct SchemaApplyOptions {
  CatalogOptions catalog;
  // Install or adjust harmony's capture triggers for the new shapes in the same transaction (a
  // node that publishes); without it the tables are left without triggers (replicate-only).
  bool install_triggers = true;
};

struct SchemaApplyResult {
  size_t steps_done = 0;     // steps that changed something here
  size_t steps_present = 0;  // steps whose effect was already here
  // Steps refused, each with why ("add column \"c\" to \"t\": duplicate column name"): the schema
  // here conflicts with the origin's (docs/schema-changes.md, "Conflicting changes").
  std::vector<std::string> conflicts;
  std::vector<std::string> dropped_tables;  // tables this change dropped here
};

// Carries out `change` in the transaction the caller holds (the apply transaction): each step in a
// savepoint of its own, so that one refused step leaves the others; then installs triggers for
// the new shapes (re-capturing unpublished local changes of reshaped tables, no backfill), records
// the change's renames and drops (state::RecordSchemaChange) and brings the stored schema reading
// (__harmony_schema) up to date with what this change did, and only that, so that capture does
// not send it back out while an application change made here meanwhile is still sent.
// Errors: SQLite's for anything but a refused step.
Result<SchemaApplyResult> ApplySchemaChange(sqlite::Database& db, const change::SchemaChange& change,
                                            const SchemaApplyOptions& options);

}  // namespace harmony::capture
