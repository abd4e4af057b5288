#include "capture/schema_diff.h"

#include <nlohmann/json.hpp>

#include <cctype>
#include <map>
#include <set>

namespace harmony::capture {
namespace {

using change::SchemaStep;
using sqlite::SameIdentifier;

bool IsIdentifierChar(unsigned char c) { return std::isalnum(c) || c == '_' || c == '$' || c >= 0x80; }

// Length of the quoted token or comment starting at `i` (0 when none starts there).
size_t SkipQuotedOrComment(const std::string& s, size_t i) {
  const char c = s[i];
  if (c == '\'' || c == '"' || c == '`') {
    size_t j = i + 1;
    while (j < s.size()) {
      if (s[j] == c) {
        if (j + 1 < s.size() && s[j + 1] == c) {
          j += 2;
          continue;
        }
        return j + 1 - i;
      }
      ++j;
    }
    return s.size() - i;
  }
  if (c == '[') {
    const size_t end = s.find(']', i);
    return (end == std::string::npos ? s.size() : end + 1) - i;
  }
  if (c == '-' && i + 1 < s.size() && s[i + 1] == '-') {
    const size_t end = s.find('\n', i);
    return (end == std::string::npos ? s.size() : end + 1) - i;
  }
  if (c == '/' && i + 1 < s.size() && s[i + 1] == '*') {
    const size_t end = s.find("*/", i + 2);
    return (end == std::string::npos ? s.size() : end + 2) - i;
  }
  return 0;
}

// Reads the identifier at `i` (quoted or bare) into `out`; returns its length in `s` (0: none).
size_t ReadIdentifier(const std::string& s, size_t i, std::string* out) {
  out->clear();
  if (i >= s.size()) return 0;
  const char c = s[i];
  if (c == '"' || c == '`' || c == '[' || c == '\'') {
    const size_t n = SkipQuotedOrComment(s, i);
    const char close = c == '[' ? ']' : c;
    for (size_t j = i + 1; j < i + n; ++j) {
      if (s[j] == close) {
        if (c != '[' && j + 1 < i + n && s[j + 1] == close) {
          out->push_back(close);
          ++j;
          continue;
        }
        break;
      }
      out->push_back(s[j]);
    }
    return n;
  }
  size_t j = i;
  while (j < s.size() && IsIdentifierChar(static_cast<unsigned char>(s[j]))) ++j;
  out->assign(s, i, j - i);
  return j - i;
}

std::string Trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

// The columns harmony's insert trigger reads, in shape order: every NEW.<identifier>.
std::vector<std::string> TriggerColumns(const std::string& sql) {
  std::vector<std::string> out;
  for (size_t i = 0; i < sql.size();) {
    if (size_t n = SkipQuotedOrComment(sql, i)) {
      i += n;
      continue;
    }
    const bool boundary = i == 0 || !IsIdentifierChar(static_cast<unsigned char>(sql[i - 1]));
    if (boundary && i + 4 < sql.size() && (sql[i] == 'N' || sql[i] == 'n') &&
        (sql[i + 1] == 'E' || sql[i + 1] == 'e') && (sql[i + 2] == 'W' || sql[i + 2] == 'w') &&
        sql[i + 3] == '.') {
      std::string name;
      const size_t n = ReadIdentifier(sql, i + 4, &name);
      if (n > 0) {
        out.push_back(name);
        i += 4 + n;
        continue;
      }
    }
    ++i;
  }
  return out;
}

bool StartsWithIgnoringCase(const std::string& s, const char* prefix) {
  for (size_t i = 0; prefix[i] != 0; ++i) {
    if (i >= s.size() || std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  }
  return true;
}

bool IsVirtual(const SchemaObject& o) { return StartsWithIgnoringCase(o.sql, "create virtual"); }

size_t IndexOf(const std::vector<std::string>& names, const std::string& name) {
  for (size_t i = 0; i < names.size(); ++i) {
    if (SameIdentifier(names[i], name)) return i;
  }
  return names.size();
}

bool SameNames(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i]) return false;  // a case-only rename is a rename too
  }
  return true;
}

using ByName = std::map<std::string, const SchemaObject*, sqlite::IdentifierLess>;

