#include "apply/unique_conflicts.h"

#include <algorithm>
#include <string>

#include "change/shard.h"

namespace harmony::apply {
namespace {

using sqlite::QuoteIdentifier;

struct IndexColumn {
  uint32_t position;      // in table.columns
  std::string collation;  // the index's, which may differ from the column's
};

// The columns of every UNIQUE index that is not the primary key.
Result<std::vector<std::vector<IndexColumn>>> UniqueIndexes(sqlite::Database& db,
                                                            const change::TableSchema& table) {
  HARMONY_ASSIGN_OR_RETURN(
      sqlite::Statement list,
      db.Prepare("SELECT name FROM pragma_index_list(?1) WHERE \"unique\" = 1 AND origin != 'pk' "
                 "AND partial = 0"));
  HARMONY_RETURN_IF_ERROR(list.BindText(1, table.name));
  std::vector<std::string> names;
  while (true) {
    HARMONY_ASSIGN_OR_RETURN(bool row, list.Step());
    if (!row) break;
    names.push_back(list.ColumnText(0));
  }
  std::vector<std::vector<IndexColumn>> out;
  for (const std::string& name : names) {
    HARMONY_ASSIGN_OR_RETURN(
        sqlite::Statement cols,
        db.Prepare("SELECT cid, name, coll FROM pragma_index_xinfo(?1) WHERE key = 1 "
                   "ORDER BY seqno"));
    HARMONY_RETURN_IF_ERROR(cols.BindText(1, name));
    std::vector<IndexColumn> positions;
    bool usable = true;
    while (true) {
      HARMONY_ASSIGN_OR_RETURN(bool row, cols.Step());
      if (!row) break;
      const std::string column = cols.ColumnText(1);
      auto it = std::find(table.columns.begin(), table.columns.end(), column);
      if (cols.ColumnInt(0) < 0 || it == table.columns.end()) {
        usable = false;  // an expression, or a column the sender does not know
        continue;
      }
      positions.push_back({static_cast<uint32_t>(it - table.columns.begin()), cols.ColumnText(2)});
    }
    if (usable && !positions.empty()) out.push_back(std::move(positions));
  }
  return out;
}

}  // namespace

Result<std::vector<std::vector<Value>>> FindUniqueConflicts(sqlite::Database& db,
                                                            const change::TableSchema& table,
                                                            const std::vector<Value>& values) {
  std::vector<Value> key;
  for (uint32_t i : table.pk) key.push_back(values[i]);
  std::vector<std::vector<Value>> found;
  HARMONY_ASSIGN_OR_RETURN(auto indexes, UniqueIndexes(db, table));
  for (const std::vector<IndexColumn>& index : indexes) {
    if (std::any_of(index.begin(), index.end(), [&](const IndexColumn& c) {
          return std::holds_alternative<Null>(values[c.position]);
        })) {
      continue;  // NULLs are distinct for UNIQUE
    }
    std::string sql = "SELECT ";
    for (size_t k = 0; k < table.pk.size(); ++k) {
      sql += (k ? ", " : "") + QuoteIdentifier(table.columns[table.pk[k]]);
    }
    sql += " FROM " + QuoteIdentifier(table.name) + " WHERE ";
    for (size_t k = 0; k < index.size(); ++k) {
      sql += (k ? " AND " : "") + QuoteIdentifier(table.columns[index[k].position]) + " = ?" +
             std::to_string(k + 1) + " COLLATE " + QuoteIdentifier(index[k].collation);
    }
    HARMONY_ASSIGN_OR_RETURN(sqlite::Statement q, db.Prepare(sql));
    for (size_t k = 0; k < index.size(); ++k) {
      HARMONY_RETURN_IF_ERROR(q.Bind(static_cast<int>(k + 1), values[index[k].position]));
    }
    while (true) {
      HARMONY_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      std::vector<Value> other;
      for (size_t k = 0; k < table.pk.size(); ++k) other.push_back(q.Column(static_cast<int>(k)));
      if (!change::SameKey(table, other, key)) found.push_back(std::move(other));
    }
  }
  return found;
}

}  // namespace harmony::apply
