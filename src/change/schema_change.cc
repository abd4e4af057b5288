#include "change/schema_change.h"

#include <nlohmann/json.hpp>

namespace harmony::change {
namespace {

constexpr std::pair<SchemaStep::Kind, const char*> kKinds[] = {
    {SchemaStep::Kind::kCreate, "create"},
    {SchemaStep::Kind::kDrop, "drop"},
    {SchemaStep::Kind::kRenameTable, "rename_table"},
    {SchemaStep::Kind::kAddColumn, "add_column"},
    {SchemaStep::Kind::kRenameColumn, "rename_column"},
    {SchemaStep::Kind::kDropColumn, "drop_column"},
    {SchemaStep::Kind::kRebuildTable, "rebuild_table"},
};

}  // namespace

const char* KindName(SchemaStep::Kind kind) {
  for (const auto& [k, name] : kKinds) {
    if (k == kind) return name;
  }
  return "?";
}

std::string EncodeSchemaChange(const SchemaChange& change) {
  nlohmann::json steps = nlohmann::json::array();
  for (const SchemaStep& s : change.steps) {
    nlohmann::json j = {{"kind", KindName(s.kind)}, {"name", s.name}};
    if (!s.type.empty()) j["type"] = s.type;
    if (!s.table.empty()) j["table"] = s.table;
    if (!s.old_name.empty()) j["old_name"] = s.old_name;
    if (!s.sql.empty()) j["sql"] = s.sql;
    steps.push_back(std::move(j));
  }
  return nlohmann::json{{"id", change.id}, {"steps", std::move(steps)}}.dump();
}

Result<SchemaChange> DecodeSchemaChange(std::string_view text) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Status::Corruption("schema change: not a JSON object");
  auto string_at = [](const nlohmann::json& o, const char* key, bool required,
                      std::string* out) -> Status {
    auto it = o.find(key);
    if (it == o.end()) {
      return required ? Status::Corruption(std::string("schema change: no \"") + key + "\"")
                      : Status::Ok();
    }
    if (!it->is_string()) {
      return Status::Corruption(std::string("schema change: \"") + key + "\" is not a string");
    }
    *out = it->get<std::string>();
    return Status::Ok();
  };
  SchemaChange change;
  HARMONY_RETURN_IF_ERROR(string_at(j, "id", true, &change.id));
  auto steps = j.find("steps");
  if (steps == j.end() || !steps->is_array()) {
    return Status::Corruption("schema change: \"steps\" is not an array");
  }
  for (const nlohmann::json& s : *steps) {
    if (!s.is_object()) return Status::Corruption("schema change: a step is not an object");
    SchemaStep step;
    std::string kind;
    HARMONY_RETURN_IF_ERROR(string_at(s, "kind", true, &kind));
    bool known = false;
    for (const auto& [k, name] : kKinds) {
      if (kind == name) {
        step.kind = k;
        known = true;
      }
    }
    if (!known) return Status::Corruption("schema change: unknown step kind \"" + kind + "\"");
    HARMONY_RETURN_IF_ERROR(string_at(s, "name", true, &step.name));
    HARMONY_RETURN_IF_ERROR(string_at(s, "type", false, &step.type));
    HARMONY_RETURN_IF_ERROR(string_at(s, "table", false, &step.table));
    HARMONY_RETURN_IF_ERROR(string_at(s, "old_name", false, &step.old_name));
    HARMONY_RETURN_IF_ERROR(string_at(s, "sql", false, &step.sql));
    change.steps.push_back(std::move(step));
  }
  return change;
}

}  // namespace harmony::change