// Column steps turning `before` into `after` (same table, possibly renamed to after.name), or an
// error message when the change cannot be told apart.
Result<std::vector<SchemaStep>> ColumnSteps(const SchemaObject& before, const SchemaObject& after) {
  std::vector<SchemaStep> steps;
  if (SameNames(before.columns, after.columns)) return steps;
  if (IsVirtual(before) || IsVirtual(after)) {
    return Status::InvalidArgument("the columns of a virtual table changed");
  }
  // Renames first: what SQLite wrote into harmony's trigger, else the same position when the
  // column count did not change.
  std::vector<std::string> renamed = before.columns;
  auto rename = [&](const std::string& from, const std::string& to) {
    const size_t i = IndexOf(renamed, from);
    if (i == renamed.size() || renamed[i] == to) return;
    // As the origin spelled it (quoted or not): SQLite writes the new name into the CREATE
    // statement as the ALTER spells it, so every node ends with the same text.
    std::string spelling;
    for (const std::string& d : ColumnDefinitions(after.sql)) {
      if (SameIdentifier(LeadingIdentifier(d), to)) spelling = LeadingToken(d);
    }
    steps.push_back({SchemaStep::Kind::kRenameColumn, "", to, after.name, renamed[i], spelling});
    renamed[i] = to;
  };
  if (before.tid != 0 && after.tid == before.tid &&
      before.trigger_columns.size() == after.trigger_columns.size()) {
    for (size_t i = 0; i < before.trigger_columns.size(); ++i) {
      rename(before.trigger_columns[i], after.trigger_columns[i]);
    }
  } else if (before.columns.size() == after.columns.size()) {
    for (size_t i = 0; i < renamed.size(); ++i) rename(before.columns[i], after.columns[i]);
  }
  // Then drops (columns gone) and adds (new columns, which SQLite appends at the end).
  std::vector<std::string> kept;
  for (const std::string& c : renamed) {
    if (IndexOf(after.columns, c) == after.columns.size()) {
      steps.push_back({SchemaStep::Kind::kDropColumn, "", c, after.name, "", ""});
    } else {
      kept.push_back(c);
    }
  }
  for (size_t i = 0; i < after.columns.size(); ++i) {
    if (i < kept.size()) {
      if (!SameIdentifier(kept[i], after.columns[i])) {
        return Status::InvalidArgument("its columns were reordered or both renamed and dropped");
      }
      continue;
    }
    std::string definition;
    for (const std::string& d : ColumnDefinitions(after.sql)) {
      if (SameIdentifier(LeadingIdentifier(d), after.columns[i])) definition = d;
    }
    if (definition.empty()) {
      return Status::InvalidArgument("no definition found for new column \"" + after.columns[i] +
                                     "\"");
    }
    steps.push_back({SchemaStep::Kind::kAddColumn, "", after.columns[i], after.name, "", definition});
  }
  return steps;
}

}  // namespace

std::vector<std::string> ColumnDefinitions(const std::string& sql) {
  std::vector<std::string> out;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i < sql.size();) {
    if (size_t n = SkipQuotedOrComment(sql, i)) {
      i += n;
      continue;
    }
    const char c = sql[i];
    if (c == '(') {
      if (++depth == 1) start = i + 1;
    } else if (c == ')') {
      if (--depth == 0) {
        out.push_back(Trim(sql.substr(start, i - start)));
        return out;
      }
    } else if (c == ',' && depth == 1) {
      out.push_back(Trim(sql.substr(start, i - start)));
      start = i + 1;
    }
    ++i;
  }
  return out;
}

// Where the leading identifier of a definition starts (after spaces and comments).
size_t LeadingIdentifierStart(const std::string& definition) {
  size_t i = 0;
  while (i < definition.size()) {
    if (std::isspace(static_cast<unsigned char>(definition[i]))) {
      ++i;
    } else if ((definition[i] == '-' || definition[i] == '/') &&
               SkipQuotedOrComment(definition, i) > 0) {
      i += SkipQuotedOrComment(definition, i);
    } else {
      break;
    }
  }
  return i;
}

std::string LeadingIdentifier(const std::string& definition) {
  std::string name;
  ReadIdentifier(definition, LeadingIdentifierStart(definition), &name);
  return name;
}

std::string LeadingToken(const std::string& definition) {
  const size_t i = LeadingIdentifierStart(definition);
  std::string name;
  return definition.substr(i, ReadIdentifier(definition, i, &name));
}

SchemaDiff DiffSchema(const std::vector<SchemaObject>& before,
                      const std::vector<SchemaObject>& after) {
  SchemaDiff diff;
  std::vector<SchemaStep>& steps = diff.change.steps;
  ByName old_tables, new_tables, old_others, new_others;
  for (const SchemaObject& o : before) (o.type == "table" ? old_tables : old_others)[o.name] = &o;
  for (const SchemaObject& o : after) (o.type == "table" ? new_tables : new_others)[o.name] = &o;

  // Triggers and views gone, then indexes gone.
  for (const char* type : {"trigger", "view", "index"}) {
    for (const auto& [name, o] : old_others) {
      auto it = new_others.find(name);
      if (o->type == type && (it == new_others.end() || it->second->type != o->type)) {
        steps.push_back({SchemaStep::Kind::kDrop, o->type, o->name, "", "", ""});
      }
    }
  }
  // Old tables matched to new ones: by the tid of harmony's capture triggers, which follow a
  // table through RENAME TABLE (so swaps and "rename away, create anew" are told apart), else
  // by name. An old table whose triggers vanished while a table of its name exists was dropped
  // and created again, or rebuilt (SQLite's 12-step change, or DROP COLUMN with the triggers
  // dropped first): rebuilt elsewhere, keeping the rows.
  std::map<const SchemaObject*, const SchemaObject*> match;  // old -> new
  std::set<const SchemaObject*> matched_new;
  std::vector<const SchemaObject*> rebuilt_tables;
  for (const auto& [name, o] : old_tables) {
    if (o->tid == 0) continue;
    for (const auto& [new_name, n] : new_tables) {
      if (n->tid == o->tid && !matched_new.count(n)) {
        match[o] = n;
        matched_new.insert(n);
        break;
      }
    }
  }
  // A table without capture triggers (not replicated: too wide, a key with the application's
  // collation) renamed: its name gone, a new name with the same root page and columns.
  for (const auto& [name, o] : old_tables) {
    if (match.count(o) || o->tid != 0 || o->rootpage == 0 || new_tables.count(name)) continue;
    for (const auto& [new_name, n] : new_tables) {
      if (n->tid == 0 && n->rootpage == o->rootpage && !old_tables.count(new_name) &&
          !matched_new.count(n) && SameNames(o->columns, n->columns)) {
        match[o] = n;
        matched_new.insert(n);
        break;
      }
    }
  }
  for (const auto& [name, o] : old_tables) {
    if (match.count(o)) continue;
    auto it = new_tables.find(name);
    if (it == new_tables.end() || matched_new.count(it->second)) continue;
    matched_new.insert(it->second);
    // (New triggers on it, of a tid no old table had, were installed here since by the applier:
    // the same table.)
    if (o->tid != 0 && it->second->tid == 0) {
      rebuilt_tables.push_back(it->second);
    } else {
      match[o] = it->second;
    }
  }
  // Renames; through temporary names when a new name is still taken by another table then.
  std::vector<std::pair<const SchemaObject*, const SchemaObject*>> renames;
  for (const auto& [o, n] : match) {
    if (o->name != n->name) renames.emplace_back(o, n);
  }
  bool via_temporary = false;
  for (const auto& [o, n] : renames) {
    if (old_tables.count(n->name)) via_temporary = true;
  }
  for (size_t i = 0; i < renames.size(); ++i) {
    const auto& [o, n] = renames[i];
    const std::string to = via_temporary ? "__harmony_rename_" + std::to_string(i) : n->name;
    steps.push_back({SchemaStep::Kind::kRenameTable, "", to, o->name, "", ""});
  }
  if (via_temporary) {
    for (size_t i = 0; i < renames.size(); ++i) {
      steps.push_back({SchemaStep::Kind::kRenameTable, "", renames[i].second->name,
                       "__harmony_rename_" + std::to_string(i), "", ""});
    }
  }
  for (const auto& [o, n] : match) {
    if (o->sql == n->sql) continue;
    auto column_steps = ColumnSteps(*o, *n);
    if (!column_steps.ok()) {
      diff.unsupported.push_back("table \"" + n->name + "\": " + column_steps.status().message());
      continue;
    }
    for (SchemaStep& s : *column_steps) steps.push_back(std::move(s));
  }
  for (const auto& [name, o] : old_tables) {
    if (match.count(o)) continue;
    bool rebuilt_here = false;
    for (const SchemaObject* n : rebuilt_tables) rebuilt_here = rebuilt_here || n->name == o->name;
    if (!rebuilt_here) steps.push_back({SchemaStep::Kind::kDrop, "table", o->name, "", "", ""});
  }
  std::set<std::string, sqlite::IdentifierLess> rebuilt;
  for (const SchemaObject* n : rebuilt_tables) {
    steps.push_back({SchemaStep::Kind::kRebuildTable, "table", n->name, "", "", n->sql});
    rebuilt.insert(n->name);
    diff.rebuilt.push_back(n->name);
  }
  for (const auto& [name, n] : new_tables) {
    if (!matched_new.count(n)) {
      steps.push_back({SchemaStep::Kind::kCreate, "table", n->name, "", "", n->sql});
    }
  }
  // New or changed indexes, views and triggers (SQLite rewrites those of a renamed table or
  // column itself; a node that carried out the rename finds the same SQL and does nothing).
  for (const char* type : {"index", "view", "trigger"}) {
    for (const auto& [name, n] : new_others) {
      if (n->type != type) continue;
      auto it = old_others.find(name);
      if (it != old_others.end() && it->second->type == n->type && it->second->sql == n->sql &&
          !rebuilt.count(n->tbl_name)) {
        continue;
      }
      steps.push_back({SchemaStep::Kind::kCreate, n->type, n->name, "", "", n->sql});
    }
  }
  return diff;
}

Result<std::vector<SchemaObject>> ReadSchemaObjects(sqlite::Database& db,
                                                    const CatalogOptions& options) {
  std::set<std::string, sqlite::IdentifierLess> shadow;
  {
    HARMONY_ASSIGN_OR_RETURN(
        sqlite::Statement q,
        db.Prepare("SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'shadow'"));
    while (true) {
      HARMONY_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      shadow.insert(q.ColumnText(0));
    }
  }
  struct Capture {
    int64_t tid = 0;
    std::vector<std::string> columns;
  };
  std::map<std::string, Capture, sqlite::IdentifierLess> captured;  // table -> its insert trigger
  {
    HARMONY_ASSIGN_OR_RETURN(
        sqlite::Statement q,
        db.Prepare("SELECT name, tbl_name, sql FROM sqlite_schema WHERE type = 'trigger' AND "
                   "name GLOB '__harmony_[0-9]*_insert'"));
    while (true) {
      HARMONY_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      const std::string name = q.ColumnText(0);
      captured[q.ColumnText(1)] = {std::stoll(name.substr(10)), TriggerColumns(q.ColumnText(2))};
    }
  }
  HARMONY_ASSIGN_OR_RETURN(
      sqlite::Statement q,
      db.Prepare("SELECT type, name, tbl_name, sql, rootpage FROM sqlite_schema WHERE sql IS NOT "
                 "NULL AND "
                 "type IN ('table', 'index', 'view', 'trigger') AND "
                 "substr(name, 1, 9) IS NOT '__harmony' AND substr(tbl_name, 1, 9) IS NOT "
                 "'__harmony' AND lower(substr(name, 1, 7)) IS NOT 'sqlite_' ORDER BY type, name"));
  std::vector<SchemaObject> out;
  while (true) {
    HARMONY_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    SchemaObject o{q.ColumnText(0), q.ColumnText(1), q.ColumnText(2), q.ColumnText(3)};
    o.rootpage = q.ColumnInt(4);
    if (shadow.count(o.name)) continue;
    if (o.type != "view") {
      HARMONY_ASSIGN_OR_RETURN(std::string excluded, ExclusionReason(o.tbl_name, options));
      if (!excluded.empty()) continue;
    }
    out.push_back(std::move(o));
  }
  for (SchemaObject& o : out) {
    if (o.type != "table" || IsVirtual(o)) continue;
    HARMONY_ASSIGN_OR_RETURN(
        sqlite::Statement cols,
        db.Prepare("SELECT name FROM pragma_table_xinfo(?1, 'main') WHERE hidden != 1"));
    HARMONY_RETURN_IF_ERROR(cols.BindText(1, o.name));
    while (true) {
      HARMONY_ASSIGN_OR_RETURN(bool row, cols.Step());
      if (!row) break;
      o.columns.push_back(cols.ColumnText(0));
    }
    if (auto it = captured.find(o.name); it != captured.end()) {
      o.tid = it->second.tid;
      o.trigger_columns = it->second.columns;
    }
  }
  return out;
}

Result<std::optional<std::vector<SchemaObject>>> LoadSchemaReading(sqlite::Database& db) {
  using Reading = std::optional<std::vector<SchemaObject>>;
  HARMONY_ASSIGN_OR_RETURN(
      int64_t exists,
      db.QueryInt("SELECT count(*) FROM sqlite_schema WHERE name = '__harmony_schema'"));
  if (exists == 0) return Reading();
  HARMONY_ASSIGN_OR_RETURN(
      sqlite::Statement q,
      db.Prepare("SELECT type, name, tbl_name, sql, columns, tid, trigger_columns, rootpage FROM "
                 "__harmony_schema "
                 "ORDER BY type, name"));
  std::vector<SchemaObject> out;
  while (true) {
    HARMONY_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    SchemaObject o{q.ColumnText(0), q.ColumnText(1), q.ColumnText(2), q.ColumnText(3)};
    const nlohmann::json cols = nlohmann::json::parse(q.ColumnText(4), nullptr, false);
    if (!cols.is_array()) {
      return Status::Corruption("__harmony_schema: the columns of \"" + o.name + "\" are not a list");
    }
    for (const auto& c : cols) {
      if (c.is_string()) o.columns.push_back(c.get<std::string>());
    }
    o.tid = q.ColumnInt(5);
    o.rootpage = q.ColumnInt(7);
    const nlohmann::json tcols = nlohmann::json::parse(q.ColumnText(6), nullptr, false);
    if (tcols.is_array()) {
      for (const auto& c : tcols) {
        if (c.is_string()) o.trigger_columns.push_back(c.get<std::string>());
      }
    }
    out.push_back(std::move(o));
  }
  return Reading(std::move(out));
}

Status StoreSchemaReading(sqlite::Database& db, const std::vector<SchemaObject>& objects) {
  HARMONY_RETURN_IF_ERROR(
      db.Exec("CREATE TABLE IF NOT EXISTS __harmony_schema(type TEXT NOT NULL, name TEXT NOT NULL, "
              "tbl_name TEXT NOT NULL, sql TEXT NOT NULL, columns TEXT NOT NULL, tid INTEGER NOT "
              "NULL, trigger_columns TEXT NOT NULL, rootpage INTEGER NOT NULL, PRIMARY KEY(type, name))"));
  HARMONY_RETURN_IF_ERROR(db.Exec("DELETE FROM __harmony_schema"));
  HARMONY_ASSIGN_OR_RETURN(
      sqlite::Statement insert,
      db.Prepare("INSERT INTO __harmony_schema VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"));
  for (const SchemaObject& o : objects) {
    HARMONY_RETURN_IF_ERROR(insert.BindText(1, o.type));
    HARMONY_RETURN_IF_ERROR(insert.BindText(2, o.name));
    HARMONY_RETURN_IF_ERROR(insert.BindText(3, o.tbl_name));
    HARMONY_RETURN_IF_ERROR(insert.BindText(4, o.sql));
    HARMONY_RETURN_IF_ERROR(insert.BindText(5, nlohmann::json(o.columns).dump()));
    HARMONY_RETURN_IF_ERROR(insert.BindInt(6, o.tid));
    HARMONY_RETURN_IF_ERROR(insert.BindText(7, nlohmann::json(o.trigger_columns).dump()));
    HARMONY_RETURN_IF_ERROR(insert.BindInt(8, o.rootpage));
    HARMONY_RETURN_IF_ERROR(insert.Run());
  }
  return Status::Ok();
}

}  // namespace harmony::capture
